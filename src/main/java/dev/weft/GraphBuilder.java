package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.PlanBuilder;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Declares the nodes of a {@link Graph}. Obtained from {@link Graph#builder(String)}.
 *
 * <pre>{@code
 * var g = Graph.builder("listing-page");
 * Input<Long> id = g.input("listingId", Long.class);
 * Node<Listing> listing = g.task("listing", id, listings::fetch);
 * Node<User> host = g.task("host", listing, l -> users.fetch(l.hostId()));
 * Node<Page> page = g.task("page", listing, host, Page::new);
 * Graph graph = g.build();
 * }</pre>
 *
 * <p>{@code task(...)} declares and defines a node at once. To let separate parts of a service
 * contribute nodes in any order, {@link #declare(String)} a node first and define it later with
 * {@link #node(Node)}; {@link #node(String)} also gives access to ordering-only dependencies
 * ({@link NodeBuilder#after}) and to every policy of a node: timeout, retry, circuit breaker,
 * bulkhead, fallback ({@link NodeBuilder}).
 *
 * <h2>Failure</h2>
 * Mistakes fail at the earliest point with {@link InvalidGraphException} naming the node: a
 * duplicate name or a node of another graph when it is used; an undefined declaration or a cycle
 * ({@code a -> b -> c -> a}) at {@link #build()}. Null arguments throw {@code
 * NullPointerException}. Validation is O(V+E) and does not recurse.
 *
 * <h2>Thread-safety</h2>
 * Not thread-safe: declare a graph from one thread (or synchronize externally). The built {@link
 * Graph} is immutable and thread-safe; after {@link #build()} this builder refuses changes.
 */
public final class GraphBuilder {
  private final String name;
  private PlanBuilder plan;
  private RunOptions options = RunOptions.defaults();
  private boolean refuseUnreachable;
  private final List<Input<?>> inputs = new ArrayList<>(); // in declaration order
  // per node that runs another graph (subgraph node, or fan-out of a subgraph), that graph
  private final Map<Integer, Graph> nested = new HashMap<>();

  GraphBuilder(String name) {
    this.name = name;
    this.plan = new PlanBuilder(name, this);
  }

  /** {@return the graph's name} */
  public String name() {
    return name;
  }

  /**
   * Declares an input: a value bound per run with {@link Inputs}. A run whose value is not an
   * instance of {@code type} is refused before any task starts.
   *
   * @return the input's handle
   */
  public <T> Input<T> input(String name, Class<T> type) {
    requireNonNull(name, "name");
    requireNonNull(type, "type");
    // int.class and friends: values arrive boxed, so check against the wrapper
    var checked = type.isPrimitive() ? MethodType.methodType(type).wrap().returnType() : type;
    var input = new Input<T>(this, plan().declare(name, true, checked), name, checked);
    inputs.add(input);
    return input;
  }

  /**
   * Declares an input whose type is checked by the compiler only, for generic types such as
   * {@code Input<List<Long>> ids = g.input("ids")}.
   *
   * @return the input's handle
   */
  public <T> Input<T> input(String name) {
    return input(name, Object.class).unchecked();
  }

  /**
   * Declares a node to be defined later with {@link #node(Node)}, possibly by another part of the
   * program; its type comes from the assignment, {@code Node<Quote> price = g.declare("price")},
   * or where there is none from a type argument, {@code g.<Quote>declare("price")}. The type is
   * the compiler's only: the body given to {@code node(price).call(...)} must produce it. {@link
   * #build()} fails if the node was never defined.
   *
   * @return the node's handle, usable as a dependency right away
   */
  public <T> Node<T> declare(String name) {
    requireNonNull(name, "name");
    return new Node<>(this, plan().declare(name, false, null), name);
  }

  /**
   * Starts declaring a new node: give it ordering dependencies and policies (timeout, retry,
   * circuit breaker, bulkhead, fallback), then define it with one of the {@code call} methods. The
   * name is checked now; the node exists once {@code call} succeeds.
   *
   * @return the node's builder
   */
  public NodeBuilder<Object> node(String name) {
    requireNonNull(name, "name");
    plan().checkFree(name);
    return new NodeBuilder<>(this, name);
  }

  /** Like {@link #node(String)}, for the {@code task} shorthands, which define at once. */
  private NodeBuilder<Object> task(String name) {
    requireNonNull(name, "name");
    plan();
    return new NodeBuilder<>(this, name); // the name is checked once, when it is declared
  }

  /**
   * Returns a builder that defines a node declared earlier with {@link #declare(String)}; its body
   * must produce the declared type.
   *
   * @return the node's builder
   */
  public <T> NodeBuilder<T> node(Node<T> declared) {
    requireNonNull(declared, "declared");
    var plan = plan();
    check(declared);
    if (declared instanceof Input<?>) {
      throw new InvalidGraphException(name, List.of(declared.name()), "'" + declared.name()
          + "' is an input of graph '" + name + "'; inputs are bound per run, not defined");
    }
    if (plan.isDefined(declared.index)) {
      throw new InvalidGraphException(name, List.of(declared.name()),
          "node '" + declared.name() + "' of graph '" + name + "' is already defined");
    }
    return new NodeBuilder<>(this, declared);
  }

  /**
   * Declares and defines a task without dependencies.
   *
   * @return the node's handle
   */
  public <R> Node<R> task(String name, Callable<R> fn) {
    return task(name).call(fn);
  }

  /**
   * Declares and defines a task with one dependency.
   *
   * @return the node's handle
   */
  public <A, R> Node<R> task(String name, Dep<A> a, Fn.F1<? super A, R> fn) {
    return task(name).call(a, fn);
  }

  /**
   * Declares and defines a task with two dependencies.
   *
   * @return the node's handle
   */
  public <A, B, R> Node<R> task(String name, Dep<A> a, Dep<B> b,
      Fn.F2<? super A, ? super B, R> fn) {
    return task(name).call(a, b, fn);
  }

  /**
   * Declares and defines a task with three dependencies.
   *
   * @return the node's handle
   */
  public <A, B, C, R> Node<R> task(String name, Dep<A> a, Dep<B> b, Dep<C> c,
      Fn.F3<? super A, ? super B, ? super C, R> fn) {
    return task(name).call(a, b, c, fn);
  }

  /**
   * Declares and defines a task with four dependencies.
   *
   * @return the node's handle
   */
  public <A, B, C, D, R> Node<R> task(String name, Dep<A> a, Dep<B> b, Dep<C> c, Dep<D> d,
      Fn.F4<? super A, ? super B, ? super C, ? super D, R> fn) {
    return task(name).call(a, b, c, d, fn);
  }

  /**
   * Declares and defines a task with any number of dependencies; the body reads them with {@link
   * TaskContext#get(Dep)}.
   *
   * @return the node's handle
   */
  public <R> Node<R> task(String name, List<? extends Dep<?>> deps, Fn.N<R> fn) {
    return task(name).call(deps, fn);
  }

  /**
   * Declares and defines a fan-out: one element task per item of the list {@code items} yields,
   * the node's value their values in item order. Shorthand for {@code
   * node(name).forEach(items, fn)}; see {@link NodeBuilder#forEach(Dep, Fn.F1)}, and {@link
   * #node(String)} for per-element policies and limits.
   *
   * @return the node's handle
   */
  public <A, R> Node<List<R>> forEach(String name, Dep<? extends List<? extends A>> items,
      Fn.F1<? super A, R> fn) {
    return task(name).forEach(items, fn);
  }

  /**
   * Declares and defines a node that runs another graph; shorthand for {@code
   * node(name).subgraph(subgraph)}, see {@link NodeBuilder#subgraph(Subgraph)}.
   *
   * @return the node's handle
   */
  public <R> Node<R> subgraph(String name, Subgraph<R> subgraph) {
    return task(name).subgraph(subgraph);
  }

  /**
   * Sets the graph's default run options (failure mode, executor); a run may pass others.
   *
   * @return this builder
   */
  public GraphBuilder options(RunOptions options) {
    requireNonNull(options, "options");
    plan();
    this.options = options;
    return this;
  }

  /**
   * Refuses, at its start, a run whose deadline is shorter than the graph's recent median run
   * time: {@code run} and {@code runAsync} throw {@link DeadlineUnreachableException} and start
   * nothing, rather than spend downstream capacity on a page that cannot make it. The median is
   * of the graph's runs that succeeded in the last 10 to 20 seconds (at least 20 of them; until
   * then every run starts), measured on each run's scheduler. Runs without a deadline always
   * start. Opt-in; off by default.
   *
   * @return this builder
   */
  public GraphBuilder refuseUnreachableDeadlines() {
    plan();
    this.refuseUnreachable = true;
    return this;
  }

  /**
   * Runs of this graph read the clock once per run instead of once or twice per task. A clock
   * read cost about 40 ns on the 2-core test machine (a virtual machine), most of what a cheap
   * {@linkplain NodeBuilder#inline() inline} task costs: see BENCHMARKS.md. Off by default.
   *
   * <p>The trade: every span of a run starts, waits and ends at the run's start, so {@link
   * RunResult#spans()}, {@link RunResult#trace()}, its exports and its critical path still show
   * every task's outcome, attempts, thread and nesting, but no time; and every event about a
   * task a listener gets (readiness, attempts, retries, hedges, end) carries that same time,
   * {@code at} 0. What keeps its own clock is unchanged:
   * {@link RunResult#elapsed()}, the run's deadline, timeouts, retries' back-off, hedges'
   * delays and latency history, breakers' slow calls, {@link NodeBuilder#skipWhenLate()},
   * {@link #refuseUnreachableDeadlines()} and the JFR events. Subgraphs take their own graph's
   * setting.
   *
   * @return this builder
   */
  public GraphBuilder withoutTaskTimes() {
    plan().untimed();
    return this;
  }

  boolean refusesUnreachableDeadlines() {
    return refuseUnreachable;
  }

  /**
   * Validates the graph and builds it. Afterwards this builder refuses every change.
   *
   * @return the immutable, thread-safe graph
   * @throws InvalidGraphException if a declared node was never defined, or the graph has a cycle
   */
  public Graph build() {
    var compiled = plan().compile();
    this.plan = null;
    return new Graph(name, this, compiled, options);
  }

  /** Records that node {@code vertex} runs {@code inner}, for the trace's critical path. */
  void nests(int vertex, Graph inner) {
    nested.put(vertex, inner);
  }

  /** {@return per node that runs another graph, that graph} */
  Map<Integer, Graph> nested() {
    return Map.copyOf(nested);
  }

  /** {@return the inputs declared so far, in declaration order} */
  List<Input<?>> inputs() {
    return List.copyOf(inputs);
  }

  PlanBuilder plan() {
    if (plan == null) {
      throw new IllegalStateException("graph '" + name + "' is already built; its builder cannot "
          + "change it");
    }
    return plan;
  }

  /** Checks that {@code node} belongs to this builder. */
  void check(Node<?> node) {
    if (node.owner != this) {
      throw new InvalidGraphException(name, List.of(node.name()), "node '" + node.name()
          + "' belongs to graph '" + node.owner.name + "', not to graph '" + name + "'");
    }
  }
}
