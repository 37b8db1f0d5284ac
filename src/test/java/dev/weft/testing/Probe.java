package dev.weft.testing;

import dev.weft.FailureMode;
import dev.weft.RunOptions;
import dev.weft.Scheduler;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The instrumented body of every task of one run of a {@link Dag}, and what it saw: when each task
 * started and ended on a global logical clock (never wall time), how often it was called, what it
 * returned or threw, whether it saw an interrupt, and how many bodies are running right now.
 * Bodies never block without a bound: a wait that should have ended but did not is recorded in
 * {@link #violations()} and the task gives up. So is a task that starts with its interrupt status
 * already set, unless the run may have been cancelled by then (the engine interrupts a task it
 * cancels as soon as the task is running, which is just before its body starts).
 *
 * <p>The calls of a hedged task ({@link Dag.Hedge}) run beside each other: for those the probe
 * also keeps every value returned and throwable thrown, how many calls run now, the latest end,
 * the calls per hedge index ({@code TaskContext.hedge()}, which must stay within the policy), and
 * the threads the hedges ran on; its single slots (what the last call returned or threw) are then
 * whichever call wrote last.
 *
 * <p>One probe per run; thread-safe.
 */
public final class Probe {
  /** The logical clock: ticks of all probes are comparable across threads and runs. */
  static final AtomicLong TICK = new AtomicLong();
  /** Bound of every wait inside a task; reaching it is a violation, reported with its node. */
  public static final long BOUND_SECONDS = 10;
  private static final Object NULL = new Object();
  private static final CountDownLatch NEVER = new CountDownLatch(1);
  /** Hedge indices counted per task: the first attempt and up to 3 hedges. */
  private static final int MAX_HEDGES_SEEN = 4;

  private final Dag dag;
  private final Layout layout;
  private final boolean[] absorbs;
  // the first call's start tick, the last call's start and end ticks, and the wall time
  // (System.nanoTime) the last call ended, for deadlines
  private final AtomicLongArray starts;
  private final AtomicLongArray lastStarts;
  private final AtomicLongArray ends;
  private final AtomicLongArray endNanos;
  private final AtomicIntegerArray calls;
  // per fan-out key: the tick its first element failed for good (-1: being announced), and
  // whether that stops its elements
  private final AtomicLongArray siblingFailTick;
  // per fan-out key: whether an element threw, which may stop (interrupt) the others at once
  private final AtomicIntegerArray siblingThrew;
  private final boolean[] stopsAtFailure;
  // per key: 0 if its condition was not tested, 1 if it held, 2 if not
  private final AtomicIntegerArray conditions;
  private final AtomicIntegerArray interrupts;
  private final AtomicIntegerArray late;
  private final AtomicIntegerArray startedInterrupted;
  private final AtomicIntegerArray returnedInterrupted;
  private final AtomicReferenceArray<Object> returned;
  private final AtomicReferenceArray<Throwable> thrown;
  // Per hedged key, whose calls run beside each other and race on the slots above: which keys
  // are hedged, how many calls run now, how many failed (see announce), every value returned
  // and throwable thrown, calls per hedge index; and the threads of hedges (not the task's own)
  private final boolean[] hedged;
  private final AtomicIntegerArray active;
  private final AtomicIntegerArray failures;
  private final AtomicReferenceArray<Queue<Object>> allReturned;
  private final AtomicReferenceArray<Queue<Throwable>> allThrown;
  private final AtomicIntegerArray hedgeCalls;
  private final Set<Thread> hedgeThreads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger running = new AtomicInteger();
  // notified when no body runs any more
  private final Object idle = new Object();
  private final AtomicInteger chaosInterrupts = new AtomicInteger();
  private final Queue<String> violations = new ConcurrentLinkedQueue<>();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch rendezvous;
  private final int rendezvousSize;
  private final CountDownLatch signal = new CountDownLatch(1);
  private final int trigger;
  private final boolean watchLateStarts;
  // 0: no fail-fast failure yet; -1: one is being announced; else the tick it was announced at
  private final AtomicLong failTick = new AtomicLong();
  // guarded by this: the thread of each task while it sits in a blocking call
  private final Thread[] blocked;
  private final BlockingQueue<Integer> blockedEvents;
  // what may cancel the run, and so interrupt a task before its body starts: see starting()
  private volatile boolean failFast;
  private volatile boolean hasDeadline;
  private volatile long deadlineAt;
  private volatile boolean mayBeCancelled;
  // the last task whose body ended on this thread, and whether it left its interrupt set on purpose
  private final ThreadLocal<Ended> lastHere = new ThreadLocal<>();

  private record Ended(int node, boolean leftInterrupt) {}

  /**
   * @param dag the graph whose tasks this probe runs
   * @param watchLateStarts fail-fast mode: a task that starts after a failure that is not absorbed
   *     waits to be interrupted (and records a violation if it is not)
   * @param trigger a task whose start opens {@link #awaitSignal}, or -1; a hang always does
   * @param chaos whether {@link #interruptSomeBlockedTask} may be used
   */
  public Probe(Dag dag, boolean watchLateStarts, int trigger, boolean chaos) {
    this.dag = dag;
    this.layout = Layout.of(dag);
    int n = layout.size();
    this.absorbs = new boolean[n];
    for (int v = 0; v < n; v++) {
      // only the dag's own failures fail its run fast; an element's fails its node
      int owner = layout.owner(v);
      absorbs[v] = !layout.outer(v) || (owner >= 0 ? dag.absorbs(owner) : dag.absorbs(v));
    }
    this.conditions = new AtomicIntegerArray(n);
    this.siblingFailTick = new AtomicLongArray(n);
    this.siblingThrew = new AtomicIntegerArray(n);
    this.stopsAtFailure = new boolean[n];
    for (int v = 0; v < n; v++) {
      stopsAtFailure[v] = layout.spec(v).fanOut() != null && !layout.spec(v).fanOut().collect();
    }
    this.starts = new AtomicLongArray(n);
    this.lastStarts = new AtomicLongArray(n);
    this.ends = new AtomicLongArray(n);
    this.endNanos = new AtomicLongArray(n);
    this.calls = new AtomicIntegerArray(n);
    this.interrupts = new AtomicIntegerArray(n);
    this.late = new AtomicIntegerArray(n);
    this.startedInterrupted = new AtomicIntegerArray(n);
    this.returnedInterrupted = new AtomicIntegerArray(n);
    this.returned = new AtomicReferenceArray<>(n);
    this.thrown = new AtomicReferenceArray<>(n);
    this.hedged = new boolean[n];
    this.allReturned = new AtomicReferenceArray<>(n);
    this.allThrown = new AtomicReferenceArray<>(n);
    for (int v = 0; v < n; v++) {
      hedged[v] = layout.spec(v).hedging() != null;
      if (hedged[v]) {
        allReturned.set(v, new ConcurrentLinkedQueue<>());
        allThrown.set(v, new ConcurrentLinkedQueue<>());
      }
    }
    this.active = new AtomicIntegerArray(n);
    this.failures = new AtomicIntegerArray(n);
    this.hedgeCalls = new AtomicIntegerArray(n * MAX_HEDGES_SEEN);
    this.rendezvousSize = dag.count(Behaviour.RENDEZVOUS);
    this.rendezvous = new CountDownLatch(rendezvousSize);
    this.trigger = trigger;
    this.watchLateStarts = watchLateStarts;
    this.blocked = new Thread[n];
    this.blockedEvents = chaos ? new LinkedBlockingQueue<>() : null;
  }

  /** {@return a probe for a plain run: no fail-fast watch, no trigger, no chaos} */
  public static Probe plain(Dag dag) {
    return new Probe(dag, false, -1, false);
  }

  /**
   * Tells the probe how the run it watches is about to start: whether it fails fast and when its
   * deadline passes, which may cancel it. Called by {@link WeftDag} before every run.
   */
  void starting(RunOptions options) {
    failFast = options.failureMode() == FailureMode.FAIL_FAST;
    var deadline = options.deadline();
    if (deadline.isPresent()) {
      // No earlier than the engine's: its run starts after this. Another scheduler's clock may
      // fire at any time.
      deadlineAt = System.nanoTime() + (options.scheduler() == Scheduler.system()
          ? deadline.get().toNanos() : 0);
      hasDeadline = true;
    }
  }

  /** Runs task {@code v} with the arguments Weft passed it; once per attempt. */
  Object body(int v, List<Object> args) throws Exception {
    return body(v, 0, args);
  }

  /**
   * Runs task {@code v} with the arguments Weft passed it, as its hedged attempt {@code hedge}
   * ({@code TaskContext.hedge()}: 0 for the first, and for a task that is not hedged); once per
   * call.
   */
  Object body(int v, int hedge, List<Object> args) throws Exception {
    // First: an interrupt sent after this read, by a cancellation, cannot be taken for a leak.
    boolean startedInterrupted = Thread.currentThread().isInterrupted();
    long start = TICK.incrementAndGet();
    starts.compareAndSet(v, 0, start);
    lastStarts.set(v, start);
    int call = calls.incrementAndGet(v);
    running.incrementAndGet();
    active.incrementAndGet(v);
    if (hedged[v] || hedge != 0) {
      countHedge(v, hedge);
    }
    if (v == trigger) {
      signal.countDown();
    }
    var spec = layout.spec(v);
    if (startedInterrupted) {
      this.startedInterrupted.set(v, 1);
    }
    int owner = layout.owner(v);
    // a losing hedge may be stopped by its winner before its body's first line
    if (startedInterrupted && !mayBeCancelled()
        && !(owner >= 0 && stopsAtFailure[owner] && siblingThrew.get(owner) != 0)
        && !(hedged[v] && !allReturned.get(v).isEmpty())) {
      var before = lastHere.get();
      violation(v, "it started (call " + call + ", tick " + start + ") with its thread's interrupt "
          + "status already set, before anything could have cancelled the run"
          + (before == null ? "" : "; the task this thread ran before: "
          + layout.spec(before.node()).name() + " (" + layout.spec(before.node()).behaviour()
          + ")"));
    }
    boolean restored = false;
    try {
      boolean ignoring = spec.behaviour() == Behaviour.IGNORE_INTERRUPT;
      boolean afterSibling = owner >= 0 && stopsAtFailure[owner]
          && startedAfter(siblingFailTick, owner, start);
      if (watchLateStarts && startedAfterFailure(start) || afterSibling) {
        late.set(v, 1);
        try {
          awaitInterrupt(v, afterSibling ? "it started after a sibling element's failure at tick "
              + siblingFailTick.get(owner) + " (at tick " + start + "), yet was not interrupted"
              : "it started after the fail-fast failure at tick " + failTick.get()
              + " (at tick " + start + "), yet was not interrupted");
        } catch (InterruptedException e) {
          if (spec.behaviour() == Behaviour.RETURN_ON_INTERRUPT) {
            Thread.currentThread().interrupt();
            restored = true;
          } else if (!ignoring) {
            throw e;
          }
        }
      }
      var mixed = Dag.mix(spec.salt(), args);
      Object value = spec.listLength() >= 0 ? Dag.listOf(mixed, spec.listLength()) : mixed;
      Object result = switch (spec.behaviour()) {
        case RETURN -> value;
        case RETURN_NULL -> null;
        case THROW_CHECKED, THROW_UNCHECKED, THROW_ERROR, THROW_OPAQUE -> {
          var failure = announce(v, call, spec.behaviour().failure(spec.name()));
          if (failure instanceof Exception e) {
            throw e;
          }
          throw (Error) failure;
        }
        case FLAKY -> {
          if (call <= spec.flakes()) {
            throw (Exception) announce(v, call, Behaviour.flakyFailure(spec));
          }
          yield value;
        }
        case NAP -> {
          blocking(v, () -> Thread.sleep(Duration.ofMillis(Behaviour.napMillis(spec))));
          yield value;
        }
        case STUBBORN -> {
          long until = System.nanoTime() + Behaviour.stubbornMillis(spec) * 1_000_000;
          for (long left; (left = until - System.nanoTime()) > 0; ) {
            var step = Duration.ofNanos(Math.min(left, 1_000_000));
            try {
              blocking(v, () -> Thread.sleep(step));
            } catch (InterruptedException swallowed) {
              // this task ignores interruption
            }
          }
          yield value;
        }
        case SLEEP -> {
          blocking(v, () -> Thread.sleep(sleepTime(spec)));
          yield value;
        }
        case RESTORE_INTERRUPT -> {
          try {
            clientLibraryCall(spec);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the idiom: restore what one does not handle
          }
          restored = true;
          yield value;
        }
        case RETURN_ON_INTERRUPT -> {
          if (!restored) {
            try {
              blocking(v, () -> Thread.sleep(sleepTime(spec)));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              restored = true;
            }
          }
          yield value;
        }
        case BLOCK -> {
          blocking(v, () -> bounded(gate, v, "the run's gate never opened"));
          yield value;
        }
        case IGNORE_INTERRUPT -> {
          for (int step = 0; step < 5; step++) {
            try {
              blocking(v, () -> Thread.sleep(Duration.ofNanos(100_000)));
            } catch (InterruptedException swallowed) {
              // this task ignores interruption
            }
          }
          yield value;
        }
        case HANG -> {
          signal.countDown();
          awaitInterrupt(v, "it hangs until interrupted, and never was");
          yield value;
        }
        case RENDEZVOUS -> {
          rendezvous.countDown();
          blocking(v, () -> {
            if (!rendezvous.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
              violation(v, "only " + (rendezvousSize - rendezvous.getCount()) + " of the "
                  + rendezvousSize + " rendezvous tasks were running at once");
            }
          });
          yield value;
        }
      };
      if (restored && spec.behaviour() == Behaviour.RETURN_ON_INTERRUPT) {
        returnedInterrupted.set(v, 1);
      }
      if (result == null && failFast) {
        mayBeCancelled = true; // a null list or binding fails a node without anything thrown
      }
      returned.set(v, result == null ? NULL : result);
      if (hedged[v]) {
        allReturned.get(v).add(result == null ? NULL : result);
      } else {
        thrown.set(v, null); // what earlier attempts threw was retried
      }
      return result;
    } catch (Throwable t) {
      thrown.set(v, t);
      if (hedged[v]) {
        allThrown.get(v).add(t);
      }
      if (owner >= 0) {
        siblingThrew.set(owner, 1); // before the engine learns of it: it may stop the siblings
      }
      if (failFast) {
        mayBeCancelled = true; // before the engine learns of it; lenient if retried or absorbed
      }
      throw t;
    } finally {
      lastHere.set(new Ended(v, restored && Thread.currentThread().isInterrupted()));
      if (hedged[v]) { // its calls may end in any order: the last to end
        endNanos.accumulateAndGet(v, System.nanoTime(), Math::max);
        ends.accumulateAndGet(v, TICK.incrementAndGet(), Math::max);
      } else {
        endNanos.set(v, System.nanoTime());
        ends.set(v, TICK.incrementAndGet());
      }
      active.decrementAndGet(v);
      if (running.decrementAndGet() == 0) {
        synchronized (idle) {
          idle.notifyAll();
        }
      }
    }
  }

  /** {@return how long {@link Behaviour#SLEEP} and {@link Behaviour#RETURN_ON_INTERRUPT} sleep} */
  private static Duration sleepTime(Dag.Spec spec) {
    return Duration.ofNanos(20_000 + (spec.salt() & 0xffff) * 3);
  }

  /** A call into a library that times out on its own, with an InterruptedException. */
  private static void clientLibraryCall(Dag.Spec spec) throws InterruptedException {
    throw new InterruptedException("a client library's own timeout, in " + spec.name());
  }

  /**
   * {@return whether the run may have been cancelled by now} Read after the interrupt status: if
   * a cancellation sent that interrupt, what announced it happened before.
   */
  private boolean mayBeCancelled() {
    return mayBeCancelled || hasDeadline && System.nanoTime() - deadlineAt >= 0;
  }

  private static boolean startedAfter(AtomicLongArray ticks, int i, long start) {
    long f = ticks.get(i);
    while (f == -1) {
      Thread.onSpinWait();
      f = ticks.get(i);
    }
    return f > 0 && start > f;
  }

  private boolean startedAfterFailure(long start) {
    long f = failTick.get();
    while (f == -1) { // a failure is being announced: its tick is about to be known
      Thread.onSpinWait();
      f = failTick.get();
    }
    return f > 0 && start > f;
  }

  /**
   * Records the first failure that fail-fast mode acts on: one no optional edge absorbs, thrown
   * by the node's last attempt. {@return {@code failure}}
   */
  private Throwable announce(int v, int call, Throwable failure) {
    if (hedged[v]) {
      call = failures.incrementAndGet(v); // a hedged task's attempt fails once all its calls did
    }
    int owner = layout.owner(v);
    if (owner >= 0 && stopsAtFailure[owner] && layout.spec(v).lastCall(call, failure)
        && siblingFailTick.compareAndSet(owner, 0, -1)) {
      siblingFailTick.set(owner, TICK.incrementAndGet()); // no sibling may start from now on
    }
    if (watchLateStarts && !absorbs[v] && layout.spec(v).lastCall(call, failure)
        && failTick.compareAndSet(0, -1)) {
      failTick.set(TICK.incrementAndGet());
    }
    return failure;
  }

  private void awaitInterrupt(int v, String unless) throws InterruptedException {
    blocking(v, () -> {
      if (!NEVER.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
        violation(v, unless);
      }
    });
  }

  private void bounded(CountDownLatch latch, int v, String unless) throws InterruptedException {
    if (!latch.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
      violation(v, unless + " within " + BOUND_SECONDS + " s");
    }
  }

  private interface Blocker {
    void block() throws InterruptedException;
  }

  /**
   * Runs a blocking call where {@link #interruptSomeBlockedTask} may reach it. An interrupt that
   * lands just after the call returned is taken as an interrupt of the call, so no interrupt
   * outlives the task on a pooled thread.
   */
  private void blocking(int v, Blocker call) throws InterruptedException {
    synchronized (this) {
      blocked[v] = Thread.currentThread();
    }
    if (blockedEvents != null) {
      blockedEvents.add(v);
    }
    try {
      call.block();
    } catch (InterruptedException e) {
      interrupts.incrementAndGet(v);
      throw e;
    } finally {
      synchronized (this) {
        blocked[v] = null;
      }
    }
    if (Thread.interrupted()) {
      interrupts.incrementAndGet(v);
      throw new InterruptedException(layout.spec(v).name() + " was interrupted as it unblocked");
    }
  }

  /** Counts a call of hedged attempt {@code hedge} of task {@code v}, within its policy. */
  private void countHedge(int v, int hedge) {
    var h = layout.spec(v).hedging();
    if (h == null || hedge < 0 || hedge > h.maxHedges()) {
      violation(v, "a call ran as TaskContext.hedge() " + hedge + (h == null
          ? ", yet the task is not hedged" : ", beyond " + h));
      return;
    }
    if (hedge > 0) {
      hedgeThreads.add(Thread.currentThread());
    }
    hedgeCalls.incrementAndGet(v * MAX_HEDGES_SEEN + hedge);
  }

  private void violation(int v, String what) {
    violations.add(layout.spec(v).name() + ": " + what);
  }

  // ---- for the harness ----

  /**
   * Tells the probe the run may be cancelled from now on, so a task may rightly start with its
   * interrupt set: call it before cancelling the run or interrupting the thread blocked in it.
   */
  public void cancellationMayFollow() {
    mayBeCancelled = true;
  }

  /** Tells the probe the executor refused a task: its node fails, which may fail the run fast. */
  public void refusedATask() {
    if (failFast) {
      mayBeCancelled = true;
    }
  }

  /**
   * After a run that a synchronous executor ran on this thread: clears the interrupt status the
   * last task it ran here left set on purpose ({@link Behaviour#RESTORE_INTERRUPT}), that task's
   * doing on its caller's thread. Left set by anything else, it is a violation (and cleared too,
   * so that the harness can go on).
   *
   * @param wasInterrupted whether the thread was interrupted before the run: then nothing is
   *     touched
   */
  void clearInterruptLeftHere(boolean wasInterrupted) {
    var last = lastHere.get();
    lastHere.remove();
    if (wasInterrupted || !Thread.interrupted() || last != null && last.leftInterrupt()) {
      return;
    }
    violations.add("the run left the interrupt status of the thread that started it set"
        + (last == null ? "" : "; the last task that ran there: "
        + layout.spec(last.node()).name() + " (" + layout.spec(last.node()).behaviour() + ")"));
  }

  /** Opens the gate that {@link Behaviour#BLOCK} tasks wait for. */
  public void openGate() {
    gate.countDown();
  }

  /** Also opens {@link #awaitSignal}, e.g. when the run completed. */
  public void signal() {
    signal.countDown();
  }

  /** {@return whether the trigger task or a hanging task started within the bound} */
  public boolean awaitSignal() throws InterruptedException {
    return signal.await(BOUND_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Waits (bounded) for some task to enter a blocking call and interrupts it if it is still
   * there. {@return whether it interrupted one}
   */
  public boolean interruptSomeBlockedTask(long timeoutMillis) throws InterruptedException {
    var v = blockedEvents.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    if (v == null) {
      return false;
    }
    synchronized (this) {
      if (blocked[v] == null) {
        return false;
      }
      blocked[v].interrupt();
    }
    chaosInterrupts.incrementAndGet();
    return true;
  }

  /**
   * Tests the condition of node {@code key} on what its edge yields, as the engine asks.
   * {@return whether it holds}
   */
  boolean condition(int key, Object value) {
    boolean holds = layout.spec(key).when().holds(value);
    conditions.set(key, holds ? 1 : 2);
    if (!holds && failFast) {
      mayBeCancelled = true; // an omitted output fails its subgraph node, without a throw
    }
    return holds;
  }

  /** {@return whether the condition of {@code key} was tested and did not hold} */
  public boolean conditionFailed(int key) {
    return conditions.get(key) == 2;
  }

  /** {@return whether the condition of {@code key} was tested} */
  public boolean conditionTested(int key) {
    return conditions.get(key) != 0;
  }

  public Dag dag() {
    return dag;
  }

  public Layout layout() {
    return layout;
  }

  /** {@return the tick the task's first call started at, 0 if never} */
  public long start(int v) {
    return starts.get(v);
  }

  /** {@return the tick the task's last call started at, 0 if never} */
  public long lastStart(int v) {
    return lastStarts.get(v);
  }

  /** {@return the tick the task's last call ended at, 0 if none did} */
  public long end(int v) {
    return ends.get(v);
  }

  /** {@return the wall time ({@link System#nanoTime}) the task's last call ended, 0 if none} */
  public long endNanos(int v) {
    return endNanos.get(v);
  }

  public int calls(int v) {
    return calls.get(v);
  }

  public boolean startedLate(int v) {
    return late.get(v) != 0;
  }

  /** {@return whether a call of the task started with its interrupt status set} */
  public boolean startedInterrupted(int v) {
    return startedInterrupted.get(v) != 0;
  }

  /** {@return whether a {@link Behaviour#RETURN_ON_INTERRUPT} call returned when interrupted} */
  public boolean returnedInterrupted(int v) {
    return returnedInterrupted.get(v) != 0;
  }

  public int interrupts(int v) {
    return interrupts.get(v);
  }

  /** {@return whether the body returned, and so {@link #returned} is meaningful} */
  public boolean hasReturned(int v) {
    return returned.get(v) != null;
  }

  public Object returned(int v) {
    var r = returned.get(v);
    return r == NULL ? null : r;
  }

  public Throwable thrown(int v) {
    return thrown.get(v);
  }

  /** {@return whether {@code v} is hedged: its calls may run beside each other} */
  public boolean hedged(int v) {
    return hedged[v];
  }

  /** {@return whether a call of hedged task {@code v} returned {@code value} itself} */
  public boolean returnedItself(int v, Object value) {
    for (var r : allReturned.get(v)) {
      if ((r == NULL ? null : r) == value) {
        return true;
      }
    }
    return false;
  }

  /** {@return whether a call of hedged task {@code v} threw {@code failure} itself} */
  public boolean threwItself(int v, Throwable failure) {
    for (var t : allThrown.get(v)) {
      if (t == failure) {
        return true;
      }
    }
    return false;
  }

  /** {@return how many calls of hedged task {@code v} returned, threw} */
  public int[] returnedAndThrown(int v) {
    return new int[] {allReturned.get(v).size(), allThrown.get(v).size()};
  }

  /** {@return how many calls of task {@code v} ran as its hedged attempt {@code hedge}} */
  public int hedgeCalls(int v, int hedge) {
    return hedge < MAX_HEDGES_SEEN ? hedgeCalls.get(v * MAX_HEDGES_SEEN + hedge) : 0;
  }

  /** {@return how many calls of task {@code v} run right now} */
  public int active(int v) {
    return active.get(v);
  }

  /** {@return the threads hedges (not the tasks' own attempts) ran on} */
  public List<Thread> hedgeThreads() {
    return List.copyOf(hedgeThreads);
  }

  /** {@return the tasks whose bodies are running now, by name, with how many calls each} */
  public List<String> runningTasks() {
    var out = new java.util.ArrayList<String>();
    for (int v = 0; v < layout.size(); v++) {
      int n = active.get(v);
      if (n > 0) {
        out.add(layout.spec(v).name() + (n > 1 ? " x" + n : ""));
      }
    }
    return out;
  }

  /** {@return how many task bodies are running now} */
  public int running() {
    return running.get();
  }

  /**
   * Waits up to {@code millis} until no task body runs, e.g. until stragglers cut off at a
   * deadline finished. {@return whether none runs}
   */
  public boolean awaitIdle(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    synchronized (idle) {
      for (long left; running.get() > 0; ) {
        if ((left = deadline - System.nanoTime()) <= 0) {
          return false;
        }
        idle.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  public int chaosInterrupts() {
    return chaosInterrupts.get();
  }

  /** {@return the tick of the first fail-fast failure, 0 if none} */
  public long failTick() {
    return Math.max(0, failTick.get());
  }

  public List<String> violations() {
    return List.copyOf(violations);
  }

  /** {@return the current value of the logical clock} */
  public static long now() {
    return TICK.get();
  }
}
