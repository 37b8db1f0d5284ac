package dev.weft.internal;

import static dev.weft.internal.Run.CANCELLED;
import static dev.weft.internal.Run.INTERRUPTED;
import static dev.weft.internal.Run.INTERRUPTING;
import static dev.weft.internal.Run.INTS;
import static dev.weft.internal.Run.PAUSED;
import static dev.weft.internal.Run.RUNNING;
import static dev.weft.internal.Run.SCHEDULED;
import static dev.weft.internal.Run.TIMED_OUT;
import static dev.weft.internal.Run.WAITING;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * How one run is stopped: the sweep of a cancellation, the deadline, and the cut-off that ends
 * every cancellation in bounded time. When the deadline passes, the run is cancelled. Every
 * cancellation, whatever its cause, sweeps the vertices and arms the cut-off: interrupted tasks
 * get {@link #GRACE_NANOS}, then those still running are ended as CANCELLED stragglers, and the
 * run completes without them. A straggler's thread, when it finally ends, finds its vertex ended
 * and leaves without touching the run.
 *
 * <p>Timer actions run on a virtual thread of their own, since ending the run completes its
 * future, which runs callers' callbacks. Fields are written by the timers, read by the run.
 */
final class CutOff {
  /** How long interrupted tasks get before they are cut off. */
  static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Run<?> run;
  /** The deadline from the run's start; meaningless when {@link #hasDeadline} is false. */
  final long deadlineNanos;
  final boolean hasDeadline;
  /** The deadline on the scheduler's clock, saturating: Long.MAX_VALUE for none. */
  final long deadlineAt;
  private volatile Future<?> deadlineTimer;
  private volatile Future<?> cutOffTimer;
  private volatile boolean pastDeadline;
  // fixed when the run completes: a timer firing after that changes nothing reported
  private boolean deadlineExceeded;
  // published whole by the cut-off, before it reports any of them
  private volatile Map<Integer, Thread> stragglers = Map.of();
  // the threads of what ran inside those (elements, subgraphs' tasks), by path: photos[3]
  private volatile Map<String, Thread> innerStragglers = Map.of();
  // set while cutStragglers cuts, until what it cut is published (see collectStragglers)
  private volatile boolean cutting;

  CutOff(Run<?> run, boolean hasDeadline, long deadlineNanos, long startNanos) {
    this.run = run;
    this.hasDeadline = hasDeadline;
    this.deadlineNanos = deadlineNanos;
    long at = startNanos + deadlineNanos;
    this.deadlineAt = !hasDeadline ? Long.MAX_VALUE
        : deadlineNanos <= 0 ? startNanos + Math.max(deadlineNanos, -(1L << 62)) // expired
        : at > startNanos ? at : Long.MAX_VALUE; // too far away to represent: none
  }

  /** Arms the deadline's timer, counting from the run's start; an expired one passes now. */
  void armDeadline() {
    if (!hasDeadline) {
      return;
    }
    if (deadlineNanos <= 0) {
      pastDeadline = true; // an exhausted budget passed on to this run: cancelled at once
      run.cancel(CancelCause.DEADLINE);
      return;
    }
    long delay = deadlineAt == Long.MAX_VALUE ? deadlineNanos
        : Math.max(0, deadlineAt - run.clock());
    deadlineTimer = schedule(() -> offTimerThread(this::deadlinePassed), delay);
  }

  private void deadlinePassed() {
    try {
      if (run.done) {
        return; // the run completed while the timer fired
      }
      pastDeadline = true;
      run.cancel(CancelCause.DEADLINE); // if already cancelled, that cancellation armed a cut-off
    } catch (Throwable t) {
      run.faults.abort(t);
    }
  }

  /**
   * The sweep of a cancellation: unstarted tasks become CANCELLED, running ones are interrupted.
   * {@return how many tasks it ended}
   */
  int sweep() {
    long now = run.taskClock();
    var state = run.state;
    int count = 0;
    String why = null;
    for (int v = 0; v < state.length; v++) {
      for (;;) {
        int s = (int) INTS.getVolatile(state, v);
        if (s == WAITING || s == SCHEDULED) {
          if (INTS.compareAndSet(state, v, s, CANCELLED)) {
            if (s == WAITING) {
              // never ready, whatever of its dependencies ends after it (see Run.readyAt)
              INTS.getAndAdd(run.pending, v, Run.NEVER_READY);
            }
            run.startAt[v] = run.endAt[v] = now;
            count++;
            run.reportEnded(v);
            break;
          }
        } else if (s == PAUSED && run.attempts.heldHere(v)) {
          break; // its own thread cancels, from a listener: it sees that on release
        } else if (s == PAUSED || s == INTERRUPTING) {
          Thread.yield(); // between two attempts, or a timeout mid-interrupt: a moment
        } else if (s == RUNNING || s == TIMED_OUT) {
          if (why == null) {
            why = run.readout().cancelText();
          }
          if (run.attempts.cancelRunning(v, s, why)) {
            break; // and what runs inside it (elements, a subgraph's run) is stopped too
          }
        } else {
          break;
        }
      }
    }
    return count;
  }

  /** Arms the cut-off of a cancellation; a scheduler that refuses it is a fault of the run. */
  void armCutOff() {
    try {
      // the run is held open meanwhile (see Run.cancel): its end cancels the timer
      cutOffTimer = schedule(() -> offTimerThread(this::cutStragglers), GRACE_NANOS);
    } catch (Throwable t) {
      run.faults.keep(t);
    }
  }

  /** Ends, as CANCELLED, every task still running after the grace, and with them the run. */
  private void cutStragglers() {
    cutting = true; // before the first task is cut: see collectStragglers
    try {
      var state = run.state;
      var cut = new LinkedHashMap<Integer, Thread>();
      var within = new LinkedHashMap<String, Thread>();
      int count = 0;
      for (int v = 0; v < state.length; v++) {
        for (;;) {
          int s = (int) INTS.getVolatile(state, v);
          if (s == INTERRUPTING || s == PAUSED) {
            Thread.yield();
          } else if (s == RUNNING || s == INTERRUPTED || s == TIMED_OUT) {
            var thread = run.threads[v];
            if (INTS.compareAndSet(state, v, s, CANCELLED)) {
              // now, not when the cut-off began: an attempt inside it may have ended by itself
              // meanwhile (a listener held the cut-off), and a task ends after its parts
              long at = run.taskClock();
              cut.put(v, thread);
              // and what its thread ended before it and had not yet counted: see Run.runVertex
              count += 1 + run.owed(v);
              var inside = run.attempts.close(v); // nothing recorded inside it after this
              if (inside instanceof Elements elements) {
                elements.cutOff(at, within); // each element ends with one outcome too
              } else if (inside instanceof Hedges hedges) {
                hedges.cutOff(at, within); // and each hedged attempt
              } else if (inside instanceof Run<?> inner) {
                var prefix = run.attempts.label(v) + "/";
                inner.attempts.collectRunning(prefix, within);
                // and those its own cut-off, armed first, ended already: they run on too
                inner.cutOff.collectStragglers(prefix, within);
              }
              // after its elements or attempts: one that ended by itself read its time before
              // it settled, which the cut-off saw (this thread may have been preempted since)
              run.endAt[v] = inside instanceof Elements || inside instanceof Hedges
                  ? run.taskClock() : at;
              break;
            }
          } else {
            break;
          }
        }
      }
      // calls of the request's loaders that hold it open (one waiting task's thread may be stuck
      // in another's call), after the tasks, so that no hold outlives the cut-off
      var loads = run.root == run ? run.loadsIfAny() : null;
      if (loads != null) {
        var calls = new LinkedHashMap<String, Thread>();
        var release = loads.cutOff(calls);
        addInnerStragglers(calls);
        release.run();
      }
      if (!cut.isEmpty()) {
        addInnerStragglers(within);
        stragglers = Collections.unmodifiableMap(cut); // listeners of other nodes may read it
      }
      cutting = false; // what it cut is published: before any listener is called
      if (!cut.isEmpty()) {
        for (int v : cut.keySet()) {
          run.reportEnded(v);
        }
        run.finished(count);
      }
    } catch (Throwable t) {
      run.faults.abort(t);
    } finally {
      cutting = false;
    }
  }

  /** Fixes what the result reports about the deadline, and stops the timers: the run ended. */
  void runEnded() {
    deadlineExceeded = pastDeadline;
    cancelTimer(deadlineTimer);
    cancelTimer(cutOffTimer);
  }

  /** Stops the timers after a fault, without waiting for the run to end. */
  void stop() {
    cancelTimer(deadlineTimer);
    cancelTimer(cutOffTimer);
  }

  boolean deadlineExceeded() {
    return deadlineExceeded;
  }

  Map<Integer, Thread> stragglers() {
    return stragglers;
  }

  /**
   * Puts into {@code into} the stragglers this run's cut-off ended, and those of what ran inside
   * them, each by its path under {@code prefix}: as the run's result names them to the run around
   * it once its node's thread is back.
   */
  void collectStragglers(String prefix, Map<String, Thread> into) {
    // A cut-off under way on another thread (a subgraph's own, armed first) may have ended a
    // task the caller found running no more, and not yet published it: wait it out. It never
    // waits for the run around it (only the ElementEnded and HedgeEnded listeners it calls, for
    // what it cuts inside its tasks, can hold it).
    while (cutting) {
      Thread.yield();
    }
    stragglers.forEach((v, thread) -> into.put(prefix + run.attempts.label(v), thread));
    innerStragglers.forEach((path, thread) -> into.put(prefix + path, thread));
  }

  Map<String, Thread> innerStragglers() {
    return innerStragglers;
  }

  /**
   * Adds threads of what ran inside this run's tasks and still runs: cut off with their task
   * here, or reported by a subgraph's run that cut them off itself and still ended in time for
   * its node. Published whole, before the task (and so the run) ends.
   */
  synchronized void addInnerStragglers(Map<String, Thread> more) {
    if (!more.isEmpty()) {
      var all = new LinkedHashMap<>(innerStragglers);
      all.putAll(more);
      innerStragglers = Collections.unmodifiableMap(all);
    }
  }

  /** {@return a timer from the run's scheduler} Its failure is tagged as the scheduler's. */
  private Future<?> schedule(Runnable action, long nanos) {
    try {
      return run.scheduler.schedule(action, nanos, TimeUnit.NANOSECONDS);
    } catch (Throwable t) {
      throw new Faults.SchedulerFault(t);
    }
  }

  /** Cancels a timer of the run's scheduler; one whose cancel throws is a fault of the run. */
  void cancelTimer(Future<?> timer) {
    if (timer != null) {
      try {
        timer.cancel(false);
      } catch (Throwable t) {
        run.faults().keep(new Faults.SchedulerFault(t));
      }
    }
  }

  private static void offTimerThread(Runnable action) {
    Thread.ofVirtual().name("weft-deadline").start(action);
  }
}
