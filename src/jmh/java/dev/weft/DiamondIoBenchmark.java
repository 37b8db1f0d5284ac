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
 * Blocking tasks: the {@code diamond-io} shape, 5 layers of 10 nodes, each reading 2 nodes of the
 * previous layer and sleeping 1 ms ({@code Thread.sleep(1)}), then a join that does not sleep.
 * Weft in its default mode ({@code weft}) is compared with every node an async CompletableFuture
 * stage on a new virtual thread ({@code cfVirtual}) and with the critical path itself: 5 sleeps of
 * 1 ms in a row on the caller ({@code criticalPath}, nominally 5,000 µs; each sleep overshoots a
 * little). The closer an implementation gets to {@code criticalPath}, the less it adds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DiamondIoBenchmark {
  static final int LAYERS = 5;

  @Param({"diamond-io"})
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
  public long cfVirtual() {
    return wired.cfVirtual();
  }

  @Benchmark
  public long criticalPath() {
    long v = 0;
    for (int i = 0; i < LAYERS; i++) {
      v = Shapes.value(true, v + 1);
    }
    return v;
  }
}
