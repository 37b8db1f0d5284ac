package dev.weft;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The graph shapes the benchmarks run, each described once as dependency arrays so that Weft and
 * the hand-wired CompletableFuture baselines are built from the same description. Every node's
 * value is the sum of its dependencies' values plus one (modulo 2^64), so all implementations of a
 * shape must return the same number for the sink, its last node.
 *
 * <p>Shape names: {@code fanout-N} (root, N leaves, join), {@code chain-N} (N in a row), {@code
 * layered-N} (N/50 layers of 50, each node 1-3 distinct random dependencies on the previous layer,
 * seed 42, then a join of the last layer), {@code many-small} (root, 8 leaves, join) and {@code
 * diamond-io} (5 layers of 10, each node reading 2 nodes of the previous layer and sleeping 1 ms,
 * then a join of the last layer that does not sleep).
 */
final class Shapes {
  private Shapes() {}

  /**
   * A shape: node {@code i} reads the nodes {@code deps[i]}, all of them below {@code i}; the
   * first {@code blocking} nodes sleep 1 ms before returning.
   */
  record Shape(String name, int[][] deps, int blocking) {
    int size() {
      return deps.length;
    }

    /** {@return the sink's value, computed sequentially} */
    long expected() {
      var values = new long[deps.length];
      for (int i = 0; i < deps.length; i++) {
        long sum = 1;
        for (int d : deps[i]) {
          sum += values[d];
        }
        values[i] = sum;
      }
      return values[deps.length - 1];
    }
  }

  static Shape of(String name) {
    if (name.equals("many-small")) {
      return fanout(name, 8);
    }
    if (name.equals("diamond-io")) {
      return diamond(name);
    }
    int dash = name.lastIndexOf('-');
    int n = dash < 0 ? -1 : Integer.parseInt(name.substring(dash + 1));
    return switch (dash < 0 ? name : name.substring(0, dash)) {
      case "fanout" -> fanout(name, n);
      case "chain" -> chain(name, n);
      case "layered" -> layered(name, n / 50, 50);
      default -> throw new IllegalArgumentException("unknown shape '" + name + "'");
    };
  }

  private static Shape fanout(String name, int width) {
    var deps = new int[width + 2][];
    deps[0] = new int[0];
    for (int i = 1; i <= width; i++) {
      deps[i] = new int[] {0};
    }
    deps[width + 1] = range(1, width);
    return new Shape(name, deps, 0);
  }

  private static Shape chain(String name, int length) {
    var deps = new int[length][];
    deps[0] = new int[0];
    for (int i = 1; i < length; i++) {
      deps[i] = new int[] {i - 1};
    }
    return new Shape(name, deps, 0);
  }

  private static Shape layered(String name, int layers, int width) {
    var random = new Random(42);
    var deps = new int[layers * width + 1][];
    for (int i = 0; i < width; i++) {
      deps[i] = new int[0];
    }
    for (int layer = 1; layer < layers; layer++) {
      int previous = (layer - 1) * width;
      for (int j = 0; j < width; j++) {
        // 1-3 distinct nodes of the previous layer, drawn without replacement
        var picked = random.ints(previous, previous + width).distinct()
            .limit(1 + random.nextInt(3)).sorted().toArray();
        deps[layer * width + j] = picked;
      }
    }
    deps[layers * width] = range((layers - 1) * width, width);
    return new Shape(name, deps, 0);
  }

  private static Shape diamond(String name) {
    int layers = 5;
    int width = 10;
    var deps = new int[layers * width + 1][];
    for (int i = 0; i < width; i++) {
      deps[i] = new int[0];
    }
    for (int layer = 1; layer < layers; layer++) {
      int previous = (layer - 1) * width;
      for (int j = 0; j < width; j++) {
        deps[layer * width + j] = new int[] {previous + j, previous + (j + 1) % width};
      }
    }
    deps[layers * width] = range((layers - 1) * width, width);
    return new Shape(name, deps, layers * width);
  }

  private static int[] range(int from, int count) {
    var r = new int[count];
    for (int i = 0; i < count; i++) {
      r[i] = from + i;
    }
    return r;
  }

  /** {@return {@code sum}, after sleeping 1 ms if {@code block}} */
  static long value(boolean block, long sum) {
    if (block) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    return sum;
  }

  /** A Weft graph wired from a shape, and its sink. */
  record Weft(Graph graph, Node<Long> sink) {
    long run() {
      return graph.run(Inputs.empty()).get(sink);
    }
  }

  /**
   * Declares {@code shape} as a Weft graph: nodes with at most 4 dependencies use the fixed
   * arities, wider ones read their dependencies with {@code ctx.get}.
   *
   * @param inline whether every node is marked {@link NodeBuilder#inline()}
   */
  static Weft weft(Shape shape, boolean inline) {
    return weft(shape, inline, true);
  }

  /**
   * As {@link #weft(Shape, boolean)}; {@code timed} false declares the graph {@link
   * GraphBuilder#withoutTaskTimes() without task times}.
   */
  static Weft weft(Shape shape, boolean inline, boolean timed) {
    var g = Graph.builder(shape.name() + (inline ? "-inline" : "") + (timed ? "" : "-untimed"));
    if (!timed) {
      g.withoutTaskTimes();
    }
    var nodes = new ArrayList<Node<Long>>(shape.size());
    for (int i = 0; i < shape.size(); i++) {
      int[] d = shape.deps()[i];
      boolean block = i < shape.blocking();
      var b = g.node("n" + i);
      if (inline) {
        b.inline();
      }
      Node<Long> node = switch (d.length) {
        case 0 -> b.call(() -> value(block, 1));
        case 1 -> b.call(nodes.get(d[0]), a -> value(block, a + 1));
        case 2 -> b.call(nodes.get(d[0]), nodes.get(d[1]), (x, y) -> value(block, x + y + 1));
        case 3 -> b.call(nodes.get(d[0]), nodes.get(d[1]), nodes.get(d[2]),
            (x, y, z) -> value(block, x + y + z + 1));
        case 4 -> b.call(nodes.get(d[0]), nodes.get(d[1]), nodes.get(d[2]), nodes.get(d[3]),
            (x, y, z, w) -> value(block, x + y + z + w + 1));
        default -> {
          List<Node<Long>> in = new ArrayList<>(d.length);
          for (int dep : d) {
            in.add(nodes.get(dep));
          }
          yield b.call(in, ctx -> {
            long sum = 1;
            for (var dep : in) {
              sum += ctx.get(dep);
            }
            return value(block, sum);
          });
        }
      };
      nodes.add(node);
    }
    return new Weft(g.build(), nodes.get(nodes.size() - 1));
  }

  // the baselines' stage bodies, shared so that a run allocates no lambdas for them
  private static final Function<Long, Long> PLUS_ONE = a -> a + 1;
  private static final Function<Long, Long> PLUS_ONE_BLOCKING = a -> value(true, a + 1);
  private static final BiFunction<Long, Long, Long> SUM = (a, b) -> a + b + 1;
  private static final BiFunction<Long, Long, Long> SUM_BLOCKING = (a, b) -> value(true, a + b + 1);

  /**
   * Wires {@code shape} by hand with CompletableFuture and runs it once.
   *
   * @param executor null for inline stages ({@code completedFuture}, {@code thenApply}, {@code
   *     thenCombine}, {@code allOf}); otherwise every node is an async stage on it
   * @return the sink's value
   */
  @SuppressWarnings("unchecked")
  static long completableFutures(Shape shape, Executor executor) {
    int n = shape.size();
    var f = (CompletableFuture<Long>[]) new CompletableFuture<?>[n];
    for (int i = 0; i < n; i++) {
      int[] d = shape.deps()[i];
      boolean block = i < shape.blocking();
      if (d.length == 0) {
        f[i] = executor == null ? CompletableFuture.completedFuture(value(block, 1))
            : CompletableFuture.supplyAsync(() -> value(block, 1), executor);
      } else if (d.length == 1) {
        var fn = block ? PLUS_ONE_BLOCKING : PLUS_ONE;
        f[i] = executor == null ? f[d[0]].thenApply(fn) : f[d[0]].thenApplyAsync(fn, executor);
      } else if (d.length == 2) {
        var fn = block ? SUM_BLOCKING : SUM;
        f[i] = executor == null ? f[d[0]].thenCombine(f[d[1]], fn)
            : f[d[0]].thenCombineAsync(f[d[1]], fn, executor);
      } else {
        var in = (CompletableFuture<Long>[]) new CompletableFuture<?>[d.length];
        for (int k = 0; k < d.length; k++) {
          in[k] = f[d[k]];
        }
        Function<Void, Long> join = v -> {
          long sum = 1;
          for (var dep : in) {
            sum += dep.join();
          }
          return value(block, sum);
        };
        var all = CompletableFuture.allOf(in);
        f[i] = executor == null ? all.thenApply(join) : all.thenApplyAsync(join, executor);
      }
    }
    return f[n - 1].join();
  }

  /** Every node a new virtual thread, as {@code Executors.newVirtualThreadPerTaskExecutor}. */
  static final Executor VIRTUAL = Thread::startVirtualThread;

  /** A shape wired four ways: Weft default and inline, CompletableFuture inline and virtual. */
  static final class Wired {
    private final Shape shape;
    private final Weft weft;
    private final Weft weftInline;
    private final Weft weftUntimed;
    private final Weft weftInlineUntimed;

    Wired(String name) {
      shape = of(name);
      weft = Shapes.weft(shape, false);
      weftInline = Shapes.weft(shape, true);
      weftUntimed = Shapes.weft(shape, false, false);
      weftInlineUntimed = Shapes.weft(shape, true, false);
    }

    long weftUntimed() {
      return weftUntimed.run();
    }

    long weftInlineUntimed() {
      return weftInlineUntimed.run();
    }

    long weft() {
      return weft.run();
    }

    long weftInline() {
      return weftInline.run();
    }

    long cfInline() {
      return completableFutures(shape, null);
    }

    long cfVirtual() {
      return completableFutures(shape, VIRTUAL);
    }

    /** Runs each implementation once; throws unless all return the sequential value. */
    void check() {
      long expected = shape.expected();
      long[] got = {weft(), weftInline(), cfInline(), cfVirtual(), weftUntimed(),
          weftInlineUntimed()};
      for (long g : got) {
        if (g != expected) {
          throw new IllegalStateException(shape.name() + ": implementations disagree: expected "
              + expected + ", weft=" + got[0] + " weftInline=" + got[1] + " cfInline=" + got[2]
              + " cfVirtual=" + got[3] + " weftUntimed=" + got[4] + " weftInlineUntimed="
              + got[5]);
        }
      }
    }
  }

  /**
   * Declares, on {@code g}, a root giving 0 and then {@code width} tasks each applying {@code
   * body}: for {@code "fanout"} side by side (a new virtual thread each) joined by a sum, else an
   * inline chain (one thread). {@return the last node}
   */
  static Node<Long> fanOutOrInlineChain(GraphBuilder g, String shape, int width,
      Fn.F1<Long, Long> body) {
    Node<Long> root = g.task("root", () -> 0L);
    if (shape.equals("fanout")) {
      var leaves = new java.util.ArrayList<Dep<?>>();
      for (int i = 0; i < width; i++) {
        leaves.add(g.task("n" + i, root, body));
      }
      return g.task("join", leaves, ctx -> {
        long sum = 0;
        for (var leaf : leaves) {
          sum += (Long) ctx.get(leaf);
        }
        return sum;
      });
    }
    Node<Long> node = root;
    for (int i = 0; i < width; i++) {
      node = g.node("n" + i).inline().call(node, body);
    }
    return node;
  }
}
