package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Check;
import dev.weft.internal.Elements;
import dev.weft.internal.EdgeKind;
import dev.weft.internal.Invoker;
import dev.weft.internal.LatencyHistogram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Defines one node: optional ordering-only dependencies and policies, then exactly one {@code
 * call(...)} with the node's value dependencies and body. Obtained from {@link
 * GraphBuilder#node(String)} or, for a forward declaration, {@link GraphBuilder#node(Node)}.
 *
 * <pre>{@code
 * Node<Void> audit = g.node("audit").after(page).call(() -> auditLog.write(...));
 * Node<Quote> price = g.node("price")
 *     .timeout(Duration.ofMillis(80))
 *     .retry(RetryPolicy.exponential(3, Duration.ofMillis(5)))
 *     .circuitBreaker(PRICING_BREAKER)
 *     .bulkhead(PRICING_BULKHEAD)
 *     .fallback(Quote.UNAVAILABLE)
 *     .call(listing, pricing::quote);
 * }</pre>
 *
 * <h2>Policies</h2>
 * Every policy of a node is set here, on its builder, before {@code call}. They are configured
 * one way: a policy that is a value is immutable, varied by methods that return copies ({@link
 * RetryPolicy#withMaxDelay}, {@link RetryPolicy#retryOn}; a timeout is a plain {@link Duration});
 * a policy that holds state shared across nodes, graphs and runs ({@link CircuitBreaker}, {@link
 * Bulkhead}) is made once per downstream by a builder, as in
 * {@code Bulkhead.builder("fraud").maxConcurrent(4).build()}, whose setters check their argument
 * at once and whose {@code build()} never changes the builder.
 *
 * <p>Whatever order they are given in, policies nest the same way, as Failsafe writes it:
 * {@code Fallback(Retry(CircuitBreaker(Bulkhead(Timeout(task)))))}. Each attempt takes a breaker
 * admission, then a bulkhead place, then runs under its timeout; a failed attempt is retried by
 * the retry policy; what still fails goes to the {@link #fallback fallback}. The timeout is per
 * attempt so every retry gets the full time; the bulkhead sits inside the breaker so a rejected
 * call never takes a place; the breaker sits inside the retry so every attempt is counted and an
 * opened breaker stops further attempts; the fallback sees only what is left.
 *
 * <h2>Types</h2>
 * The builder's type is what the body must produce: {@code Object} (anything) for a new node, the
 * declared type for a forward declaration. A fallback narrows it to the fallback's type, so that
 * {@code g.node("promo").fallback(Promo.NONE).call(cart, promos::best)} is a {@code Node<Promo>}.
 * A Java limit remains: the handle's type is the body's, so a body that returns a strict subtype
 * of the fallback's type ({@code SpecialPromo}) would give a handle ({@code Node<SpecialPromo>})
 * that claims more than the fallback value is. Declare the body to return the fallback's type, or
 * assign the handle to a variable of that type ({@code Node<Promo> promo = ...}).
 *
 * <p>Not thread-safe, like its {@link GraphBuilder}. A second {@code call}, or a second fallback,
 * fails with {@link InvalidGraphException}; a refused call changes nothing.
 *
 * @param <T> the type the body must produce: {@code Object} for a new node, the declared type
 *     for a forward declaration, the fallback's type once there is one
 */
public final class NodeBuilder<T> {
  private final GraphBuilder graph;
  private final String name;
  // the forward declaration this builder defines, or null: declared when call() succeeds
  private final Node<T> declared;
  private final List<Dep<?>> after = new ArrayList<>();
  private boolean defined;
  private long timeoutNanos;
  private RetryPolicy retry;
  private CircuitBreaker breaker;
  private Bulkhead bulkhead;
  private Fn.F1<? super Throwable, ?> fallback;
  private HedgePolicy hedge;
  private RetryBudget budget;
  private boolean skipWhenLate;
  private boolean inline;
  private int maxConcurrency = Integer.MAX_VALUE;
  private int maxElements = Integer.MAX_VALUE;
  private boolean fanOutLimits;
  // conditions: each a dependency and a predicate over what it yields
  private final List<Dep<?>> whenDeps = new ArrayList<>();
  private final List<Predicate<Object>> whenTests = new ArrayList<>();

  NodeBuilder(GraphBuilder graph, Node<T> declared) {
    this.graph = graph;
    this.name = declared.name();
    this.declared = declared;
  }

  NodeBuilder(GraphBuilder graph, String name) {
    this.graph = graph;
    this.name = name;
    this.declared = null;
  }

  /**
   * Adds ordering-only dependencies: the node starts after them but does not receive their values.
   * A plain node is a required edge (its failure skips this node); {@code dep.optional()} or
   * {@code dep.orElse(x)} lets this node run whatever the upstream's outcome.
   *
   * @return this builder
   */
  public NodeBuilder<T> after(Dep<?>... deps) {
    requireNonNull(deps, "deps");
    for (var dep : deps) {
      requireNonNull(dep, "deps[]");
      graph.check(dep.node());
    }
    after.addAll(Arrays.asList(deps)); // all checked first: a refused call adds nothing
    return this;
  }

  /**
   * Limits each attempt to {@code timeout} (positive): when it passes, the task's thread is
   * interrupted and the attempt fails with {@link NodeTimeoutException} once the task returns or
   * throws. A task that ignores the interrupt holds its node until it does; only a run deadline
   * ({@link RunOptions#withDeadline}) cuts such a task off. A timeout never reaches past the run's
   * deadline, which cancels the run first. The task can read the time it has left with {@link
   * TaskContext#remaining()} (in the {@code call(List, ctx -> ...)} form).
   *
   * @return this builder
   */
  public NodeBuilder<T> timeout(Duration timeout) {
    this.timeoutNanos = Check.positive(timeout, "timeout");
    return this;
  }

  /**
   * Retries failed attempts as {@code policy} says.
   *
   * @return this builder
   */
  public NodeBuilder<T> retry(RetryPolicy policy) {
    this.retry = requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Runs each attempt only if {@code breaker}, shared with other nodes, admits it; otherwise the
   * attempt fails with {@link CircuitOpenException} without running.
   *
   * @return this builder
   */
  public NodeBuilder<T> circuitBreaker(CircuitBreaker breaker) {
    this.breaker = requireNonNull(breaker, "breaker");
    return this;
  }

  /**
   * Hedges the node's calls as {@code policy} says: after a delay, a second attempt starts beside
   * the first, and the first to succeed wins (see {@link HedgePolicy}). Declares the call
   * idempotent: two of its attempts may both reach the downstream. On a fan-out, each element is
   * hedged on its own. The node's {@link #timeout} bounds all of one attempt's hedges together;
   * each hedged attempt is admitted by the node's circuit breaker and holds a bulkhead place of
   * its own; a {@link #retryBudget} pays for every hedge.
   *
   * @return this builder
   * @throws InvalidGraphException (at definition) for a subgraph node (hedge the nodes inside
   *     it) or an {@link #inline()} one (inline tasks do not block, so there is nothing to hedge)
   */
  public NodeBuilder<T> hedge(HedgePolicy policy) {
    this.hedge = requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Makes the node's retries and hedges withdraw from {@code budget}, shared with other nodes
   * that call the same downstream; every first attempt deposits into it. A retry the budget
   * refuses is not sent: the node fails with its failure, a {@link BudgetExhaustedException}
   * attached; a hedge it refuses is not sent. See {@link RetryBudget}.
   *
   * @return this builder
   */
  public NodeBuilder<T> retryBudget(RetryBudget budget) {
    this.budget = requireNonNull(budget, "budget");
    return this;
  }

  /**
   * Omits the node ({@link Outcome.Omitted}, as a false {@link #when} condition does) when it
   * becomes ready with less of the run's deadline left than its own recent median time: a
   * "good enough" page without a section that would not have made it, instead of a whole page
   * late. Its recent times are its successful attempts' in the last 10 to 20 seconds, in every run
   * of the graph; until 20 are known, and in runs without a deadline, it always runs.
   *
   * @return this builder
   * @throws InvalidGraphException when the graph is built, if a dependent requires the node (take
   *     it with {@code optional()} or {@code orElse(...)}) or it is the graph's output
   */
  public NodeBuilder<T> skipWhenLate() {
    this.skipWhenLate = true;
    return this;
  }

  /**
   * Runs each attempt only with a place in {@code bulkhead}, shared with other nodes; otherwise the
   * attempt fails with {@link BulkheadFullException} without running.
   *
   * @return this builder
   */
  public NodeBuilder<T> bulkhead(Bulkhead bulkhead) {
    this.bulkhead = requireNonNull(bulkhead, "bulkhead");
    return this;
  }

  /**
   * Gives the node a fallback value: when the node fails (after its retries, if any), it succeeds
   * with {@code value} instead, and its dependents run with it. The fallback applies to the
   * node's own failures (the task threw, timed out, was rejected by a breaker or bulkhead), not to
   * a skip because a dependency failed, nor to cancellation. {@code value} may be null (for a new
   * node, write its type: {@code .<Promo>fallback(null)}).
   *
   * @param <V> the fallback's type, which the body must produce too; see "Types" above
   * @return this builder, typed by the fallback
   * @throws InvalidGraphException if the node already has a fallback
   */
  public <V extends T> NodeBuilder<V> fallback(V value) {
    return fallbackWith(failure -> value);
  }

  /**
   * Gives the node a fallback computed from its final failure (the last attempt's, the earlier
   * ones attached as suppressed); see {@link #fallback(Object)}. If {@code fn} throws, the node
   * fails with that exception, the original failure attached as suppressed; if it rethrows the
   * original (a fallback for some types of failure only), the node fails with it as it was. A
   * {@code fn} may thus filter by type:
   *
   * <pre>{@code
   * Node<Quote> quote = g.node("quote")
   *     .fallbackWith(failure -> {
   *       if (failure instanceof IOException) return Quote.CACHED;
   *       throw (Exception) failure;
   *     })
   *     .call(listing, pricing::quote);
   * }</pre>
   *
   * <p>{@code fn} is called on the node's thread, once per run whose node fails; it must be
   * thread-safe if it holds state.
   *
   * @param <V> the fallback's type, which the body must produce too; see "Types" above
   * @return this builder, typed by the fallback
   * @throws InvalidGraphException if the node already has a fallback
   */
  @SuppressWarnings("unchecked")
  public <V extends T> NodeBuilder<V> fallbackWith(Fn.F1<? super Throwable, ? extends V> fn) {
    requireNonNull(fn, "fn");
    if (fallback != null) {
      throw new InvalidGraphException(graph.name(), List.of(name),
          "node '" + name + "' of graph '" + graph.name() + "' already has a fallback");
    }
    this.fallback = fn;
    // Only the static type narrows: the builder, and the node it defines, stay the same.
    return (NodeBuilder<V>) this;
  }

  /**
   * Declares the task cheap and non-blocking (a computation on values already fetched, say):
   * instead of a thread of the executor, it runs on the thread that ended its last dependency, or
   * for a task without task dependencies on the thread that starts the run, inside {@code
   * runAsync}. That saves a thread hop, a few microseconds. A task marked inline that blocks holds
   * up every task queued behind it on that thread, and cannot be cut off by a deadline when it runs
   * on the caller's thread: mark only tasks that never block.
   *
   * @return this builder
   */
  public NodeBuilder<T> inline() {
    this.inline = true;
    return this;
  }

  /**
   * Runs the node only if {@code condition} holds for what {@code dep} yields; otherwise the node
   * ends {@link Outcome.Omitted} without running: not a failure, not in {@link
   * RunResult#failures()}, no {@link FailureMode#FAIL_FAST} cancellation. Conditions are how a
   * page leaves out what the request did not ask for:
   *
   * <pre>{@code
   * Node<Upsell> upsell = g.node("upsell").when(user, User::premium).call(listing, upsells::offer);
   * }</pre>
   *
   * <h4>Join rules</h4>
   * <ul>
   *   <li>{@code dep} becomes a dependency of the node (an ordering one, unless the node reads it
   *       as a value too), so the condition is decided once every dependency has ended, on the
   *       thread that ended the last one (keep it cheap and non-blocking), before the node is
   *       handed to a thread. Several conditions must all hold; they are tested in the order
   *       given, and the first that fails decides.
   *   <li>If a required dependency (or {@code dep} itself, when it is a plain node) did not
   *       succeed, the node is skipped, cancelled or omitted as that dependency says, and the
   *       condition is not tested. With {@code dep.optional()} or {@code dep.orElse(x)} the
   *       condition sees the empty {@code Optional} or {@code x} instead.
   *   <li>A condition that throws fails the node with what it threw.
   *   <li>An omitted node's dependents on required edges are omitted too, naming it as the
   *       {@link Outcome.Omitted#cause() cause}; those on optional edges run with their fallback
   *       ({@code orElse}, an empty {@code Optional}, the {@code Omitted} outcome).
   *   <li>Eager, as skips are: a node whose first required dependency to end was omitted is
   *       omitted, even if another would later fail; one whose first was a failure is skipped.
   * </ul>
   *
   * @param <A> what {@code dep} yields
   * @return this builder
   */
  @SuppressWarnings("unchecked")
  public <A> NodeBuilder<T> when(Dep<A> dep, Predicate<? super A> condition) {
    requireNonNull(dep, "dep");
    requireNonNull(condition, "condition");
    graph.check(dep.node());
    whenDeps.add(dep);
    whenTests.add((Predicate<Object>) condition);
    return this;
  }

  /**
   * Limits how many elements of this fan-out node ({@link #forEach}) run at once: {@code n}
   * positive; unlimited by default. The node's own thread runs elements too, so {@code n} threads
   * at most work on the node's elements at any time.
   *
   * @return this builder
   * @throws IllegalArgumentException if {@code n} is not positive
   */
  public NodeBuilder<T> maxConcurrency(int n) {
    this.maxConcurrency = Check.atLeastOne(n, "maxConcurrency");
    this.fanOutLimits = true;
    return this;
  }

  /**
   * Limits how many items this fan-out node ({@link #forEach}) accepts: {@code n} positive;
   * unlimited by default. A longer list fails the node, before any element starts, with an {@link
   * IllegalArgumentException} naming the node, its list's dependency and both sizes.
   *
   * @return this builder
   * @throws IllegalArgumentException if {@code n} is not positive
   */
  public NodeBuilder<T> maxElements(int n) {
    this.maxElements = Check.atLeastOne(n, "maxElements");
    this.fanOutLimits = true;
    return this;
  }

  /**
   * Defines the node as a fan-out: one element task per item of the list {@code items} yields,
   * each running {@code fn}; the node's value is the elements' values, in item order.
   *
   * <pre>{@code
   * Node<List<Photo>> photos = g.node("photos")
   *     .timeout(Duration.ofMillis(50))          // per element, as every policy here
   *     .fallback(Photo.PLACEHOLDER)
   *     .maxConcurrency(8)
   *     .forEach(photoIds, photoService::fetch);
   * }</pre>
   *
   * <ul>
   *   <li><b>Elements are tasks.</b> Each runs on a thread of the run's executor (on the node's
   *       thread, one after another, if the node is {@link #inline()}), with the node's policies
   *       applied per element: its timeout, retries, breaker, bulkhead and fallback. Each is
   *       interrupted when the run is cancelled, fails fast or passes its deadline, and cut off
   *       as a straggler (reported as {@code photos[3]}) if it ignores that. Each reports {@link
   *       RunEvent.ElementStarted} and {@link RunEvent.ElementEnded} between its node's start and
   *       end, a JFR event with its index, and a {@link Span} among its node's {@link
   *       Span#children() children}; {@link TaskContext#current()} gives its own time left,
   *       attempt and {@link TaskContext#element() index}.
   *   <li><b>Failure.</b> The first element that fails (after its retries and fallback) fails
   *       the node with a {@link FanOutException} naming its index, whose cause is what it
   *       threw; the running elements are interrupted and no more start. To keep every element's
   *       outcome instead, use {@link #forEachOutcome}.
   *   <li><b>Empty.</b> An empty list gives an empty list at once; a null one fails the node.
   *   <li><b>Limits.</b> {@link #maxConcurrency} and {@link #maxElements}.
   * </ul>
   *
   * @param <A> the type of the items
   * @param <R> the type of each element's value
   * @return the node's handle; its value is an immutable list, which may hold nulls
   * @throws InvalidGraphException if the builder is a forward declaration's ({@link
   *     GraphBuilder#node(Node)}): declare a fan-out where it is defined
   */
  public <A, R extends T> Node<List<R>> forEach(Dep<? extends List<? extends A>> items,
      Fn.F1<? super A, R> fn) {
    requireNonNull(items, "items");
    requireNonNull(fn, "fn");
    return fanOut(items, List.of(), (elements, i, item) -> fn.apply(cast(item)), false);
  }

  /**
   * Defines the node as a fan-out, like {@link #forEach(Dep, Fn.F1)}, that runs every element
   * whatever the others do: the node succeeds with one {@link Outcome} per item, in item order
   * (an element's fallback, if it has one, is a {@code Succeeded}). Only a cancellation of the
   * run stops its elements, and then the node is cancelled.
   *
   * @param <A> the type of the items
   * @param <R> the type of each element's value
   * @return the node's handle; its value is an immutable list
   */
  public <A, R extends T> Node<List<Outcome<R>>> forEachOutcome(
      Dep<? extends List<? extends A>> items, Fn.F1<? super A, R> fn) {
    requireNonNull(items, "items");
    requireNonNull(fn, "fn");
    return fanOut(items, List.of(), (elements, i, item) -> fn.apply(cast(item)), true);
  }

  /**
   * Defines the node as a fan-out, like {@link #forEach(Dep, Fn.F1)}, whose elements each run
   * the subgraph {@code template} once, its input {@code each} bound to the element's item.
   * Every element's inner run nests in the trace under that element.
   *
   * @param <A> the type of the items
   * @param <R> the type of each element's value
   * @return the node's handle
   * @throws InvalidGraphException if an input of the subgraph other than {@code each} is not
   *     bound
   * @throws IllegalArgumentException if {@code each} is not an input of the subgraph's graph
   */
  public <A, R extends T> Node<List<R>> forEach(Dep<? extends List<? extends A>> items,
      Input<A> each, Subgraph<R> template) {
    requireNonNull(items, "items");
    requireNonNull(each, "each");
    requireNonNull(template, "template");
    template.graph().vertex(each);
    checkBound(template, each);
    Node<List<R>> node = fanOut(items, template.dependencies(),
        (elements, i, item) -> template.invoke(elements, i, 1, each, item), false);
    graph.nests(node.index, template.graph());
    return node;
  }

  /**
   * Defines the node as a run of another graph, {@code subgraph}: its bound inputs are the node's
   * dependencies, and its output the node's value. See {@link Subgraph} for how the inner run
   * inherits the outer one's deadline, cancellation, failure mode, listeners and context. The
   * node's policies apply to it as a whole: each attempt is one inner run.
   *
   * @return the node's handle
   * @throws InvalidGraphException if an input of the subgraph is not bound
   */
  public <R extends T> Node<R> subgraph(Subgraph<R> subgraph) {
    requireNonNull(subgraph, "subgraph");
    if (hedge != null) {
      throw new InvalidGraphException(graph.name(), List.of(name), "node '" + name
          + "' of graph '" + graph.name() + "' runs a subgraph and is hedged: hedge the nodes "
          + "inside the subgraph that call downstreams instead");
    }
    checkBound(subgraph, null);
    Node<R> node = define(subgraph.dependencies(),
        (run, v) -> subgraph.invoke(run.attempts(), v, 0, null, null));
    graph.nests(node.index, subgraph.graph());
    return node;
  }

  private void checkBound(Subgraph<?> subgraph, Input<?> each) {
    for (var dep : subgraph.dependencies()) {
      var owner = dep.node().owner;
      if (owner != graph) {
        throw new InvalidGraphException(graph.name(), List.of(name), "node '" + name
            + "' of graph '" + graph.name() + "' runs " + subgraph + ", which is bound to node '"
            + dep.node().name() + "' of graph '" + owner.name() + "'; share the unbound "
            + "Subgraph and bind it in each graph to that graph's nodes");
      }
    }
    var missing = subgraph.unbound(each);
    if (!missing.isEmpty()) {
      throw new InvalidGraphException(graph.name(), List.of(name), "node '" + name + "' of graph '"
          + graph.name() + "' runs graph '" + subgraph.graph().name() + "' without binding its "
          + (missing.size() == 1 ? "input '" : "inputs '") + String.join("', '", missing) + "'");
    }
  }

  @SuppressWarnings("unchecked")
  private static <A> A cast(Object item) {
    return (A) item;
  }

  private <R> Node<R> fanOut(Dep<?> items, List<Dep<?>> more, Elements.Template template,
      boolean collect) {
    if (declared != null) {
      throw new InvalidGraphException(graph.name(), List.of(name), "node '" + name + "' of graph '"
          + graph.name() + "' is a forward declaration; a fan-out is defined where it is "
          + "declared: g.node(\"" + name + "\").forEach(...)");
    }
    var policies = hasPolicies() ? new Guard(name, null, policies()) : null;
    var deps = new ArrayList<Dep<?>>();
    deps.add(items);
    deps.addAll(more);
    String source = items.node().name();
    int limit = maxElements;
    int lanes = maxConcurrency;
    boolean sequential = inline;
    Invoker invoker = (run, v) -> {
      var value = run.arg(v, 0);
      if (!(value instanceof List<?> list)) {
        throw value == null
            ? new NullPointerException("node '" + name + "' fans out over '" + source
                + "', whose value is null; give it a list (an empty one for no elements)")
            : new IllegalArgumentException("node '" + name + "' fans out over '" + source
                + "', whose value is a " + value.getClass().getName() + ", not a List");
      }
      if (list.size() > limit) {
        throw new IllegalArgumentException("node '" + name + "' got " + list.size()
            + " items from '" + source + "', more than its maxElements of " + limit);
      }
      return Elements.run(run, v, list, lanes, sequential, template, policies, collect,
          (i, error) -> new FanOutException(name, i, error));
    };
    return define(deps, invoker, true);
  }

  private boolean hasPolicies() {
    return timeoutNanos > 0 || retry != null || breaker != null || bulkhead != null
        || fallback != null || hedge != null || budget != null || skipWhenLate;
  }

  // the node's recent latencies, shared by all its runs: what hedges and skipWhenLate read
  private LatencyHistogram history;

  private Guard.Policies policies() {
    if ((hedge != null || skipWhenLate) && history == null) {
      history = new LatencyHistogram(Guard.HISTORY_WINDOW_NANOS);
    }
    return new Guard.Policies(timeoutNanos, retry, breaker, bulkhead, fallback, hedge, budget,
        history);
  }

  /**
   * Defines the node with a body that has no value dependencies.
   *
   * @return the node's handle
   */
  public <R extends T> Node<R> call(Callable<R> fn) {
    requireNonNull(fn, "fn");
    return define(List.of(), (run, v) -> fn.call());
  }

  /**
   * Defines the node with one value dependency.
   *
   * @return the node's handle
   */
  @SuppressWarnings("unchecked")
  public <A, R extends T> Node<R> call(Dep<A> a, Fn.F1<? super A, R> fn) {
    requireNonNull(a, "a");
    requireNonNull(fn, "fn");
    return define(List.of(a), (run, v) -> fn.apply((A) run.arg(v, 0)));
  }

  /**
   * Defines the node with two value dependencies.
   *
   * @return the node's handle
   */
  @SuppressWarnings("unchecked")
  public <A, B, R extends T> Node<R> call(Dep<A> a, Dep<B> b,
      Fn.F2<? super A, ? super B, R> fn) {
    requireNonNull(a, "a");
    requireNonNull(b, "b");
    requireNonNull(fn, "fn");
    return define(List.of(a, b), (run, v) -> fn.apply((A) run.arg(v, 0), (B) run.arg(v, 1)));
  }

  /**
   * Defines the node with three value dependencies.
   *
   * @return the node's handle
   */
  @SuppressWarnings("unchecked")
  public <A, B, C, R extends T> Node<R> call(Dep<A> a, Dep<B> b, Dep<C> c,
      Fn.F3<? super A, ? super B, ? super C, R> fn) {
    requireNonNull(a, "a");
    requireNonNull(b, "b");
    requireNonNull(c, "c");
    requireNonNull(fn, "fn");
    return define(List.of(a, b, c),
        (run, v) -> fn.apply((A) run.arg(v, 0), (B) run.arg(v, 1), (C) run.arg(v, 2)));
  }

  /**
   * Defines the node with four value dependencies.
   *
   * @return the node's handle
   */
  @SuppressWarnings("unchecked")
  public <A, B, C, D, R extends T> Node<R> call(Dep<A> a, Dep<B> b, Dep<C> c, Dep<D> d,
      Fn.F4<? super A, ? super B, ? super C, ? super D, R> fn) {
    requireNonNull(a, "a");
    requireNonNull(b, "b");
    requireNonNull(c, "c");
    requireNonNull(d, "d");
    requireNonNull(fn, "fn");
    return define(List.of(a, b, c, d), (run, v) -> fn.apply((A) run.arg(v, 0),
        (B) run.arg(v, 1), (C) run.arg(v, 2), (D) run.arg(v, 3)));
  }

  /**
   * Defines the node with any number of value dependencies, read in the body with {@link
   * TaskContext#get(Dep)}; reading one not listed here fails the task with a message naming both.
   *
   * @return the node's handle
   */
  public <R extends T> Node<R> call(List<? extends Dep<?>> deps, Fn.N<R> fn) {
    requireNonNull(deps, "deps");
    requireNonNull(fn, "fn");
    for (var dep : deps) {
      requireNonNull(dep, "deps[]");
    }
    var owner = graph;
    return define(List.copyOf(deps), (run, v) -> fn.apply(new TaskContext(owner, run, v)));
  }

  private <R> Node<R> define(List<? extends Dep<?>> values, Invoker invoker) {
    return define(values, invoker, false);
  }

  @SuppressWarnings("unchecked")
  private <R> Node<R> define(List<? extends Dep<?>> values, Invoker invoker, boolean fanOut) {
    var plan = graph.plan();
    if (defined) {
      throw new InvalidGraphException(graph.name(), List.of(name),
          "node '" + name + "' of graph '" + graph.name() + "' is already defined");
    }
    if (fanOutLimits && !fanOut) {
      throw new InvalidGraphException(graph.name(), List.of(name), "node '" + name
          + "' of graph '" + graph.name() + "' sets maxConcurrency or maxElements, which only a "
          + "fan-out has: define it with forEach(...)");
    }
    if (hedge != null && inline) {
      throw new InvalidGraphException(graph.name(), List.of(name), "node '" + name
          + "' of graph '" + graph.name() + "' is inline() and hedged: an inline task must not "
          + "block, so there is nothing to hedge; drop one of them");
    }
    var order = new ArrayList<Dep<?>>(after);
    order.addAll(whenDeps);
    int n = values.size() + order.size();
    var deps = new int[n];
    var kinds = new EdgeKind[n];
    var fallbacks = new Object[n];
    for (int i = 0; i < n; i++) {
      boolean isValue = i < values.size();
      var dep = isValue ? values.get(i) : order.get(i - values.size());
      graph.check(dep.node());
      deps[i] = dep.node().index;
      var kind = Edge.kindOf(dep);
      kinds[i] = isValue ? kind : kind.asOrdering();
      fallbacks[i] = dep instanceof Edge<?> e ? e.fallback : null;
    }
    Node<?> node = declared != null ? declared : graph.declare(name);
    plan.define(node.index, deps, kinds, fallbacks, invoker);
    if (inline) {
      plan.inline(node.index);
    }
    if (hasPolicies() && !fanOut) { // a fan-out's policies are its elements'
      var policies = policies();
      plan.guard(node.index, body -> new Guard(name, body, policies));
    }
    if (skipWhenLate) {
      var recent = policies().history();
      plan.skippable(node.index);
      plan.condition(node.index, (run, v) -> Guard.inTime(recent, run));
    }
    for (int j = 0; j < whenDeps.size(); j++) {
      int position = values.size() + after.size() + j;
      var kind = Edge.kindOf(whenDeps.get(j));
      var test = whenTests.get(j);
      plan.condition(node.index, (run, v) -> test.test(run.value(v, position, kind)));
    }
    defined = true;
    return (Node<R>) node;
  }
}
