package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Runs per second with 4 concurrent callers sharing one graph of the {@code many-small} shape
 * (root, 8 leaves, join): Weft default ({@code weft}) and all-inline ({@code weftInline}),
 * compared with the same graph wired by hand with CompletableFuture, inline ({@code cfInline}) or
 * every node on a new virtual thread ({@code cfVirtual}). All four are checked to return the same
 * value first. On 2 cores, 4 callers measure contention as much as parallelism.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(4)
public class ThroughputBenchmark {
  @Param({"many-small"})
  public String shape;

  private Shapes.Wired wired;

  @Setup(Level.Trial)
  public void setUp() {
    wired = new Shapes.Wired(shape);
    wired.check();
  }

  @Benchmark
  public long weft() {
    return wired.weft();
  }

  @Benchmark
  public long weftInline() {
    return wired.weftInline();
  }

  @Benchmark
  public long cfInline() {
    return wired.cfInline();
  }

  @Benchmark
  public long cfVirtual() {
    return wired.cfVirtual();
  }
}
