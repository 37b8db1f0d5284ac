package dev.weft;

import dev.weft.internal.Failures;
import java.time.Duration;
import java.time.Instant;

/**
 * Something that happened in a run, as delivered to a {@link RunListener}. Every event names its
 * graph and run, and says when it happened as {@link #at()}, the time since the run started on
 * the run's {@link Scheduler} clock; {@link RunStarted#startedAt()} anchors that to the wall clock.
 *
 * <p>Per node: {@link NodeReady} once all its dependencies ended; for each attempt a {@link
 * NodeStarted}, closed by a {@link NodeRetried} if the attempt failed and another follows, or else
 * by the one {@link NodeEnded}. A node skipped, or cancelled before its dependencies had all
 * ended, has only {@link NodeEnded}; one cancelled after it became ready but before its task
 * started (handed to the executor, say) has {@link NodeReady} then {@link NodeEnded}, and no
 * {@link NodeStarted}. The elements of a fan-out node come between its {@link NodeStarted} and
 * its {@link NodeEnded}: per element, per attempt an {@link ElementStarted}, closed by an {@link
 * ElementRetried} or by the element's one {@link ElementEnded} (an element stopped before it
 * started has only that). The run of a subgraph node has events of its own, under the subgraph's
 * graph name and its own run id, its {@link RunStarted} naming the parent run and node. Events
 * are immutable values, safe to keep and to hand to other threads;
 * a failed node's error travels in its {@link NodeEnded#span()}, and a failed attempt's in {@link
 * NodeRetried#error()}.
 */
public sealed interface RunEvent {
  /** {@return the graph's name} */
  String graph();

  /** {@return the run's id} */
  long runId();

  /** {@return when it happened, since the run started} */
  Duration at();

  /**
   * A run started.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at always zero
   * @param startedAt the wall-clock time the run started
   * @param tasks how many tasks the graph has
   * @param parentRunId for the run of a subgraph ({@link NodeBuilder#subgraph}), the id of the
   *     run whose node runs it; 0 for a run of its own
   * @param parentNode that node's name; empty for a run of its own
   */
  record RunStarted(String graph, long runId, Duration at, Instant startedAt, int tasks,
      long parentRunId, String parentNode) implements RunEvent {
    /** {@return whether this run is a subgraph's, run by a node of another run} */
    public boolean nested() {
      return parentRunId != 0;
    }
  }

  /**
   * Every dependency of a node has ended; it is handed to the executor.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the node's name
   */
  record NodeReady(String graph, long runId, Duration at, String node) implements RunEvent {}

  /**
   * An attempt of a node's task started.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the node's name
   * @param attempt the attempt, from 1
   * @param threadId the id of the thread it runs on
   * @param threadName that thread's name
   */
  record NodeStarted(String graph, long runId, Duration at, String node, int attempt,
      long threadId, String threadName) implements RunEvent {
    /** {@return the thread as people read it, {@code "#id name"}, as {@link Span#thread()}} */
    public String thread() {
      return "#" + threadId + " " + threadName;
    }
  }

  /**
   * An attempt failed and the node will be tried again after {@code delay}.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when the attempt ended
   * @param node the node's name
   * @param attempt the attempt that failed, from 1
   * @param error what it failed with
   * @param delay the pause before the next attempt
   */
  record NodeRetried(String graph, long runId, Duration at, String node, int attempt,
      Throwable error, Duration delay) implements RunEvent {
    /** {@return as a record shows itself, even if the error's own {@code toString} throws} */
    @Override
    public String toString() {
      return "NodeRetried[graph=" + graph + ", runId=" + runId + ", at=" + at + ", node=" + node
          + ", attempt=" + attempt + ", error=" + Failures.describe(error) + ", delay=" + delay
          + "]";
    }
  }

  /**
   * A node ended, with its outcome: succeeded, failed (the error is in the outcome), skipped or
   * cancelled.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the node's name
   * @param span its timings, attempts, thread and outcome
   */
  record NodeEnded(String graph, long runId, Duration at, String node, Span span)
      implements RunEvent {}

  /**
   * An attempt of one element of a fan-out ({@link NodeBuilder#forEach}) started.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the fan-out node's name
   * @param element the element's index in the node's list
   * @param attempt the attempt, from 1
   * @param threadId the id of the thread it runs on
   * @param threadName that thread's name
   */
  record ElementStarted(String graph, long runId, Duration at, String node, int element,
      int attempt, long threadId, String threadName) implements RunEvent {}

  /**
   * An attempt of one element failed and the element will be tried again after {@code delay}.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when the attempt ended
   * @param node the fan-out node's name
   * @param element the element's index in the node's list
   * @param attempt the attempt that failed, from 1
   * @param error what it failed with
   * @param delay the pause before the next attempt
   */
  record ElementRetried(String graph, long runId, Duration at, String node, int element,
      int attempt, Throwable error, Duration delay) implements RunEvent {
    /** {@return as a record shows itself, even if the error's own {@code toString} throws} */
    @Override
    public String toString() {
      return "ElementRetried[graph=" + graph + ", runId=" + runId + ", at=" + at + ", node="
          + node + ", element=" + element + ", attempt=" + attempt + ", error="
          + Failures.describe(error) + ", delay=" + delay + "]";
    }
  }

  /**
   * One element of a fan-out ended, with its outcome, before its node ends.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the fan-out node's name
   * @param element the element's index in the node's list
   * @param span its timings, attempts, thread and outcome ({@link Span#element()} is its index)
   */
  record ElementEnded(String graph, long runId, Duration at, String node, int element,
      Span span) implements RunEvent {}

  /**
   * One attempt of a hedged task ({@link NodeBuilder#hedge}) started: the first on the task's
   * own thread, a hedge on one of its own.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the node's name
   * @param element the element's index, for a fan-out's element; -1 for a node's own task
   * @param hedge which attempt: 0 the first, 1, 2, ... the hedges
   * @param threadId the id of the thread it runs on
   * @param threadName that thread's name
   */
  record HedgeStarted(String graph, long runId, Duration at, String node, int element, int hedge,
      long threadId, String threadName) implements RunEvent {}

  /**
   * One attempt of a hedged task ended, before the task does: the winner succeeded, the others
   * were cancelled (they lost) or failed, which is not the task's failure while another attempt
   * may succeed. An attempt stopped before it started (a hedge sent but beaten before its thread
   * took it, or a first attempt that a hedge sent at once beat) has a HedgeEnded and no
   * HedgeStarted, as a node cancelled before it started has a NodeEnded only; its span shows no
   * thread and no time. At the cut-off, one still being delivered by its own thread to a slow
   * listener may reach the listeners after it once its task's NodeEnded has (see {@link
   * RunListener}).
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at when
   * @param node the node's name
   * @param element the element's index, for a fan-out's element; -1 for a node's own task
   * @param hedge which attempt: 0 the first, 1, 2, ... the hedges
   * @param span its timings, thread and outcome ({@link Span#hedge()} is {@code hedge})
   */
  record HedgeEnded(String graph, long runId, Duration at, String node, int element, int hedge,
      Span span) implements RunEvent {}

  /**
   * A run ended; its result is complete.
   *
   * @param graph the graph's name
   * @param runId the run's id
   * @param at how long the run took
   * @param result the result the caller receives
   */
  record RunEnded(String graph, long runId, Duration at, RunResult result) implements RunEvent {}

  /**
   * A call of a {@link BatchLoader}'s batch function made for the run ended, before any of the
   * loads waiting for it go on. Reported on the call's thread.
   *
   * @param graph the graph's name
   * @param runId the run's id (the outermost run's, for a load in a subgraph)
   * @param at when the call ended
   * @param batch the call: its loader, round, keys, timings, outcome and waiting tasks
   */
  record BatchEnded(String graph, long runId, Duration at, Batch batch) implements RunEvent {}
}
