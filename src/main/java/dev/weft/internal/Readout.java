package dev.weft.internal;

import static dev.weft.internal.Run.FAILED;
import static dev.weft.internal.Run.INTS;
import static dev.weft.internal.Run.SUCCEEDED;

import dev.weft.Outcome;
import dev.weft.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What crosses from one run to the API, typed: each node's {@link Outcome.Status}, value,
 * {@link Outcome} and {@link Span}, and the run's timings. Read by tasks (about their ended
 * dependencies), by listeners (about the node an event is for) and by the result once the run
 * has ended; every read is of ended nodes, whose state no longer changes. Thread-safe.
 */
public final class Readout {
  private static final Outcome.Status[] STATUS = Outcome.Status.values();

  private final Run<?> run;

  Readout(Run<?> run) {
    this.run = run;
  }

  /** {@return how {@code vertex} ended; it must have ended} */
  public Outcome.Status status(int vertex) {
    int s = (int) INTS.getVolatile(run.state, vertex);
    if (s < SUCCEEDED) {
      throw new IllegalStateException("node '" + run.plan.names[vertex] + "' has not ended");
    }
    return STATUS[s - SUCCEEDED];
  }

  /** {@return the value of {@code vertex}, which succeeded} */
  public Object value(int vertex) {
    return run.slot[vertex];
  }

  /** {@return the outcome of {@code vertex}, which has ended} */
  public Outcome<?> outcome(int vertex) {
    var name = run.plan.names[vertex];
    return switch (status(vertex)) {
      case SUCCEEDED -> new Outcome.Succeeded<>(name, run.slot[vertex]);
      case FAILED -> new Outcome.Failed<>(name, (Throwable) run.slot[vertex]);
      case SKIPPED -> {
        int root = (Integer) run.slot[vertex];
        yield new Outcome.Skipped<>(name, run.plan.names[root], (Throwable) run.slot[root]);
      }
      case CANCELLED -> new Outcome.Cancelled<>(name, cancelReason(vertex));
      case OMITTED -> new Outcome.Omitted<>(name, run.plan.names[(Integer) run.slot[vertex]]);
    };
  }

  private String cancelReason(int vertex) {
    var why = cancelText();
    return !run.cutOff.stragglers().containsKey(vertex) ? why : why + "; the task ignored the "
        + "interrupt and was cut off after " + Durations.text(Duration.ofNanos(CutOff.GRACE_NANOS));
  }

  /** {@return why the run was cancelled, as every cancelled task's reason says; it must be} */
  public String cancelText() {
    var cause = run.cancelled();
    if (cause == null) {
      return "the node was stopped";
    }
    return switch (cause) {
      case FAIL_FAST -> "the run failed fast after node '" + run.plan.names[run.failFastCause]
          + "' failed";
      case DEADLINE -> run.cutOff.deadlineNanos <= 0
          ? "the run's deadline had passed when it started"
          : "the run's deadline of " + Durations.text(Duration.ofNanos(run.cutOff.deadlineNanos))
              + " passed";
      case FAULT -> "a fault of its scheduler or of Weft stopped the run";
      case CALLER -> "the run was cancelled by its caller";
      case PARENT -> run.parentReason();
    };
  }

  /** {@return when {@code vertex} became ready, started and ended, and where it ran} */
  public Span span(int vertex) {
    return span(vertex, run.startNanos);
  }

  /**
   * {@return the span of {@code vertex}, its times since {@code origin} on the scheduler's clock,
   * with the spans of what ran inside it: its fan-out's elements, its subgraph's tasks}
   */
  Span span(int vertex, long origin) {
    var name = run.ranOnName[vertex]; // null if its task never started
    var thread = name == null ? null : run.threads[vertex];
    return new Span(run.plan.names[vertex], outcome(vertex), at(run.readyAt(vertex), origin),
        at(run.startAt[vertex], origin), at(run.endAt[vertex], origin),
        run.attempts.count(vertex), thread == null ? 0 : thread.threadId(),
        thread == null ? "" : name, -1, inside(run.attempts.child(vertex), origin));
  }

  /**
   * {@return the spans of what ran inside a task, {@code child}: a fan-out's elements, or a
   * subgraph's tasks once its run has ended} A run still going when its task was cut off was
   * detached from the task then ({@code Attempts.detach}), so the span does not change after its
   * NodeEnded carried it, nor after a result was handed out.
   */
  static List<Span> inside(Object child, long origin) {
    if (child instanceof Elements elements) {
      return elements.spans(origin);
    }
    if (child instanceof Hedges hedges) {
      return hedges.spans(origin);
    }
    // A run still going when its task was cut off was detached from it then (Attempts.detach),
    // so what a span shows is fixed when its task ends: in its NodeEnded event and ever after.
    if (child instanceof Run<?> inner && inner.done) {
      return inner.readout().spans(origin);
    }
    return List.of();
  }

  /** {@return the spans of every task, in the order they started, times since {@code origin}} */
  List<Span> spans(long origin) {
    var spans = new ArrayList<Span>(run.plan.taskCount);
    for (int v = 0; v < run.plan.size(); v++) {
      if (!run.plan.input[v]) {
        spans.add(span(v, origin));
      }
    }
    spans.sort(java.util.Comparator.comparing(Span::started));
    return java.util.Collections.unmodifiableList(spans);
  }

  private static Duration at(long at, long origin) {
    return Duration.ofNanos(at - origin);
  }

  /** {@return the time {@code at} (scheduler clock) as time since the run started} */
  public Duration since(long at) {
    return Duration.ofNanos(at - run.startNanos);
  }

  /** {@return how long the run took, from its start until its last node ended} */
  public Duration elapsed() {
    return Duration.ofNanos(run.endNanos - run.startNanos);
  }

  /** {@return whether the deadline passed before the run ended, as fixed when it ended} */
  public boolean deadlineExceeded() {
    return run.cutOff.deadlineExceeded();
  }

  /** {@return the vertices cut off as stragglers, with the threads still running them} */
  public Map<Integer, Thread> stragglers() {
    return run.cutOff.stragglers();
  }

  /**
   * {@return the threads of elements and subgraph tasks still running inside the stragglers,
   * by path: {@code photos[3]}, {@code host/profile}}
   */
  public Map<String, Thread> innerStragglers() {
    return run.cutOff.innerStragglers();
  }

  /** {@return the vertices that failed, in the order they ended} */
  public List<Integer> failed() {
    var failed = new ArrayList<Integer>();
    for (int v = 0; v < run.state.length; v++) {
      if ((int) INTS.getVolatile(run.state, v) == FAILED) {
        failed.add(v);
      }
    }
    failed.sort((a, b) -> Long.compare(run.endAt[a], run.endAt[b]));
    return failed;
  }

  /** Ends and, if it passed its threshold, commits the run's JFR event. */
  void commitJfr(RunExecutionEvent event) {
    var plan = run.plan;
    event.end();
    if (event.shouldCommit()) {
      int[] counts = new int[STATUS.length];
      for (int v = 0; v < run.state.length; v++) {
        if (!plan.input[v]) {
          counts[status(v).ordinal()]++;
        }
      }
      event.graph = plan.graph;
      event.runId = run.id;
      event.parentRunId = run.parentRunId();
      event.parentNode = run.parentNode() == null ? "" : run.parentNode();
      event.tasks = plan.taskCount;
      event.failed = counts[Outcome.Status.FAILED.ordinal()];
      event.skipped = counts[Outcome.Status.SKIPPED.ordinal()];
      event.cancelled = counts[Outcome.Status.CANCELLED.ordinal()];
      event.omitted = counts[Outcome.Status.OMITTED.ordinal()];
      event.deadlineExceeded = run.cutOff.deadlineExceeded();
      event.commit();
    }
  }
}
