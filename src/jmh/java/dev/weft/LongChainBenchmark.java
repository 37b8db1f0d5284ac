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

/**
 * One run of a chain of 100,000 nodes, to show that depth costs neither stack nor more per node
 * than {@code chain-1000} in {@link RunBenchmark}: Weft default ({@code weft}) and all-inline
 * ({@code weftInline}), compared with the same chain of CompletableFuture stages, inline ({@code
 * cfInline}) and each on a new virtual thread ({@code cfVirtual}). All four are checked to return
 * 100,000 first.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LongChainBenchmark {
  @Param({"chain-100000"})
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
