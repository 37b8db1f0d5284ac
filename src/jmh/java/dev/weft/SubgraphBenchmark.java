package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What a subgraph node costs beyond running its graph directly: {@code direct} runs a 10-node
 * inner graph (a root, 8 parallel tasks, a join) with {@code Graph.run}; {@code nested} runs an
 * outer graph whose only task is a subgraph node running that same graph. The difference is the
 * subgraph node's overhead: an outer run of one task, the binding, the nested run's settings and
 * the helping wait.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SubgraphBenchmark {
  private Graph inner;
  private Input<Long> innerIn;
  private Node<Long> innerOut;
  private Graph outer;
  private Input<Long> outerIn;
  private Node<Long> outerOut;

  @Setup(Level.Trial)
  public void setUp() {
    var g = Graph.builder("inner");
    innerIn = g.input("x", Long.class);
    Node<Long> root = g.task("root", innerIn, x -> x + 1);
    var leaves = new java.util.ArrayList<Dep<?>>();
    for (int i = 0; i < 8; i++) {
      long k = i;
      leaves.add(g.task("leaf" + i, root, x -> x + k));
    }
    innerOut = g.task("join", leaves, ctx -> {
      long sum = 0;
      for (var leaf : leaves) {
        sum += (Long) ctx.get(leaf);
      }
      return sum;
    });
    inner = g.build();
    var o = Graph.builder("outer");
    outerIn = o.input("x", Long.class);
    outerOut = o.subgraph("inner", Subgraph.of(inner, innerOut).bind(innerIn, outerIn));
    outer = o.build();
    if (!direct().equals(nested())) {
      throw new AssertionError("nested and direct runs disagree");
    }
  }

  @Benchmark
  public Long direct() {
    return inner.run(Inputs.of(innerIn, 1L)).get(innerOut);
  }

  @Benchmark
  public Long nested() {
    return outer.run(Inputs.of(outerIn, 1L)).get(outerOut);
  }
}
