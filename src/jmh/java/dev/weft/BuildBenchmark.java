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
 * Declaring and validating a graph: every operation declares a {@code layered-N} shape (N/50
 * layers of 50, 1-3 dependencies each, plus a join) node by node on a new {@link GraphBuilder},
 * names included, and calls {@code build()}. There is no baseline, CompletableFuture having nothing
 * to build ahead of a run; the target is 100,000 nodes in under 100 ms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BuildBenchmark {
  @Param({"layered-1000", "layered-100000"})
  public String shape;

  private Shapes.Shape description;

  @Setup(Level.Trial)
  public void setUp() {
    description = Shapes.of(shape);
    build(); // fails the trial at once if the shape does not validate
  }

  @Benchmark
  public Graph build() {
    return Shapes.weft(description, false).graph();
  }
}
