package dev.weft.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What goes wrong around one run without being a task's outcome: a fault of the engine or of the
 * scheduler it was given, which fails the run's future, and failures of listeners and context
 * scopes, which never disturb the run and are kept for its result. Thread-safe.
 */
public final class Faults {
  private static final System.Logger LOG = System.getLogger("dev.weft");
  // the run whose listeners the current thread is delivering an event to, if any
  private static final ThreadLocal<Run<?>> IN_HOOK = new ThreadLocal<>();

  private final Run<?> run;
  // the first fault; the future fails with it
  private volatile Throwable fault;
  // failures of listeners and context scopes: rare, so a lock (this) is fine; sealed just before
  // the future completes, after which they are logged instead
  private List<Throwable> hookFailures;
  private boolean sealed;

  Faults(Run<?> run) {
    this.run = run;
  }

  /**
   * A fault in the engine itself (or in the scheduler it was given): the future still completes,
   * with the fault, and what can be stopped is stopped. The fault is kept first, so that a
   * cancellation that ends the run at once fails the future with it instead of completing it
   * with a result. An interrupt the cancellation sent to this very thread (when the fault hit a
   * task's own thread) is cleared: it was meant for no task.
   */
  void abort(Throwable t) {
    keep(t);
    boolean onTaskThread = run.isRunningTaskOn(Thread.currentThread());
    try {
      run.cancel(CancelCause.FAULT);
    } finally {
      if (onTaskThread) {
        Thread.interrupted();
      }
      run.failFuture(fault);
    }
  }

  /**
   * Keeps the first fault of the run; the future fails with it when the run ends. What the
   * caller sees is one {@link IllegalStateException} whose cause is what was thrown: the
   * scheduler's own exception when the scheduler failed, else Weft's.
   */
  void keep(Throwable t) {
    if (fault != null) {
      return;
    }
    var where = "run " + run.id + " of graph '" + run.plan.graph + "'";
    var wrapped = t instanceof SchedulerFault f
        ? new IllegalStateException("the Scheduler of " + where + " failed: "
            + Failures.describe(f.getCause()), f.getCause())
        : new IllegalStateException("Weft internal error in " + where + ": "
            + Failures.describe(t), t);
    synchronized (this) {
      if (fault == null) {
        fault = wrapped;
      }
    }
  }

  /** {@return the fault that fails the run's future, or null} */
  Throwable fault() {
    return fault;
  }

  /**
   * Keeps a failure of a listener or context scope, which must not disturb the run. {@return
   * whether it is the first such failure of this run}
   */
  public boolean hookFailed(Throwable failure) {
    synchronized (this) {
      if (!sealed) {
        if (hookFailures == null) {
          hookFailures = new ArrayList<>();
        }
        hookFailures.add(failure);
        return hookFailures.size() == 1;
      }
    }
    // The result is out and does not change: a straggler's context scope failing at its late end.
    log("after run " + run.id + " of graph '" + run.plan.graph + "' ended, a context scope or "
        + "listener failed; it is not in the run's result", failure);
    return false;
  }

  /** {@return the failures of listeners and context scopes so far; fixed once the run ended} */
  public List<Throwable> hookFailures() {
    synchronized (this) {
      return hookFailures == null ? List.of() : List.copyOf(hookFailures);
    }
  }

  /** Fixes {@link #hookFailures()} as the result reports them, just before it is returned. */
  void sealHookFailures() {
    synchronized (this) {
      sealed = true;
    }
  }

  /** Logs a warning; a logger that throws (on a hostile exception, say) is not Weft's fault. */
  public static void log(String message, Throwable failure) {
    try {
      LOG.log(System.Logger.Level.WARNING, message, failure);
    } catch (Throwable ignored) {
      // nowhere left to report it
    }
  }

  /**
   * Marks the current thread as delivering an event of {@code run} to its listeners, until
   * {@link #leaveHook}; a listener that cancels the run then does not wait for the run to end,
   * which waits for this very delivery. {@return the mark to restore}
   */
  public static Run<?> enterHook(Run<?> run) {
    var outer = IN_HOOK.get();
    IN_HOOK.set(run);
    return outer;
  }

  /** Restores the mark {@link #enterHook} returned. */
  public static void leaveHook(Run<?> outer) {
    IN_HOOK.set(outer); // not remove(): a later set would allocate a new entry every event
  }

  static boolean inHookOf(Run<?> run) {
    return IN_HOOK.get() == run;
  }

  /** {@return whether the current thread is inside a listener or another hook of some run} */
  public static boolean inHook() {
    return IN_HOOK.get() != null;
  }

  /** A failure of the run's {@link dev.weft.Scheduler}, on its way to {@link #keep}. */
  static final class SchedulerFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SchedulerFault(Throwable cause) {
      super(null, cause, false, false);
    }
  }
}
