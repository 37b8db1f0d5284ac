package dev.weft.internal.trace;

import dev.weft.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One run laid over its graph's {@link Shape}: each task's {@link Span} by node index, the order
 * the tasks started in, and the critical path, computed once here on indices for every export to
 * use. Immutable and thread-safe.
 *
 * <h2>Critical path</h2>
 * It ends with the task that ended last, and before each task comes the dependency that ended
 * last; inputs have no span and are never on it. Ties go to the task that started first (then to
 * the one declared first) for the last task, and to the dependency declared first for each step
 * before it. Computing it visits each node and each edge at most once.
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

  private Timeline(Shape shape, long runId, Duration elapsed, Span[] spans) {
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
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(elapsed, "elapsed");
    if (spans.length != shape.size()) {
      throw new IllegalArgumentException(spans.length + " spans for the " + shape.size()
          + " nodes of graph '" + shape.graph() + "'");
    }
    return new Timeline(shape, runId, elapsed, spans.clone());
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

  /** {@return the critical path's spans, first task first} */
  public List<Span> criticalPath() {
    var list = new ArrayList<Span>(path.length);
    for (int v : path) {
      list.add(spans[v]);
    }
    return List.copyOf(list);
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
}
