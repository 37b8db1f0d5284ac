package dev.weft.testing;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * A generated graph, described independently of Weft so that it can be run on the engine ({@link
 * WeftDag}), on the {@link ReferenceExecutor}, and edited by the {@link Shrinker}. Nodes are in
 * topological order: every edge goes from a lower index to a higher one. Immutable; the edit
 * methods return copies.
 *
 * @param nodes inputs and tasks, dependencies first
 * @param forward whether tasks are declared first (in {@link Spec#rank} order, which is not
 *     topological) and defined afterwards, exercising forward declarations
 */
public record Dag(List<Spec> nodes, boolean forward) {
  public Dag {
    nodes = List.copyOf(nodes);
  }

  /** How a task reads one dependency. */
  public enum Kind {
    /** A plain value dependency: required. */
    VALUE,
    /** {@code dep.orElse(fallback)}. */
    OR_ELSE,
    /** {@code dep.optional()}. */
    OPTIONAL,
    /** {@code after(dep)}: ordering only, required. */
    AFTER,
    /** {@code after(dep.optional())}: ordering only, runs whatever the upstream's outcome. */
    AFTER_OPTIONAL;

    /** {@return whether an upstream that did not succeed skips the dependent} */
    public boolean required() {
      return this == VALUE || this == AFTER;
    }

    /** {@return whether the task receives a value through this edge} */
    public boolean carriesValue() {
      return this == VALUE || this == OR_ELSE || this == OPTIONAL;
    }
  }

  /** One dependency of a task: the upstream node's index and how it is read. */
  public record Edge(int from, Kind kind) {}

  /**
   * A node's retry policy, described independently of Weft ({@link WeftDag} turns it into a
   * {@link dev.weft.RetryPolicy}).
   *
   * @param maxAttempts attempts in all, at least 1
   * @param backoff how the delays between attempts grow
   * @param delayNanos the fixed delay, or the first exponential one (positive then)
   * @param abortUnchecked whether unchecked exceptions are never retried ({@code abortOn})
   */
  public record Retry(int maxAttempts, Backoff backoff, long delayNanos, boolean abortUnchecked) {
    /** Fixed delays; doubling delays capped at eight times the first, with or without jitter. */
    public enum Backoff { FIXED, EXPONENTIAL, EXPONENTIAL_JITTER }

    /** {@return whether the policy retries {@code failure}: an Exception it does not abort on} */
    public boolean retries(Throwable failure) {
      return failure instanceof Exception
          && !(abortUnchecked && failure instanceof RuntimeException);
    }

    /** {@return the longest delay allowed after attempt {@code failed} (from 1) failed} */
    public long maxDelayNanos(int failed) {
      if (backoff == Backoff.FIXED) {
        return delayNanos;
      }
      return Math.min(delayNanos * 8, delayNanos << Math.min(failed - 1, 3));
    }

    /** {@return the shortest delay allowed after attempt {@code failed} failed} */
    public long minDelayNanos(int failed) {
      return backoff == Backoff.EXPONENTIAL_JITTER ? 0 : maxDelayNanos(failed);
    }

    @Override
    public String toString() {
      return "retry " + switch (backoff) {
        case FIXED -> "fixed";
        case EXPONENTIAL -> "exponential";
        case EXPONENTIAL_JITTER -> "exponential+jitter";
      } + "(" + maxAttempts + ", " + delayNanos / 1000 + " us)" + (abortUnchecked
          ? " abortOn(RuntimeException)" : "");
    }
  }

  /**
   * One node.
   *
   * @param name unique, kept through shrinking so that reports stay readable
   * @param input whether it is an {@link dev.weft.Input} (bound to {@code salt} per run)
   * @param behaviour what the task does (ignored for inputs)
   * @param deps dependencies in declaration order; value edges are passed in this order
   * @param salt mixed into the task's value; an input's value
   * @param viaContext whether the body reads its values with {@code ctx.get} even when a fixed
   *     arity would do
   * @param rank the declaration order when {@link Dag#forward} is set
   * @param flakes how many calls a {@link Behaviour#FLAKY} task fails before it succeeds
   * @param retry the node's retry policy, or null
   */
  public record Spec(String name, boolean input, Behaviour behaviour, List<Edge> deps, long salt,
      boolean viaContext, long rank, int flakes, Retry retry) {
    public Spec {
      deps = List.copyOf(deps);
    }

    /** A node without retries. */
    public Spec(String name, boolean input, Behaviour behaviour, List<Edge> deps, long salt,
        boolean viaContext, long rank) {
      this(name, input, behaviour, deps, salt, viaContext, rank, 0, null);
    }

    Spec with(Behaviour b) {
      return new Spec(name, input, b, deps, salt, viaContext, rank, flakes, retry);
    }

    Spec with(List<Edge> d) {
      return new Spec(name, input, behaviour, d, salt, viaContext, rank, flakes, retry);
    }

    Spec with(int f, Retry r) {
      return new Spec(name, input, behaviour, deps, salt, viaContext, rank, f, r);
    }

    Spec plainArity() {
      return new Spec(name, input, behaviour, deps, salt, false, rank, flakes, retry);
    }

    /** {@return the value edges, in order} */
    public List<Edge> valueDeps() {
      return deps.stream().filter(e -> e.kind().carriesValue()).toList();
    }

    /** {@return how many times the task may be called: its policy's attempts, else 1} */
    public int maxCalls() {
      return retry == null ? 1 : retry.maxAttempts();
    }

    /**
     * {@return whether {@code failure}, thrown by call {@code call} (from 1), ends the node: the
     * policy does not retry it, or that was the last attempt} Cancellation and a deadline may end
     * retries earlier.
     */
    public boolean lastCall(int call, Throwable failure) {
      return retry == null || call >= retry.maxAttempts() || !retry.retries(failure);
    }
  }

  public int size() {
    return nodes.size();
  }

  public Spec spec(int v) {
    return nodes.get(v);
  }

  public boolean isInput(int v) {
    return nodes.get(v).input();
  }

  public int taskCount() {
    return (int) nodes.stream().filter(s -> !s.input()).count();
  }

  public int edgeCount() {
    return nodes.stream().mapToInt(s -> s.deps().size()).sum();
  }

  /** {@return each node's index, by its name} */
  public Map<String, Integer> indexByName() {
    var index = new HashMap<String, Integer>();
    for (int v = 0; v < size(); v++) {
      index.put(spec(v).name(), v);
    }
    return index;
  }

  /** {@return how many tasks behave as {@code b}} */
  public int count(Behaviour b) {
    return (int) nodes.stream().filter(s -> !s.input() && s.behaviour() == b).count();
  }

  /** {@return the task indices in the order they are declared to Weft} */
  public List<Integer> declarationOrder() {
    var order = IntStream.range(0, size()).filter(v -> !isInput(v)).boxed();
    return forward ? order.sorted(Comparator.comparingLong(v -> spec(v).rank())).toList()
        : order.toList();
  }

  /** The value of a task, from its salt and its arguments as the task receives them. */
  public static Long mix(long salt, List<?> args) {
    long h = salt;
    for (var arg : args) {
      long code = switch (arg) {
        case null -> 7;
        case Optional<?> o when o.isEmpty() -> 11;
        case Optional<?> o -> (Long) o.get() * 17 + 3;
        case Long l -> l;
        default -> throw new IllegalArgumentException("unexpected argument " + arg);
      };
      h = h * 0x9E3779B97F4A7C15L + code;
      h ^= h >>> 29;
    }
    return h;
  }

  /** {@return the fallback of an {@link Kind#OR_ELSE} edge of task {@code v}: a Long or null} */
  public Long fallback(int v, Edge e) {
    long f = spec(e.from()).salt() * 31 + spec(v).salt();
    return (f & 7) == 0 ? null : f >>> 8;
  }

  /** {@return per node, its ancestors through any kind of edge} */
  public BitSet[] ancestors() {
    var up = new BitSet[size()];
    for (int v = 0; v < size(); v++) {
      up[v] = new BitSet();
      for (var e : spec(v).deps()) {
        up[v].set(e.from());
        up[v].or(up[e.from()]);
      }
    }
    return up;
  }

  /** {@return whether {@code u} and {@code v} are ancestor and descendant, either way round} */
  public static boolean comparable(BitSet[] ancestors, int u, int v) {
    return ancestors[u].get(v) || ancestors[v].get(u);
  }

  /**
   * {@return whether a failure of task {@code v} is absorbed: it has dependents and all of them
   * read it through optional edges} Weft's fail-fast mode ignores absorbed failures.
   */
  public boolean absorbs(int v) {
    boolean any = false;
    for (var s : nodes) {
      for (var e : s.deps()) {
        if (e.from() == v) {
          if (e.kind().required()) {
            return false;
          }
          any = true;
        }
      }
    }
    return any;
  }

  // ---- edits for the shrinker ----

  /** {@return a copy without node {@code v} and the edges that touch it} */
  public Dag without(int v) {
    var out = new ArrayList<Spec>(size() - 1);
    for (int u = 0; u < size(); u++) {
      if (u == v) {
        continue;
      }
      var deps = new ArrayList<Edge>();
      for (var e : spec(u).deps()) {
        if (e.from() != v) {
          deps.add(new Edge(e.from() > v ? e.from() - 1 : e.from(), e.kind()));
        }
      }
      out.add(spec(u).with(deps));
    }
    return new Dag(out, forward);
  }

  /** {@return a copy without the nodes whose indices are in {@code drop}} */
  public Dag without(BitSet drop) {
    var dag = this;
    for (int v = drop.previousSetBit(size() - 1); v >= 0; v = drop.previousSetBit(v - 1)) {
      dag = dag.without(v);
    }
    return dag;
  }

  /** {@return a copy without the {@code k}-th dependency of {@code v}} */
  public Dag withoutEdge(int v, int k) {
    var deps = new ArrayList<>(spec(v).deps());
    deps.remove(k);
    return replace(v, spec(v).with(deps));
  }

  /** {@return a copy where the {@code k}-th dependency of {@code v} is of {@code kind}} */
  public Dag withKind(int v, int k, Kind kind) {
    var deps = new ArrayList<>(spec(v).deps());
    deps.set(k, new Edge(deps.get(k).from(), kind));
    return replace(v, spec(v).with(deps));
  }

  /** {@return a copy where task {@code v} behaves as {@code b}} */
  public Dag with(int v, Behaviour b) {
    return replace(v, spec(v).with(b));
  }

  /** {@return a copy where task {@code v} fails {@code flakes} calls and retries as told} */
  public Dag with(int v, int flakes, Retry retry) {
    return replace(v, spec(v).with(flakes, retry));
  }

  /** {@return a copy where task {@code v} takes its values as parameters when it can} */
  public Dag withPlainArity(int v) {
    return replace(v, spec(v).plainArity());
  }

  /**
   * {@return a copy where task {@code v} also depends on {@code e}, declared with forward
   * declarations} An edge from {@code v} or a later node closes a cycle: for bad-input tests.
   */
  public Dag withEdge(int v, Edge e) {
    var deps = new ArrayList<>(spec(v).deps());
    deps.add(e);
    var out = new ArrayList<>(nodes);
    out.set(v, spec(v).with(deps));
    return new Dag(out, true);
  }

  /** {@return a copy declared in topological order} */
  public Dag withoutForwardDeclarations() {
    return new Dag(nodes, false);
  }

  private Dag replace(int v, Spec spec) {
    var out = new ArrayList<>(nodes);
    out.set(v, spec);
    return new Dag(out, forward);
  }

  // ---- reports ----

  /** {@return one line per node, e.g. {@code n4 THROW_ERROR <- n1, n2.orElse(5), after(n3)}} */
  public String toText() {
    var sb = new StringBuilder();
    sb.append(taskCount()).append(" tasks, ").append(size() - taskCount()).append(" inputs, ")
        .append(edgeCount()).append(" edges");
    if (forward) {
      sb.append("; declared first in the order ")
          .append(declarationOrder().stream().map(v -> spec(v).name()).toList());
    }
    for (int v = 0; v < size(); v++) {
      var s = spec(v);
      sb.append("\n  ").append(s.name());
      if (s.input()) {
        sb.append(" input = ").append(s.salt());
        continue;
      }
      sb.append(' ').append(s.behaviour());
      if (s.behaviour() == Behaviour.FLAKY) {
        sb.append(" x").append(s.flakes());
      }
      if (s.retry() != null) {
        sb.append(" [").append(s.retry()).append(']');
      }
      if (s.viaContext()) {
        sb.append(" (reads with ctx.get)");
      }
      if (!s.deps().isEmpty()) {
        sb.append(" <- ");
        for (int k = 0; k < s.deps().size(); k++) {
          sb.append(k == 0 ? "" : ", ").append(edgeText(v, s.deps().get(k)));
        }
      }
    }
    return sb.toString();
  }

  private String edgeText(int v, Edge e) {
    var from = spec(e.from()).name();
    return switch (e.kind()) {
      case VALUE -> from;
      case OR_ELSE -> from + ".orElse(" + fallback(v, e) + ")";
      case OPTIONAL -> from + ".optional()";
      case AFTER -> "after(" + from + ")";
      case AFTER_OPTIONAL -> "after(" + from + ".optional())";
    };
  }

  /** {@return the graph in Graphviz DOT; dashed edges are optional, dotted ones ordering-only} */
  public String toDot() {
    var sb = new StringBuilder("digraph dag {\n");
    for (var s : nodes) {
      sb.append("  ").append(s.name()).append(" [label=\"").append(s.name()).append("\\n")
          .append(s.input() ? "input" : s.behaviour()).append(s.retry() == null ? "" : "\\n"
          + s.retry()).append("\"]\n");
    }
    for (var s : nodes) {
      for (var e : s.deps()) {
        var style = switch (e.kind()) {
          case VALUE -> "";
          case OR_ELSE -> " [style=dashed, label=orElse]";
          case OPTIONAL -> " [style=dashed, label=optional]";
          case AFTER -> " [style=dotted]";
          case AFTER_OPTIONAL -> " [style=dotted, label=optional]";
        };
        sb.append("  ").append(spec(e.from()).name()).append(" -> ").append(s.name())
            .append(style).append('\n');
      }
    }
    return sb.append('}').toString();
  }

  @Override
  public String toString() {
    return toText();
  }
}
