package dev.weft.internal;

import static dev.weft.internal.Run.CANCELLED;
import static dev.weft.internal.Run.FAILED;
import static dev.weft.internal.Run.INTERRUPTED;
import static dev.weft.internal.Run.INTERRUPTING;
import static dev.weft.internal.Run.INTS;
import static dev.weft.internal.Run.PAUSED;
import static dev.weft.internal.Run.RUNNING;
import static dev.weft.internal.Run.SUCCEEDED;
import static dev.weft.internal.Run.TIMED_OUT;

import dev.weft.Outcome;
import dev.weft.Scheduler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The attempt protocol over a table of tasks: what a task's thread calls to begin and end each
 * attempt, to time one out, to report a retry, and to ask the time left; and how anyone else
 * interrupts one. The tasks of a table are the vertices of one run (this class), or the elements
 * of one fan-out of a node ({@link Elements}): an element, a retry, a subgraph's run are all
 * attempts of some task, and go through this one mechanism. A task is named by its {@code key}
 * in its table. Only the task's own thread begins and ends its attempts, while it runs; timers
 * and cancellations reach it through its state, as {@link Run}'s notes describe.
 *
 * <p>Every attempt ends in one {@link AttemptEnd}. The handshake with interrupters: the attempt's
 * thread moves the task to PAUSED (which no one else may leave), counts the attempt, clears the
 * interrupt status, and puts the task back to RUNNING (or INTERRUPTED, if it was cancelled), so a
 * late timeout never hits the next attempt, and nothing the attempt left reaches it. Whoever
 * interrupts a task also stops what it runs inside it: its fan-out's elements, its subgraph's run
 * ({@link #adopt}).
 */
public class Attempts {
  private static final VarHandle CHILDREN =
      MethodHandles.arrayElementVarHandle(Object[].class);
  private static final VarHandle CHILD_TABLE;

  static {
    try {
      CHILD_TABLE = MethodHandles.lookup().findVarHandle(Attempts.class, "children",
          Object[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Run<?> run;
  // Per task: its state (the run's own array for vertices) and the thread it runs or ran on,
  // written before it is claimed and kept after it ended; the state says which.
  final int[] state;
  final Thread[] threads;
  // Attempts ended, per task: set to 1 when an unguarded task starts, bumped atomically when a
  // guarded one ends an attempt; read for spans.
  final int[] ended;
  // Only for tables with guarded tasks, written by the task's thread: attempts started, and the
  // current attempt's own deadline (0 when none).
  private final int[] started;
  private final long[] until;
  // Per task, what runs inside it (an Elements table, a subgraph's Run); created on first use,
  // so a run without fan-outs or subgraphs pays nothing.
  private volatile Object[] children;

  Attempts(Run<?> run, int[] state, Thread[] threads, boolean guarded) {
    this.run = run;
    this.state = state;
    this.threads = threads;
    this.ended = new int[state.length];
    this.started = guarded ? new int[state.length] : null;
    this.until = guarded ? new long[state.length] : null;
  }

  /** Counts the one attempt of an unguarded task, which needs no protocol. */
  void single(int key) {
    ended[key] = 1;
  }

  /** {@return the run the table belongs to} */
  public Run<?> run() {
    return run;
  }

  /** {@return the run's clock and timers} */
  public Scheduler scheduler() {
    return run.scheduler;
  }

  /**
   * Reports the start of attempt {@code attempt} (from 1) of a guarded task.
   *
   * @throws CancellationException if the task was cut off meanwhile: no attempt may start
   */
  public void begin(int key, int attempt) {
    int held = hold(key);
    if (held < 0) {
      throw new CancellationException("cut off at the run's cancellation");
    }
    try {
      INTS.setVolatile(started, key, attempt);
      reportStarted(key, attempt);
    } finally {
      release(key, held);
    }
  }

  /**
   * Holds running task {@code key} in PAUSED while its own thread reports on it, so that the
   * cut-off, which waits out PAUSED, cannot end it (and announce its end) in the middle: every
   * NodeStarted and NodeRetried comes before the task's NodeEnded. {@return the state to give
   * back to {@link #release}, or -1 if the task has been cut off already: report nothing}
   */
  int hold(int key) {
    for (;;) {
      int s = (int) INTS.getVolatile(state, key);
      if (s == INTERRUPTING) {
        Thread.yield(); // an interrupter is between its CAS and interrupt(): let it finish
      } else if (s >= SUCCEEDED) {
        return -1;
      } else if (INTS.compareAndSet(state, key, s, PAUSED)) {
        return s;
      }
    }
  }

  /**
   * Ends {@link #hold}: puts back the state it found, or, if the run (or the fan-out) was stopped
   * meanwhile, does what the stop's sweep would have done to a running task: interrupts this
   * thread and makes the task INTERRUPTED. (A sweep on another thread waits out PAUSED and then
   * finds it so; one on this thread, from a listener, cannot wait for itself and leaves it here.)
   */
  void release(int key, int held) {
    if (held == RUNNING && halted()) {
      Thread.currentThread().interrupt();
      INTS.setVolatile(state, key, INTERRUPTED);
    } else {
      INTS.setVolatile(state, key, held);
    }
  }

  /** {@return whether a sweep on this thread must leave task {@code key} alone: it holds it} */
  boolean heldHere(int key) {
    return (int) INTS.getVolatile(state, key) == PAUSED && threads[key] == Thread.currentThread();
  }

  /** Starts a timer that interrupts the current attempt of {@code key} after {@code nanos}. */
  public Future<?> timeout(int key, long nanos) {
    int current = (int) INTS.getVolatile(ended, key);
    until[key] = run.scheduler.nanoTime() + nanos;
    return run.scheduler.schedule(() -> timedOut(key, current), nanos, TimeUnit.NANOSECONDS);
  }

  private void timedOut(int key, int which) {
    for (;;) {
      int s = (int) INTS.getVolatile(state, key);
      if (s != RUNNING) {
        return; // ending, ended, or already interrupted
      }
      if (INTS.compareAndSet(state, key, RUNNING, INTERRUPTING)) {
        break;
      }
    }
    if ((int) INTS.getVolatile(ended, key) != which) {
      INTS.setVolatile(state, key, RUNNING); // that attempt is over; leave the next one alone
      return;
    }
    interruptThread(key, null);
    INTS.setVolatile(state, key, TIMED_OUT);
  }

  /**
   * Interrupts task {@code key}, which its caller moved to INTERRUPTING: its thread, and what runs
   * inside it. {@code why} is the cancellation that stops it, or null for its timeout.
   */
  void interruptThread(int key, String why) {
    // what runs inside first: an element running on this task's own thread then learns it was
    // cancelled from its own state, before the interrupt reaches it
    var inside = child(key);
    if (inside != null) {
      stopChild(inside, why != null ? why : "node '" + run.plan.names[owner(key)]
          + "' of graph '" + run.plan.graph + "' timed out");
    }
    var thread = threads[key];
    if (thread != null) {
      thread.interrupt();
    }
  }

  /**
   * Cancels a running task for a cancellation: RUNNING or TIMED_OUT becomes INTERRUPTED, its
   * thread interrupted. {@return false if its state was not {@code s}: read it again}
   */
  boolean cancelRunning(int key, int s, String why) {
    if (!INTS.compareAndSet(state, key, s, INTERRUPTING)) {
      return false;
    }
    interruptThread(key, why);
    INTS.setVolatile(state, key, INTERRUPTED);
    return true;
  }

  /** Closes the current attempt of {@code key}. {@return how it ended} */
  public AttemptEnd end(int key) {
    until[key] = 0;
    for (;;) {
      int s = (int) INTS.getVolatile(state, key);
      if (s == INTERRUPTING) {
        Thread.yield(); // an interrupter is between its CAS and interrupt(): let it finish
        continue;
      }
      if (s >= SUCCEEDED) {
        return AttemptEnd.CUT_OFF;
      }
      if (INTS.compareAndSet(state, key, s, PAUSED)) {
        INTS.getAndAdd(ended, key, 1);
        // Ours (a timeout, a cancellation) or one the attempt left set: the retry wait and the
        // next attempt start clear. In PAUSED nobody interrupts this thread.
        Thread.interrupted();
        INTS.setVolatile(state, key, s == INTERRUPTED ? INTERRUPTED : RUNNING);
        return s == INTERRUPTED ? AttemptEnd.CANCELLED
            : s == TIMED_OUT ? AttemptEnd.TIMED_OUT : AttemptEnd.COMPLETED;
      }
    }
  }

  /**
   * Ends task {@code key} on its own thread, once its body returned ({@code outcome} SUCCEEDED)
   * or threw (FAILED): a cancelled task that throws was cancelled; one that returns a value
   * despite the interrupt succeeded. {@return the state it ended in, or -1 if it had been cut off
   * meanwhile, in which case nothing of it may be touched} The caller stores the value.
   */
  int settle(int key, int outcome) {
    for (;;) {
      int s = (int) INTS.getVolatile(state, key);
      if (s == INTERRUPTING || s == PAUSED) {
        Thread.yield(); // another thread is between its CAS and interrupt(): let it finish
        continue;
      }
      if (s >= SUCCEEDED) {
        Thread.interrupted(); // cut off: whatever interrupt is left was meant for it
        return -1;
      }
      int end = outcome == FAILED && (s == INTERRUPTED || stoppedFromAbove()) ? CANCELLED
          : outcome;
      if (INTS.compareAndSet(state, key, s, end)) {
        // threads[key] stays, for the span: the state says the task no longer runs on it
        if (s == INTERRUPTED || s == TIMED_OUT) {
          Thread.interrupted(); // the interrupt was ours and meant for this task only
        }
        return end;
      }
    }
  }

  /** {@return whether what this table's tasks run inside has been stopped} None for vertices. */
  boolean stoppedFromAbove() {
    return false;
  }

  /**
   * Reports that attempt {@code attempt} failed and another follows after {@code delayNanos}.
   * {@return false if the task was cut off meanwhile: no retry}
   */
  public boolean retried(int key, int attempt, Throwable error, long delayNanos) {
    if (run.hooks == null) {
      return true;
    }
    int held = hold(key);
    if (held < 0) {
      return false; // cut off: no retry, and no event after its end
    }
    try {
      reportRetried(key, attempt, error, delayNanos);
    } finally {
      release(key, held);
    }
    return true;
  }

  /** {@return the time left to the current attempt: to its timeout or the run's deadline} */
  public long remainingNanos(int key) {
    long end = run.cutOff.deadlineAt;
    if (until != null && until[key] != 0) {
      end = Math.min(end, until[key]);
    }
    return end == Long.MAX_VALUE ? Long.MAX_VALUE : end - run.scheduler.nanoTime();
  }

  /** {@return the absolute time (scheduler clock) of the run's deadline, or Long.MAX_VALUE} */
  public long deadlineAt() {
    return run.cutOff.deadlineAt;
  }

  /** {@return the attempt of {@code key} running now, from 1; only its own thread asks} */
  public int current(int key) {
    return started != null && guarded(key) ? Math.max(1, (int) INTS.getVolatile(started, key))
        : 1;
  }

  boolean guarded(int key) {
    return run.plan.guardedVertex[key];
  }

  /** {@return how many attempts {@code key} made: 0 if its task never started} */
  int count(int key) {
    int done = (int) INTS.getVolatile(ended, key);
    // a guarded task cut off mid-attempt never ends that attempt, but it did start it
    return started == null ? done : Math.max(done, (int) INTS.getVolatile(started, key));
  }

  /**
   * {@return whether {@code key} has been stopped: interrupted by a cancellation, or cut off}
   * Its own thread asks, between attempts, whatever became of the interrupt.
   */
  public boolean stopped(int key) {
    int s = (int) INTS.getVolatile(state, key);
    return s == INTERRUPTED || s >= SUCCEEDED;
  }

  /**
   * {@return whether task {@code key} has been interrupted for good or for its current attempt:
   * stopped, being stopped, or timed out} Its own thread asks.
   */
  public boolean disturbed(int key) {
    int s = (int) INTS.getVolatile(state, key);
    return s == INTERRUPTING || s == TIMED_OUT || stopped(key);
  }

  /** {@return whether the current attempt of {@code key} has a timeout of its own} */
  public boolean timed(int key) {
    return until != null && until[key] != 0;
  }

  /** {@return whether no new attempt may start: the run, or what holds the table, stopped} */
  public boolean halted() {
    return run.cancelled() != null;
  }

  // ---- what runs inside a task ----

  /**
   * Records {@code child} (an {@link Elements} table, a subgraph's {@link Run}) as what task
   * {@code key} runs now, so that interrupting the task stops it. If the task was interrupted
   * already, stops it at once.
   */
  public boolean adopt(int key, Object child) {
    var table = childTable();
    for (;;) {
      var current = CHILDREN.getVolatile(table, key);
      if (current instanceof Closed) {
        return false; // cut off already: what it shows is fixed, and this child is not in it
      }
      if (CHILDREN.compareAndSet(table, key, current, child)) {
        break;
      }
    }
    // An interrupter between its CAS and its interrupt may have looked for a child before it was
    // set: wait it out, then stop the child here if the task was stopped (twice is harmless).
    int s;
    while ((s = (int) INTS.getVolatile(state, key)) == INTERRUPTING) {
      Thread.yield();
    }
    if (s == TIMED_OUT) {
      stopChild(child, "node '" + run.plan.names[owner(key)] + "' of graph '" + run.plan.graph
          + "' timed out");
    } else if (s == INTERRUPTED || s >= SUCCEEDED) {
      stopChild(child, stopText());
    }
    return true;
  }

  /** What a cut-off task's child slot holds: what it ran then, if anything, for good. */
  private record Closed(Object child) {}

  private Object[] childTable() {
    var table = children;
    if (table == null) {
      var fresh = new Object[state.length];
      table = CHILD_TABLE.compareAndSet(this, null, fresh) ? fresh : children;
    }
    return table;
  }

  /**
   * Closes the child slot of task {@code key}, which the cut-off is ending: no child is recorded
   * after this ({@link #adopt} refuses it), so the task's span is fixed from its end on. A
   * subgraph's run still going is dropped from the span (it would end, and change it, later).
   * {@return what the task ran inside it until now, or null}
   */
  Object close(int key) {
    var table = childTable();
    for (;;) {
      var current = CHILDREN.getVolatile(table, key);
      if (current instanceof Closed closed) {
        return closed.child;
      }
      var kept = current instanceof Run<?> inner && !inner.done ? null : current;
      if (CHILDREN.compareAndSet(table, key, current, new Closed(kept))) {
        return current;
      }
    }
  }

  /** {@return why this table's tasks are being stopped, for what runs inside them} */
  String stopText() {
    return run.readout().cancelText();
  }

  /**
   * Reports the stragglers of a subgraph's run that task {@code key} ran, by their paths in that
   * run ({@code profile}, {@code card/x}): they outlive this run too, as {@code host/profile}
   * (or {@code hosts[2]/profile} for an element). Called by the task's thread before it ends.
   */
  public void stragglersInside(int key, java.util.Map<String, Thread> inner) {
    if (inner.isEmpty()) {
      return;
    }
    var prefix = label(key) + "/";
    var paths = new java.util.LinkedHashMap<String, Thread>();
    inner.forEach((path, thread) -> paths.put(prefix + path, thread));
    run.cutOff.addInnerStragglers(paths);
  }

  /** {@return what task {@code key} runs inside it, or null} */
  public Object child(int key) {
    var table = children;
    var child = table == null ? null : CHILDREN.getVolatile(table, key);
    return child instanceof Closed closed ? closed.child : child;
  }

  private static void stopChild(Object child, String why) {
    if (child instanceof Run<?> inner) {
      inner.cancelFromParent(why);
    } else if (child instanceof Elements elements) {
      elements.stopAll(why);
    } else if (child instanceof Hedges hedges) {
      hedges.stopAll(why);
    }
  }

  // ---- reports, by kind of table ----

  /** {@return the vertex the task {@code key} belongs to: itself, for a vertex} */
  public int owner(int key) {
    return key;
  }

  /**
   * Runs one attempt's body of task {@code key} inside the run's {@code ScopedValue} bindings, if
   * it has any. Every form of attempt comes through here, on the thread that runs it: a node's
   * task, each of its retries, a fan-out's element, the node that runs a subgraph (whose run
   * captures the bindings again); a hedge's attempt must too.
   */
  public final Object call(int key, Invoker body) throws Throwable {
    var bindings = bindings();
    return bindings == null ? body(key, body) : bindings.call(() -> body(key, body));
  }

  /** Runs other user code of a task, such as its fallback, inside the run's bindings. */
  public final Object bound(TaskCode op) throws Throwable {
    var bindings = bindings();
    return bindings == null ? op.run() : bindings.call(op);
  }

  /** {@return the ScopedValue bindings of this table's tasks: the run's, or null} */
  ScopedBindings bindings() {
    return run.bindings;
  }

  /** Runs the body itself: for a vertex, {@code body}. */
  Object body(int key, Invoker body) throws Throwable {
    return body.invoke(run, key);
  }

  void reportStarted(int key, int attempt) {
    run.reportStarted(key, attempt);
  }

  void reportRetried(int key, int attempt, Throwable error, long delayNanos) {
    run.reportRetried(key, attempt, error, delayNanos);
  }

  /** {@return a begun JFR event for one attempt, or null when JFR does not record it} */
  public static NodeExecutionEvent beginJfr() {
    if (!Jfr.nodes()) {
      return null; // no allocation per task while JFR does not record node executions
    }
    var event = new NodeExecutionEvent();
    event.begin();
    return event;
  }

  /** Ends and, if it passed its threshold, commits an attempt's JFR event. */
  public void commitJfr(NodeExecutionEvent event, int key, int attempt,
      Outcome.Status outcome) {
    event.end();
    if (event.shouldCommit()) {
      event.graph = run.plan.graph;
      event.node = run.plan.names[owner(key)];
      event.element = element(key);
      event.runId = run.id;
      event.parentRunId = run.parentRunId();
      event.attempt = attempt;
      event.hedge = this instanceof Hedges ? key : -1;
      event.outcome = outcome.label();
      event.commit();
    }
  }

  /** {@return task {@code key} as stragglers and traces name it: {@code photos}, {@code photos[3]}} */
  String label(int key) {
    int element = element(key);
    var node = run.plan.names[owner(key)];
    return element < 0 ? node : node + "[" + element + "]";
  }

  /**
   * Records in {@code into}, as {@code prefix} and its label, the thread of every task of this
   * table still running, and of what runs inside them: a subgraph's tasks as {@code host/profile},
   * a fan-out's elements as {@code photos[3]}. For the stragglers of the run around them, cut off
   * meanwhile.
   */
  void collectRunning(String prefix, java.util.Map<String, Thread> into) {
    for (int key = 0; key < state.length; key++) {
      int s = (int) INTS.getVolatile(state, key);
      var thread = threads[key];
      if (s >= RUNNING && s <= PAUSED && thread != null) { // running, interrupted, between tries
        into.put(prefix + label(key), thread);
      }
      var inside = child(key);
      if (inside instanceof Run<?> inner) {
        inner.attempts.collectRunning(prefix + label(key) + "/", into);
      } else if (inside instanceof Elements elements) {
        elements.collectRunning(prefix, into); // their labels name the node
      } else if (inside instanceof Hedges hedges) {
        hedges.collectRunning(prefix, into);
      }
    }
  }

  /** {@return which of its hedged attempts task {@code key} runs now: 0, the first, if none} */
  public int hedge(int key) {
    return 0;
  }

  /** {@return the element index of task {@code key}, or -1 for a vertex} */
  public int element(int key) {
    return -1;
  }
}
