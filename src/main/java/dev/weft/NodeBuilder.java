package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Check;
import dev.weft.internal.EdgeKind;
import dev.weft.internal.Invoker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

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
  private boolean inline;

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

  @SuppressWarnings("unchecked")
  private <R> Node<R> define(List<? extends Dep<?>> values, Invoker invoker) {
    var plan = graph.plan();
    if (defined) {
      throw new InvalidGraphException(graph.name(), List.of(name),
          "node '" + name + "' of graph '" + graph.name() + "' is already defined");
    }
    int n = values.size() + after.size();
    var deps = new int[n];
    var kinds = new EdgeKind[n];
    var fallbacks = new Object[n];
    for (int i = 0; i < n; i++) {
      boolean isValue = i < values.size();
      var dep = isValue ? values.get(i) : after.get(i - values.size());
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
    if (timeoutNanos > 0 || retry != null || breaker != null || bulkhead != null
        || fallback != null) {
      var policies = new Guard.Policies(timeoutNanos, retry, breaker, bulkhead, fallback);
      plan.guard(node.index, body -> new Guard(name, body, policies));
    }
    defined = true;
    return (Node<R>) node;
  }
}
