package dev.weft.internal;

import dev.weft.ContextPropagator;
import dev.weft.Criticality;
import dev.weft.Outcome;
import dev.weft.Scheduler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
 *   WAITING --(a required dependency did not succeed)--> SKIPPED | CANCELLED | OMITTED
 *   WAITING --(ready, but its condition does not hold)--> OMITTED
 *   WAITING | SCHEDULED --(run cancelled)--> CANCELLED
 *   RUNNING | TIMED_OUT | INTERRUPTED --(cancellation's grace over: a straggler)--> CANCELLED
 * </pre>
 *
 * <p>There is no coordinator thread. The thread that ends a vertex tells its dependents: it skips
 * those that needed a value it could not give, decrements the pending count of the others, and
 * launches those whose count reached zero. It runs one of them itself (saving a thread hop) and
 * hands the rest to the executor, except tasks marked inline (cheap, non-blocking), which it runs
 * all itself; so does the caller's thread with inline tasks that have nothing to wait for. Skips
 * cascade through an explicit stack, never recursion, so a chain of any length is safe. A
 * synchronous executor (one that runs the task inside {@code execute}) is detected by the {@link
 * Frame.Worker} and turned into a loop on the same stack. Every task starts on a clean thread:
 * interrupt status cleared, name and context class loader as its loop found them ({@link Frame}).
 *
 * <p>Cancellation (fail-fast, the caller, the future, a fault, the deadline) sets {@link
 * #cancelled} once, then sweeps the vertices (a task that ends with a {@code
 * CancellationException} once it is set is cancelled too, swept or not: what it ran inside saw
 * the cancellation first): unstarted ones become CANCELLED, running ones are
 * interrupted. The RUNNING/INTERRUPTING/INTERRUPTED handshake (as in {@code FutureTask})
 * guarantees an interrupt meant for one task never reaches the next task run on the same thread:
 * the task's thread waits out INTERRUPTING, then clears the interrupt it was sent. Such waits
 * yield rather than spin: a spinning virtual thread can hold one of few carriers while the thread
 * it waits for, virtual too, cannot run. Every cancellation arms the {@link CutOff}, which ends
 * tasks that ignore the interrupt as stragglers after a short grace; the attempt protocol of
 * guarded tasks (timeouts, retries) is {@link Attempts}.
 *
 * <p>{@link #remaining} counts tasks not yet ended; the thread that brings it to zero completes
 * the future. A thread subtracts the vertices it ended once per loop (its frame's {@code
 * finished}), and records, before each task, how many it still owes (in {@link #pending}), so a
 * cut-off that ends its task can subtract them for it. Memory consistency: a task's writes
 * happen-before its dependents read them (the pending count is decremented with a volatile
 * read-modify-write after the value is stored), and all writes happen-before the future
 * completes (the same holds for {@code remaining}).
 *
 * @param <R> what the run's future yields
 */
public final class Run<R> {
  static final int WAITING = 0;
  static final int SCHEDULED = 1;
  static final int RUNNING = 2;
  static final int INTERRUPTING = 3;
  static final int INTERRUPTED = 4;
  static final int TIMED_OUT = 5;
  static final int PAUSED = 6;
  /** Its readiness is being announced to listeners; the announcing thread owns it. */
  static final int READYING = 7;
  static final int SUCCEEDED = 10;
  static final int FAILED = 11;
  static final int SKIPPED = 12;
  static final int CANCELLED = 13;
  static final int OMITTED = 14;

  static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  /** Added to the pending count of a vertex cancelled while it waited: see readyAt. */
  static final int NEVER_READY = 1 << 30;
  private static final VarHandle REMAINING;
  private static final VarHandle FAIL_FAST_CAUSE;
  private static final VarHandle CANCELLED_BY;
  private static final VarHandle ACTIVE;
  private static final VarHandle LOADS;
  private static final AtomicLong IDS = new AtomicLong();
  private static final Outcome.Status[] STATUS = Outcome.Status.values();

  static {
    try {
      var lookup = MethodHandles.lookup();
      REMAINING = lookup.findVarHandle(Run.class, "remaining", int.class);
      FAIL_FAST_CAUSE = lookup.findVarHandle(Run.class, "failFastCause", int.class);
      CANCELLED_BY = lookup.findVarHandle(Run.class, "cancelled", CancelCause.class);
      ACTIVE = lookup.findVarHandle(Run.class, "active", int.class);
      LOADS = lookup.findVarHandle(Run.class, "loads", Quiet.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Plan plan;
  final long id;
  final Executor executor;
  private final boolean failFast;
  final RunHooks<R> hooks;
  final Scheduler scheduler;
  // what the run's guarded calls claim of a saturated bulkhead (a subgraph's run: its outer run's)
  private final Criticality criticality;
  // the context propagators carry to every task, captured on the caller's thread; or null
  final Context context;
  // the ScopedValues bound around every task body, captured on the caller's thread; or null
  final ScopedBindings bindings;
  private final RunFuture<R> future;
  private final Function<Run<R>, R> resultFactory;
  final Attempts attempts;
  final CutOff cutOff;
  final Faults faults;
  final long startNanos;
  // written by the thread that completes the run, before the future completes
  long endNanos;

  // Per vertex. state and pending are accessed atomically by any thread of the run; the others
  // are written only by the thread that owns the vertex's transition (see the notes above).
  final int[] state;
  // per vertex: dependencies not yet ended, counted down only for those with more than one; 0
  // once it became ready, NEVER_READY added when it ends without (so it stays above 0 whatever
  // ends after it); once it runs, -1 minus what its thread owes (see runVertex and owed)
  final int[] pending;
  final Object[] slot;
  // The thread a vertex's task runs on: written before it is claimed (so an interrupter that sees
  // it running finds its thread), kept after it ended (for its span). Whether the task runs on it
  // now is the state's to say; ranOnName, the thread's name as the task started, says it did.
  final Thread[] threads;
  final String[] ranOnName;
  final long[] startAt;
  final long[] endAt;

  volatile int remaining;
  private volatile CancelCause cancelled;
  // the run and node that run this one as a subgraph (and why they stopped it), or null
  private final Parent parent;
  // the outermost run: this one, or the root of the run whose node runs this one as a subgraph
  final Run<?> root;
  // Only on the root: how many of the request's threads may still ask a loader for a key (see
  // enter), and the loaders' state, created by the first load
  private volatile int active;
  private volatile Quiet loads;
  volatile int failFastCause = -1;
  // set once the run has completed
  volatile boolean done;
  private Readout readout;
  // JFR run event, when JFR records it; begun by the caller, committed by the finishing thread
  private final RunExecutionEvent jfrRun;

  private Run(Plan plan, Object[] values, Settings<R> settings,
      Function<Run<R>, R> resultFactory) {
    this.plan = plan;
    this.id = IDS.incrementAndGet();
    this.executor = settings.executor();
    this.failFast = settings.failFast();
    this.scheduler = settings.scheduler();
    this.criticality = settings.criticality();
    this.hooks = settings.hooks();
    this.parent = settings.parent();
    this.root = parent == null ? this : parent.root;
    this.resultFactory = resultFactory;
    this.faults = new Faults(this);
    this.context = Context.capture(settings.propagators(), this);
    this.bindings = ScopedBindings.capture(settings.scopedValues());
    int n = plan.size();
    this.state = new int[n];
    this.pending = plan.initialPending.clone();
    this.slot = values; // the inputs' values, bound by vertex: the run's own from now on
    this.threads = new Thread[n];
    this.ranOnName = new String[n];
    this.startAt = new long[n];
    this.endAt = new long[n];
    this.future = new RunFuture<>(this);
    this.attempts = new Attempts(this, state, threads, plan.guarded);
    if (Jfr.runs()) {
      this.jfrRun = new RunExecutionEvent();
      jfrRun.begin();
    } else {
      this.jfrRun = null; // no allocation per run while JFR does not record runs
    }
    this.startNanos = scheduler.nanoTime();
    this.cutOff = new CutOff(this, settings.hasDeadline(), settings.deadlineNanos(), startNanos);
  }

  /**
   * Starts a run; {@code inputValues} is indexed by vertex, one slot per vertex, already checked,
   * and becomes the run's own (it holds every vertex's value from then on). Tasks with nothing
   * to wait for are handed to {@code executor}; with a synchronous executor the whole run happens
   * before this method returns.
   */
  public static <R> CompletableFuture<R> start(Plan plan, Object[] inputValues,
      Settings<R> settings, Function<Run<R>, R> resultFactory) {
    var run = new Run<>(plan, inputValues, settings, resultFactory);
    run.begin();
    return run.future;
  }

  /**
   * Starts a run inside task {@code key} of {@code site}: a subgraph's run, recorded as what that
   * task runs, so that stopping the task cancels it. Recorded once begun (a run cancelled before
   * it begins would lose count of its tasks); a task stopped meanwhile cancels it then, in {@link
   * Attempts#adopt}.
   */
  public static <R> CompletableFuture<R> startInside(Plan plan, Object[] inputValues,
      Settings<R> settings, Function<Run<R>, R> resultFactory, Attempts site, int key) {
    var run = new Run<>(plan, inputValues, settings, resultFactory);
    run.begin(() -> {
      if (!site.adopt(key, run)) {
        run.cancelFromParent(site.stopText()); // its task was cut off: it ends on its own
      }
    });
    return run.future;
  }

  private void begin() {
    begin(null);
  }

  /**
   * Starts the run; {@code started}, if not null, runs once its inputs hold their values, its
   * task count is set and RunStarted is reported, before any task is ready: a subgraph's run is
   * adopted by its node there, and a node already stopped cancels it at once, as a run begun.
   */
  private void begin(Runnable started) {
    // this thread, while it starts the run and runs its inline roots; unless it is counted
    // already, as a task's of the same request starting a subgraph's run
    var outer = Frame.current();
    boolean count = outer == null || outer.run.root != root;
    var frame = new Frame(this, false);
    frame.enter(); // a task of another run may be starting this one, on this thread
    if (count) {
      enter(1);
    }
    try {
      for (int v : plan.inputs) {
        state[v] = SUCCEEDED; // its value is in its slot already
        startAt[v] = endAt[v] = startNanos;
      }
      remaining = plan.taskCount;
      if (hooks != null) {
        hooks.runStarted(this);
      }
      if (started != null) {
        started.run();
      }
      if (plan.taskCount == 0) {
        finish();
        return;
      }
      if (done) {
        return; // stopped by what it runs inside, in started: it has ended already
      }
      cutOff.armDeadline(); // from the run's start: RunStarted listeners must not push it
      for (int r : plan.roots) {
        becameReady(r, frame); // ready at the run's start: lastDependencyEnd says so
      }
      drainEnded(frame);
      loop(-1, frame);
    } catch (Throwable t) {
      faults.abort(t);
    } finally {
      frame.returnCallerThread();
      frame.leave();
      if (count) {
        exit();
      }
    }
  }

  /** Runs {@code first} on the current thread, then whatever this thread should continue with. */
  void work(int first) {
    var frame = new Frame(this, true);
    frame.enter();
    try {
      loop(first, frame);
    } catch (Throwable t) {
      faults.abort(t);
    } finally {
      Thread.interrupted(); // the executor's thread goes back as it came: nothing a task left
      frame.leave();
      exit(); // counted since it was handed to the executor (see submit)
    }
  }

  /** {@return the run whose task runs on this thread now, or null} See TaskContext.current(). */
  public static Run<?> currentRun() {
    var frame = Frame.current();
    return frame == null || frame.current < 0 ? null : frame.run;
  }

  /**
   * {@return the table of the task running on this thread now: the run's vertices, or a
   * fan-out's elements; valid if currentRun() is not null}
   */
  public static Attempts currentSite() {
    var frame = Frame.current();
    return frame == null ? null : frame.site != null ? frame.site : frame.run.attempts;
  }

  /** {@return the key, in {@link #currentSite()}, of the task running on this thread now} */
  public static int currentKey() {
    var frame = Frame.current();
    return frame == null ? -1 : frame.current;
  }

  private void loop(int first, Frame frame) {
    for (int v = first < 0 ? frame.next() : first; v >= 0; v = frame.next()) {
      runVertex(v, frame);
    }
    finished(frame.finished);
    frame.finished = 0;
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
    // pending[v] reached 0 when v became ready and no one counts it down again: it now holds
    // what this thread ended and still owes remaining, which a cut-off of v subtracts for it,
    // as -1 - owed, so that it still says v became ready (see readyAt)
    pending[v] = -1 - frame.finished;
    if (!INTS.compareAndSet(state, v, SCHEDULED, RUNNING)) {
      threads[v] = null; // cancelled, or refused by the executor, before it could start
      return;
    }
    long clock = frame.clock;
    // Reusing this thread's last end time saves a clock read; never earlier than readiness, which
    // another thread's later end may have set.
    startAt[v] = clock != 0 ? Math.max(clock, lastDependencyEnd(v)) : taskClock();
    frame.clock = 0;
    ranOnName[v] = frame.threadName; // as it is now: a later rename changes no returned span
    NodeExecutionEvent jfr = null;
    Object result;
    int outcome;
    if (cancelled != null) {
      result = null;
      outcome = CANCELLED;
    } else {
      ContextPropagator.Scope[] scopes = null;
      try {
        // Context first, so listeners see it at NodeStarted for every kind of node.
        scopes = context == null ? null : context.restore();
        if (!plan.guardedVertex[v]) {
          attempts.single(v);
          if (hooks != null) {
            int held = attempts.hold(v); // NodeStarted before any NodeEnded of the cut-off
            if (held < 0) {
              throw new CancellationException("cut off at the run's cancellation");
            }
            try {
              hooks.nodeStarted(this, v, 1, startAt[v]);
            } finally {
              attempts.release(v, held);
            }
          }
          jfr = Attempts.beginJfr();
        }
        frame.current = v;
        // a guarded task's policies bind ScopedValues around each attempt (Attempts.call)
        result = plan.guardedVertex[v] || bindings == null ? plan.invokers[v].invoke(this, v)
            : attempts.call(v, plan.invokers[v]);
        outcome = SUCCEEDED;
      } catch (Throwable t) {
        result = t;
        // Stopped by the run's cancellation before the sweep reached it: what it ran inside (a
        // fan-out's elements, hedges, a subgraph) saw the cancellation first and ended cancelled
        outcome = t instanceof CancellationException && cancelled != null ? CANCELLED : FAILED;
      } finally {
        frame.current = -1;
        if (scopes != null) {
          context.close(scopes);
        }
        frame.restoreThread();
      }
    }
    long now = taskClock();
    int end = attempts.settle(v, outcome);
    if (end < 0) {
      // Cut off as a straggler: the run has ended without this task, and the cut-off counted
      // what this thread owed. Nothing of the completed run may be touched.
      frame.taskLeftInterrupt = false;
      frame.finished = 0;
      return;
    }
    // Readers are ordered after these writes by the pending and remaining decrements below.
    slot[v] = result;
    endAt[v] = now;
    if (!frame.inline) {
      frame.taskLeftInterrupt = Thread.currentThread().isInterrupted();
    }
    if (jfr != null) {
      attempts.commitJfr(jfr, v, 1, STATUS[end - SUCCEEDED]);
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
      if (s == FAILED && failFast && !plan.absorbs[e] && cancelled == null) {
        // What the failure skips is skipped, naming it, before the cancellation claims the rest.
        skipRequiredDescendants(e, frame);
        // named before the cancellation, once: every reason, whoever writes it, names the same
        FAIL_FAST_CAUSE.compareAndSet(this, -1, e);
        cancel(CancelCause.FAIL_FAST);
      }
      for (int k = plan.outStart[e]; k < plan.outStart[e + 1]; k++) {
        int d = plan.outNode[k];
        if (s != SUCCEEDED && plan.outRequired[k]) {
          skip(d, s, e, frame);
        } else if (plan.initialPending[d] == 1) {
          // its only dependency: no other thread counts it down, so no atomic is needed (the
          // state's CAS in becameReady publishes it to whoever runs or cancels it)
          becameReady(d, frame);
        } else if ((int) INTS.getAndAdd(pending, d, -1) == 1) {
          becameReady(d, frame);
        }
      }
    }
    frame.finished += finished; // subtracted when the thread runs out of work: see loop()
  }

  /**
   * Ends waiting {@code d}, a dependent on a required edge of {@code e}, which ended in state
   * {@code s} without a value: SKIPPED naming the failed root, OMITTED naming the omitted one, or
   * CANCELLED after a cancellation.
   * {@return whether this call ended it}
   */
  private boolean skip(int d, int s, int e, Frame frame) {
    int end = s == CANCELLED || s == OMITTED ? s : SKIPPED;
    if (!INTS.compareAndSet(state, d, WAITING, end)) {
      return false;
    }
    // skipped and omitted vertices hold the vertex that failed or was omitted first
    slot[d] = s == SKIPPED || s == OMITTED ? slot[e] : s == FAILED ? Integer.valueOf(e) : null;
    startAt[d] = endAt[d] = endAt[e]; // never ready: its ready time is its end (see readyAt)
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
        if (plan.outRequired[k] && skip(plan.outNode[k], x == root ? FAILED : SKIPPED, x, frame)) {
          reached.push(plan.outNode[k]);
        }
      }
    }
  }

  /** Subtracts {@code count} ended vertices from {@link #remaining}; the last completes the run. */
  void finished(int count) {
    if (count > 0 && (int) REMAINING.getAndAdd(this, -count) == count) {
      finish();
    }
  }

  /**
   * {@return when {@code v} became ready, or, if it never did (skipped, or cancelled while it
   * waited), when it ended} Not stored: a vertex became ready when its last dependency ended
   * (the run's start for one with none), which the end times of its dependencies say; whether
   * it did, its pending count says: 0 or below once it did, above 0 for ever for one skipped
   * (the edge that skipped it is never counted down) or cancelled while it waited ({@link
   * #NEVER_READY} added as it ended, so dependencies that end after it cannot bring it to 0).
   * Read once it has ended: the same value whenever read after that.
   */
  long readyAt(int v) {
    return pending[v] <= 0 ? Math.min(lastDependencyEnd(v), startAt[v]) : startAt[v];
  }

  /** {@return what the thread running {@code v} owes {@link #remaining}: see runVertex} */
  int owed(int v) {
    return -1 - pending[v];
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

  /** {@code v}'s last dependency has ended: runs, hands on, omits or cancels it. */
  private void becameReady(int v, Frame frame) {
    if (plan.conditions[v] != null && cancelled == null
        && !conditionHolds(v, lastDependencyEnd(v), frame)) {
      return; // omitted, or failed by its condition
    }
    if (cancelled != null) {
      if (INTS.compareAndSet(state, v, WAITING, CANCELLED)) {
        startAt[v] = endAt[v] = lastDependencyEnd(v);
        frame.ended.push(v);
      }
    } else if (hooks != null) {
      // Announce while no one else may end the node, so NodeReady precedes its NodeEnded. A
      // canceller skips READYING vertices; the cancelled flag, set before its sweep, is read here.
      if (INTS.compareAndSet(state, v, WAITING, READYING)) {
        pending[v] = 0; // it became ready (see readyAt); no dependency counts it down any more
        hooks.nodeReady(this, v, lastDependencyEnd(v));
        if (cancelled != null) {
          startAt[v] = endAt[v] = taskClock();
          INTS.setVolatile(state, v, CANCELLED);
          frame.ended.push(v);
        } else {
          INTS.setVolatile(state, v, SCHEDULED);
          dispatch(v, frame);
        }
      }
    } else if (INTS.compareAndSet(state, v, WAITING, SCHEDULED)) {
      pending[v] = 0; // it became ready (see readyAt); no dependency counts it down any more
      dispatch(v, frame);
    }
  }

  /**
   * Decides the condition of ready {@code v} on this thread. {@return whether it holds} If not, or
   * if it throws, ends {@code v} now: OMITTED, or FAILED with what it threw.
   */
  private boolean conditionHolds(int v, long now, Frame frame) {
    Object failure = null;
    try {
      if (plan.conditions[v].test(this, v)) {
        return true;
      }
    } catch (Throwable t) {
      failure = t;
    }
    if (INTS.compareAndSet(state, v, WAITING, failure == null ? OMITTED : FAILED)) {
      slot[v] = failure == null ? Integer.valueOf(v) : failure;
      startAt[v] = endAt[v] = now;
      frame.ended.push(v);
    }
    return false;
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
    var worker = new Frame.Worker(this, v, Thread.currentThread(), frame);
    // Active from now until its loop ends, so the request cannot go quiet while it is on its
    // way. (A bounded pool whose threads all wait on keys holds it queued: then the loaders'
    // backstop, which sees no progress, sends the keys.)
    enter(1);
    try {
      executor.execute(worker);
    } catch (Throwable t) {
      exit();
      if (INTS.compareAndSet(state, v, SCHEDULED, FAILED)) {
        slot[v] = t; // the executor refused it: a failure of this node, not of the run
        startAt[v] = endAt[v] = taskClock();
        frame.ended.push(v);
      }
    } finally {
      worker.handBack = null;
    }
  }

  /**
   * Cancels the run once: unstarted tasks become CANCELLED, running ones are interrupted, and the
   * cut-off is armed. {@return whether this call cancelled it}
   */
  boolean cancel(CancelCause why) {
    if (!CANCELLED_BY.compareAndSet(this, null, why)) {
      return false;
    }
    int count = cutOff.sweep();
    finished(count);
    // Hold the run open while the cut-off is armed: a scheduler that refuses the timer is a
    // fault the future must carry, so the run must not complete before it is kept.
    for (int r = remaining; r > 0; r = remaining) {
      if (REMAINING.compareAndSet(this, r, r + 1)) {
        try {
          cutOff.armCutOff();
        } finally {
          finished(1);
        }
        break;
      }
    }
    return true;
  }

  private void finish() {
    done = true; // first: a deadline timer that still gets past it fired before the end below
    endNanos = clock();
    cutOff.runEnded(); // what is reported about the deadline is fixed now
    var result = resultFactory.apply(this);
    if (jfrRun != null) {
      readout().commitJfr(jfrRun);
    }
    if (hooks != null) {
      hooks.runEnded(this, result);
    }
    faults.sealHookFailures(); // RunEnded listeners' failures are in; nothing after that is
    if (faults.fault() != null) {
      future.failFromRun(faults.fault()); // the run ended because of this fault: not lost
    } else {
      future.completeFromRun(result);
    }
  }

  // ---- faults, the clock, reports from the run's parts ----

  /** Completes the future with the kept fault once the run could not end by itself. */
  void failFuture(Throwable fault) {
    cutOff.stop();
    future.failFromRun(fault);
  }

  /**
   * {@return the scheduler's time} A clock that throws is a fault of the run, not of one task: it
   * is kept (the future fails with it once the run has ended, so it is not lost) and the run goes
   * on with the start time in its place, so every task still ends with an outcome.
   */
  long clock() {
    try {
      return scheduler.nanoTime();
    } catch (Throwable t) {
      faults.keep(new Faults.SchedulerFault(t));
      return startNanos;
    }
  }

  /**
   * {@return the time for a task's span: the scheduler's, or the run's start when the graph
   * takes no task times ({@code GraphBuilder.withoutTaskTimes}), which reads no clock per task}
   */
  long taskClock() {
    return plan.timed ? clock() : startNanos;
  }

  /**
   * {@return the time of an event about a task: the scheduler's (a clock that throws fails the
   * report, as it did the call it reports), or the run's start when the graph takes no task
   * times}
   */
  long eventClock() {
    return plan.timed ? scheduler.nanoTime() : startNanos;
  }

  // hooks for the run's parts (the attempt protocol, the cut-off), which see it as Run<?>

  void reportStarted(int vertex, int attempt) {
    if (hooks != null) {
      hooks.nodeStarted(this, vertex, attempt, eventClock());
    }
  }

  void reportRetried(int vertex, int attempt, Throwable error, long delayNanos) {
    if (hooks != null) {
      hooks.nodeRetried(this, vertex, attempt, error, delayNanos, eventClock());
    }
  }

  void reportEnded(int vertex) {
    if (hooks != null) {
      hooks.nodeEnded(this, vertex);
    }
  }

  /**
   * {@return whether {@code thread} is running one of this run's tasks now} A straggler's thread
   * still is: the run ended its task, not the task itself.
   */
  boolean isRunningTaskOn(Thread thread) {
    for (int v = 0; v < threads.length; v++) {
      if (threads[v] == thread) {
        int s = (int) INTS.getVolatile(state, v);
        if (s >= RUNNING && s <= PAUSED
            || s == CANCELLED && cutOff.stragglers().get(v) == thread) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@return whether the current thread must not wait for this run: it is one of its own} */
  boolean isOwnThread() {
    var frame = Frame.current(); // a loop of this run: a task's, or a fan-out's lane
    return Faults.inHookOf(this) || frame != null && frame.run == this
        || isRunningTaskOn(Thread.currentThread());
  }

  /**
   * Cancels this run because the node running it as a subgraph was stopped ({@code why}): the
   * outer run was cancelled, or the node timed out.
   */
  void cancelFromParent(String why) {
    if (cancelled == null && parent != null) {
      parent.reason = why;
      cancel(CancelCause.PARENT);
    }
  }

  /** {@return why the node running this run as a subgraph stopped it, or null} */
  String parentReason() {
    return parent == null ? null : parent.reason;
  }

  /** {@return the id of the run whose node runs this one as a subgraph, or 0} */
  public long parentRunId() {
    return parent == null ? 0 : parent.runId;
  }

  /** {@return the name of the node that runs this one as a subgraph, or null} */
  public String parentNode() {
    return parent == null ? null : parent.node;
  }

  void reportElementStarted(int vertex, int element, int attempt) {
    hooks.elementStarted(this, vertex, element, attempt, eventClock());
  }

  void reportElementRetried(int vertex, int element, int attempt, Throwable error,
      long delayNanos) {
    if (hooks != null) {
      hooks.elementRetried(this, vertex, element, attempt, error, delayNanos,
          eventClock());
    }
  }

  void reportElementEnded(int vertex, int element) {
    hooks.elementEnded(this, vertex, element);
  }

  /** The future was completed from outside or cancelled: cancel the run for its caller. */
  void cancelByCaller() {
    cancel(CancelCause.CALLER);
  }

  // ---- activity: when loaders may send their keys ----

  /**
   * What the run's loaders do when the request goes quiet: every thread that could still ask a
   * loader for a key is waiting on one, or has ended. Implemented by the public layer.
   */
  public interface Quiet {
    /** Sends the keys the loaders hold; called on the thread that brought the count to zero. */
    void quiescent();

    /**
     * The run's cut-off: ends the loaders' calls that still hold the run open, as stragglers
     * recorded in {@code into} by label ({@code loader users#2}). {@return what releases their
     * holds, to run once they are published}
     */
    Runnable cutOff(java.util.Map<String, Thread> into);
  }

  /**
   * Counts {@code n} more threads of the request as active: they may ask a loader for a key.
   * Counted are the threads that run the request's tasks (each loop from the moment it is handed
   * to an executor until it ends; a fan-out's lanes alike) and the threads that wake waiting
   * ones. A thread that waits for something Weft will wake it from (a loader's keys, a fan-out's
   * elements, a subgraph's run) stops counting while it waits ({@link Waiting}); whoever wakes it
   * counts it again first, so the count reaches zero only when every thread that could ask for a
   * key is waiting on a loader or gone. The count is kept on the root run, for a whole request.
   */
  public void enter(int n) {
    ACTIVE.getAndAdd(root, n);
  }

  /** Counts one thread less; the one that brings the count to zero tells the loaders. */
  public void exit() {
    if ((int) ACTIVE.getAndAdd(root, -1) == 1) {
      quiescent();
    }
  }

  /** {@return whether this thread's exit brought the count to zero} It tells no loader. */
  boolean exitQuietly() {
    return (int) ACTIVE.getAndAdd(root, -1) == 1;
  }

  /** Tells the request's loaders, if it has any, that it has gone quiet. */
  void quiescent() {
    var quiet = root.loads;
    if (quiet != null) {
      quiet.quiescent();
    }
  }

  /**
   * {@return a mark that changes as the request makes progress: its outermost run's tasks end,
   * its threads start, wait and stop} Two equal marks a while apart suggest that nothing ran.
   */
  public long progressMark() {
    return ((long) root.remaining << 32) | (root.active & 0xffffffffL);
  }

  /** {@return the request's loader state, made by {@code create} on first use} */
  public Quiet loads(java.util.function.Supplier<? extends Quiet> create) {
    var quiet = root.loads;
    if (quiet == null) {
      var fresh = create.get();
      quiet = LOADS.compareAndSet(root, null, fresh) ? fresh : root.loads;
    }
    return quiet;
  }

  /** {@return the request's loader state, or null if nothing was loaded} */
  public Quiet loadsIfAny() {
    return root.loads;
  }

  /** Keeps a failure of the scheduler met outside any task: the future fails with it. */
  public void keepSchedulerFault(Throwable t) {
    faults.keep(new Faults.SchedulerFault(t));
  }

  /** {@return the time left until the run's deadline, on its clock; Long.MAX_VALUE for none} */
  public long untilDeadlineNanos() {
    long at = cutOff.deadlineAt;
    return at == Long.MAX_VALUE ? Long.MAX_VALUE : at - scheduler.nanoTime();
  }

  /** {@return when the run started, on its scheduler's clock} */
  public long startNanos() {
    return startNanos;
  }

  /** {@return whether the run has completed} */
  public boolean isDone() {
    return done;
  }

  /** {@return the outermost run of the request: this one, unless it is a subgraph's} */
  public Run<?> root() {
    return root;
  }

  /**
   * Holds the run open for work it started outside its tasks (a loader's call): it does not
   * complete before {@link #releaseHold}. {@return false if it has completed already}
   */
  public boolean hold() {
    for (int r = remaining; r > 0; r = remaining) {
      if (REMAINING.compareAndSet(this, r, r + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Ends one {@link #hold}. */
  public void releaseHold() {
    finished(1);
  }

  /** Adds the threads of work the run started that outlive it, named by {@code label}. */
  public void addStragglers(java.util.Map<String, Thread> more) {
    cutOff.addInnerStragglers(more);
  }

  /** {@return whether task {@code key} of {@code site} belongs to an inline node} */
  public static boolean inline(Attempts site, int key) {
    return site.run.plan.inline[site.owner(key)];
  }

  /** {@return the path of the task running on this thread: photos[3], host/profile} */
  public static String currentPath() {
    var site = currentSite();
    int key = currentKey();
    var path = site.label(key);
    for (var r = site.run; r.parent != null; r = r.parent.run) {
      path = r.parent.node + "/" + path;
    }
    return path;
  }

  // ---- what crosses to the API, typed: for tasks while they run; the rest in Readout ----

  /** {@return the run's id, unique within this JVM} */
  public long id() {
    return id;
  }

  public Plan plan() {
    return plan;
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  /** {@return the executor the run hands its tasks to} */
  public Executor executor() {
    return executor;
  }

  /** {@return the run's criticality: what its guarded calls claim of a saturated bulkhead} */
  public Criticality criticality() {
    return criticality;
  }

  /** {@return whether the run fails fast} */
  public boolean failFast() {
    return failFast;
  }

  /** {@return what the run reports progress to, or null} */
  public RunHooks<R> hooks() {
    return hooks;
  }

  /** {@return the ScopedValues the run re-binds around its tasks} */
  public Object[] scopedValues() {
    return bindings == null ? Settings.NONE : bindings.keys();
  }

  /** {@return the context propagators the run carries to its tasks} */
  public ContextPropagator[] propagators() {
    return context == null ? new ContextPropagator[0] : context.propagators();
  }

  /** {@return the value of {@code vertex}'s dependency at {@code position}, read as {@code kind}} */
  public Object value(int vertex, int position, EdgeKind kind) {
    return resolve(plan.depStart[vertex] + position, kind);
  }

  /** {@return the attempt protocol, for invokers of guarded tasks} */
  public Attempts attempts() {
    return attempts;
  }

  /** {@return the run's faults and failures of listeners and context scopes} */
  public Faults faults() {
    return faults;
  }

  /** {@return outcomes, spans and timings, typed: read by tasks, listeners and the result} */
  public Readout readout() {
    var r = readout;
    if (r == null) {
      readout = r = new Readout(this); // racy but idempotent: it holds nothing of its own
    }
    return r;
  }

  /** {@return why the run was cancelled, or null while it is not} */
  public CancelCause cancelled() {
    return cancelled;
  }

  /** {@return the value of the argument at value position {@code position} of {@code vertex}} */
  public Object arg(int vertex, int position) {
    int edge = plan.depStart[vertex] + position;
    return resolve(edge, plan.depKind[edge]);
  }

  /** {@return the value the edge at {@code edge} yields when read as an edge of {@code kind}} */
  public Object resolve(int edge, EdgeKind kind) {
    int up = plan.depNode[edge];
    boolean ok = (int) INTS.getVolatile(state, up) == SUCCEEDED;
    return switch (kind) {
      case REQUIRED -> slot[up];
      case OR_ELSE -> ok ? slot[up] : plan.depFallback[edge];
      case OPTIONAL -> ok ? Optional.ofNullable(slot[up]) : Optional.empty();
      case OUTCOME -> readout().outcome(up);
      case ORDER, ORDER_OPTIONAL -> throw new IllegalStateException("ordering-only edge");
    };
  }

}
