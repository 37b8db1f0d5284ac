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
 * What {@link TaskContext#current()} costs a typed task that calls it: a fan-out of {@value
 * #WIDTH} tasks on virtual threads (a new thread per task, so the context is found on a fresh
 * thread every time) and a chain of {@value #WIDTH} inline tasks (one thread), each task adding
 * one, {@code plain} without asking for its context, {@code current} reading {@code
 * TaskContext.current().attempt()}. The difference per node is the cost of one call; the cost of
 * making it possible at all is in every other benchmark.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TaskContextBenchmark {
  static final int WIDTH = 1000;

  @Param({"fanout", "chain-inline"})
  public String shape;

  @Param({"plain", "current"})
  public String task;

  private Graph graph;
  private Node<Long> sink;

  @Setup(Level.Trial)
  public void setUp() {
    boolean current = task.equals("current");
    Fn.F1<Long, Long> body = current ? x -> x + TaskContext.current().attempt() : x -> x + 1;
    var g = Graph.builder("context-" + shape + "-" + task);
    sink = Shapes.fanOutOrInlineChain(g, shape, WIDTH, body);
    graph = g.build();
    if (run() != WIDTH) {
      throw new AssertionError(shape + "/" + task + ": expected " + WIDTH);
    }
  }

  @Benchmark
  public long run() {
    return graph.run(Inputs.empty()).get(sink);
  }
}
