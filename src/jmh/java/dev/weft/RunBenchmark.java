package dev.weft;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
 * Cost of one run of a graph declared once, beside the same graph wired by hand with
 * CompletableFuture: (a) inline stages, (b) every node an async stage on a new virtual thread.
 * Every node's value is the sum of its dependencies' values plus one, so all implementations
 * must return the same number; {@link #check()} verifies that before anything is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RunBenchmark {
  /** fanout: root, 1000 leaves, join. chain: 1000 in a row. small: root, 8 leaves, join. */
  @Param({"fanout-1000", "chain-1000", "many-small"})
  public String shape;

  private static final Executor VIRTUAL = Thread::startVirtualThread;

  private Graph graph;
  private Node<Long> sink;
  private int width;
  private int length;

  @Setup(Level.Trial)
  public void setUp() {
    switch (shape) {
      case "fanout-1000" -> fanout(1000);
      case "chain-1000" -> chain(1000);
      case "many-small" -> fanout(8);
      default -> throw new IllegalArgumentException(shape);
    }
    check();
  }

  private void fanout(int n) {
    width = n;
    var g = Graph.builder("fanout");
    Node<Long> root = g.task("root", () -> 1L);
    var leaves = new ArrayList<Node<Long>>();
    for (int i = 0; i < n; i++) {
      leaves.add(g.task("leaf" + i, root, x -> x + 1));
    }
    sink = g.task("join", leaves, ctx -> {
      long sum = 1;
      for (var leaf : leaves) {
        sum += ctx.get(leaf);
      }
      return sum;
    });
    graph = g.build();
  }

  private void chain(int n) {
    length = n;
    var g = Graph.builder("chain");
    Node<Long> node = g.task("n0", () -> 1L);
    for (int i = 1; i < n; i++) {
      node = g.task("n" + i, node, x -> x + 1);
    }
    sink = node;
    graph = g.build();
  }

  private void check() {
    long expected = weft();
    if (cfInline() != expected || cfVirtual() != expected) {
      throw new AssertionError(shape + ": implementations disagree: weft=" + expected
          + " cfInline=" + cfInline() + " cfVirtual=" + cfVirtual());
    }
  }

  @Benchmark
  public long weft() {
    return graph.run(Inputs.empty()).get(sink);
  }

  @Benchmark
  public long cfInline() {
    return width > 0 ? cfFanout(null) : cfChain(null);
  }

  @Benchmark
  public long cfVirtual() {
    return width > 0 ? cfFanout(VIRTUAL) : cfChain(VIRTUAL);
  }

  private long cfFanout(Executor executor) {
    CompletableFuture<Long> root = executor == null ? CompletableFuture.completedFuture(1L)
        : CompletableFuture.supplyAsync(() -> 1L, executor);
    List<CompletableFuture<Long>> leaves = new ArrayList<>(width);
    for (int i = 0; i < width; i++) {
      leaves.add(executor == null ? root.thenApply(x -> x + 1)
          : root.thenApplyAsync(x -> x + 1, executor));
    }
    var all = CompletableFuture.allOf(leaves.toArray(CompletableFuture[]::new));
    java.util.function.Function<Void, Long> join = v -> {
      long sum = 1;
      for (var leaf : leaves) {
        sum += leaf.join();
      }
      return sum;
    };
    return (executor == null ? all.thenApply(join) : all.thenApplyAsync(join, executor)).join();
  }

  private long cfChain(Executor executor) {
    CompletableFuture<Long> node = executor == null ? CompletableFuture.completedFuture(1L)
        : CompletableFuture.supplyAsync(() -> 1L, executor);
    for (int i = 1; i < length; i++) {
      node = executor == null ? node.thenApply(x -> x + 1) : node.thenApplyAsync(x -> x + 1,
          executor);
    }
    return node.join();
  }
}
