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
    AFTER_OPTIONAL,
    /** {@code dep.outcome()}: the upstream's whole {@link dev.weft.Outcome}, whatever it is. */
    OUTCOME;

    /** {@return whether an upstream that did not succeed skips the dependent} */
    public boolean required() {
      return this == VALUE || this == AFTER;
    }

    /** {@return whether the task receives a value through this edge} */
    public boolean carriesValue() {
      return this == VALUE || this == OR_ELSE || this == OPTIONAL || this == OUTCOME;
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
   * A node's hedging, described independently of Weft ({@link WeftDag} turns it into {@code
   * HedgePolicy.after(delay).withMaxHedges(maxHedges)}): after the delay a second attempt starts
   * beside the first, a failed attempt sends the next at once, the first success wins.
   *
   * @param delayNanos the delay before each hedge, at least 1
   * @param maxHedges how many extra attempts each attempt may send, at least 1
   */
  public record Hedge(long delayNanos, int maxHedges) {
    /** {@return how many calls one attempt of the node makes at most: the first and its hedges} */
    public int perAttempt() {
      return 1 + maxHedges;
    }

    @Override
    public String toString() {
      return "hedge after " + delayNanos / 1000 + " us, max " + maxHedges;
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
   * @param form what the node is besides a plain task: a list, a fan-out or a subgraph; or null
   * @param when the node's condition, or null
   * @param hedge the node's hedging (of its elements, for a fan-out), or null
   */
  public record Spec(String name, boolean input, Behaviour behaviour, List<Edge> deps, long salt,
      boolean viaContext, long rank, int flakes, Retry retry, Form form, When when, Hedge hedge) {
    public Spec {
      deps = List.copyOf(deps);
      int condition = when == null ? -1 : when.from();
      if (when != null && deps.stream().noneMatch(e -> e.from() == condition)) {
        when = null; // its edge was shrunk away
      }
    }

    /** A node without hedging. */
    public Spec(String name, boolean input, Behaviour behaviour, List<Edge> deps, long salt,
        boolean viaContext, long rank, int flakes, Retry retry, Form form, When when) {
      this(name, input, behaviour, deps, salt, viaContext, rank, flakes, retry, form, when, null);
    }

    /** A node without retries. */
    public Spec(String name, boolean input, Behaviour behaviour, List<Edge> deps, long salt,
        boolean viaContext, long rank) {
      this(name, input, behaviour, deps, salt, viaContext, rank, 0, null, null, null);
    }

    /** A plain task, or an input. */
    public Spec(String name, boolean input, Behaviour behaviour, List<Edge> deps, long salt,
        boolean viaContext, long rank, int flakes, Retry retry) {
      this(name, input, behaviour, deps, salt, viaContext, rank, flakes, retry, null, null);
    }

    Spec with(Behaviour b) {
      return new Spec(name, input, b, deps, salt, viaContext, rank, flakes, retry, form, when,
          hedge);
    }

    Spec with(List<Edge> d) {
      return new Spec(name, input, behaviour, d, salt, viaContext, rank, flakes, retry, form,
          when, hedge);
    }

    Spec with(int f, Retry r) {
      return new Spec(name, input, behaviour, deps, salt, viaContext, rank, f, r, form, when,
          hedge);
    }

    Spec with(Form f) {
      return new Spec(name, input, behaviour, deps, salt, viaContext, rank, flakes, retry, f,
          when, hedge);
    }

    Spec with(When w) {
      return new Spec(name, input, behaviour, deps, salt, viaContext, rank, flakes, retry, form,
          w, hedge);
    }

    Spec with(Hedge h) {
      return new Spec(name, input, behaviour, deps, salt, viaContext, rank, flakes, retry, form,
          when, h);
    }

    Spec plainArity() {
      return new Spec(name, input, behaviour, deps, salt, false, rank, flakes, retry, form, when,
          hedge);
    }

    /**
     * {@return the hedging of this node's own body, or null} A subgraph node is never hedged
     * (Weft refuses it: its inner nodes may be), nor is an input.
     */
    public Hedge hedging() {
      return hedge != null && !input && sub() == null ? hedge : null;
    }

    /**
     * {@return the fan-out this node is, or null} A fan-out needs a value dependency, its list
     * (the first); one shrunk without any is a plain task.
     */
    public FanOut fanOut() {
      return form instanceof FanOut f && !input && !valueDeps().isEmpty() ? f : null;
    }

    /**
     * {@return the subgraph this node runs, or null} Its inputs are bound to the node's first
     * value dependencies; one shrunk below that many, or to no inner task, is a plain task.
     */
    public Sub sub() {
      return form instanceof Sub s && !input && s.inner().taskCount() > 0
          && !s.inner().isInput(s.inner().size() - 1)
          && valueDeps().size() >= s.inner().size() - s.inner().taskCount() ? s : null;
    }

    /** {@return how long a list this task returns, or -1 for a single value} */
    public int listLength() {
      return form instanceof ListOf l && !input ? l.length() : -1;
    }

    /** {@return whether a probed body runs for the node itself (not for elements or inside)} */
    public boolean hasBody() {
      return !input && fanOut() == null && sub() == null;
    }

    /** {@return the value edges, in order} */
    public List<Edge> valueDeps() {
      return deps.stream().filter(e -> e.kind().carriesValue()).toList();
    }

    /** {@return how many attempts the task may make: its policy's, else 1} */
    public int maxAttempts() {
      return retry == null ? 1 : retry.maxAttempts();
    }

    /**
     * {@return how many times the task may be called: its policy's attempts, else 1; times the
     * calls each attempt may make when it is hedged}
     */
    public int maxCalls() {
      var h = hedging();
      return maxAttempts() * (h == null ? 1 : h.perAttempt());
    }

    /**
     * {@return whether {@code failure}, thrown by call {@code call} (from 1), ends the node: the
     * policy does not retry it, or that was the last attempt} Cancellation and a deadline may end
     * retries earlier. For a hedged task, {@code call} counts the calls that failed: an attempt
     * fails once all its calls did (each failed one sends the next at once), so only every
     * {@code 1 + maxHedges}-th failure can end it.
     */
    public boolean lastCall(int call, Throwable failure) {
      var h = hedging();
      if (h != null && call % h.perAttempt() != 0) {
        return false; // a hedge of this attempt is still to come
      }
      int attempt = h == null ? call : call / h.perAttempt();
      return retry == null || attempt >= retry.maxAttempts() || !retry.retries(failure);
    }
  }

  /** What a node is besides a plain task. */
  public sealed interface Form permits ListOf, FanOut, Sub {}

  /** A task that returns a list of {@code length} values computed from its arguments. */
  public record ListOf(int length) implements Form {}

  /**
   * A fan-out ({@code forEach}, or {@code forEachOutcome} if {@code collect}) over the list of the
   * node's first value dependency; element {@code i} behaves as {@code elements.get(i)} (RETURN
   * past its end), with the node's retry policy and flakes; other dependencies are ordering-only.
   *
   * @param maxConcurrency the limit, or 0 for none
   */
  public record FanOut(boolean collect, List<Behaviour> elements, int maxConcurrency)
      implements Form {
    public FanOut {
      elements = List.copyOf(elements);
    }

    /** {@return the behaviour of element {@code i}} */
    public Behaviour element(int i) {
      return i < elements.size() ? elements.get(i) : Behaviour.RETURN;
    }
  }

  /**
   * A subgraph node: runs {@code inner}, whose inputs are bound to the node's value dependencies
   * in order, and takes the value of its last node.
   */
  public record Sub(Dag inner) implements Form {}

  /**
   * A condition: {@code when(dep, ...)} over the first edge from node {@code from}, read as that
   * edge reads it; it holds unless the value's code, salted, is a multiple of {@code modulus}.
   */
  public record When(int from, int modulus, long salt) {
    /** {@return whether the condition holds for what the edge yields} */
    public boolean holds(Object value) {
      return Math.floorMod(code(value) * 31 + salt, modulus) != 0;
    }
  }

  /** {@return the list a {@link ListOf} task returns: {@code length} values from {@code value}} */
  public static List<Long> listOf(long value, int length) {
    var list = new ArrayList<Long>(length);
    for (int i = 0; i < length; i++) {
      list.add(value + i * 0x632BE59BD9B4E019L);
    }
    return java.util.Collections.unmodifiableList(list);
  }

  /** {@return what element {@code i} of fan-out {@code s} is, as a task of its own} */
  public static Spec element(Spec s, int i) {
    return new Spec(s.name() + "[" + i + "]", false, s.fanOut().element(i), List.of(),
        elementSalt(s.salt(), i), false, 0, s.flakes(), s.retry(), null, null, s.hedge());
  }

  /** {@return the salt of element {@code i} of the fan-out whose salt is {@code salt}} */
  public static long elementSalt(long salt, int i) {
    return salt * 0x9E3779B97F4A7C15L + i + 1;
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
    return (int) nodes.stream().filter(s -> s.hasBody() && s.behaviour() == b).count();
  }

  /**
   * {@return whether a hang inside (a subgraph's task, or an element) may wait for ever unless the
   * run is cancelled from outside} An element that hangs after an element that always fails, in
   * a fan-out that stops at its first failure, is released by that failure.
   */
  public boolean hasNestedHangs() {
    for (var s : nodes) {
      if (s.sub() != null && (s.sub().inner().count(Behaviour.HANG) > 0
          || s.sub().inner().hasNestedHangs())) {
        return true;
      }
      var f = s.fanOut();
      if (f != null) {
        boolean released = false;
        for (var b : f.elements()) {
          if (b == Behaviour.HANG && !released) {
            return true;
          }
          released |= !f.collect() && b.fails();
        }
      }
    }
    return false;
  }

  /**
   * {@return how many data-shaped parts there are, at any depth: fan-outs, collecting ones, empty
   * lists, subgraph nodes, subgraph nodes inside subgraphs, conditions, outcome edges, elements}
   */
  public long[] shapes() {
    var n = new long[8];
    for (var s : nodes) {
      var f = s.fanOut();
      n[0] += f != null ? 1 : 0;
      n[1] += f != null && f.collect() ? 1 : 0;
      n[2] += s.listLength() == 0 ? 1 : 0;
      n[5] += s.when() != null ? 1 : 0;
      n[6] += s.deps().stream().filter(e -> e.kind() == Kind.OUTCOME).count();
      n[7] += s.listLength() > 0 ? s.listLength() : 0;
      if (s.sub() != null) {
        n[3]++;
        var inner = s.sub().inner().shapes();
        for (int i = 0; i < n.length; i++) {
          n[i] += inner[i];
        }
        n[4] += inner[3];
      }
    }
    return n;
  }

  /** {@return {@link #shapes} as text} */
  public static String shapesText(long[] n) {
    return n[0] + " fan-outs (" + n[1] + " collecting, " + n[2] + " empty lists, " + n[7]
        + " list items), " + n[3] + " subgraphs (" + n[4] + " nested two deep), " + n[5]
        + " conditions, " + n[6] + " outcome edges";
  }

  /** {@return the task indices in the order they are declared to Weft} */
  public List<Integer> declarationOrder() {
    var order = IntStream.range(0, size()).filter(v -> !isInput(v) && spec(v).fanOut() == null)
        .boxed();
    return forward ? order.sorted(Comparator.comparingLong(v -> spec(v).rank())).toList()
        : order.toList();
  }

  /** The value of a task, from its salt and its arguments as the task receives them. */
  public static Long mix(long salt, List<?> args) {
    long h = salt;
    for (var arg : args) {
      h = h * 0x9E3779B97F4A7C15L + code(arg);
      h ^= h >>> 29;
    }
    return h;
  }

  /**
   * {@return a value as a number: values, nulls, Optionals, lists (a fan-out's values or
   * outcomes) and outcomes ({@code dep.outcome()})} Skipped and Omitted give the same code, as
   * which of them a node gets may depend on timing; so do Failed and Cancelled.
   */
  public static long code(Object arg) {
    return switch (arg) {
      case null -> 7;
      case Optional<?> o when o.isEmpty() -> 11;
      case Optional<?> o -> code(o.get()) * 17 + 3;
      case Long l -> l;
      case List<?> list -> {
        long h = 13 + list.size();
        for (var x : list) {
          h = h * 0x9E3779B97F4A7C15L + code(x);
          h ^= h >>> 31;
        }
        yield h;
      }
      case dev.weft.Outcome.Succeeded<?> s -> code(s.value()) * 5 + 1;
      case dev.weft.Outcome.Failed<?> f -> 19;
      case dev.weft.Outcome.Cancelled<?> c -> 19;
      case dev.weft.Outcome.Skipped<?> k -> 23;
      case dev.weft.Outcome.Omitted<?> m -> 23;
      default -> throw new IllegalArgumentException("unexpected argument " + arg);
    };
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
      var w = spec(u).when();
      if (w != null && w.from() != v) {
        w = new When(w.from() > v ? w.from() - 1 : w.from(), w.modulus(), w.salt());
      }
      out.add(spec(u).with(deps).with(w == null || w.from() == v ? null : w));
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

  /** {@return a copy where task {@code v} is {@code form} (null: a plain task)} */
  public Dag with(int v, Form form) {
    return replace(v, spec(v).with(form));
  }

  /** {@return a copy where task {@code v} is hedged as {@code hedge} says (null: not hedged)} */
  public Dag with(int v, Hedge hedge) {
    return replace(v, spec(v).with(hedge));
  }

  /** {@return a copy where task {@code v} has the condition {@code when} (or none)} */
  public Dag with(int v, When when) {
    return replace(v, spec(v).with(when));
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
      if (s.fanOut() != null) {
        var f = s.fanOut();
        sb.append(f.collect() ? " forEachOutcome" : " forEach").append(f.elements())
            .append(f.maxConcurrency() > 0 ? " maxConcurrency(" + f.maxConcurrency() + ")" : "");
      } else if (s.sub() != null) {
        sb.append(" subgraph");
      } else {
        sb.append(' ').append(s.behaviour());
      }
      if (s.listLength() >= 0) {
        sb.append(" list of ").append(s.listLength());
      }
      if (s.when() != null) {
        sb.append(" when(").append(spec(s.when().from()).name()).append(" % ")
            .append(s.when().modulus()).append(')');
      }
      if (s.behaviour() == Behaviour.FLAKY) {
        sb.append(" x").append(s.flakes());
      }
      if (s.retry() != null) {
        sb.append(" [").append(s.retry()).append(']');
      }
      if (s.hedging() != null) {
        sb.append(" [").append(s.hedging()).append(']');
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
      if (s.sub() != null) {
        sb.append("\n    ").append(s.sub().inner().toText().replace("\n", "\n    "));
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
      case OUTCOME -> from + ".outcome()";
    };
  }

  /** {@return the graph in Graphviz DOT; dashed edges are optional, dotted ones ordering-only} */
  public String toDot() {
    var sb = new StringBuilder("digraph dag {\n");
    for (var s : nodes) {
      sb.append("  ").append(s.name()).append(" [label=\"").append(s.name()).append("\\n")
          .append(s.input() ? "input" : s.behaviour()).append(s.retry() == null ? "" : "\\n"
          + s.retry()).append(s.hedging() == null ? "" : "\\n" + s.hedging()).append("\"]\n");
    }
    for (var s : nodes) {
      for (var e : s.deps()) {
        var style = switch (e.kind()) {
          case VALUE -> "";
          case OR_ELSE -> " [style=dashed, label=orElse]";
          case OPTIONAL -> " [style=dashed, label=optional]";
          case AFTER -> " [style=dotted]";
          case AFTER_OPTIONAL -> " [style=dotted, label=optional]";
          case OUTCOME -> " [style=dashed, label=outcome]";
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
