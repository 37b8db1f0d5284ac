package dev.weft.internal;

import static dev.weft.internal.Run.CANCELLED;
import static dev.weft.internal.Run.FAILED;
import static dev.weft.internal.Run.INTERRUPTED;
import static dev.weft.internal.Run.INTERRUPTING;
import static dev.weft.internal.Run.INTS;
import static dev.weft.internal.Run.PAUSED;
import static dev.weft.internal.Run.RUNNING;
import static dev.weft.internal.Run.SCHEDULED;
import static dev.weft.internal.Run.SUCCEEDED;
import static dev.weft.internal.Run.TIMED_OUT;

import dev.weft.Outcome;
import java.util.concurrent.CancellationException;

/**
 * One call of a loader's batch function, as a table of one task: it runs under the loader's
 * policies (timeout, retry, breaker, bulkhead) through the same attempt protocol as a node, a
 * retry or a fan-out element, and is stopped the same way, by {@link #cancel}. A call made for
 * one request belongs to its root run: it binds the run's ScopedValues and sees the run's
 * deadline. A call shared across requests belongs to none of them: it binds nothing, has only
 * its own timeout, and is cancelled only when nobody waits for it any more (its loader decides).
 * Run by one thread ({@link #call}); cancelled by any.
 */
public final class BatchCall extends Attempts {
  /** The batch function, called once per attempt. */
  @FunctionalInterface
  public interface Body {
    /** {@return what the batch function returned} */
    Object call() throws Throwable;
  }

  private final String label;
  private final Body body;
  private final Elements.Policies policies;
  private final boolean shared;
  // for a call made on a waiting task's thread: whether that task has been interrupted
  private final java.util.function.BooleanSupplier runnerDisturbed;
  private volatile String stopReason;

  /**
   * A call labelled {@code label} ({@code users#2}) made for {@code run} (the request that sent
   * it first), running {@code body} under {@code policies} (or none, if null).
   */
  public BatchCall(Run<?> run, String label, Body body, Elements.Policies policies,
      boolean shared) {
    this(run, label, body, policies, shared, null);
  }

  /**
   * A call made on the thread of a task that waits for its keys: {@code runnerDisturbed} says
   * whether that task has been interrupted since, which stops the call's retries too (the
   * interrupt was the task's, and may have failed the attempt).
   */
  public BatchCall(Run<?> run, String label, Body body, Elements.Policies policies,
      boolean shared, java.util.function.BooleanSupplier runnerDisturbed) {
    super(run, new int[] {SCHEDULED}, new Thread[1], policies != null);
    this.label = label;
    this.body = body;
    this.policies = policies;
    this.shared = shared;
    this.runnerDisturbed = runnerDisturbed;
  }

  /** {@return whether the task whose thread makes the call has been interrupted} */
  public boolean runnerDisturbed() {
    return runnerDisturbed != null && runnerDisturbed.getAsBoolean();
  }

  /**
   * Makes the call on the current thread. {@return what the batch function returned} Throws
   * what it failed with, after its policies; {@link CancellationException} if it was cancelled
   * (what it failed with then attached as the cause).
   */
  public Object call() throws Throwable {
    threads[0] = Thread.currentThread();
    if (!INTS.compareAndSet(state, 0, SCHEDULED, RUNNING)) {
      throw new CancellationException(stopText());
    }
    Object result;
    int outcome;
    if (policies == null) {
      single(0); // its one attempt
    }
    // the run's thread context, as around its tasks: on a thread of its own only (a task's
    // thread has it already), and never for a call shared across runs
    dev.weft.ContextPropagator.Scope[] scopes = null;
    try {
      if (!shared && runnerDisturbed == null && run.context != null) {
        scopes = run.context.restore();
      }
      result = policies != null ? policies.run(this, 0) : call(0, null);
      outcome = SUCCEEDED;
    } catch (Throwable t) {
      result = t;
      outcome = FAILED;
    } finally {
      if (scopes != null) {
        run.context.close(scopes);
      }
    }
    int end = settle(0, outcome);
    Thread.interrupted(); // ours, or one the batch function left: the thread goes back clean
    if (end < 0 || end == CANCELLED) {
      var cancelled = new CancellationException(stopText());
      if (result instanceof Throwable t) {
        cancelled.initCause(t);
      }
      throw cancelled;
    }
    if (end == FAILED) {
      throw (Throwable) result;
    }
    return result;
  }

  /**
   * Cancels the call once: if it has not started it never will; if it runs, its thread is
   * interrupted. {@return whether this call cancelled it}
   */
  public boolean cancel(String why) {
    synchronized (this) {
      if (stopReason != null) {
        return false;
      }
      stopReason = why;
    }
    for (;;) {
      int s = (int) INTS.getVolatile(state, 0);
      if (s == SCHEDULED) {
        if (INTS.compareAndSet(state, 0, SCHEDULED, CANCELLED)) {
          return true;
        }
      } else if (s == PAUSED || s == INTERRUPTING) {
        Thread.yield(); // between two attempts, or a timeout mid-interrupt: a moment
      } else if (s == RUNNING || s == TIMED_OUT) {
        if (cancelRunning(0, s, why)) {
          return true;
        }
      } else {
        return true; // interrupted already, or ended
      }
    }
  }

  /**
   * Ends a cancelled call that still runs, as a straggler. {@return its thread, or null if it
   * had ended} Its thread, when it returns, finds it ended and delivers nothing.
   */
  public Thread cutOff() {
    for (;;) {
      int s = (int) INTS.getVolatile(state, 0);
      if (s == INTERRUPTING || s == PAUSED) {
        Thread.yield();
      } else if (s == RUNNING || s == INTERRUPTED || s == TIMED_OUT) {
        if (INTS.compareAndSet(state, 0, s, CANCELLED)) {
          return threads[0];
        }
      } else {
        return null;
      }
    }
  }

  /** {@return how many attempts the call made} */
  public int attempts() {
    return count(0);
  }

  @Override
  Object body(int key, Invoker unused) throws Throwable {
    return body.call();
  }

  @Override
  ScopedBindings bindings() {
    return shared ? null : run.bindings; // a shared call is no one request's
  }

  @Override
  public boolean halted() {
    return stopReason != null || !shared && super.halted() || runnerDisturbed();
  }

  @Override
  public boolean stopped(int key) {
    return super.stopped(key) || stopReason != null || runnerDisturbed();
  }

  @Override
  boolean stoppedFromAbove() {
    return stopReason != null;
  }

  @Override
  public long remainingNanos(int key) {
    return shared ? Long.MAX_VALUE : super.remainingNanos(key); // its own timeout still applies
  }

  @Override
  public long deadlineAt() {
    return shared ? Long.MAX_VALUE : super.deadlineAt();
  }

  @Override
  boolean guarded(int key) {
    return policies != null;
  }

  @Override
  public int owner(int key) {
    return 0;
  }

  @Override
  String label(int key) {
    return label;
  }

  @Override
  String stopText() {
    var why = stopReason;
    return why != null ? why : "loader call " + label + " was cancelled";
  }

  @Override
  void reportStarted(int key, int attempt) {
    // a call's attempts are reported as one batch, when it ends
  }

  @Override
  void reportRetried(int key, int attempt, Throwable error, long delayNanos) {
    // likewise
  }

  @Override
  public void commitJfr(NodeExecutionEvent event, int key, int attempt, Outcome.Status outcome) {
    // a call is recorded as a BatchExecution event, by its loader
  }
}
