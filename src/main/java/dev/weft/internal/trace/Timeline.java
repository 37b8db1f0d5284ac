package dev.weft.internal.trace;

import dev.weft.Batch;
import dev.weft.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One run laid over its graph's {@link Shape}: each task's {@link Span} by node index, the order
 * the tasks started in, the critical path, and the run's batch calls ({@link Calls}), computed
 * once here on indices for every export to use. Immutable and thread-safe.
 *
 * <h2>Critical path</h2>
 * It ends with the task that ended last, and before each task comes the dependency that ended
 * last; inputs have no span and are never on it. Ties go to the task that started first (then to
 * the one declared first) for the last task, and to the dependency declared first for each step
 * before it. Computing it visits each node and each edge at most once.
 *
 * <p>It then descends: after each step whose span has {@link Span#children() children} come the
 * steps inside it, recursively. Inside a fan-out, the element that ended last (ties to the lower
 * index); inside a subgraph, the inner run's own critical path, computed by the same rule on the
 * inner graph's {@link Shape#inner shape}. Without that shape (a timeline built by hand), each
 * step inside is preceded by the task that ended last no later than the step became ready. These
 * {@link #steps() steps} are what the API calls the critical path; the top-level ones alone give
 * {@link #pathNanos()}, since the steps inside a task take place within its time.
 */
public final class Timeline {
  private final Shape shape;
  private final long runId;
  private final Duration elapsed;
  private final Span[] spans; // by node index; null for inputs
  private final int[] order; // task indices in the order they started
  private final int[] path; // node indices of the critical path, first task first
  private final int[] position; // per node, its index in path, or -1
  private final long pathNanos; // the steps' time from ready to end, added up
  private final List<Step> steps; // the critical path descended into children
  private final Set<Span> inside; // the spans of steps inside a task, by identity
  private final Calls calls; // the run's batch calls

  private Timeline(Shape shape, long runId, Duration elapsed, Span[] spans, List<Batch> batches) {
    this.shape = shape;
    this.runId = runId;
    this.elapsed = elapsed;
    this.spans = spans;
    this.order = startOrder(spans);
    this.path = criticalPath(shape, spans);
    this.position = new int[spans.length];
    Arrays.fill(position, -1);
    long nanos = 0;
    for (int i = 0; i < path.length; i++) {
      position[path[i]] = i;
      nanos += spans[path[i]].ended().toNanos() - spans[path[i]].ready().toNanos();
    }
    this.pathNanos = nanos;
    var all = new ArrayList<Step>(path.length);
    this.inside = Collections.newSetFromMap(new IdentityHashMap<>());
    for (int v : path) {
      all.add(new Step(spans[v], spans[v].label(), 0));
      descend(spans[v], shape.inner(v), "", 1, all);
    }
    this.steps = List.copyOf(all);
    this.calls = Calls.of(spans, batches);
  }

  /**
   * One step of the descended critical path.
   *
   * @param span the step's span
   * @param label its name as people read it: {@code page}, {@code photos[3]}, {@code host ›
   *     profile}, {@code photos[3] › resize}
   * @param depth 0 for a task of the run, 1 for a step inside one, and so on
   */
  public record Step(Span span, String label, int depth) {}

  /**
   * {@return what comes before the label of {@code child}, a child of {@code parent} whose label
   * has {@code prefix} before it} An element's label names its node already ({@code
   * photos[3]}); a subgraph's task is named after its node ({@code host › profile}).
   */
  public static String prefix(String prefix, Span parent, Span child) {
    // an element, or a hedged attempt, names its node itself: photos[3], search (hedge 1)
    return child.element() >= 0 || child.hedge() >= 0 ? prefix
        : prefix + parent.label() + " \u203a ";
  }

  /**
   * {@return a run's timeline}
   *
   * @param shape the shape of the run's graph
   * @param runId the run's id
   * @param elapsed how long the run took
   * @param spans per node of {@code shape}, the span of its task; null for inputs (copied)
   * @throws IllegalArgumentException if {@code spans} does not have one entry per node
   */
  public static Timeline of(Shape shape, long runId, Duration elapsed, Span[] spans) {
    return of(shape, runId, elapsed, spans, List.of());
  }

  /**
   * {@return a run's timeline with its batch calls}
   *
   * @param batches the run's calls of batch loaders, as {@code RunResult.batches()} has them
   * @see #of(Shape, long, Duration, Span[])
   */
  public static Timeline of(Shape shape, long runId, Duration elapsed, Span[] spans,
      List<Batch> batches) {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(elapsed, "elapsed");
    if (spans.length != shape.size()) {
      throw new IllegalArgumentException(spans.length + " spans for the " + shape.size()
          + " nodes of graph '" + shape.graph() + "'");
    }
    return new Timeline(shape, runId, elapsed, spans.clone(), List.copyOf(batches));
  }

  /** {@return the shape of the run's graph} */
  public Shape shape() {
    return shape;
  }

  /** {@return the run's id} */
  public long runId() {
    return runId;
  }

  /** {@return how long the run took} */
  public Duration elapsed() {
    return elapsed;
  }

  /** {@return the span of node {@code v}'s task; null if it is an input} */
  public Span span(int v) {
    return spans[v];
  }

  /** {@return the run's batch calls, with the spans that waited for them} */
  public Calls calls() {
    return calls;
  }

  /** {@return how many tasks ran or were meant to: one span each} */
  public int taskCount() {
    return order.length;
  }

  /** {@return the index of the {@code i}-th task to start} */
  public int started(int i) {
    return order[i];
  }

  /** {@return every task's span, in the order they started} */
  public List<Span> spans() {
    var list = new ArrayList<Span>(order.length);
    for (int v : order) {
      list.add(spans[v]);
    }
    return Collections.unmodifiableList(list);
  }

  /** {@return how many tasks the critical path has; 0 for a run without tasks} */
  public int pathLength() {
    return path.length;
  }

  /** {@return the index of the critical path's {@code i}-th task, first task first} */
  public int pathNode(int i) {
    return path[i];
  }

  /**
   * {@return the critical path's length in nanoseconds: its steps' times from ready to end, added
   * up} It is the run's length less the gaps between a dependency's end and its dependent's
   * readiness.
   */
  public long pathNanos() {
    return pathNanos;
  }

  /** {@return the spans of the {@link #steps() steps}, first step first} */
  public List<Span> criticalPath() {
    var list = new ArrayList<Span>(steps.size());
    for (var step : steps) {
      list.add(step.span());
    }
    return List.copyOf(list);
  }

  /** {@return the critical path descended into what ran inside its steps, first step first} */
  public List<Step> steps() {
    return steps;
  }

  /** {@return whether {@code child}, a span inside a task, is a step of the critical path} */
  public boolean critical(Span child) {
    return inside.contains(child);
  }

  /** {@return whether node {@code v} is on the critical path} */
  public boolean critical(int v) {
    return position[v] >= 0;
  }

  /** {@return whether the edge from {@code from} to {@code to} joins two consecutive steps} */
  public boolean critical(int from, int to) {
    return position[to] > 0 && path[position[to] - 1] == from;
  }

  /** {@return the tasks' indices sorted by start, ties in declaration order} */
  private static int[] startOrder(Span[] spans) {
    var tasks = new ArrayList<Integer>(spans.length);
    for (int v = 0; v < spans.length; v++) {
      if (spans[v] != null) {
        tasks.add(v);
      }
    }
    tasks.sort(Comparator.comparing(v -> spans[v].started())); // stable
    return tasks.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int[] criticalPath(Shape shape, Span[] spans) {
    int last = -1;
    for (int v = 0; v < spans.length; v++) {
      if (spans[v] != null && (last < 0 || endsLater(spans[v], spans[last]))) {
        last = v;
      }
    }
    var path = new ArrayList<Integer>();
    for (int step = last; step >= 0; ) {
      path.add(step);
      int before = -1;
      for (int k = 0; k < shape.dependencyCount(step); k++) {
        int d = shape.dependency(step, k);
        if (spans[d] != null && (before < 0
            || spans[d].ended().compareTo(spans[before].ended()) > 0)) {
          before = d;
        }
      }
      step = before;
    }
    Collections.reverse(path);
    return path.stream().mapToInt(Integer::intValue).toArray();
  }

  /** {@return whether {@code a} ended after {@code b}, or with it but started before it} */
  private static boolean endsLater(Span a, Span b) {
    int c = a.ended().compareTo(b.ended());
    return c > 0 || c == 0 && a.started().compareTo(b.started()) < 0;
  }

  /**
   * Appends the steps inside {@code s}, whose label has {@code prefix} before it, recursively.
   *
   * @param runs the shape of the graph {@code s} runs, or null if unknown
   */
  private void descend(Span s, Shape runs, String prefix, int depth, List<Step> out) {
    var children = s.children();
    if (children.isEmpty()) {
      return;
    }
    if (children.getFirst().hedge() >= 0) { // hedged attempts: the path goes through the winner
      Span through = null;
      for (var a : children) {
        boolean won = a.outcome().status() == dev.weft.Outcome.Status.SUCCEEDED;
        boolean throughWon = through != null
            && through.outcome().status() == dev.weft.Outcome.Status.SUCCEEDED;
        if (through == null || won && (!throughWon || a.ended().compareTo(through.ended()) < 0)
            || !won && !throughWon && endsLater(a, through)) {
          through = a;
        }
      }
      step(through, prefix(prefix, s, through), depth, out);
      return;
    }
    if (children.getFirst().element() >= 0) { // a fan-out: each element runs what s runs
      Span last = null;
      for (var e : children) {
        if (last == null || endsLater(e, last)) {
          last = e;
        }
      }
      var p = prefix(prefix, s, last);
      step(last, p, depth, out);
      descend(last, runs, p, depth + 1, out);
      return;
    }
    int[] at = runs == null ? null : vertices(runs, children);
    List<Span> chain;
    if (at == null) {
      chain = byReadiness(children);
    } else {
      var byVertex = new Span[runs.size()];
      for (int i = 0; i < at.length; i++) {
        byVertex[at[i]] = children.get(i);
      }
      chain = new ArrayList<>();
      for (int v : criticalPath(runs, byVertex)) {
        chain.add(byVertex[v]);
      }
    }
    for (var c : chain) {
      var p = prefix(prefix, s, c);
      step(c, p, depth, out);
      int v = runs == null ? -1 : runs.indexOf(c.node());
      descend(c, at == null || v < 0 ? null : runs.inner(v), p, depth + 1, out);
    }
  }

  private void step(Span s, String prefix, int depth, List<Step> out) {
    out.add(new Step(s, prefix + s.label(), depth));
    inside.add(s);
  }

  /** {@return per child, its task's index in {@code runs}; null if they do not match} */
  private static int[] vertices(Shape runs, List<Span> children) {
    var at = new int[children.size()];
    var seen = new boolean[runs.size()];
    for (int i = 0; i < at.length; i++) {
      int v = runs.indexOf(children.get(i).node());
      if (v < 0 || runs.isInput(v) || seen[v]) {
        return null;
      }
      seen[v] = true;
      at[i] = v;
    }
    return at;
  }

  /**
   * {@return the critical chain of tasks without their graph: it ends with the one that ended
   * last, and before each comes the one that ended last no later than it became ready}
   */
  private static List<Span> byReadiness(List<Span> tasks) {
    var sorted = new ArrayList<>(tasks);
    sorted.sort(Comparator.comparing(Span::ended)); // stable: ties stay in start order
    var chain = new ArrayList<Span>();
    int at = sorted.size() - 1;
    while (at > 0 && sorted.get(at - 1).ended().equals(sorted.get(at).ended())) {
      at--; // of those that ended last, the one that started first
    }
    while (at >= 0) {
      var step = sorted.get(at);
      chain.add(step);
      int lo = 0;
      int hi = at; // the last of sorted[0, at) that ended no later than step became ready
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (sorted.get(mid).ended().compareTo(step.ready()) <= 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      at = lo - 1;
    }
    Collections.reverse(chain);
    return chain;
  }
}
