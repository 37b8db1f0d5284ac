package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Attempts;
import dev.weft.internal.Helping;
import dev.weft.internal.Parent;
import dev.weft.internal.Run;
import dev.weft.internal.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * A built {@link Graph} used as one node of another graph ({@link NodeBuilder#subgraph}), or as
 * the body of each element of a fan-out ({@link NodeBuilder#forEach(Dep, Input, Subgraph)}): its
 * inputs bound to the outer node's dependencies, one of its nodes (or its whole result) giving
 * the node's value.
 *
 * <pre>{@code
 * // declared once, with the inner graph; shared by every graph that shows a host card
 * static final Subgraph<HostCard> HOST_CARD = Subgraph.of(HostSection.GRAPH, HostSection.CARD);
 *
 * // each outer graph binds the inner inputs to its own nodes
 * Node<HostCard> host = g.node("host").timeout(Duration.ofMillis(150))
 *     .subgraph(HOST_CARD.bind(HostSection.HOST_ID, hostId));
 * }</pre>
 *
 * <h2>How the inner run runs</h2>
 * Each attempt of the node runs the inner graph once, on the node's thread, as a run of its own:
 * <ul>
 *   <li>its deadline is the time the attempt has left (the node's timeout or the outer run's
 *       deadline, whichever is nearer), an exhausted one meaning "already expired";
 *   <li>stopping the node (the outer run's cancellation, fail-fast, deadline, or the node's own
 *       timeout) cancels it at once, its tasks interrupted, their reason naming the node;
 *   <li>it uses the outer run's executor, scheduler, failure mode (unless {@link
 *       #withFailureMode} says otherwise), {@link Criticality}, listeners, context propagators
 *       and {@link RunOptions#withScopedValue ScopedValues}. Listeners see its events under the
 *       inner graph's name and its own run id; its {@link RunEvent.RunStarted} names the parent
 *       run and node. What listeners throw on its events is in the inner result's {@link
 *       RunResult#listenerFailures()}, and in the outer result's too;
 *   <li>its spans are the node's {@link Span#children() children}, so the outer trace shows one
 *       waterfall with the subgraph inside, and the critical path descends into it.
 * </ul>
 * The node fails if the output node did not succeed (failed, was skipped, cancelled or
 * omitted by its condition), with a {@link NodeException} naming the inner node and carrying its
 * failure; with the whole result as output, the node succeeds with the inner {@link RunResult},
 * whatever its nodes did, so a caller that expects inner sections to be omitted reads them there. While it waits for the inner run, the
 * node's thread runs queued inner tasks itself, so a bounded executor cannot deadlock. An inner
 * task that ignores interrupts is cut off by the inner run's own cut-off, and reported among the
 * outer run's {@link RunResult#stragglers()} as {@code node/task}; if it was the node's own
 * thread that ran it, the node is held until the task returns, as any task with a timeout is.
 *
 * <h2>Validation</h2>
 * Binding an input of another graph, or one input twice, fails at once with {@link
 * IllegalArgumentException}; defining a node with a subgraph whose inputs are not all bound fails
 * with {@link InvalidGraphException} naming the node and the inputs. Input types are checked by
 * the compiler, and values against {@link Input#type()} at run time, as for any run.
 *
 * <p>Immutable and thread-safe: {@code bind} and {@code withFailureMode} return new values. A
 * subgraph may be used by any number of nodes, graphs and runs.
 *
 * @param <R> the type of the node's value: the output node's, or {@link RunResult}
 */
public final class Subgraph<R> {
  private final Graph graph;
  private final Node<R> output; // null: the whole result
  private final List<Input<?>> inputs;
  private final List<Dep<?>> values;
  private final FailureMode failureMode; // null: the outer run's

  private Subgraph(Graph graph, Node<R> output, List<Input<?>> inputs, List<Dep<?>> values,
      FailureMode failureMode) {
    this.graph = graph;
    this.output = output;
    this.inputs = inputs;
    this.values = values;
    this.failureMode = failureMode;
  }

  /**
   * {@return {@code graph} as a subgraph whose value is its node {@code output}'s}
   *
   * @throws IllegalArgumentException if {@code output} is not a node of {@code graph}
   */
  public static <R> Subgraph<R> of(Graph graph, Node<R> output) {
    requireNonNull(graph, "graph");
    requireNonNull(output, "output");
    graph.vertex(output); // throws if it belongs to another graph
    return new Subgraph<>(graph, output, List.of(), List.of(), null);
  }

  /** {@return {@code graph} as a subgraph whose value is its whole {@link RunResult}} */
  public static Subgraph<RunResult> of(Graph graph) {
    requireNonNull(graph, "graph");
    return new Subgraph<>(graph, null, List.of(), List.of(), null);
  }

  /**
   * {@return a copy that binds the inner graph's {@code input} to {@code value}, a dependency of
   * the outer node: a node of the outer graph, or {@code node.orElse(x)}, {@code
   * node.optional()}, read as any dependency is}
   *
   * @throws IllegalArgumentException if {@code input} is not an input of this graph, or is bound
   *     already
   */
  public <T> Subgraph<R> bind(Input<T> input, Dep<? extends T> value) {
    requireNonNull(input, "input");
    requireNonNull(value, "value");
    graph.vertex(input);
    if (inputs.contains(input)) {
      throw new IllegalArgumentException("input '" + input.name() + "' of graph '"
          + graph.name() + "' is bound already");
    }
    var in = new ArrayList<>(inputs);
    in.add(input);
    var vs = new ArrayList<>(values);
    vs.add(value);
    return new Subgraph<>(graph, output, List.copyOf(in), List.copyOf(vs), failureMode);
  }

  /** {@return a copy whose inner runs use {@code mode}, not the outer run's failure mode} */
  public Subgraph<R> withFailureMode(FailureMode mode) {
    return new Subgraph<>(graph, output, inputs, values, requireNonNull(mode, "mode"));
  }

  /** {@return the inner graph} */
  public Graph graph() {
    return graph;
  }

  @Override
  public String toString() {
    return "Subgraph[" + graph.name() + (output == null ? "" : " -> " + output.name()) + "]";
  }

  // ---- for NodeBuilder ----

  /** {@return the outer dependencies the bound inputs read, in binding order} */
  List<Dep<?>> dependencies() {
    return values;
  }

  /**
   * Checks that every input of the inner graph is bound, {@code each} (an input the fan-out
   * binds to each item, or null) included. {@return the names of those that are not}
   */
  List<String> unbound(Input<?> each) {
    var missing = new ArrayList<String>();
    for (var input : graph.inputs()) {
      if (input != each && !inputs.contains(input)) {
        missing.add(input.name());
      }
    }
    return missing;
  }

  /**
   * Runs the inner graph once for task {@code key} of {@code site} and waits for it. The bound
   * inputs are the node's value dependencies from position {@code first}; {@code each}, if not
   * null, gets {@code item}. {@return the node's value}
   */
  Object invoke(Attempts site, int key, int first, Input<?> each, Object item) throws Throwable {
    var outer = site.run();
    int v = site.owner(key);
    var plan = graph.plan();
    var bound = new Object[plan.size()];
    for (int i = 0; i < inputs.size(); i++) {
      bound[inputs.get(i).index] = check(inputs.get(i), outer.arg(v, first + i), outer, v);
    }
    if (each != null) {
      bound[each.index] = check(each, item, outer, v);
    }
    long remaining = site.remainingNanos(key);
    var helping = new Helping(outer.executor());
    var parent = outer.hooks() instanceof Emitter e ? e : null;
    var settings = new Settings<RunResult>(helping,
        failureMode == null ? outer.failFast() : failureMode == FailureMode.FAIL_FAST,
        outer.scheduler(), remaining != Long.MAX_VALUE, remaining,
        parent == null ? null : new Emitter(graph, parent.listeners()), outer.propagators(),
        outer.scopedValues(), new Parent(outer, outer.plan().name(v)), outer.criticality());
    var future = Run.startInside(plan, bound, settings, run -> new RunResult(graph, run),
        site, key);
    helping.await(future, outer);
    RunResult result;
    try {
      result = future.get();
    } catch (ExecutionException e) {
      throw e.getCause(); // a fault of Weft or of the scheduler, as the outer run would see it
    }
    for (var failure : result.listenerFailures()) {
      outer.faults().hookFailed(failure); // logged once already, by the inner run
    }
    site.stragglersInside(key, result.stragglers()); // they outlive the outer run too
    if (output == null) {
      return result;
    }
    return result.get(output); // NodeException naming the inner node if it did not succeed
  }

  private Object check(Input<?> input, Object value, Run<?> outer, int v) {
    if (!input.type.isInstance(value)) {
      throw new IllegalArgumentException("node '" + outer.plan().name(v) + "' of graph '"
          + outer.plan().graph() + "' bound input '" + input.name() + "' of graph '"
          + graph.name() + "' to " + (value == null ? "null"
              : "an instance of " + value.getClass().getName())
          + "; it must be an instance of " + input.type.getName());
    }
    return value;
  }
}
