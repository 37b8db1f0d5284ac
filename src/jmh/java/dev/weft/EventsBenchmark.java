package dev.weft;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * What observability costs per node: a chain of {@value #LENGTH} nodes run on the calling thread,
 * without a listener ({@code none}), with a listener that counts events ({@code listener}), and
 * with that listener plus building the run's trace and critical path ({@code trace}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EventsBenchmark {
  static final int LENGTH = 100;

  @Param({"none", "listener", "trace"})
  public String mode;

  private Graph graph;
  private Node<Long> sink;
  private RunOptions options;
  private final LongAdder events = new LongAdder();

  @Setup(Level.Trial)
  public void setUp() {
    var g = Graph.builder("events");
    Node<Long> node = g.task("n0", () -> 1L);
    for (int i = 1; i < LENGTH; i++) {
      node = g.task("n" + i, node, x -> x + 1);
    }
    sink = node;
    graph = g.build();
    options = graph.options().withExecutor(Runnable::run);
    if (!mode.equals("none")) {
      options = options.withListener(event -> events.increment());
    }
    if (run() != LENGTH) {
      throw new AssertionError(mode);
    }
  }

  @Benchmark
  public long run() {
    var result = graph.run(Inputs.empty(), o -> options);
    if (mode.equals("trace")) {
      return result.trace().criticalPath().size();
    }
    return result.get(sink);
  }
}
