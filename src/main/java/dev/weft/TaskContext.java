package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Attempts;
import dev.weft.internal.EdgeKind;
import dev.weft.internal.Run;
import java.time.Duration;

/**
 * What a task sees of its run: its dependencies' values, its time budget, its attempt, and who it
 * is. Tasks with any number of dependencies ({@link Fn.N}) receive it as their parameter; every
 * task, typed ones included, can ask for it with {@link #current()} on its own thread:
 *
 * <pre>{@code
 * Node<Page> page = g.task("page", List.of(listing, host, reviews.orElse(List.of())),
 *     ctx -> new Page(ctx.get(listing), ctx.get(host), ctx.get(reviews.orElse(List.of()))));
 * Node<Quote> price = g.task("price", listing,
 *     l -> pricing.quote(l, TaskContext.current().remaining()));   // pass the budget on
 * }</pre>
 *
 * <p>Valid only during the task's execution, on any thread the task hands it to; not meant to be
 * kept. Reading a node the task did not declare throws {@link IllegalArgumentException} naming
 * both nodes, which fails the task.
 *
 * <p>Safe to use from any thread while the task runs (it only reads ended dependencies).
 */
public final class TaskContext {
  private static final Duration MAX = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

  private final GraphBuilder owner;
  private final Run<?> run;
  private final int vertex;
  // the task's table and key: the run's vertices (key == vertex), or a fan-out's elements
  private final Attempts site;
  private final int key;

  TaskContext(GraphBuilder owner, Run<?> run, int vertex) {
    this(owner, run.attempts(), vertex);
  }

  TaskContext(GraphBuilder owner, Attempts site, int key) {
    this.owner = owner;
    this.run = site.run();
    this.site = site;
    this.key = key;
    this.vertex = site.owner(key);
  }

  /**
   * {@return the context of the task running on this thread, in whatever form it was declared}
   * Typed tasks use it to pass their budget on: {@code g.task("price", listing, l ->
   * pricing.quote(l, TaskContext.current().remaining()))}. Valid on the task's own thread while
   * its attempt runs; hand the returned context to other threads if the task needs it there.
   *
   * @throws IllegalStateException if no Weft task runs on this thread
   */
  public static TaskContext current() {
    var run = Run.currentRun();
    if (run == null) {
      throw new IllegalStateException("TaskContext.current() was called outside a Weft task: "
          + "call it on the thread of a running task (capture it there for other threads)");
    }
    return new TaskContext((GraphBuilder) run.plan().owner(), Run.currentSite(),
        Run.currentKey());
  }

  /**
   * {@return the value of a declared dependency, read the way {@code dep} says} A plain node
   * yields its value ({@link NodeException} if it did not succeed, which can only happen when it
   * was declared optional); {@code node.orElse(x)} yields the value or {@code x}; {@code
   * node.optional()} an {@code Optional}.
   *
   * @throws IllegalArgumentException if the node is not a declared value dependency of this task
   */
  @SuppressWarnings("unchecked")
  public <T> T get(Dep<T> dep) {
    requireNonNull(dep, "dep");
    var up = dep.node();
    var plan = run.plan();
    if (up.owner != owner) {
      throw new IllegalArgumentException("node '" + node() + "' asked for '" + up.name()
          + "' of graph '" + up.owner.name() + "', not of its own graph '" + graph() + "'");
    }
    int edge = plan.findDep(vertex, up.index);
    if (edge < 0) {
      throw new IllegalArgumentException("node '" + node() + "' did not declare a dependency on '"
          + up.name() + "'; it declared " + plan.dependencyNames(vertex));
    }
    if (plan.edgeKind(edge).orderingOnly()) {
      throw new IllegalArgumentException("node '" + node() + "' declared '" + up.name()
          + "' with after(), which orders without passing a value; list it among the node's "
          + "dependencies to read it");
    }
    var kind = Edge.kindOf(dep);
    boolean ok = run.readout().status(up.index) == Outcome.Status.SUCCEEDED;
    if (kind == EdgeKind.REQUIRED && !ok) {
      throw new NodeException(run.readout().outcome(up.index));
    }
    if (kind == EdgeKind.OR_ELSE && !ok) {
      return (T) ((Edge<?>) dep).fallback;
    }
    return (T) run.resolve(edge, kind);
  }

  /**
   * {@return the time this attempt has left: until its {@link NodeBuilder#timeout timeout} or the
   * run's {@link RunOptions#withDeadline deadline}, whichever is nearer; pass it on to the
   * downstream call} Negative once passed; the largest {@code Duration} when neither is set.
   */
  public Duration remaining() {
    long nanos = site.remainingNanos(key);
    return nanos == Long.MAX_VALUE ? MAX : Duration.ofNanos(nanos);
  }

  /** {@return the attempt running now: 1 for the first, 2 for the first retry, ...} */
  public int attempt() {
    return site.current(key);
  }

  /**
   * {@return which of its hedged attempts this is ({@link NodeBuilder#hedge}): 0 for the first
   * (and for a task that is not hedged), 1, 2, ... for the hedges} A downstream call can carry it
   * as a "hedge" flag, so the service can tell duplicates from load.
   */
  public int hedge() {
    return site.hedge(key);
  }

  /**
   * {@return the index of the fan-out element this task runs, in its node's list ({@link
   * NodeBuilder#forEach}); -1 when the task is a node's own}
   */
  public int element() {
    return site.element(key);
  }

  /** {@return the name of the node this task computes} */
  public String node() {
    return run.plan().name(vertex);
  }

  /** {@return the name of the graph} */
  public String graph() {
    return run.plan().graph();
  }

  /** {@return the id of the run, unique within this JVM} */
  public long runId() {
    return run.id();
  }

  @Override
  public String toString() {
    return "TaskContext[node=" + node() + (element() < 0 ? "" : "[" + element() + "]")
        + ", graph=" + graph() + ", run=" + runId() + "]";
  }
}
