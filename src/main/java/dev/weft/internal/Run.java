package dev.weft.internal;

import dev.weft.ContextPropagator;
import dev.weft.Scheduler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * One execution of a {@link Plan}: per-vertex state, values, outcomes and timings.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>Every vertex moves through a small state machine held in {@link #state}, changed only by
 * compare-and-set, so that exactly one thread decides each vertex's outcome:
 *
 * <pre>
 *   WAITING --(last dependency ended)--> SCHEDULED --(a thread claims it)--> RUNNING
 *   RUNNING --(canceller)--> INTERRUPTING --> INTERRUPTED
 *   RUNNING --(attempt timer)--> INTERRUPTING --> TIMED_OUT
 *   RUNNING | TIMED_OUT | INTERRUPTED --(attempt ends)--> PAUSED --> RUNNING | INTERRUPTED
 *   RUNNING | INTERRUPTED --(the task returns or throws)--> SUCCEEDED | FAILED | CANCELLED
 *   WAITING --(a required dependency did not succeed)--> SKIPPED | CANCELLED
 *   WAITING | SCHEDULED --(run cancelled)--> CANCELLED
 *   RUNNING | TIMED_OUT | INTERRUPTED --(deadline grace over: a straggler)--> CANCELLED
 * </pre>
 *
 * <p>There is no coordinator thread. The thread that ends a vertex tells its dependents: it skips
 * those that needed a value it could not give, decrements the pending count of the others, and
 * launches those whose count reached zero. It runs one of them itself (saving a thread hop) and
 * hands the rest to the executor, except tasks marked inline (cheap, non-blocking), which it runs
 * all itself; so does the caller's thread with inline tasks that have nothing to wait for. Skips
 * cascade through an explicit stack, never recursion, so a chain of any length is safe. A
 * synchronous executor (one that runs the task inside {@code execute}) is detected by the {@link
 * Worker} and turned into a loop on the same stack.
 *
 * <p>Cancellation (fail-fast, the caller, the future) sets {@link #cancelled} once, then sweeps
 * the vertices: unstarted ones become CANCELLED, running ones are interrupted. The
 * RUNNING/INTERRUPTING/INTERRUPTED handshake (as in {@code FutureTask}) guarantees an interrupt
 * meant for one task never reaches the next task run on the same thread: the task's thread waits
 * out INTERRUPTING, then clears the interrupt it was sent. Such waits yield rather than spin: a
 * spinning virtual thread can hold one of few carriers while the thread it waits for, virtual
 * too, cannot run.
 *
 * <p>Timeouts are per attempt. An attempt's timer interrupts the task only if the vertex is still
 * in that attempt: the timer checks the attempt number after winning RUNNING -> INTERRUPTING, and
 * the task's thread bumps the number (in PAUSED, which no one else may leave) before the next
 * attempt becomes interruptible. So a late timer can never hit the next attempt or the next task.
 *
 * <p>A run deadline cancels the run when it passes. Tasks that ignore the interrupt get a short
 * grace ({@link #STRAGGLER_GRACE_NANOS}); those still running then are cut off as CANCELLED
 * stragglers and the run completes without them. When such a task finally ends, it finds its
 * vertex already ended and leaves without touching the run.
 *
 * <p>{@link #remaining} counts tasks not yet ended; the thread that brings it to zero completes
 * the future. Memory consistency: a task's writes happen-before its dependents read them (the
 * pending count is decremented with a volatile read-modify-write after the value is stored), and
 * all writes happen-before the future completes (the same holds for {@code remaining}).
 */
public final class Run {
  static final int WAITING = 0;
  static final int SCHEDULED = 1;
  static final int RUNNING = 2;
  static final int INTERRUPTING = 3;
  /** Interrupted by cancellation; also returned by {@link #endAttempt}. */
  public static final int INTERRUPTED = 4;
  /** Interrupted by its attempt's timeout; also returned by {@link #endAttempt}. */
  public static final int TIMED_OUT = 5;
  static final int PAUSED = 6;
  /** Its readiness is being announced to listeners; the announcing thread owns it. */
  static final int READYING = 7;
  public static final int SUCCEEDED = 10;
  public static final int FAILED = 11;
  public static final int SKIPPED = 12;
  public static final int CANCELLED = 13;
  /** Returned by {@link #endAttempt} when the vertex was cut off as a straggler. */
  public static final int ABANDONED = -1;

  /** Why a run was cancelled; 0 while it is not. */
  public static final int FAIL_FAST = 1;
  public static final int BY_CALLER = 2;
  public static final int ENGINE_FAULT = 3;
  public static final int DEADLINE = 4;

  /** How long interrupted tasks get, after the deadline, before they are cut off. */
  public static final long STRAGGLER_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle REMAINING;
  private static final VarHandle FAIL_FAST_CAUSE;
  private static final VarHandle CANCELLED_WHY;
  private static final VarHandle FAULT;
  private static final AtomicLong IDS = new AtomicLong();
  private static final System.Logger LOG = System.getLogger("dev.weft");

  static {
    try {
      var lookup = MethodHandles.lookup();
      REMAINING = lookup.findVarHandle(Run.class, "remaining", int.class);
      FAIL_FAST_CAUSE = lookup.findVarHandle(Run.class, "failFastCause", int.class);
      CANCELLED_WHY = lookup.findVarHandle(Run.class, "cancelled", int.class);
      FAULT = lookup.findVarHandle(Run.class, "fault", Throwable.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Plan plan;
  private final long id;
  private final Executor executor;
  private final boolean failFast;
  private final RunHooks hooks;
  private final ContextPropagator[] propagators;
  private final Object[] captured;
  private final RunFuture<?> future;
  private final Function<Run, ?> resultFactory;
  private final Scheduler scheduler;
  private final long deadlineNanos;
  private final long deadlineAt;

  // Per vertex. state and pending are accessed atomically by any thread of the run; the others
  // are written only by the thread that owns the vertex's transition (see the notes above).
  private final int[] state;
  private final int[] pending;
  private final Object[] slot;
  private final Thread[] threads;
  // the thread a vertex's task last ran on, kept after it ended (threads[] is cleared)
  private final Thread[] ranOn;
  private final String[] ranOnName;
  private final long[] readyAt;
  private final long[] startAt;
  private final long[] endAt;
  // attempt counts attempts: set to 1 when an unguarded task starts, bumped atomically when a
  // guarded one ends an attempt (see endAttempt). attemptEnd, only for plans with guarded
  // vertices, is the current attempt's own deadline, used by the vertex's thread alone.
  private final int[] attempt;
  private final long[] attemptEnd;
  // only for plans with guarded vertices: attempts started, written by the vertex's thread
  private final int[] attemptsStarted;
  private final long startNanos;
  // written by the thread that completes the run, before the future completes
  private long endNanos;

  private volatile int remaining;
  private volatile int cancelled;
  private volatile int failFastCause = -1;
  private volatile boolean pastDeadline;
  // set once the run has completed; what the result reports about the deadline is fixed then
  private volatile boolean done;
  /** The engine fault that aborted the run, if one did; see {@link #abort}. */
  private volatile Throwable fault;
  private boolean deadlineExceeded;
  // JFR run event, when JFR records it; begun by the caller, committed by the finishing thread
  private final RunExecutionEvent jfrRun;
  // failures of listeners and context scopes: rare, so a lock (this) is fine; sealed just before
  // the future completes, after which they are logged instead
  private java.util.List<Throwable> hookFailures;
  private boolean hookFailuresSealed;
  private volatile Future<?> deadlineTimer;
  private volatile Future<?> stragglerTimer;
  // written once by the straggler cut-off, before it reports any of them
  private volatile Map<Integer, Thread> stragglers = Map.of();

  private Run(Plan plan, Settings settings, Function<Run, ?> resultFactory) {
    this.plan = plan;
    this.id = IDS.incrementAndGet();
    this.executor = settings.executor();
    this.failFast = settings.failFast();
    this.scheduler = settings.scheduler();
    this.deadlineNanos = settings.deadlineNanos();
    this.hooks = settings.hooks();
    this.propagators = settings.propagators();
    this.resultFactory = resultFactory;
    if (propagators.length == 0) {
      this.captured = null;
    } else {
      this.captured = new Object[propagators.length];
      for (int i = 0; i < propagators.length; i++) {
        captured[i] = propagators[i].capture();
      }
    }
    int n = plan.size();
    this.state = new int[n];
    this.pending = plan.initialPending.clone();
    this.slot = new Object[n];
    this.threads = new Thread[n];
    this.ranOn = new Thread[n];
    this.ranOnName = new String[n];
    this.readyAt = new long[n];
    this.startAt = new long[n];
    this.endAt = new long[n];
    this.attempt = new int[n];
    this.attemptEnd = plan.guarded ? new long[n] : null;
    this.attemptsStarted = plan.guarded ? new int[n] : null;
    this.future = new RunFuture<>(this);
    if (RUN_JFR_PROBE.isEnabled()) {
      this.jfrRun = new RunExecutionEvent();
      jfrRun.begin();
    } else {
      this.jfrRun = null; // no allocation per run while JFR does not record runs
    }
    this.startNanos = scheduler.nanoTime();
    // saturating: a deadline too far away to represent is no deadline
    long at = startNanos + deadlineNanos;
    this.deadlineAt = deadlineNanos > 0 && at > startNanos ? at : Long.MAX_VALUE;
  }

  /**
   * Starts a run; {@code inputValues} is indexed by vertex and already checked. Tasks with nothing
   * to wait for are handed to {@code executor}; with a synchronous executor the whole run happens
   * before this method returns.
   */
  @SuppressWarnings("unchecked")
  public static <R> CompletableFuture<R> start(Plan plan, Object[] inputValues, Settings settings,
      Function<Run, R> resultFactory) {
    var run = new Run(plan, settings, resultFactory);
    run.begin(inputValues);
    return (CompletableFuture<R>) run.future;
  }

  private void begin(Object[] inputValues) {
    var frame = new Frame(false);
    try {
      for (int v : plan.inputs) {
        slot[v] = inputValues[v];
        state[v] = SUCCEEDED;
        readyAt[v] = startAt[v] = endAt[v] = startNanos;
      }
      remaining = plan.taskCount;
      if (hooks != null) {
        hooks.runStarted(this);
      }
      if (plan.taskCount == 0) {
        finish();
        return;
      }
      if (deadlineNanos > 0) {
        // from the run's start, not from now: RunStarted listeners must not push the deadline
        long delay = deadlineAt == Long.MAX_VALUE ? deadlineNanos
            : Math.max(0, deadlineAt - clock());
        deadlineTimer = schedule(() -> offTimerThread(this::deadlinePassed), delay);
      }
      for (int r : plan.roots) {
        becameReady(r, startNanos, frame);
      }
      drainEnded(frame);
      loop(-1, frame);
    } catch (Throwable t) {
      abort(t);
    } finally {
      // The caller's thread goes back with the caller's interrupt status, not a task's: see Frame.
      if (frame.taskLeftInterrupt) {
        Thread.interrupted();
      }
      if (frame.callerInterrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Runs {@code first} on the current thread, then whatever this thread should continue with. */
  void work(int first) {
    try {
      loop(first, new Frame(true));
    } catch (Throwable t) {
      abort(t);
    } finally {
      Thread.interrupted(); // the executor's thread goes back as it came: nothing a task left
    }
  }

  private void loop(int first, Frame frame) {
    for (int v = first < 0 ? frame.next() : first; v >= 0; v = frame.next()) {
      // A straggler cut-off (after any cancellation) may end this run while the task below
      // hangs: count what is done first.
      settle(frame);
      runVertex(v, frame);
    }
    settle(frame);
  }

  private void runVertex(int v, Frame frame) {
    // Every task starts with a clear interrupt status, as on a fresh thread: an interrupt the last
    // task, listener or callback on this thread left set is not this task's. Cleared before
    // RUNNING, after which the engine interrupts this thread only for this task.
    if (Thread.interrupted() && !frame.inline && !frame.taskLeftInterrupt) {
      frame.callerInterrupted = true; // the caller's own, set before or between tasks: kept
    }
    frame.taskLeftInterrupt = false;
    threads[v] = frame.thread;
    if (!INTS.compareAndSet(state, v, SCHEDULED, RUNNING)) {
      threads[v] = null; // cancelled, or refused by the executor, before it could start
      return;
    }
    long clock = frame.clock;
    // Reusing this thread's last end time saves a clock read; never earlier than readiness, which
    // another thread's later end may have set.
    startAt[v] = clock != 0 ? Math.max(clock, readyAt[v]) : clock();
    frame.clock = 0;
    ranOn[v] = frame.thread;
    ranOnName[v] = frame.threadName; // as it is now: a later rename changes no returned span
    NodeExecutionEvent jfr = null;
    Object result;
    int outcome;
    if (cancelled != 0) {
      result = null;
      outcome = CANCELLED;
    } else {
      boolean guarded = plan.guardedVertex[v];
      ContextPropagator.Scope[] scopes = null;
      try {
        // Context first, so listeners see it at NodeStarted for every kind of node.
        scopes = captured == null ? null : restoreContext();
        if (!guarded) {
          attempt[v] = 1;
          if (hooks != null) {
            hooks.nodeStarted(this, v, 1, startAt[v]);
          }
          jfr = beginJfr();
        }
        result = plan.invokers[v].invoke(this, v);
        outcome = SUCCEEDED;
      } catch (Throwable t) {
        result = t;
        outcome = FAILED;
      } finally {
        if (scopes != null) {
          closeContext(scopes);
        }
        frame.restoreThread();
      }
    }
    long now = clock();
    for (;;) {
      int s = (int) INTS.getVolatile(state, v);
      if (s == INTERRUPTING || s == PAUSED) {
        Thread.yield(); // another thread is between its CAS and interrupt(): let it finish
        continue;
      }
      if (s >= SUCCEEDED) {
        // Cut off as a straggler after the deadline: the run has ended without this task.
        Thread.interrupted();
        frame.taskLeftInterrupt = false;
        return;
      }
      // A task interrupted by cancellation that then throws was cancelled; one that returns a
      // value despite the interrupt succeeded.
      int end = s == INTERRUPTED && outcome == FAILED ? CANCELLED : outcome;
      // Written only once the CAS is won: a straggler that lost to the cut-off must not touch the
      // slots of a run that has completed. Readers are ordered after by the pending and remaining
      // decrements below.
      if (INTS.compareAndSet(state, v, s, end)) {
        slot[v] = result;
        endAt[v] = now;
        threads[v] = null;
        if (s == INTERRUPTED || s == TIMED_OUT) {
          Thread.interrupted(); // the interrupt was ours and meant for this task only
        }
        if (!frame.inline) {
          frame.taskLeftInterrupt = Thread.currentThread().isInterrupted();
        }
        if (jfr != null) {
          commitJfr(jfr, v, 1, end == SUCCEEDED ? "succeeded" : end == FAILED ? "failed"
              : "cancelled");
        }
        break;
      }
    }
    frame.ended.push(v);
    drainEnded(frame);
    frame.clock = now; // the next task this thread runs starts about now
  }

  /** Tells the dependents of every vertex on the frame's ended stack, cascading skips. */
  private void drainEnded(Frame frame) {
    int finished = 0;
    for (int e = frame.ended.pop(); e >= 0; e = frame.ended.pop()) {
      finished++;
      int s = (int) INTS.getVolatile(state, e);
      if (hooks != null) {
        hooks.nodeEnded(this, e);
      }
      if (s == FAILED && failFast && !plan.absorbs[e] && cancelled == 0) {
        // What the failure skips is skipped, naming it, before the cancellation claims the rest.
        skipRequiredDescendants(e, frame);
        // named before the cancellation, once: every reason, whoever writes it, names the same
        FAIL_FAST_CAUSE.compareAndSet(this, -1, e);
        cancel(FAIL_FAST);
      }
      for (int k = plan.outStart[e]; k < plan.outStart[e + 1]; k++) {
        int d = plan.outNode[k];
        if (s != SUCCEEDED && plan.outRequired[k]) {
          skip(d, s, e, frame);
        } else if ((int) INTS.getAndAdd(pending, d, -1) == 1) {
          becameReady(d, lastDependencyEnd(d), frame);
        }
      }
    }
    frame.finished += finished; // settled when the thread runs out of work: see settle()
  }

  /**
   * Ends waiting {@code d}, a dependent on a required edge of {@code e}, which ended in state
   * {@code s} without a value: SKIPPED naming the failed root, or CANCELLED after a cancellation.
   * {@return whether this call ended it}
   */
  private boolean skip(int d, int s, int e, Frame frame) {
    int end = s == CANCELLED ? CANCELLED : SKIPPED;
    if (!INTS.compareAndSet(state, d, WAITING, end)) {
      return false;
    }
    slot[d] = s == SKIPPED ? slot[e] : s == FAILED ? Integer.valueOf(e) : null;
    readyAt[d] = startAt[d] = endAt[d] = endAt[e];
    frame.ended.push(d);
    return true;
  }

  /**
   * Skips, at once, every node that failed {@code root} reaches through required edges alone,
   * as a run that goes on would skip them one by one. None of them can start meanwhile: each
   * waits for {@code root} or for a node skipped here.
   */
  private void skipRequiredDescendants(int root, Frame frame) {
    var reached = new IntStack();
    reached.push(root);
    for (int x = reached.pop(); x >= 0; x = reached.pop()) {
      for (int k = plan.outStart[x]; k < plan.outStart[x + 1]; k++) {
        int d = plan.outNode[k];
        if (plan.outRequired[k] && skip(d, x == root ? FAILED : SKIPPED, x, frame)) {
          reached.push(d);
        }
      }
    }
  }

  /**
   * Subtracts the vertices this thread ended from {@link #remaining}, in one atomic step for a
   * whole loop; the run cannot complete before, since they are still counted.
   */
  private void settle(Frame frame) {
    int finished = frame.finished;
    if (finished > 0) {
      frame.finished = 0;
      if ((int) REMAINING.getAndAdd(this, -finished) == finished) {
        finish();
      }
    }
  }

  /**
   * {@return when the last dependency of {@code v} ended: the moment it became ready} Every
   * dependency stored its end time before decrementing {@code pending}, so all are visible here.
   */
  private long lastDependencyEnd(int v) {
    long ready = startNanos;
    for (int k = plan.depStart[v]; k < plan.depStart[v + 1]; k++) {
      ready = Math.max(ready, endAt[plan.depNode[k]]);
    }
    return ready;
  }

  private void becameReady(int v, long now, Frame frame) {
    if (cancelled != 0) {
      if (INTS.compareAndSet(state, v, WAITING, CANCELLED)) {
        readyAt[v] = startAt[v] = endAt[v] = now;
        frame.ended.push(v);
      }
    } else if (hooks != null) {
      // Announce while no one else may end the node, so NodeReady precedes its NodeEnded. A
      // canceller skips READYING vertices; the cancelled flag, set before its sweep, is read here.
      if (INTS.compareAndSet(state, v, WAITING, READYING)) {
        readyAt[v] = now;
        hooks.nodeReady(this, v, now);
        if (cancelled != 0) {
          startAt[v] = endAt[v] = clock();
          INTS.setVolatile(state, v, CANCELLED);
          frame.ended.push(v);
        } else {
          INTS.setVolatile(state, v, SCHEDULED);
          dispatch(v, frame);
        }
      }
    } else if (INTS.compareAndSet(state, v, WAITING, SCHEDULED)) {
      readyAt[v] = now;
      dispatch(v, frame);
    }
  }

  private void dispatch(int v, Frame frame) {
    if (plan.inline[v]) {
      frame.handBack(v); // cheap and non-blocking: run it here, after what this thread is doing
    } else if (frame.inline && frame.nextVertex < 0) {
      frame.nextVertex = v;
    } else {
      submit(v, frame);
    }
  }

  private void submit(int v, Frame frame) {
    var worker = new Worker(this, v, Thread.currentThread(), frame);
    try {
      executor.execute(worker);
    } catch (Throwable t) {
      if (INTS.compareAndSet(state, v, SCHEDULED, FAILED)) {
        slot[v] = t; // the executor refused it: a failure of this node, not of the run
        startAt[v] = endAt[v] = clock();
        frame.ended.push(v);
      }
    } finally {
      worker.handBack = null;
    }
  }

  /**
   * Cancels the run once: unstarted tasks become CANCELLED, running ones are interrupted.
   * {@return whether this call cancelled it}
   */
  boolean cancel(int why) {
    if (!CANCELLED_WHY.compareAndSet(this, 0, why)) {
      return false;
    }
    long now = clock();
    int count = 0;
    for (int v = 0; v < state.length; v++) {
      for (;;) {
        int s = (int) INTS.getVolatile(state, v);
        if (s == WAITING || s == SCHEDULED) {
          if (INTS.compareAndSet(state, v, s, CANCELLED)) {
            if (s == WAITING) {
              readyAt[v] = now;
            }
            startAt[v] = endAt[v] = now;
            count++;
            if (hooks != null) {
              hooks.nodeEnded(this, v);
            }
            break;
          }
        } else if (s == PAUSED || s == INTERRUPTING) {
          Thread.yield(); // between two attempts, or a timeout mid-interrupt: a moment
        } else if (s == RUNNING || s == TIMED_OUT) {
          if (INTS.compareAndSet(state, v, s, INTERRUPTING)) {
            var thread = threads[v];
            if (thread != null) {
              thread.interrupt();
            }
            INTS.setVolatile(state, v, INTERRUPTED);
            break;
          }
        } else {
          break;
        }
      }
    }
    if (count > 0 && (int) REMAINING.getAndAdd(this, -count) == count) {
      finish();
    } else {
      armCutOff();
    }
    return true;
  }

  /**
   * Bounds every cancellation, whoever asked for it: interrupted tasks get {@link
   * #STRAGGLER_GRACE_NANOS} to end, then those still running are cut off as stragglers. A
   * scheduler that refuses the timer is a fault of the run; the run then waits for its tasks.
   */
  private void armCutOff() {
    try {
      var timer = schedule(() -> offTimerThread(this::cutStragglers), STRAGGLER_GRACE_NANOS);
      stragglerTimer = timer;
      if (remaining == 0) {
        cancelTimer(timer); // the run ended meanwhile
      }
    } catch (Throwable t) {
      keepFault(t); // SchedulerFault: the scheduler's, as it says
    }
  }

  private void finish() {
    done = true; // first: a deadline timer that still gets past it fired before the end below
    endNanos = clock();
    deadlineExceeded = pastDeadline; // a timer firing from now on changes nothing reported
    var result = resultFactory.apply(this);
    if (jfrRun != null) {
      commitJfrRun();
    }
    if (hooks != null) {
      hooks.runEnded(this, result);
    }
    sealHookFailures(); // RunEnded listeners' failures are in; nothing after that is
    cancelTimer(deadlineTimer);
    cancelTimer(stragglerTimer);
    if (fault != null) {
      future.failFromRun(fault); // the run ended because of this fault: it must not be lost
    } else {
      future.completeFromRun(result);
    }
  }

  /** Cancels a timer of the run's scheduler; one whose cancel throws is a fault of the run. */
  private void cancelTimer(Future<?> timer) {
    if (timer != null) {
      try {
        timer.cancel(false);
      } catch (Throwable t) {
        keepFault(new SchedulerFault(t));
      }
    }
  }

  // ---- time: deadline, stragglers, attempts ----

  /** Timer actions may complete the future, which runs callers' callbacks: not on the timer. */
  private static void offTimerThread(Runnable action) {
    Thread.ofVirtual().name("weft-deadline").start(action);
  }

  private void deadlinePassed() {
    try {
      if (done) {
        return; // the run completed while the timer fired
      }
      pastDeadline = true;
      cancel(DEADLINE); // if already cancelled, that cancellation's cut-off is armed
    } catch (Throwable t) {
      abort(t);
    }
  }

  /** Ends, as CANCELLED, every task still running after the cancellation's grace, and the run. */
  private void cutStragglers() {
    try {
      long now = clock();
      var cut = new LinkedHashMap<Integer, Thread>();
      for (int v = 0; v < state.length; v++) {
        for (;;) {
          int s = (int) INTS.getVolatile(state, v);
          if (s == INTERRUPTING || s == PAUSED) {
            Thread.yield();
          } else if (s == RUNNING || s == INTERRUPTED || s == TIMED_OUT) {
            var thread = threads[v];
            if (INTS.compareAndSet(state, v, s, CANCELLED)) {
              endAt[v] = now;
              cut.put(v, thread);
              break;
            }
          } else {
            break;
          }
        }
      }
      if (!cut.isEmpty()) {
        // published whole before any is reported: listeners of other nodes may read it meanwhile
        stragglers = java.util.Collections.unmodifiableMap(cut);
        if (hooks != null) {
          for (int v : cut.keySet()) {
            hooks.nodeEnded(this, v);
          }
        }
        if ((int) REMAINING.getAndAdd(this, -cut.size()) == cut.size()) {
          finish();
        }
      }
    } catch (Throwable t) {
      abort(t);
    }
  }

  /**
   * Starts a timer that interrupts the current attempt of {@code vertex} after {@code nanos}.
   * Only the vertex's own thread calls this, while the vertex is RUNNING.
   */
  public Future<?> scheduleTimeout(int vertex, long nanos) {
    int current = (int) INTS.getVolatile(attempt, vertex);
    attemptEnd[vertex] = scheduler.nanoTime() + nanos;
    return scheduler.schedule(() -> interruptAttempt(vertex, current), nanos,
        TimeUnit.NANOSECONDS);
  }

  private void interruptAttempt(int vertex, int which) {
    for (;;) {
      int s = (int) INTS.getVolatile(state, vertex);
      if (s != RUNNING) {
        return; // ending, ended, or already interrupted
      }
      if (INTS.compareAndSet(state, vertex, RUNNING, INTERRUPTING)) {
        break;
      }
    }
    if ((int) INTS.getVolatile(attempt, vertex) != which) {
      INTS.setVolatile(state, vertex, RUNNING); // that attempt is over; leave the next one alone
      return;
    }
    var thread = threads[vertex];
    if (thread != null) {
      thread.interrupt();
    }
    INTS.setVolatile(state, vertex, TIMED_OUT);
  }

  /**
   * Closes the current attempt of {@code vertex}; only its own thread calls this. Clears the
   * thread's interrupt status, and leaves the vertex ready for another attempt.
   *
   * @return {@link #TIMED_OUT} if the attempt's timer interrupted it, {@link #INTERRUPTED} if the
   *     run was cancelled (the vertex stays cancelled), {@link #ABANDONED} if it was cut off as a
   *     straggler, else {@link #RUNNING}
   */
  public int endAttempt(int vertex) {
    attemptEnd[vertex] = 0;
    for (;;) {
      int s = (int) INTS.getVolatile(state, vertex);
      if (s == INTERRUPTING) {
        Thread.yield();
        continue;
      }
      if (s >= SUCCEEDED) {
        return ABANDONED;
      }
      if (INTS.compareAndSet(state, vertex, s, PAUSED)) {
        INTS.getAndAdd(attempt, vertex, 1);
        // Ours (a timeout, a cancellation) or one the attempt left set: the retry wait and the
        // next attempt start clear. In PAUSED nobody interrupts this thread.
        Thread.interrupted();
        INTS.setVolatile(state, vertex, s == INTERRUPTED ? INTERRUPTED : RUNNING);
        return s;
      }
    }
  }

  // ---- hooks for guarded attempts, context, JFR ----

  /** Reports the start of an attempt of a guarded vertex; only its own thread calls this. */
  public void attemptStarted(int vertex, int attemptNo) {
    if ((int) INTS.getVolatile(state, vertex) >= SUCCEEDED) {
      throw new java.util.concurrent.CancellationException("cut off at the run's cancellation");
    }
    INTS.setVolatile(attemptsStarted, vertex, attemptNo);
    if (hooks != null) {
      hooks.nodeStarted(this, vertex, attemptNo, scheduler.nanoTime());
    }
  }

  /** Reports that an attempt failed and another follows after {@code delayNanos}. */
  public void attemptRetried(int vertex, int attemptNo, Throwable error, long delayNanos) {
    if (hooks != null) {
      hooks.nodeRetried(this, vertex, attemptNo, error, delayNanos, scheduler.nanoTime());
    }
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

  private static final NodeExecutionEvent JFR_PROBE = new NodeExecutionEvent();
  private static final RunExecutionEvent RUN_JFR_PROBE = new RunExecutionEvent();

  /** Ends and, if it passed its threshold, commits an attempt's JFR event. */
  public void commitJfr(NodeExecutionEvent event, int vertex, int attemptNo, String outcome) {
    event.end();
    if (event.shouldCommit()) {
      event.graph = plan.graph;
      event.node = plan.names[vertex];
      event.runId = id;
      event.attempt = attemptNo;
      event.outcome = outcome;
      event.commit();
    }
  }

  private void commitJfrRun() {
    var event = jfrRun;
    event.end();
    if (event.shouldCommit()) {
      int[] counts = new int[4];
      for (int v = 0; v < state.length; v++) {
        int s = (int) INTS.getVolatile(state, v);
        if (s >= SUCCEEDED && !plan.input[v]) {
          counts[s - SUCCEEDED]++;
        }
      }
      event.graph = plan.graph;
      event.runId = id;
      event.tasks = plan.taskCount;
      event.failed = counts[FAILED - SUCCEEDED];
      event.skipped = counts[SKIPPED - SUCCEEDED];
      event.cancelled = counts[CANCELLED - SUCCEEDED];
      event.deadlineExceeded = deadlineExceeded;
      event.commit();
    }
  }

  private ContextPropagator.Scope[] restoreContext() {
    var scopes = new ContextPropagator.Scope[propagators.length];
    try {
      for (int i = 0; i < propagators.length; i++) {
        scopes[i] = propagators[i].restore(captured[i]);
      }
    } catch (Throwable t) {
      closeContext(scopes); // undo what was restored, then fail the task
      throw t;
    }
    return scopes;
  }

  private void closeContext(ContextPropagator.Scope[] scopes) {
    for (int i = scopes.length - 1; i >= 0; i--) {
      if (scopes[i] != null) {
        try {
          scopes[i].close();
        } catch (Throwable t) {
          hookFailed(t);
        }
      }
    }
  }

  /**
   * Keeps a failure of a listener or context scope, which must not disturb the run. {@return
   * whether it is the first such failure of this run}
   */
  public boolean hookFailed(Throwable failure) {
    synchronized (this) {
      if (!hookFailuresSealed) {
        if (hookFailures == null) {
          hookFailures = new ArrayList<>();
        }
        hookFailures.add(failure);
        return hookFailures.size() == 1;
      }
    }
    // The result is out and does not change: a straggler's context scope failing at its late end.
    log("after run " + id + " of graph '" + plan.graph + "' ended, a context scope or listener "
        + "failed; it is not in the run's result", failure);
    return false;
  }

  /** Logs a warning; a logger that throws (on a hostile exception, say) is not Weft's fault. */
  public static void log(String message, Throwable failure) {
    try {
      LOG.log(System.Logger.Level.WARNING, message, failure);
    } catch (Throwable ignored) {
      // nowhere left to report it
    }
  }

  /** {@return the failures of listeners and context scopes so far; fixed once the run ended} */
  public java.util.List<Throwable> hookFailures() {
    synchronized (this) {
      return hookFailures == null ? java.util.List.of() : java.util.List.copyOf(hookFailures);
    }
  }

  /** Fixes {@link #hookFailures()} as the result reports them, just before it is returned. */
  private void sealHookFailures() {
    synchronized (this) {
      hookFailuresSealed = true;
    }
  }

  /** {@return the time {@code at} (scheduler clock) as nanoseconds since the run started} */
  public long sinceStart(long at) {
    return at - startNanos;
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  /** {@return the absolute time (scheduler clock) of the run's deadline, or Long.MAX_VALUE} */
  public long deadlineAt() {
    return deadlineAt;
  }

  /** {@return the time left to {@code vertex}'s current attempt: to its timeout or the deadline} */
  public long remainingNanos(int vertex) {
    long end = deadlineAt;
    if (attemptEnd != null && attemptEnd[vertex] != 0) {
      end = Math.min(end, attemptEnd[vertex]);
    }
    return end == Long.MAX_VALUE ? Long.MAX_VALUE : end - scheduler.nanoTime();
  }

  /**
   * {@return whether the run has stopped {@code vertex}: interrupted it by a cancellation, or cut
   * it off} Its own thread asks, between attempts, whatever became of the interrupt.
   */
  public boolean stopped(int vertex) {
    int s = (int) INTS.getVolatile(state, vertex);
    return s == INTERRUPTED || s >= SUCCEEDED;
  }

  /** {@return why the run was cancelled: 0, FAIL_FAST, BY_CALLER, ENGINE_FAULT or DEADLINE} */
  public int cancelReason() {
    return cancelled;
  }

  /** {@return whether the deadline passed before the run ended, as fixed when it ended} */
  public boolean deadlineExceeded() {
    return deadlineExceeded;
  }

  /** {@return the vertex whose failure made a fail-fast run cancel, or -1} */
  public int failFastCause() {
    return failFastCause;
  }

  public long deadlineNanos() {
    return deadlineNanos;
  }

  /** {@return the vertices cut off at the deadline, with the threads still running them} */
  public Map<Integer, Thread> stragglers() {
    return stragglers;
  }

  /** {@return the attempt of {@code vertex} running now, from 1; only its own thread asks} */
  public int currentAttempt(int vertex) {
    return attemptsStarted != null && plan.guardedVertex[vertex]
        ? Math.max(1, (int) INTS.getVolatile(attemptsStarted, vertex)) : 1;
  }

  /** {@return the thread {@code vertex}'s task ran on, as "#id name", or "" if it never ran} */
  public String threadOf(int vertex) {
    var t = ranOn[vertex];
    return t == null ? "" : "#" + t.threadId() + " " + ranOnName[vertex];
  }

  /** {@return a thread as events and spans show it: "#id name"} */
  public static String label(Thread thread) {
    return "#" + thread.threadId() + " " + thread.getName();
  }

  /** {@return how many attempts {@code vertex} made: 0 if its task never started} */
  public int attempts(int vertex) {
    int ended = (int) INTS.getVolatile(attempt, vertex);
    // a guarded vertex cut off mid-attempt never ends that attempt, but it did start it
    return attemptsStarted == null ? ended
        : Math.max(ended, (int) INTS.getVolatile(attemptsStarted, vertex));
  }

  /**
   * A fault in the engine itself (or in the scheduler it was given): still complete the future,
   * with the fault, and stop what can be stopped. The fault is kept first, so that a cancellation
   * that ends the run at once fails the future with it instead of completing it with a result.
   * The run's timers are cancelled, and an interrupt the cancellation sent to this very thread
   * (when the fault hit a task's own thread) is cleared: it was meant for no task.
   */
  private void abort(Throwable t) {
    keepFault(t);
    boolean onTaskThread = isRunningTaskOn(Thread.currentThread());
    try {
      cancel(ENGINE_FAULT);
    } finally {
      cancelTimer(deadlineTimer);
      cancelTimer(stragglerTimer);
      if (onTaskThread) {
        Thread.interrupted();
      }
      future.failFromRun(fault);
    }
  }

  /**
   * Keeps the first fault of the run; the future fails with it when the run ends. What the
   * caller sees is one {@link IllegalStateException} whose cause is what was thrown: the
   * scheduler's own exception when the scheduler failed, else Weft's.
   */
  private void keepFault(Throwable t) {
    if (fault != null) {
      return;
    }
    var where = "run " + id + " of graph '" + plan.graph + "'";
    var wrapped = t instanceof SchedulerFault f
        ? new IllegalStateException("the Scheduler of " + where + " failed: "
            + Failures.describe(f.getCause()), f.getCause())
        : new IllegalStateException("Weft internal error in " + where + ": "
            + Failures.describe(t), t);
    FAULT.compareAndSet(this, null, wrapped);
  }

  /** {@return a timer from the run's scheduler} Its failure is tagged as the scheduler's. */
  private Future<?> schedule(Runnable action, long nanos) {
    try {
      return scheduler.schedule(action, nanos, TimeUnit.NANOSECONDS);
    } catch (Throwable t) {
      throw new SchedulerFault(t);
    }
  }

  /** A failure of the run's {@link Scheduler}, on its way to {@link #keepFault}. */
  private static final class SchedulerFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SchedulerFault(Throwable cause) {
      super(null, cause, false, false);
    }
  }

  /**
   * {@return the scheduler's time} A clock that throws is a fault of the run, not of one task: it
   * is kept (the future fails with it once the run has ended, so it is not lost) and the run goes
   * on with the start time in its place, so every task still ends with an outcome.
   */
  private long clock() {
    try {
      return scheduler.nanoTime();
    } catch (Throwable t) {
      keepFault(new SchedulerFault(t));
      return startNanos;
    }
  }

  // the run whose listeners the current thread is delivering an event to, if any
  private static final ThreadLocal<Run> IN_HOOK = new ThreadLocal<>();

  /**
   * Marks the current thread as delivering an event of this run to its listeners, until {@link
   * #leaveHook}; a listener that cancels the run then does not wait for the run to end, which
   * waits for this very delivery. {@return the mark to restore}
   */
  public Run enterHook() {
    var outer = IN_HOOK.get();
    IN_HOOK.set(this);
    return outer;
  }

  /** Restores the mark {@link #enterHook} returned. */
  public static void leaveHook(Run outer) {
    IN_HOOK.set(outer); // not remove(): a later set would allocate a new entry every event
  }

  /** {@return whether the current thread must not wait for this run: it is one of its own} */
  boolean isOwnThread() {
    var current = Thread.currentThread();
    return IN_HOOK.get() == this || isRunningTaskOn(current);
  }

  /** {@return whether {@code thread} is running one of this run's tasks now} */
  boolean isRunningTaskOn(Thread thread) {
    for (var t : threads) {
      if (t == thread) {
        return true;
      }
    }
    return false;
  }

  // ---- reads for tasks (their dependencies have ended, so these are stable) ----

  /** {@return the argument at value position {@code position} of {@code vertex}} */
  public Object arg(int vertex, int position) {
    int edge = plan.depStart[vertex] + position;
    return resolve(edge, plan.depKind[edge]);
  }

  /** {@return the value the edge at {@code edge} yields when read as an edge of {@code kind}} */
  public Object resolve(int edge, byte kind) {
    int up = plan.depNode[edge];
    boolean ok = (int) INTS.getVolatile(state, up) == SUCCEEDED;
    return switch (kind) {
      case Edges.REQUIRED -> slot[up];
      case Edges.OR_ELSE -> ok ? slot[up] : plan.depFallback[edge];
      case Edges.OPTIONAL -> ok ? Optional.ofNullable(slot[up]) : Optional.empty();
      default -> throw new IllegalStateException("ordering-only edge has no value");
    };
  }

  // ---- reads for the result, after the run completed ----

  public Plan plan() {
    return plan;
  }

  public long id() {
    return id;
  }

  /** {@return the terminal state of {@code vertex}: SUCCEEDED, FAILED, SKIPPED or CANCELLED} */
  public int outcome(int vertex) {
    return (int) INTS.getVolatile(state, vertex);
  }

  /** {@return the value of a succeeded vertex, or the throwable of a failed one} */
  public Object slot(int vertex) {
    return slot[vertex];
  }

  /** {@return the vertex whose failure skipped {@code vertex}} */
  public int skipRoot(int vertex) {
    return (Integer) slot[vertex];
  }

  public long readyNanos(int vertex) {
    return readyAt[vertex] - startNanos;
  }

  public long startNanos(int vertex) {
    return startAt[vertex] - startNanos;
  }

  public long endNanos(int vertex) {
    return endAt[vertex] - startNanos;
  }

  public long elapsedNanos() {
    return endNanos - startNanos;
  }

  /** The per-thread scratch of one loop: ended vertices to propagate, ready ones to run here. */
  static final class Frame {
    // false for the caller's frame, in runAsync; true for a thread of the executor
    final boolean inline;
    // the thread running this loop, and its name and context class loader before the first task:
    // each task gets the thread as the loop found it (see restoreThread)
    final Thread thread = Thread.currentThread();
    final String threadName = thread.getName();
    final ClassLoader loader = thread.getContextClassLoader();
    // Only the caller's frame: its thread runs inline tasks (all tasks, with a synchronous
    // executor), and must go back to the caller with the caller's interrupt status. An interrupt
    // found before a task is the caller's unless the last task left it; one found at the end is
    // cleared only if the last task left it. (An outside interrupt landing while a task runs on
    // the caller's thread is that task's to see, and is not told apart from what it leaves.)
    boolean callerInterrupted;
    boolean taskLeftInterrupt;
    final IntStack ended = new IntStack();
    private IntStack handedBack;
    int nextVertex = -1;
    // vertices this thread ended and has not yet subtracted from remaining
    int finished;
    // when this thread ended its last task, reused as the next task's start time (0: unknown)
    long clock;

    Frame(boolean inline) {
      this.inline = inline;
    }

    /**
     * Undoes what a task did to its thread's name or context class loader, so the next task run
     * here, or the caller's thread, does not inherit it. Thread-locals are the task's own (or a
     * {@link ContextPropagator}'s): the engine cannot know which are meant to last.
     */
    void restoreThread() {
      if (thread.getName() != threadName) {
        thread.setName(threadName);
      }
      if (thread.getContextClassLoader() != loader) {
        thread.setContextClassLoader(loader);
      }
    }

    void handBack(int v) {
      if (handedBack == null) {
        handedBack = new IntStack();
      }
      handedBack.push(v);
    }

    int next() {
      int v = nextVertex;
      if (v >= 0) {
        nextVertex = -1;
        return v;
      }
      return handedBack == null ? -1 : handedBack.pop();
    }
  }

  /** A vertex handed to the executor. */
  static final class Worker implements Runnable {
    private final Run run;
    private final int vertex;
    private final Thread submitter;
    // set while the submitter is inside execute(); read racily, see run()
    Frame handBack;

    Worker(Run run, int vertex, Thread submitter, Frame handBack) {
      this.run = run;
      this.vertex = vertex;
      this.submitter = submitter;
      this.handBack = handBack;
    }

    @Override
    public void run() {
      var frame = handBack;
      // Run by the submitting thread inside execute(): a synchronous executor. Give the vertex
      // back to the submitter's loop instead of recursing.
      if (frame != null && submitter == Thread.currentThread()) {
        frame.handBack(vertex);
      } else {
        run.work(vertex);
      }
    }

    @Override
    public String toString() {
      return "weft task '" + run.plan.name(vertex) + "' of run " + run.id;
    }
  }
}
