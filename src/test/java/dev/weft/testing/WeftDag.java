package dev.weft.testing;

import dev.weft.Dep;
import dev.weft.FailureMode;
import dev.weft.Fn;
import dev.weft.Graph;
import dev.weft.GraphBuilder;
import dev.weft.HedgePolicy;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.NodeBuilder;
import dev.weft.RunOptions;
import dev.weft.RetryPolicy;
import dev.weft.RunResult;
import dev.weft.Subgraph;
import dev.weft.TaskContext;
import dev.weft.testing.Dag.Edge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Dag} declared as a Weft {@link Graph}, through the public API only: inputs, forward
 * declarations when the dag asks for them, {@code after(...)}, fixed arities 0 to 4 and {@code
 * ctx.get} for the rest, every edge kind, retries and hedges. Each task body hands its arguments
 * (and, hedged, which attempt it is) to the {@link Probe} of the current run.
 *
 * <p>Runs of one {@code WeftDag} must not overlap: the probe is swapped per run.
 */
public final class WeftDag {
  private final Dag dag;
  private final Layout layout;
  private final Graph graph;
  private final List<Node<Object>> handles;
  private final Inputs inputs;
  private volatile Probe probe;

  /** Something done on the builder before each task is defined, e.g. a call that must fail. */
  @FunctionalInterface
  public interface Interleave {
    void before(GraphBuilder g, List<Node<Object>> declaredSoFar);
  }

  public WeftDag(Dag dag, String name) {
    this(dag, name, (g, nodes) -> {});
  }

  /** Declares {@code dag}, calling {@code interleave} before each task's definition. */
  public WeftDag(Dag dag, String name, Interleave interleave) {
    this.dag = dag;
    this.layout = Layout.of(dag);
    var g = Graph.builder(name);
    var nodes = declare(g, dag, 0, "", interleave);
    var bound = Inputs.empty();
    for (int v = 0; v < dag.size(); v++) {
      if (dag.isInput(v)) {
        bound = bound.and((Input<Object>) nodes.get(v), dag.spec(v).salt());
      }
    }
    this.graph = g.build();
    this.handles = List.copyOf(nodes);
    this.inputs = bound;
  }

  /**
   * Declares the nodes of {@code d}, whose first probe key is {@code base}, named with {@code
   * prefix}: the dag's own with none, a subgraph's with its node's name. {@return the handles}
   */
  private List<Node<Object>> declare(GraphBuilder g, Dag d, int base, String prefix,
      Interleave interleave) {
    var nodes = new ArrayList<Node<Object>>(d.size());
    for (int v = 0; v < d.size(); v++) {
      var name = prefix + d.spec(v).name();
      // a subgraph's inputs are bound to whatever its node's dependencies yield
      nodes.add(!d.isInput(v) ? null : base == 0 ? unchecked(g.input(name, Long.class))
          : unchecked(g.input(name)));
    }
    if (d.forward()) {
      for (int v : d.declarationOrder()) {
        nodes.set(v, g.declare(prefix + d.spec(v).name()));
      }
    }
    for (int v = 0; v < d.size(); v++) {
      if (!d.isInput(v)) {
        interleave.before(g, nodes.stream().filter(java.util.Objects::nonNull).toList());
        nodes.set(v, define(g, d, nodes, v, base, prefix));
      }
    }
    return nodes;
  }

  private Node<Object> define(GraphBuilder g, Dag d, List<Node<Object>> nodes, int v, int base,
      String prefix) {
    var spec = d.spec(v);
    int key = base + v;
    NodeBuilder<Object> node = d.forward() && spec.fanOut() == null ? g.node(nodes.get(v))
        : g.node(prefix + spec.name());
    if (spec.retry() != null) {
      node.retry(policy(spec.retry()));
    }
    boolean hedged = spec.hedging() != null;
    if (hedged) {
      node.hedge(policy(spec.hedging()));
    }
    var values = new ArrayList<Dep<Object>>();
    for (var e : spec.deps()) {
      var dep = dep(d, nodes, v, e);
      if (e.kind().carriesValue()) {
        values.add(dep);
      } else {
        node.after(dep);
      }
    }
    if (spec.when() != null) {
      var e = spec.deps().stream().filter(x -> x.from() == spec.when().from()).findFirst()
          .orElseThrow();
      node.when(dep(d, nodes, v, e), value -> probe.condition(key, value));
    }
    if (spec.fanOut() != null) {
      var f = spec.fanOut();
      for (var extra : values.subList(1, values.size())) {
        node.after(extra); // only the list reaches the elements
      }
      if (f.maxConcurrency() > 0) {
        node.maxConcurrency(f.maxConcurrency());
      }
      Dep<List<Object>> items = unchecked(values.getFirst());
      Fn.F1<Object, Object> element = item -> {
        var ctx = TaskContext.current();
        return probe.body(layout.element(key, ctx.element()), hedged ? ctx.hedge() : 0,
            Arrays.asList(item));
      };
      return unchecked(f.collect() ? node.forEachOutcome(items, element)
          : node.forEach(items, element));
    }
    if (spec.sub() != null) {
      var inner = spec.sub().inner();
      var ig = Graph.builder(prefix + spec.name() + "-sub");
      var innerNodes = declare(ig, inner, layout.subBase(key), prefix + spec.name() + "_",
          (b, declared) -> {});
      // in CONTINUE mode: what a fail-fast inner run cancels would depend on timing
      var sub = Subgraph.of(ig.build(), innerNodes.getLast()).withFailureMode(
          FailureMode.CONTINUE);
      int k = 0;
      for (int u = 0; u < inner.size(); u++) {
        if (inner.isInput(u)) {
          sub = sub.bind((Input<Object>) innerNodes.get(u), values.get(k++));
        }
      }
      for (var extra : values.subList(k, values.size())) {
        node.after(extra);
      }
      return node.subgraph(sub);
    }
    int arity = spec.viaContext() ? -1 : values.size();
    return switch (arity) {
      case 0 -> node.call(() -> call(key, hedged));
      case 1 -> node.call(values.get(0), a -> call(key, hedged, a));
      case 2 -> node.call(values.get(0), values.get(1), (a, b) -> call(key, hedged, a, b));
      case 3 -> node.call(values.get(0), values.get(1), values.get(2),
          (a, b, c) -> call(key, hedged, a, b, c));
      case 4 -> node.call(values.get(0), values.get(1), values.get(2), values.get(3),
          (a, b, c, dd) -> call(key, hedged, a, b, c, dd));
      default -> node.call(values, ctx -> {
        var args = new Object[values.size()];
        for (int i = 0; i < args.length; i++) {
          args[i] = ctx.get(values.get(i));
        }
        return call(key, hedged, args);
      });
    };
  }

  private static Dep<Object> dep(Dag d, List<Node<Object>> nodes, int v, Edge e) {
    var up = nodes.get(e.from());
    return switch (e.kind()) {
      case VALUE, AFTER -> up;
      case OR_ELSE -> up.orElse(d.fallback(v, e));
      case OPTIONAL -> unchecked(up.optional());
      case OUTCOME -> unchecked(up.outcome());
      // both spellings of an optional ordering edge
      case AFTER_OPTIONAL -> (d.spec(v).salt() & 1) == 0 ? unchecked(up.optional())
          : up.orElse(null);
    };
  }

  // a hedged task's body tells the probe which of its attempts runs
  private Object call(int v, boolean hedged, Object... args) throws Exception {
    return probe.body(v, hedged ? TaskContext.current().hedge() : 0, Arrays.asList(args));
  }

  /** {@return the Weft policy {@code r} describes} */
  public static RetryPolicy policy(Dag.Retry r) {
    var d = Duration.ofNanos(r.delayNanos());
    var policy = switch (r.backoff()) {
      case FIXED -> RetryPolicy.fixed(r.maxAttempts(), d);
      case EXPONENTIAL, EXPONENTIAL_JITTER -> RetryPolicy.exponential(r.maxAttempts(), d)
          .withMaxDelay(d.multipliedBy(8))
          .withJitter(r.backoff() == Dag.Retry.Backoff.EXPONENTIAL_JITTER);
    };
    return r.abortUnchecked() ? policy.abortOn(RuntimeException.class) : policy;
  }

  /** {@return the Weft policy {@code h} describes} */
  public static HedgePolicy policy(Dag.Hedge h) {
    return HedgePolicy.after(Duration.ofNanos(h.delayNanos())).withMaxHedges(h.maxHedges());
  }

  @SuppressWarnings("unchecked")
  private static <T> T unchecked(Object o) {
    return (T) o;
  }

  /** Starts a run whose tasks report to {@code probe}. */
  public CompletableFuture<RunResult> start(Probe probe, RunOptions options) {
    return start(probe, options, inputs);
  }

  /** Starts a run with other inputs than the dag's, e.g. wrong ones. */
  public CompletableFuture<RunResult> start(Probe probe, RunOptions options, Inputs inputs) {
    this.probe = probe;
    probe.starting(options);
    boolean wasInterrupted = Thread.currentThread().isInterrupted();
    try {
      return graph.runAsync(inputs, o -> options);
    } finally {
      probe.clearInterruptLeftHere(wasInterrupted); // a synchronous executor ran tasks here
    }
  }

  /** Runs with the blocking {@code Graph.run}, tasks reporting to {@code probe}. */
  public RunResult run(Probe probe, RunOptions options) {
    this.probe = probe;
    probe.starting(options);
    return graph.run(inputs, o -> options);
  }

  public Dag dag() {
    return dag;
  }

  public Layout layout() {
    return layout;
  }

  public Graph graph() {
    return graph;
  }

  public Inputs inputs() {
    return inputs;
  }

  /** {@return the Weft handle of node {@code v}} */
  public Node<Object> node(int v) {
    return handles.get(v);
  }
}
