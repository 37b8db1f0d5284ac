package dev.weft.testing;

import dev.weft.Dep;
import dev.weft.Graph;
import dev.weft.GraphBuilder;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.NodeBuilder;
import dev.weft.RunOptions;
import dev.weft.RetryPolicy;
import dev.weft.RunResult;
import dev.weft.testing.Dag.Edge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Dag} declared as a Weft {@link Graph}, through the public API only: inputs, forward
 * declarations when the dag asks for them, {@code after(...)}, fixed arities 0 to 4 and {@code
 * ctx.get} for the rest, and every edge kind. Each task body hands its arguments to the {@link
 * Probe} of the current run.
 *
 * <p>Runs of one {@code WeftDag} must not overlap: the probe is swapped per run.
 */
public final class WeftDag {
  private final Dag dag;
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
    var g = Graph.builder(name);
    var nodes = new ArrayList<Node<Object>>(dag.size());
    for (int v = 0; v < dag.size(); v++) {
      nodes.add(dag.isInput(v) ? unchecked(g.input(dag.spec(v).name(), Long.class)) : null);
    }
    if (dag.forward()) {
      for (int v : dag.declarationOrder()) {
        nodes.set(v, g.declare(dag.spec(v).name()));
      }
    }
    for (int v = 0; v < dag.size(); v++) {
      if (!dag.isInput(v)) {
        interleave.before(g, nodes.stream().filter(java.util.Objects::nonNull).toList());
        nodes.set(v, define(g, nodes, v));
      }
    }
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

  private Node<Object> define(GraphBuilder g, List<Node<Object>> nodes, int v) {
    var spec = dag.spec(v);
    NodeBuilder<Object> node = dag.forward() ? g.node(nodes.get(v)) : g.node(spec.name());
    if (spec.retry() != null) {
      node.retry(policy(spec.retry()));
    }
    var values = new ArrayList<Dep<Object>>();
    for (var e : spec.deps()) {
      var dep = dep(nodes, v, e);
      if (e.kind().carriesValue()) {
        values.add(dep);
      } else {
        node.after(dep);
      }
    }
    int arity = spec.viaContext() ? -1 : values.size();
    return switch (arity) {
      case 0 -> node.call(() -> call(v));
      case 1 -> node.call(values.get(0), a -> call(v, a));
      case 2 -> node.call(values.get(0), values.get(1), (a, b) -> call(v, a, b));
      case 3 -> node.call(values.get(0), values.get(1), values.get(2),
          (a, b, c) -> call(v, a, b, c));
      case 4 -> node.call(values.get(0), values.get(1), values.get(2), values.get(3),
          (a, b, c, d) -> call(v, a, b, c, d));
      default -> node.call(values, ctx -> {
        var args = new Object[values.size()];
        for (int k = 0; k < args.length; k++) {
          args[k] = ctx.get(values.get(k));
        }
        return call(v, args);
      });
    };
  }

  private Dep<Object> dep(List<Node<Object>> nodes, int v, Edge e) {
    var up = nodes.get(e.from());
    return switch (e.kind()) {
      case VALUE, AFTER -> up;
      case OR_ELSE -> up.orElse(dag.fallback(v, e));
      case OPTIONAL -> unchecked(up.optional());
      // both spellings of an optional ordering edge
      case AFTER_OPTIONAL -> (dag.spec(v).salt() & 1) == 0 ? unchecked(up.optional())
          : up.orElse(null);
    };
  }

  private Object call(int v, Object... args) throws Exception {
    return probe.body(v, Arrays.asList(args));
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
