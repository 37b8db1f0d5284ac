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

import dev.weft.ContextPropagator;
import dev.weft.Outcome;
import dev.weft.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The hedged attempts of one attempt of a task (a node's, or a fan-out element's): the first on
 * the task's own thread, each hedge on a virtual thread of its own, started after a delay or at
 * once when an attempt fails; the first to succeed wins and the others are stopped. Each is a
 * task of this table, run by {@link Attempts}' protocol like any other, ending in exactly one
 * outcome; the table is what its task runs inside ({@link Attempts#adopt}), so stopping the task
 * (its timeout, the run's cancellation) stops every attempt, and the run's cut-off ends them.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>Launches, ends and the winner are decided under this table's monitor, held only for
 * bookkeeping (no user code, no executor): {@code launched} attempts have been handed a thread,
 * {@code endedCount} of them have ended. The task's thread, once its own attempt ended, waits
 * until every launched attempt has ended and no further one can be launched (a winner, a stop,
 * all sent, or nothing left to send them in). A hedge's thread is counted as active for the
 * request's loaders ({@link Run#enter}) from its launch until it ends, and wakes the task's
 * thread before it stops counting.
 */
public final class Hedges extends Attempts {
  /** One attempt's call under the policies each attempt has (breaker, bulkhead). */
  @FunctionalInterface
  public interface Call {
    /** Runs attempt {@code k} of {@code hedges}; ends in {@link Attempts#call}. */
    Object run(Hedges hedges, int k) throws Throwable;
  }

  /** When hedges are sent, and what they are told: implemented by the node's policies. */
  public interface Policy {
    /** {@return the delay before the next hedge, in nanos from now; negative for none} */
    long delayNanos(long now);

    /** {@return whether hedge {@code k} (from 1) may be sent: its budget allows it} */
    boolean mayHedge(int k);

    /** An attempt ended after {@code nanos}, at {@code now}: a latency sample. */
    void sample(long nanos, long now);

    /** Hedge {@code k}, paid for by {@link #mayHedge}, was stopped before it was sent. */
    void unsent(int k);
  }

  private final Attempts outer;
  private final int outerKey;
  private final int max;
  private final Call call;
  private final Policy policy;
  private final Thread coordinator = Thread.currentThread();
  private final long[] startAt;
  private final long[] endAt;
  private final Object[] slot;
  private final String[] ranOnName;
  private final boolean[] cut;
  private final String[] reasons; // why each cancelled attempt was, fixed when it ended
  private final long readyAt;

  // guarded by this
  private int launched;
  private int endedCount;
  private Future<?> timer;
  private boolean spent; // the budget refused a hedge: no more for this attempt
  private int arming; // launches between reserving their attempt and arming the next timer
  private boolean finished; // the task's thread has stopped waiting: nothing more is sent
  private volatile int winner = -1;
  private volatile String stopReason;
  private volatile Waiting waiting;

  private Hedges(Attempts outer, int outerKey, int max, Call call, Policy policy) {
    super(outer.run, scheduled(max), new Thread[max], false);
    this.outer = outer;
    this.outerKey = outerKey;
    this.max = max;
    this.call = call;
    this.policy = policy;
    this.startAt = new long[max];
    this.endAt = new long[max];
    this.slot = new Object[max];
    this.ranOnName = new String[max];
    this.cut = new boolean[max];
    this.reasons = new String[max];
    this.readyAt = outer.run.taskClock();
    // the first attempt counts as launched from the start: a cut-off between the adoption and
    // its start ends it unstarted, and it then never runs (it ran after its task was cut once)
    this.launched = 1;
  }

  private static int[] scheduled(int n) {
    var state = new int[n];
    Arrays.fill(state, SCHEDULED);
    return state;
  }

  /**
   * Runs task {@code key} of {@code outer} as up to {@code 1 + maxHedges} hedged attempts, the
   * first on this thread (the task's), and waits for them. {@return the winner's value} Throws
   * the first attempt's failure (the others' attached) when every attempt failed, and {@link
   * CancellationException} when the task was stopped.
   */
  public static Object run(Attempts outer, int key, int maxHedges, Call call, Policy policy)
      throws Throwable {
    var hedges = new Hedges(outer, key, 1 + maxHedges, call, policy);
    if (!outer.adopt(key, hedges)) { // from now on, stopping the task stops its attempts
      throw new CancellationException("cut off before its attempts were set up");
    }
    hedges.armNext();
    hedges.attempt(0);
    return hedges.await();
  }

  // ---- launching ----

  /** Arms the timer of the next hedge, if one may follow. */
  private void armNext() {
    synchronized (this) {
      if (!mayLaunchLocked() || timer != null) {
        return;
      }
    }
    long delay;
    try {
      delay = policy.delayNanos(run.scheduler.nanoTime());
    } catch (Throwable t) {
      run.keepSchedulerFault(t);
      return;
    }
    if (delay < 0 || delay >= outer.remainingNanos(outerKey)) {
      return; // no history yet, or it could not start before the timeout or the deadline
    }
    Future<?> armed;
    try {
      armed = run.scheduler.schedule(() -> launch(true), delay, TimeUnit.NANOSECONDS);
    } catch (Throwable t) {
      run.keepSchedulerFault(t); // no hedge: the attempts running go on
      return;
    }
    boolean late;
    synchronized (this) {
      late = !mayLaunchLocked() || timer != null;
      if (!late) {
        timer = armed;
      }
    }
    if (late) {
      armed.cancel(false);
    }
  }

  // guarded by this: whether another attempt may still be sent
  private boolean mayLaunchLocked() {
    return !finished && !spent && launched < max && winner < 0 && stopReason == null;
  }

  /**
   * Sends the next hedge now: its delay passed ({@code fromTimer}), or an attempt failed. Does
   * nothing once a winner is known, the task is stopped, every hedge was sent, or no time is left.
   */
  private void launch(boolean fromTimer) {
    launch(fromTimer, false);
  }

  /**
   * {@link #launch(boolean)}; {@code reserved} when the caller (a failed attempt, before it is
   * counted ended) already holds the set open with an {@code arming} of its own, given back here.
   */
  private void launch(boolean fromTimer, boolean reserved) {
    int k = -1;
    boolean closed;
    Future<?> pending = null;
    synchronized (this) {
      if (fromTimer) {
        timer = null;
      } else {
        pending = timer;
        timer = null;
      }
      if (mayLaunchLocked() && !halted() && !outer.disturbed(outerKey)
          && outer.remainingNanos(outerKey) > 0) {
        if (policy.mayHedge(launched)) {
          k = launched++;
          if (!reserved) {
            arming++; // until the next timer is armed, the set is not closed
          }
        } else {
          spent = true; // no more hedges for this attempt: the budget is spent
        }
      }
      if (k < 0 && reserved) {
        arming--; // nothing to send: the failed attempt's hold is given back
      }
      closed = closedLocked();
    }
    if (pending != null) {
      pending.cancel(false);
    }
    if (k < 0) {
      if (closed) {
        wakeCoordinator(); // nothing more will come: the task's thread goes on
      }
      return;
    }
    run.enter(1); // counted from its launch until it ends (see Run.enter)
    int hedge = k;
    try {
      try {
        Thread.ofVirtual().name("weft-hedge").start(() -> lane(hedge));
      } catch (Throwable refused) {
        run.exit();
        if (INTS.compareAndSet(state, k, SCHEDULED, FAILED)) {
          slot[k] = refused; // no thread for it: a failed attempt, not the task's failure yet
          startAt[k] = endAt[k] = run.taskClock();
          unsent(k);
          ended(k);
        }
        return;
      }
      armNext();
    } finally {
      boolean closedNow;
      synchronized (this) {
        arming--;
        closedNow = closedLocked();
      }
      if (closedNow) {
        wakeCoordinator();
      }
    }
  }

  private void lane(int k) {
    try {
      attempt(k);
    } finally {
      run.exit();
    }
  }

  // ---- one attempt ----

  private void attempt(int k) {
    var frame = Frame.current();
    boolean own = frame == null || frame.run != run;
    if (own) {
      frame = new Frame(run, true);
      frame.enter();
    }
    var site = frame.site;
    int current = frame.current;
    threads[k] = frame.thread;
    if (!INTS.compareAndSet(state, k, SCHEDULED, RUNNING)) {
      threads[k] = null; // stopped before it could start: counted by the stop
      if (own) {
        frame.leave();
      }
      return;
    }
    startAt[k] = run.taskClock();
    ranOnName[k] = frame.threadName;
    single(k);
    Object result;
    int outcome;
    NodeExecutionEvent jfr = null;
    ContextPropagator.Scope[] scopes = null;
    try {
      scopes = own && run.context != null ? run.context.restore() : null;
      if (run.hooks != null) {
        int held = hold(k); // HedgeStarted before its HedgeEnded, even at the cut-off
        if (held < 0) {
          throw new CancellationException("cut off at the run's cancellation");
        }
        try {
          run.hooks.hedgeStarted(cast(run), this, k, run.eventClock());
        } finally {
          release(k, held);
        }
      }
      frame.site = this;
      frame.current = k;
      jfr = beginJfr();
      result = call.run(this, k);
      outcome = SUCCEEDED;
    } catch (Throwable t) {
      result = t;
      outcome = FAILED;
    } finally {
      frame.site = site;
      frame.current = current;
      if (scopes != null) {
        run.context.close(scopes);
      }
      if (own) {
        frame.restoreThread();
        frame.leave();
      }
    }
    long now = run.taskClock();
    // the result first: a span built as soon as the state says FAILED or SUCCEEDED (the
    // cut-off's, a listener's) reads it; a cut-off's CANCELLED never does
    slot[k] = result;
    int end = settle(k, outcome);
    if (end < 0) {
      return; // cut off: the cut-off ended and counted it
    }
    // An interrupt still set is the attempt's (or one meant for it), not the task's: a stop of
    // the task shows in its state, which the task's thread reads.
    Thread.interrupted();
    endAt[k] = now;
    if (jfr != null) {
      commitJfr(jfr, k, outer.current(outerKey), Outcome.Status.values()[end - SUCCEEDED]);
    }
    boolean won = false;
    if (end == SUCCEEDED) {
      synchronized (this) {
        if (winner < 0) {
          winner = k;
          won = true;
        }
      }
    }
    if (end != CANCELLED || winner >= 0) {
      try {
        policy.sample(now - startAt[k], now); // a loser's time is at least what it took
      } catch (Throwable ignored) {
        // a statistic: its failure changes nothing about the attempt
      }
    }
    if (won) {
      stopAll(k == 0 ? "the first attempt won" : "hedge " + k + " won");
    }
    if (end == CANCELLED) {
      reasons[k] = stopText(); // fixed now: its HedgeEnded and the result say the same
    }
    if (end == FAILED) {
      synchronized (this) {
        arming++; // held open from before it is counted ended until the next hedge is sent
      }
    }
    ended(k);
    if (end == FAILED) {
      launch(false, true); // gRPC's rule: a failed attempt sends the next hedge at once
    }
  }

  private void unsent(int k) {
    try {
      policy.unsent(k); // its budget is given back: the downstream never saw it
    } catch (Throwable ignored) {
      // bookkeeping: its failure changes nothing about the attempts
    }
  }

  @SuppressWarnings("unchecked")
  private static <R> Run<R> cast(Run<?> run) {
    return (Run<R>) run;
  }

  /** Counts attempt {@code k} ended (once, by whoever ended it); wakes the task's thread. */
  private void ended(int k) {
    if (run.hooks != null) {
      run.hooks.hedgeEnded(cast(run), this, k);
    }
    boolean closed;
    synchronized (this) {
      endedCount++;
      closed = closedLocked();
    }
    if (closed) {
      wakeCoordinator();
    }
  }

  private void wakeCoordinator() {
    var waiting = this.waiting;
    if (waiting != null) {
      waiting.wake(); // counted before it runs again: no quiet moment in between
    }
    LockSupport.unpark(coordinator);
  }

  // guarded by this: every attempt launched has ended, and none will follow
  private boolean closedLocked() {
    if (endedCount < launched || arming > 0) {
      return false;
    }
    if (!mayLaunchLocked()) {
      return true;
    }
    // all failed so far: one more may follow only from a timer (a failure launches at once)
    return timer == null;
  }

  private boolean done() {
    synchronized (this) {
      return closedLocked();
    }
  }

  private Object await() throws Throwable {
    var waiting = new Waiting(run);
    this.waiting = waiting;
    waiting.pause(this::done); // the hedges are counted meanwhile
    try {
      while (!done()) {
        if (Thread.interrupted() || outer.disturbed(outerKey)) {
          stopAll(outerStopText()); // the task was stopped or timed out: its attempts are too
        }
        if (outer.stopped(outerKey) && (int) INTS.getVolatile(outer.state, outerKey)
            >= SUCCEEDED) {
          throw new CancellationException("cut off"); // the run ended without this task
        }
        LockSupport.park(this);
      }
    } finally {
      waiting.resume();
    }
    Future<?> pending;
    synchronized (this) {
      finished = true;
      pending = timer;
      timer = null;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    int w = winner;
    if (w >= 0) {
      return slot[w]; // a value, as a task that returns despite its interrupt succeeds
    }
    if (stoppedFromAbove()) {
      throw new CancellationException(outerStopText());
    }
    Throwable first = null;
    for (int k = 0; k < launchedCount(); k++) {
      if ((int) INTS.getVolatile(state, k) == FAILED) {
        var error = (Throwable) slot[k];
        if (first == null) {
          first = error;
        } else if (error != first) {
          Failures.suppress(first, error);
        }
      }
    }
    if (first == null) {
      throw new CancellationException(stopText());
    }
    throw first;
  }

  private String outerStopText() {
    int s = (int) INTS.getVolatile(outer.state, outerKey);
    return s == TIMED_OUT ? "node '" + node() + "' of graph '" + run.plan.graph + "' timed out"
        : outer.stopText();
  }

  private int launchedCount() {
    synchronized (this) {
      return launched;
    }
  }

  /**
   * Stops the attempts once: no hedge is sent any more, running ones are interrupted (and what
   * runs inside them stopped). {@code why} becomes the reason of those it cancels.
   */
  void stopAll(String why) {
    Future<?> pending;
    synchronized (this) {
      if (stopReason != null) {
        return;
      }
      stopReason = why;
      pending = timer;
      timer = null;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    int n = launchedCount();
    for (int k = 0; k < n; k++) {
      if (k == winner) {
        continue;
      }
      for (;;) {
        int s = (int) INTS.getVolatile(state, k);
        if (s == SCHEDULED) {
          if (INTS.compareAndSet(state, k, SCHEDULED, CANCELLED)) {
            startAt[k] = endAt[k] = run.taskClock();
            reasons[k] = why;
            if (k > 0) {
              unsent(k);
            }
            ended(k);
            break;
          }
        } else if (s == PAUSED && heldHere(k)) {
          break; // its own thread stops the attempts, from a listener: it sees that on release
        } else if (s == PAUSED || s == INTERRUPTING) {
          Thread.yield();
        } else if (s == RUNNING || s == TIMED_OUT) {
          if (cancelRunning(k, s, why)) {
            break;
          }
        } else {
          break;
        }
      }
    }
    wakeCoordinator();
  }

  /**
   * Cuts off, as CANCELLED, the attempts still running when the run's cut-off ends their task,
   * recording their threads in {@code stragglers} by label.
   */
  void cutOff(long now, Map<String, Thread> stragglers) {
    int n = launchedCount();
    for (int k = 0; k < n; k++) {
      for (;;) {
        int s = (int) INTS.getVolatile(state, k);
        if (s == INTERRUPTING || s == PAUSED) {
          Thread.yield();
        } else if (s == RUNNING || s == INTERRUPTED || s == TIMED_OUT || s == SCHEDULED) {
          var thread = threads[k];
          if (INTS.compareAndSet(state, k, s, CANCELLED)) {
            endAt[k] = now;
            reasons[k] = stopText();
            if (s != SCHEDULED && thread != null && thread != coordinator) {
              cut[k] = true;
              stragglers.put(label(k), thread); // the task's own thread is its task's straggler
            } else if (s == SCHEDULED && k > 0) {
              unsent(k);
            }
            ended(k);
            break;
          }
        } else {
          break;
        }
      }
    }
    LockSupport.unpark(coordinator);
  }

  // ---- the attempts as tasks of their task ----

  /**
   * Ends {@link #hold} as for any task; if the run was cancelled meanwhile, also stops the task
   * these attempts belong to, as the run's sweep would (it may not have reached it yet): so the
   * task ends cancelled, not failed with the cancellation its attempts ended with.
   */
  @Override
  void release(int key, int held) {
    super.release(key, held);
    if (held == RUNNING && run.cancelled() != null) {
      int s = (int) INTS.getVolatile(outer.state, outerKey);
      if (s == RUNNING || s == TIMED_OUT) {
        outer.cancelRunning(outerKey, s, outer.stopText());
      }
    }
  }

  @Override
  String stopText() {
    var why = stopReason;
    return why != null ? why : outer.stopText();
  }

  @Override
  boolean stoppedFromAbove() {
    int s = (int) INTS.getVolatile(outer.state, outerKey);
    return s == INTERRUPTING || s == INTERRUPTED || s == TIMED_OUT || s >= SUCCEEDED
        || outer.stoppedFromAbove();
  }

  @Override
  public boolean halted() {
    return stopReason != null || outer.halted();
  }

  @Override
  public boolean stopped(int key) {
    return super.stopped(key) || stopReason != null || outer.stopped(outerKey);
  }

  @Override
  public boolean disturbed(int key) {
    return super.disturbed(key) || outer.disturbed(outerKey);
  }

  @Override
  public boolean timed(int key) {
    return outer.timed(outerKey);
  }

  @Override
  public long remainingNanos(int key) {
    return outer.remainingNanos(outerKey);
  }

  @Override
  public int current(int key) {
    return outer.current(outerKey);
  }

  @Override
  public int hedge(int key) {
    return key;
  }

  @Override
  public int owner(int key) {
    return outer.owner(outerKey);
  }

  @Override
  public int element(int key) {
    return outer.element(outerKey);
  }

  @Override
  boolean guarded(int key) {
    return false;
  }

  @Override
  ScopedBindings bindings() {
    return outer.bindings();
  }

  @Override
  Object body(int key, Invoker body) throws Throwable {
    return outer.body(outerKey, body);
  }

  @Override
  String label(int key) {
    return outer.label(outerKey) + (key == 0 ? " (first)" : " (hedge " + key + ")");
  }

  // ---- what the result, listeners and traces read ----

  /** {@return the name of the node whose attempts these are} */
  public String node() {
    return run.plan.names[owner(0)];
  }

  /** {@return the element index of the task, or -1 for a node's own} */
  public int outerElement() {
    return outer.element(outerKey);
  }

  /**
   * {@return whether attempt {@code k}, which just returned or threw on its own thread, says
   * something about the downstream: not when it lost to another, or its run was cancelled; yes
   * when it ended by itself. When the node's timeout stopped the set, only the first attempt
   * counts (it had the whole timeout and was too slow); a hedge sent later had less, and counting
   * it too would count one slow call twice}
   */
  public boolean countable(int k) {
    int s = (int) INTS.getVolatile(state, k);
    if (s != INTERRUPTED && s != INTERRUPTING) {
      return true;
    }
    int o;
    while ((o = (int) INTS.getVolatile(outer.state, outerKey)) == INTERRUPTING) {
      Thread.yield(); // the timeout (or a cancellation) is between its CAS and its end state
    }
    return k == 0 && o == TIMED_OUT;
  }

  /** {@return the outcome of attempt {@code k}, which has ended} */
  public Outcome<?> outcome(int k) {
    var name = node();
    int s = (int) INTS.getVolatile(state, k);
    return switch (s) {
      case SUCCEEDED -> new Outcome.Succeeded<>(name, slot[k]);
      case FAILED -> new Outcome.Failed<>(name, (Throwable) slot[k]);
      case CANCELLED -> new Outcome.Cancelled<>(name, cancelReason(k));
      default -> throw new IllegalStateException("attempt " + k + " of node '" + name
          + "' has not ended");
    };
  }

  private String cancelReason(int k) {
    var why = reasons[k] != null ? reasons[k] : stopText();
    return !cut[k] ? why : why + "; the attempt ignored the interrupt and was cut off after "
        + Durations.text(Duration.ofNanos(CutOff.GRACE_NANOS));
  }

  /** {@return the span of attempt {@code k}, times since the run's start} */
  public Span span(int k) {
    return span(k, run.startNanos);
  }

  private Span span(int k, long origin) {
    var name = ranOnName[k];
    var thread = name == null ? null : threads[k];
    long start = startAt[k] == 0 ? endAt[k] : startAt[k];
    return new Span(node(), outcome(k), Duration.ofNanos(readyAt - origin),
        Duration.ofNanos(start - origin), Duration.ofNanos(endAt[k] - origin), count(k),
        thread == null ? 0 : thread.threadId(), thread == null ? "" : name, outerElement(),
        List.of(), k);
  }

  /** {@return the spans of every attempt sent, in order, times since {@code origin}} */
  List<Span> spans(long origin) {
    int n = launchedCount();
    var spans = new ArrayList<Span>(n);
    for (int k = 0; k < n; k++) {
      int s = (int) INTS.getVolatile(state, k);
      if (s >= SUCCEEDED) {
        spans.add(span(k, origin));
      }
    }
    return Collections.unmodifiableList(spans);
  }

  /** Records in {@code into} the threads of attempts still running, by label. */
  void collectRunning(String prefix, Map<String, Thread> into) {
    int n = launchedCount();
    for (int k = 0; k < n; k++) {
      int s = (int) INTS.getVolatile(state, k);
      var thread = threads[k];
      if (s >= RUNNING && s <= PAUSED && thread != null && thread != coordinator) {
        into.put(prefix + label(k), thread);
      }
    }
  }
}
