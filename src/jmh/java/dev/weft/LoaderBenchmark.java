package dev.weft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * What a {@link BatchLoader} costs at depth 1 (issue 12): a graph of {@code tasks} independent
 * tasks, each loading one key, against the same graph whose tasks call the batch function
 * directly with their one key; the batch function is an in-memory map lookup, so the difference
 * is the loader's machinery alone (the keys' bookkeeping, the {@code maxDelay} timer armed and
 * cancelled, the wait, the quiescence, the call's own virtual thread and the wake-up). Beside them, two baselines that express the difference in
 * thread hand-offs:
 *
 * <ul>
 *   <li>{@code handOff}: the benchmark thread starts a virtual thread with an empty body and joins
 *       it (one hand-off there and one back).
 *   <li>{@code handOffNested}: the same, but that virtual thread starts and joins a second one:
 *       {@code handOffNested - handOff} is one hand-off between virtual threads, the kind a
 *       loader's call adds (the task parks, the call's thread starts, the call unparks the task).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LoaderBenchmark {
  /** The downstream: an immutable in-memory table of 100 values. */
  static final Map<Integer, Long> TABLE;

  static {
    var m = new HashMap<Integer, Long>();
    for (int i = 0; i < 100; i++) {
      m.put(i, 1000L + i);
    }
    TABLE = Map.copyOf(m);
  }

  /** The batch function: one map lookup per key. */
  static Map<Integer, Long> lookup(List<Integer> keys) {
    var values = new HashMap<Integer, Long>(keys.size() * 2);
    for (var k : keys) {
      values.put(k, TABLE.get(k));
    }
    return values;
  }

  static final BatchLoader<Integer, Long> LOADER =
      BatchLoader.of("table", LoaderBenchmark::lookup);

  private static final Runnable EMPTY = () -> {};

  private static final Runnable NESTED = () -> {
    try {
      Thread.ofVirtual().start(EMPTY).join();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  };

  /** The graph of {@code tasks} tasks that call the batch function directly. */
  @State(Scope.Benchmark)
  public static class Direct {
    @Param({"1", "10"})
    public int tasks;

    Graph graph;
    List<Node<Long>> nodes;

    @Setup(Level.Trial)
    public void setUp() {
      var d = Graph.builder("direct-" + tasks);
      nodes = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        int key = i;
        nodes.add(d.task("t" + i, () -> lookup(List.of(key)).get(key)));
      }
      graph = d.build();
      check(tasks, sum(graph.run(Inputs.empty()), nodes), "direct");
    }
  }

  /**
   * The graph of {@code tasks} tasks that load their key, from a loader with {@code maxDelay}
   * {@code maxDelayMs}: 1 (the default: a loaded machine's stall of a millisecond sends a
   * round's keys in two calls) or 1000 (only the run going quiet sends them).
   */
  @State(Scope.Benchmark)
  public static class Loading {
    @Param({"1", "10"})
    public int tasks;

    @Param({"1", "1000"})
    public int maxDelayMs;

    Graph graph;
    List<Node<Long>> nodes;

    @Setup(Level.Trial)
    public void setUp() {
      var loader = LOADER.maxDelay(java.time.Duration.ofMillis(maxDelayMs));
      var g = Graph.builder("load-" + tasks);
      nodes = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        int key = i;
        nodes.add(g.task("t" + i, () -> loader.load(key)));
      }
      graph = g.build();
      var result = graph.run(Inputs.empty());
      check(tasks, sum(result, nodes), "loader");
      var stats = result.loaders().get(0);
      if (stats.keysFetched() != tasks) { // a cold run may take two calls; no key twice
        throw new AssertionError("expected " + tasks + " keys fetched: " + stats);
      }
    }
  }

  static void check(int tasks, long got, String what) {
    long expected = 1000L * tasks + (long) tasks * (tasks - 1) / 2;
    if (got != expected) {
      throw new AssertionError(what + ": expected " + expected + ", got " + got);
    }
  }

  static long sum(RunResult result, List<Node<Long>> nodes) {
    long s = 0;
    for (var n : nodes) {
      s += result.get(n);
    }
    return s;
  }

  /** Each task loads its key from the loader: one call of the batch function per run. */
  @Benchmark
  public long load(Loading g) {
    return sum(g.graph.run(Inputs.empty()), g.nodes);
  }

  /** Each task calls the batch function itself with its one key. */
  @Benchmark
  public long direct(Direct g) {
    return sum(g.graph.run(Inputs.empty()), g.nodes);
  }

  /** Start a virtual thread with an empty body and join it. */
  @Benchmark
  public void handOff() throws InterruptedException {
    Thread.ofVirtual().start(EMPTY).join();
  }

  /** Start a virtual thread that starts and joins another, and join it. */
  @Benchmark
  public void handOffNested() throws InterruptedException {
    Thread.ofVirtual().start(NESTED).join();
  }
}
