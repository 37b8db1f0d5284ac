package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Runs per second with 4 concurrent callers sharing one graph of the {@code many-small} shape
 * (root, 8 leaves, join), {@linkplain FourWaysBenchmark four ways}. On 2 cores, 4 callers measure
 * contention as much as parallelism.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(4)
public class ThroughputBenchmark extends FourWaysBenchmark {
  @Param({"many-small"})
  public String shape;

  @Override
  protected String shape() {
    return shape;
  }
}
