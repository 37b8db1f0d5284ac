package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of one run with a single caller, for each {@linkplain Shapes shape} declared once and run
 * per operation, {@linkplain FourWaysBenchmark four ways}. Divide by the shape's node count for
 * the cost per node.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RunBenchmark extends FourWaysBenchmark {
  @Param({"fanout-1000", "chain-1000", "layered-500", "many-small"})
  public String shape;

  @Override
  protected String shape() {
    return shape;
  }
}
