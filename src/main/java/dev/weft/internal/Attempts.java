package dev.weft.internal;

import static dev.weft.internal.Run.INTERRUPTED;
import static dev.weft.internal.Run.INTERRUPTING;
import static dev.weft.internal.Run.INTS;
import static dev.weft.internal.Run.PAUSED;
import static dev.weft.internal.Run.RUNNING;
import static dev.weft.internal.Run.SUCCEEDED;
import static dev.weft.internal.Run.TIMED_OUT;

import dev.weft.Outcome;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The attempt protocol of one run: what a task's invoker calls to begin and end each attempt of
 * its node, to time one out, to report a retry, and to ask the time left. Only the node's own
 * thread calls it, while the node is running; {@link #timeout}'s timer and the run's cancellation
 * reach the attempt through the node's state, as {@link Run}'s notes describe.
 *
 * <p>Every attempt ends in one {@link AttemptEnd}. The handshake with interrupters: the attempt's
 * thread moves the node to PAUSED (which no one else may leave), counts the attempt, clears the
 * interrupt status, and puts the node back to RUNNING (or INTERRUPTED, if the run was cancelled),
 * so a late timeout never hits the next attempt, and nothing the attempt left reaches it.
 */
public final class Attempts {
  private static final NodeExecutionEvent JFR_PROBE = new NodeExecutionEvent();

  private final Run<?> run;
  // Attempts ended, per vertex: set to 1 when an unguarded task starts, bumped atomically when a
  // guarded one ends an attempt; read for spans.
  private final int[] ended;
  // Only for plans with guarded vertices, written by the vertex's thread: attempts started, and
  // the current attempt's own deadline (0 when none).
  private final int[] started;
  private final long[] until;

  Attempts(Run<?> run, int size, boolean guarded) {
    this.run = run;
    this.ended = new int[size];
    this.started = guarded ? new int[size] : null;
    this.until = guarded ? new long[size] : null;
  }

  /** Counts the one attempt of an unguarded task, which needs no protocol. */
  void single(int vertex) {
    ended[vertex] = 1;
  }

  /**
   * Reports the start of attempt {@code attempt} (from 1) of a guarded vertex.
   *
   * @throws CancellationException if the vertex was cut off meanwhile: no attempt may start
   */
  public void begin(int vertex, int attempt) {
    if ((int) INTS.getVolatile(run.state, vertex) >= SUCCEEDED) {
      throw new CancellationException("cut off at the run's cancellation");
    }
    INTS.setVolatile(started, vertex, attempt);
    run.reportStarted(vertex, attempt);
  }

  /** Starts a timer that interrupts the current attempt of {@code vertex} after {@code nanos}. */
  public Future<?> timeout(int vertex, long nanos) {
    int current = (int) INTS.getVolatile(ended, vertex);
    until[vertex] = run.scheduler.nanoTime() + nanos;
    return run.scheduler.schedule(() -> interrupt(vertex, current), nanos, TimeUnit.NANOSECONDS);
  }

  private void interrupt(int vertex, int which) {
    var state = run.state;
    for (;;) {
      int s = (int) INTS.getVolatile(state, vertex);
      if (s != RUNNING) {
        return; // ending, ended, or already interrupted
      }
      if (INTS.compareAndSet(state, vertex, RUNNING, INTERRUPTING)) {
        break;
      }
    }
    if ((int) INTS.getVolatile(ended, vertex) != which) {
      INTS.setVolatile(state, vertex, RUNNING); // that attempt is over; leave the next one alone
      return;
    }
    var thread = run.threads[vertex];
    if (thread != null) {
      thread.interrupt();
    }
    INTS.setVolatile(state, vertex, TIMED_OUT);
  }

  /** Closes the current attempt of {@code vertex}. {@return how it ended} */
  public AttemptEnd end(int vertex) {
    until[vertex] = 0;
    var state = run.state;
    for (;;) {
      int s = (int) INTS.getVolatile(state, vertex);
      if (s == INTERRUPTING) {
        Thread.yield(); // an interrupter is between its CAS and interrupt(): let it finish
        continue;
      }
      if (s >= SUCCEEDED) {
        return AttemptEnd.CUT_OFF;
      }
      if (INTS.compareAndSet(state, vertex, s, PAUSED)) {
        INTS.getAndAdd(ended, vertex, 1);
        // Ours (a timeout, a cancellation) or one the attempt left set: the retry wait and the
        // next attempt start clear. In PAUSED nobody interrupts this thread.
        Thread.interrupted();
        INTS.setVolatile(state, vertex, s == INTERRUPTED ? INTERRUPTED : RUNNING);
        return s == INTERRUPTED ? AttemptEnd.CANCELLED
            : s == TIMED_OUT ? AttemptEnd.TIMED_OUT : AttemptEnd.COMPLETED;
      }
    }
  }

  /** Reports that attempt {@code attempt} failed and another follows after {@code delayNanos}. */
  public void retried(int vertex, int attempt, Throwable error, long delayNanos) {
    run.reportRetried(vertex, attempt, error, delayNanos);
  }

  /** {@return the time left to the current attempt: to its timeout or the run's deadline} */
  public long remainingNanos(int vertex) {
    long end = run.cutOff.deadlineAt;
    if (until != null && until[vertex] != 0) {
      end = Math.min(end, until[vertex]);
    }
    return end == Long.MAX_VALUE ? Long.MAX_VALUE : end - run.scheduler.nanoTime();
  }

  /** {@return the absolute time (scheduler clock) of the run's deadline, or Long.MAX_VALUE} */
  public long deadlineAt() {
    return run.cutOff.deadlineAt;
  }

  /** {@return the attempt of {@code vertex} running now, from 1; only its own thread asks} */
  public int current(int vertex) {
    return started != null && run.plan.guardedVertex[vertex]
        ? Math.max(1, (int) INTS.getVolatile(started, vertex)) : 1;
  }

  /** {@return how many attempts {@code vertex} made: 0 if its task never started} */
  int count(int vertex) {
    int done = (int) INTS.getVolatile(ended, vertex);
    // a guarded vertex cut off mid-attempt never ends that attempt, but it did start it
    return started == null ? done : Math.max(done, (int) INTS.getVolatile(started, vertex));
  }

  /** {@return a begun JFR event for one attempt, or null when JFR does not record it} */
  public static NodeExecutionEvent beginJfr() {
    if (!JFR_PROBE.isEnabled()) {
      return null; // no allocation per task while JFR does not record node executions
    }
    var event = new NodeExecutionEvent();
    event.begin();
    return event;
  }

  /** Ends and, if it passed its threshold, commits an attempt's JFR event. */
  public void commitJfr(NodeExecutionEvent event, int vertex, int attempt,
      Outcome.Status outcome) {
    event.end();
    if (event.shouldCommit()) {
      event.graph = run.plan.graph;
      event.node = run.plan.names[vertex];
      event.runId = run.id;
      event.attempt = attempt;
      event.outcome = outcome.label();
      event.commit();
    }
  }
}
