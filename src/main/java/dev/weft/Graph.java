package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.LatencyHistogram;
import dev.weft.internal.Plan;
import dev.weft.internal.Run;
import dev.weft.internal.Settings;
import dev.weft.internal.trace.Dot;
import dev.weft.internal.trace.Mermaid;
import dev.weft.internal.trace.Shape;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;

/**
 * A validated task graph, declared once and run per request.
 *
 * <pre>{@code
 * var g = Graph.builder("listing-page");
 * Input<Long> id = g.input("listingId", Long.class);
 * Node<Listing> listing = g.task("listing", id, listings::fetch);
 * Node<List<Review>> reviews = g.task("reviews", id, reviewService::top);
 * Node<Page> page = g.task("page", listing, reviews.orElse(List.of()), Page::new);
 * Graph graph = g.build();
 *
 * RunResult result = graph.run(Inputs.of(id, 42L));
 * Page p = result.get(page);
 * }</pre>
 *
 * <h2>Scheduling</h2>
 * A task starts once every one of its dependencies has ended, never before, and runs at most once
 * per run. Skips are decided eagerly: when a required dependency fails, its dependents are skipped
 * at once, so a node that reads a skipped node optionally may start while other ancestors of that
 * skipped node are still running. Its own dependencies have all ended all the same. Independent
 * tasks run concurrently, by default each on its own virtual thread (see {@link RunOptions} for
 * other executors).
 *
 * <h2>Failure modes</h2>
 * Every node ends with exactly one {@link Outcome}. A task that throws (checked exceptions and
 * {@code Error}s alike) fails; its dependents on required edges are skipped, naming it as the
 * cause, while dependents reading it through {@link Node#orElse} or {@link Node#optional()} run
 * with the fallback. With {@link FailureMode#CONTINUE} (the default) every independent branch
 * still runs; with {@link FailureMode#FAIL_FAST} the first failure skips its dependents on
 * required edges as always, then cancels everything else not yet ended. A failed run
 * still returns a {@link RunResult}: failures are outcomes, read with {@link RunResult#get},
 * {@link RunResult#failures()} or {@link RunResult#throwIfFailed()}. Inputs that are missing, of
 * another graph or of the wrong type are refused with {@link IllegalArgumentException} before any
 * task starts.
 *
 * <h2>Cancellation</h2>
 * Interrupting the thread blocked in {@link #run(Inputs)}, or calling {@code cancel} on the future
 * of {@link #runAsync(Inputs)}, cancels the run: running tasks are interrupted, the others end
 * {@link Outcome.Cancelled}. {@code run} then throws {@link CancellationException} with the
 * thread's interrupt status set. Both return only once every task of the run has ended, so no
 * task of a finished run is still running, with one bounded exception: a task that ignores
 * interruption gets a grace of 10 ms (on the run's {@link Scheduler}), then is cut off as a
 * straggler. It ends {@link Outcome.Cancelled}, the run completes without it, and it is reported
 * by {@link RunResult#stragglers()} (in the {@link RunEvent.RunEnded} event's result) and named,
 * with its thread, in the {@link CancellationException}'s message. Its thread runs on until the
 * task returns; what it returns is dropped. The same holds for every cancellation: by the
 * caller, by {@link FailureMode#FAIL_FAST}, by a deadline. Completing the future any other way
 * ({@code complete}, {@code orTimeout}) also cancels the run, without waiting. A listener or a
 * task of the run may cancel it too; {@code cancel} then does not wait.
 *
 * <h2>Threads</h2>
 * Every task starts on its thread as on a fresh one: with a clear interrupt status, and with the
 * name and context class loader the thread had before the first task Weft ran on it, whatever an
 * earlier task (or listener) left behind. A task that leaves its interrupt status set (the JDK's
 * idiom after catching {@link InterruptedException}) and returns a value succeeds; the next task
 * on that thread is not affected. Tasks marked {@link NodeBuilder#inline() inline}, and with a
 * synchronous executor all tasks, may run on the thread that calls {@code runAsync}; that thread
 * gets its own interrupt status back (an interrupt that arrives while a task runs on it is that
 * task's to see). Thread-locals other than those a {@link ContextPropagator} carries are the
 * task's own business.
 *
 * <h2>Graphs shaped by data</h2>
 * The shape is validated once, but what runs can follow the data of each run:
 * <ul>
 *   <li>a fan-out node ({@link NodeBuilder#forEach}) runs one element task per item of a list
 *       known only at run time, each with the node's policies, each ending in one outcome;
 *   <li>a subgraph node ({@link NodeBuilder#subgraph}, {@link Subgraph}) runs another built
 *       graph as one node, inside this run's deadline, cancellation, listeners and trace;
 *   <li>a conditional node ({@link NodeBuilder#when}) runs only when a predicate over its
 *       dependencies holds, and otherwise ends {@link Outcome.Omitted}, which is not a failure;
 *   <li>an outcome edge ({@link Node#outcome()}) hands a dependent the upstream's whole {@link
 *       Outcome}, so it runs whatever happened and sees why.
 * </ul>
 *
 * <h2>Time</h2>
 * A run may have a deadline ({@link RunOptions#withDeadline}). When it passes, the run is cancelled
 * as above, stragglers included, and {@link RunResult#deadlineExceeded()} tells. Per-node
 * timeouts, retries, circuit breakers, bulkheads and fallbacks are described on {@link
 * NodeBuilder}.
 *
 * <h2>Memory consistency effects</h2>
 * Actions of a task happen-before the start of its dependents, and actions of every task
 * happen-before {@code run} returns or the future completes.
 *
 * <h2>Thread-safety</h2>
 * Immutable and thread-safe: any number of threads may run one graph concurrently; runs share
 * nothing but the graph.
 */
public final class Graph {
  private final String name;
  private final GraphBuilder owner;
  private final Plan plan;
  private final RunOptions options;
  private final List<Input<?>> inputs;
  private final Map<Integer, Graph> nested; // per node that runs another graph, that graph
  private Shape shape;

  Graph(String name, GraphBuilder owner, Plan plan, RunOptions options) {
    this.name = name;
    this.owner = owner;
    this.plan = plan;
    this.options = options;
    this.inputs = owner.inputs();
    this.nested = owner.nested();
    this.runTimes = owner.refusesUnreachableDeadlines()
        ? new LatencyHistogram(Guard.HISTORY_WINDOW_NANOS) : null;
  }

  // the graph's recent run times, when it refuses runs that cannot make their deadline
  private final LatencyHistogram runTimes;

  /**
   * Starts declaring a graph.
   *
   * @param name the graph's name, used in every message, event and trace
   * @return a new builder
   */
  public static GraphBuilder builder(String name) {
    return new GraphBuilder(requireNonNull(name, "name"));
  }

  /** {@return the graph's name} */
  public String name() {
    return name;
  }

  /**
   * {@return the graph's inputs, in the order they were declared} Every one must be bound for a
   * run, so a caller holding only the graph can bind them, by {@link Input#name() name} and
   * checked against their {@link Input#type() type}:
   *
   * <pre>{@code
   * Inputs inputs = Inputs.empty();
   * for (Input<?> input : graph.inputs()) {
   *   inputs = bind(inputs, input, request.get(input.name()));
   * }
   *
   * // an unchecked cast, and a safe one: type() has checked the value, as the run does
   * static <T> Inputs bind(Inputs inputs, Input<T> input, Object value) {
   *   return inputs.and(input, (T) input.type().cast(value));
   * }
   * }</pre>
   *
   * <p>The list is immutable.
   */
  public List<Input<?>> inputs() {
    return inputs;
  }

  /** {@return the options runs use unless they pass their own} */
  public RunOptions options() {
    return options;
  }

  /**
   * Runs the graph with the graph's options and waits for it to end.
   *
   * @return the outcome of every node
   * @throws IllegalArgumentException if an input is missing, of another graph or of the wrong type
   * @throws DeadlineUnreachableException if the graph {@link
   *     GraphBuilder#refuseUnreachableDeadlines refuses unreachable deadlines} and this one is
   * @throws CancellationException if the calling thread is interrupted; the run is cancelled first
   * @throws IllegalStateException if Weft itself, or the {@link Scheduler} it was given, failed
   *     (never for a task's failure, which is an outcome); the cause is what was thrown
   */
  public RunResult run(Inputs inputs) {
    return await(runAsync(inputs));
  }

  /**
   * Runs the graph with the graph's options changed for this run by {@code configure}, and waits
   * for it to end: {@code graph.run(inputs, o -> o.withDeadline(Duration.ofMillis(200)))}. What
   * {@code configure} leaves alone stays as the graph has it, listeners and propagators included.
   *
   * @param configure receives the graph's options and returns the run's
   * @return the outcome of every node
   * @throws IllegalArgumentException if an input is missing, of another graph or of the wrong type
   * @throws DeadlineUnreachableException if the graph {@link
   *     GraphBuilder#refuseUnreachableDeadlines refuses unreachable deadlines} and this one is
   * @throws CancellationException if the calling thread is interrupted; the run is cancelled first
   * @throws IllegalStateException if Weft itself, or the {@link Scheduler} it was given, failed
   *     (never for a task's failure, which is an outcome); the cause is what was thrown
   */
  public RunResult run(Inputs inputs, UnaryOperator<RunOptions> configure) {
    return await(runAsync(inputs, configure));
  }

  private RunResult await(CompletableFuture<RunResult> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      // the run's own CancellationException names the stragglers it cut off, if any
      var run = future.handle((result, failure) -> failure).getNow(null);
      var cancelled = new CancellationException("run of graph '" + name
          + "' was cancelled: the calling thread was interrupted"
          + (run == null ? "" : " (" + run.getMessage() + ")"));
      cancelled.initCause(e);
      throw cancelled;
    } catch (ExecutionException e) {
      // Only a fault of Weft or of its scheduler fails the future, with an IllegalStateException
      // whose cause is what was thrown; task failures are outcomes. Thrown here as one exception
      // with the same message and cause, on the caller's stack.
      var fault = e.getCause();
      throw new IllegalStateException(fault.getMessage(),
          fault.getCause() != null ? fault.getCause() : fault);
    }
  }

  /**
   * Starts the graph with the graph's options.
   *
   * @return a future of the outcome of every node; see {@link #runAsync(Inputs, UnaryOperator)}
   * @throws IllegalArgumentException if an input is missing, of another graph or of the wrong type
   * @throws DeadlineUnreachableException if the graph {@link
   *     GraphBuilder#refuseUnreachableDeadlines refuses unreachable deadlines} and this one is
   */
  public CompletableFuture<RunResult> runAsync(Inputs inputs) {
    return start(inputs, options);
  }

  /**
   * Starts the graph with the graph's options changed for this run by {@code configure}; what it
   * leaves alone stays as the graph has it, listeners and propagators included.
   *
   * @param configure receives the graph's options and returns the run's
   * @return a future of the outcome of every node; see the class documentation on cancellation.
   *     Its {@code cancel} returns once every task has ended or, at most about 10 ms after the
   *     interrupt, been cut off as a straggler, so a request-timeout handler never hangs on a
   *     task that ignores interruption. It completes exceptionally, with one {@link
   *     IllegalStateException} whose cause is what was thrown, only if Weft itself or the {@link
   *     Scheduler} it was given failed; tasks' failures are outcomes
   * @throws IllegalArgumentException if an input is missing, of another graph or of the wrong type
   * @throws DeadlineUnreachableException if the graph {@link
   *     GraphBuilder#refuseUnreachableDeadlines refuses unreachable deadlines} and this one is
   * @throws NullPointerException if {@code configure} returns null
   */
  public CompletableFuture<RunResult> runAsync(Inputs inputs,
      UnaryOperator<RunOptions> configure) {
    requireNonNull(inputs, "inputs");
    requireNonNull(configure, "configure");
    return start(inputs, requireNonNull(configure.apply(options),
        "the options configure returned"));
  }

  private CompletableFuture<RunResult> start(Inputs inputs, RunOptions options) {
    requireNonNull(inputs, "inputs");
    var values = bind(inputs);
    if (runTimes != null && options.deadline().isPresent()) {
      admit(options);
    }
    return Run.start(plan, values, settings(options), results);
  }

  private void admit(RunOptions options) {
    long median = runTimes.percentile(0.5, 20, options.scheduler().nanoTime());
    long deadline = options.deadlineNanos();
    if (median >= 0 && deadline < median) {
      throw new DeadlineUnreachableException(name, options.deadline().get(),
          Duration.ofNanos(median));
    }
  }

  // How a run's result is made, and the settings for the graph's own options: made once, since
  // they are the same for every run (other options get their own per run).
  private final java.util.function.Function<Run<RunResult>, RunResult> results = this::result;

  private RunResult result(Run<RunResult> run) {
    var result = new RunResult(this, run);
    if (runTimes != null && result.succeeded()) {
      try {
        runTimes.record(result.elapsed().toNanos(), run.scheduler().nanoTime());
      } catch (Throwable ignored) {
        // a statistic: a failing clock must not fail the run it measured
      }
    }
    return result;
  }

  private Settings<RunResult> settings;

  private Settings<RunResult> settings(RunOptions options) {
    var s = options == this.options ? settings : null;
    if (s == null) {
      s = new Settings<>(options.executor(), options.failureMode() == FailureMode.FAIL_FAST,
          options.scheduler(), options.deadline().isPresent(), options.deadlineNanos(),
          hooks(options), options.propagators().toArray(ContextPropagator[]::new),
          options.scopedValues().toArray(), null, options.criticality());
      if (options == this.options) {
        settings = s; // racy but idempotent: every thread makes an equal one
      }
    }
    return s;
  }

  // The emitter for the graph's own options, made once; other options get one per run.
  private Emitter emitter;

  private Emitter hooks(RunOptions options) {
    if (options.listeners().isEmpty()) {
      return null;
    }
    if (options == this.options) {
      var e = emitter;
      if (e == null) {
        emitter = e = new Emitter(this, options.listeners()); // racy but idempotent
      }
      return e;
    }
    return new Emitter(this, options.listeners());
  }

  private Object[] bind(Inputs inputs) {
    var values = new Object[plan.size()];
    for (int i = 0; i < inputs.size(); i++) {
      var input = inputs.input(i);
      var value = inputs.value(i);
      if (input.owner != owner) {
        throw new IllegalArgumentException("input '" + input.name() + "' belongs to graph '"
            + input.owner.name() + "', not to graph '" + name + "'");
      }
      if (!input.type.isInstance(value)) {
        throw new IllegalArgumentException("input '" + input.name() + "' of graph '" + name
            + "' must be an instance of " + input.type.getName() + ", not of "
            + value.getClass().getName());
      }
      values[input.index] = value;
    }
    var missing = new StringBuilder();
    for (int v : plan.inputs()) {
      if (values[v] == null) {
        missing.append(missing.isEmpty() ? "'" : ", '").append(plan.name(v)).append('\'');
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("graph '" + name + "' needs inputs that are not bound: "
          + missing + "; bind them with Inputs.of(...)");
    }
    return values;
  }

  /**
   * {@return the graph as Graphviz DOT: inputs and tasks, each edge labelled required, optional,
   * ordering or ordering-optional} Render with {@code dot -Tsvg graph.dot -o graph.svg}.
   */
  public String toDot() {
    return Dot.graph(shape());
  }

  /** {@return the graph as a Mermaid flowchart, edges labelled like {@link #toDot()}} */
  public String toMermaid() {
    return Mermaid.graph(shape());
  }

  Plan plan() {
    return plan;
  }

  Shape shape() {
    var s = shape;
    if (s == null) {
      // racy but idempotent: every thread computes the same value; nested graphs were built first
      shape = s = Shape.of(plan, v -> {
        var inner = nested.get(v);
        return inner == null ? null : inner.shape();
      });
    }
    return s;
  }

  /** {@return the vertex of {@code node}, which must belong to this graph} */
  int vertex(Node<?> node) {
    requireNonNull(node, "node");
    if (node.owner != owner) {
      throw new IllegalArgumentException("node '" + node.name() + "' belongs to graph '"
          + node.owner.name() + "', not to graph '" + name + "'");
    }
    return node.index;
  }

  @Override
  public String toString() {
    return "Graph[" + name + ", " + plan.taskCount() + " tasks, " + (plan.size() - plan.taskCount())
        + " inputs]";
  }
}
