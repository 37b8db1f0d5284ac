package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * One run of a chain of 100,000 nodes, {@linkplain FourWaysBenchmark four ways}, to show that
 * depth costs neither stack nor more per node than {@code chain-1000} in {@link RunBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LongChainBenchmark extends FourWaysBenchmark {
  @Param({"chain-100000"})
  public String shape;

  @Override
  protected String shape() {
    return shape;
  }
}
