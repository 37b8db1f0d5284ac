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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One fan-out of a node over a list known only at run time: one task per item, each with the
 * node's policies, run by {@link Attempts}' protocol like any task, each ending in exactly one
 * outcome. Created and awaited on the node's own thread (its coordinator).
 *
 * <h2>Implementation notes</h2>
 *
 * <p>Elements are claimed in index order from a shared counter by <em>lanes</em>: the node's own
 * thread is one, and up to {@code maxConcurrency - 1} more are handed to the run's executor, each
 * running elements until none is left. So at most {@code maxConcurrency} elements run at once, a
 * lane that frees up takes the next element without a hand-off, and a bounded executor cannot
 * deadlock: the node's thread, which waits for the elements, runs them itself while the other
 * lanes are queued (a lane that starts late finds nothing left and returns at once). Each element
 * moves through the states of {@link Run}'s vertices, SCHEDULED to RUNNING to an end, by
 * compare-and-set, so a stop (the first failure, the run's cancellation) and the element's thread
 * agree on its one outcome; whoever ends an element counts it, and the last count wakes the node's
 * thread.
 */
public final class Elements extends Attempts {
  /** What one element runs: the node's body for one item. */
  @FunctionalInterface
  public interface Template {
    /** Runs element {@code index}, whose item is {@code item}, of {@code elements}. */
    Object apply(Elements elements, int index, Object item) throws Throwable;
  }

  /** An element's policies (the node's timeout, retries, breaker, bulkhead, fallback). */
  @FunctionalInterface
  public interface Policies {
    /** Runs the attempts of task {@code key} of {@code site} under the policies. */
    Object run(Attempts site, int key) throws Throwable;
  }

  private final int vertex;
  private final List<?> items;
  private final Template template;
  private final Policies policies;
  private final boolean collect;
  private final int size;
  private final long readyAt;
  private final long[] startAt;
  private final long[] endAt;
  private final Object[] slot;
  private final String[] ranOnName;
  private final boolean[] cut;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger endedCount = new AtomicInteger();
  private final Thread coordinator = Thread.currentThread();
  // why the elements were stopped, set once; and the first element that failed, or -1
  private volatile String stopReason;
  private volatile int firstFailure = -1;
  // the node's thread's wait for its elements, once it waits
  private volatile Waiting waiting;

  private Elements(Run<?> run, int vertex, List<?> items, Template template, Policies policies,
      boolean collect) {
    super(run, scheduled(items.size()), new Thread[items.size()], policies != null);
    this.vertex = vertex;
    this.items = items;
    this.template = template;
    this.policies = policies;
    this.collect = collect;
    this.size = items.size();
    this.readyAt = run.taskClock();
    this.startAt = new long[size];
    this.endAt = new long[size];
    this.slot = new Object[size];
    this.ranOnName = new String[size];
    this.cut = new boolean[size];
  }

  private static int[] scheduled(int n) {
    var state = new int[n];
    Arrays.fill(state, SCHEDULED);
    return state;
  }

  /**
   * Runs the fan-out of {@code vertex} over {@code items} on the node's own thread and waits for
   * every element to end. {@return the values in item order, or the outcomes if {@code collect}}
   * Throws what {@code failure} makes of the first failed element's error, when not collecting;
   * {@link CancellationException} if the node was stopped.
   */
  public static Object run(Run<?> run, int vertex, List<?> items, int maxConcurrency,
      boolean inline, Template template, Policies policies, boolean collect,
      FailureFactory failure) throws Throwable {
    if (items.isEmpty()) {
      return List.of();
    }
    var elements = new Elements(run, vertex, items, template, policies, collect);
    if (!run.attempts().adopt(vertex, elements)) { // from now on, stopping the node stops them
      throw new CancellationException("cut off before its elements were set up");
    }
    int lanes = inline ? 1 : Math.min(maxConcurrency, elements.size);
    for (int l = 1; l < lanes && elements.next.get() < elements.size; l++) {
      run.enter(1); // the lane is active from now until it ends (see Run.submit)
      try {
        run.executor.execute(elements::submittedLane);
      } catch (Throwable refused) {
        run.exit();
        break; // the lanes already running, the node's own thread included, take its elements
      }
    }
    elements.lane();
    return elements.await(failure);
  }

  /** Makes the node's failure from its first failed element. */
  @FunctionalInterface
  public interface FailureFactory {
    /** {@return what the node fails with when element {@code index} failed with {@code error}} */
    Throwable of(int index, Throwable error);
  }

  private Object await(FailureFactory failure) {
    var waiting = new Waiting(run);
    this.waiting = waiting;
    waiting.pause(() -> endedCount.get() >= size); // the elements' lanes are counted meanwhile
    try {
      while (endedCount.get() < size) {
        if (Thread.interrupted() || run.attempts().stopped(vertex)) {
          stopAll(run.readout().cancelText()); // the node was stopped: its elements are too
        }
        if ((int) INTS.getVolatile(run.state, vertex) >= SUCCEEDED) {
          throw new CancellationException("cut off"); // the run ended without this node
        }
        LockSupport.park(this);
      }
    } finally {
      waiting.resume();
    }
    // INTERRUPTING too: a canceller stops the elements before it marks the node INTERRUPTED, so
    // they may all have ended, cancelled, while it still is; their slots hold no values
    if (stoppedFromAbove()) {
      throw new CancellationException(run.readout().cancelText());
    }
    if (collect) {
      // a collecting fan-out's elements are cancelled only by a stop of the node or of its run
      throwIfAnyCancelled();
      var outcomes = new ArrayList<Outcome<?>>(size);
      for (int i = 0; i < size; i++) {
        outcomes.add(outcome(i));
      }
      return Collections.unmodifiableList(outcomes);
    }
    int failed = firstFailure;
    if (failed >= 0) {
      sneakyThrow(failure.of(failed, (Throwable) slot[failed]));
    }
    throwIfAnyCancelled();
    return Collections.unmodifiableList(Arrays.asList(slot));
  }

  /**
   * Cancels the node if an element ended Cancelled: one stopped by the run, which has not
   * reached the node yet. Its slot holds what it ended with, not a value, and its Cancelled is
   * no outcome to collect: the node is cancelled, not a list with that in it.
   */
  private void throwIfAnyCancelled() {
    for (int i = 0; i < size; i++) {
      if ((int) INTS.getVolatile(state, i) == CANCELLED) {
        throw new CancellationException(cancelReason(i));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }

  /** A lane handed to the executor, counted as active when it was (see Run.enter). */
  private void submittedLane() {
    if (Thread.currentThread() == coordinator) {
      // run inside execute() by the node's own thread (a synchronous executor): counted already
      run.exit();
      lane();
      return;
    }
    try {
      lane();
    } finally {
      run.exit();
    }
  }

  /** Runs elements on this thread until none is left to claim. */
  private void lane() {
    if (next.get() >= size) {
      return; // started late: the other lanes took them all
    }
    var frame = Frame.current();
    boolean own = frame == null || frame.run != run;
    if (own) {
      frame = new Frame(run, true);
      frame.enter();
    }
    var site = frame.site;
    int current = frame.current;
    try {
      // none is claimed once the fan-out is stopped; one claimed just before is interrupted
      while (stopReason == null) {
        int i = next.getAndIncrement();
        if (i >= size) {
          break;
        }
        runElement(i, frame, own);
      }
    } finally {
      frame.site = site;
      frame.current = current;
      if (own) {
        Thread.interrupted(); // the executor's thread goes back as it came
        frame.leave();
      }
    }
  }

  private void runElement(int i, Frame frame, boolean restoreContext) {
    var thread = frame.thread;
    threads[i] = thread;
    if (!INTS.compareAndSet(state, i, SCHEDULED, RUNNING)) {
      threads[i] = null; // stopped before it could start
      return;
    }
    startAt[i] = run.taskClock();
    ranOnName[i] = frame.threadName;
    NodeExecutionEvent jfr = null;
    Object result;
    int outcome;
    ContextPropagator.Scope[] scopes = null;
    try {
      scopes = restoreContext && run.context != null ? run.context.restore() : null;
      if (policies == null) {
        single(i);
        if (run.hooks != null) {
          int held = hold(i); // ElementStarted before any ElementEnded of the cut-off
          if (held < 0) {
            throw new CancellationException("cut off at the run's cancellation");
          }
          try {
            reportStarted(i, 1);
          } finally {
            release(i, held);
          }
        }
        jfr = beginJfr();
      }
      frame.site = this;
      frame.current = i;
      result = policies != null ? policies.run(this, i) : call(i, null);
      outcome = SUCCEEDED;
    } catch (Throwable t) {
      result = t;
      // stopped with the fan-out or its run before the stop reached it: between its attempts,
      // or inside what it ran (as a vertex, see Run.runVertex)
      outcome = t instanceof CancellationException && halted() ? CANCELLED : FAILED;
    } finally {
      frame.site = null;
      frame.current = -1;
      if (scopes != null) {
        run.context.close(scopes);
      }
      frame.restoreThread();
    }
    long now = run.taskClock();
    // the result first: a span built as soon as the state says FAILED or SUCCEEDED (the
    // cut-off's, a listener's) reads it; a cut-off's CANCELLED never does
    slot[i] = result;
    int end = settle(i, outcome);
    if (end < 0) {
      return; // cut off: the cut-off ended and counted it
    }
    // Ended: an interrupt still set is one the element left (or one meant for it), not the next
    // element's on this lane, nor the node's: a stop of the node shows in its state, which the
    // lane and the node's thread read.
    Thread.interrupted();
    endAt[i] = now;
    if (jfr != null) {
      commitJfr(jfr, i, 1, Outcome.Status.values()[end - SUCCEEDED]);
    }
    if (end == FAILED && !collect) {
      if (firstFailure < 0) {
        synchronized (this) {
          if (firstFailure < 0) {
            firstFailure = i;
          }
        }
      }
      stopAll("element " + i + " of node '" + run.plan.names[vertex] + "' failed");
    }
    ended(i);
  }

  /** Counts element {@code i} ended (once, by whoever ended it); the last wakes the node. */
  private void ended(int i) {
    reportEnded(i);
    if (endedCount.incrementAndGet() == size) {
      var waiting = this.waiting;
      if (waiting != null) {
        waiting.wake(); // counted before it runs again: no quiet moment in between
      }
      LockSupport.unpark(coordinator);
    }
  }

  /** Runs the body of element {@code key} once. */
  @Override
  Object body(int key, Invoker unused) throws Throwable {
    return template.apply(this, key, items.get(key));
  }

  /**
   * Stops the fan-out once: no element starts any more, running ones are interrupted (and what
   * runs inside them stopped). {@code why} becomes the reason of those it cancels.
   */
  void stopAll(String why) {
    synchronized (this) {
      if (stopReason != null) {
        return;
      }
      stopReason = why;
    }
    for (int i = 0; i < size; i++) {
      for (;;) {
        int s = (int) INTS.getVolatile(state, i);
        if (s == SCHEDULED) {
          if (INTS.compareAndSet(state, i, SCHEDULED, CANCELLED)) {
            startAt[i] = endAt[i] = run.taskClock();
            ended(i);
            break;
          }
        } else if (s == PAUSED && heldHere(i)) {
          break; // its own thread stops the fan-out, from a listener: it sees that on release
        } else if (s == PAUSED || s == INTERRUPTING) {
          Thread.yield(); // between two attempts, or a timeout mid-interrupt: a moment
        } else if (s == RUNNING || s == TIMED_OUT) {
          if (cancelRunning(i, s, why)) {
            break;
          }
        } else {
          break;
        }
      }
    }
    LockSupport.unpark(coordinator);
  }

  /**
   * Cuts off, as CANCELLED, the elements still running when the run's cut-off ends their node,
   * recording their threads in {@code stragglers} as {@code node[index]}.
   */
  void cutOff(long now, Map<String, Thread> stragglers) {
    for (int i = 0; i < size; i++) {
      for (;;) {
        int s = (int) INTS.getVolatile(state, i);
        if (s == INTERRUPTING || s == PAUSED) {
          Thread.yield();
        } else if (s == RUNNING || s == INTERRUPTED || s == TIMED_OUT || s == SCHEDULED) {
          var thread = threads[i];
          if (INTS.compareAndSet(state, i, s, CANCELLED)) {
            endAt[i] = now;
            if (s != SCHEDULED) {
              cut[i] = true;
              stragglers.put(label(i), thread);
            }
            var inside = close(i); // before its ElementEnded: the span is fixed from then on
            if (inside instanceof Run<?> inner) {
              inner.attempts.collectRunning(label(i) + "/", stragglers);
            } else if (inside instanceof Hedges hedges) {
              hedges.cutOff(now, stragglers);
            }
            ended(i);
            break;
          }
        } else {
          break;
        }
      }
    }
    LockSupport.unpark(coordinator);
  }

  @Override
  String stopText() {
    var why = stopReason;
    return why != null ? why : super.stopText();
  }

  @Override
  boolean stoppedFromAbove() {
    int s = (int) INTS.getVolatile(run.state, vertex);
    return s == INTERRUPTING || s == INTERRUPTED || s >= SUCCEEDED;
  }

  @Override
  public boolean halted() {
    return stopReason != null || super.halted();
  }

  @Override
  public boolean stopped(int key) {
    return super.stopped(key) || stopReason != null || run.attempts().stopped(vertex);
  }

  @Override
  boolean guarded(int key) {
    return policies != null;
  }

  @Override
  public int owner(int key) {
    return vertex;
  }

  @Override
  public int element(int key) {
    return key;
  }

  @Override
  void reportStarted(int key, int attempt) {
    if (run.hooks != null) {
      run.reportElementStarted(vertex, key, attempt);
    }
  }

  @Override
  void reportRetried(int key, int attempt, Throwable error, long delayNanos) {
    run.reportElementRetried(vertex, key, attempt, error, delayNanos);
  }

  private void reportEnded(int key) {
    if (run.hooks != null) {
      run.reportElementEnded(vertex, key);
    }
  }

  // ---- what the result, listeners and traces read: elements that have ended ----

  /** {@return how many elements there are} */
  public int size() {
    return size;
  }

  /** {@return the outcome of element {@code i}, which has ended} */
  public Outcome<?> outcome(int i) {
    var name = run.plan.names[vertex];
    int s = (int) INTS.getVolatile(state, i);
    return switch (s) {
      case SUCCEEDED -> new Outcome.Succeeded<>(name, slot[i]);
      case FAILED -> new Outcome.Failed<>(name, (Throwable) slot[i]);
      case CANCELLED -> new Outcome.Cancelled<>(name, cancelReason(i));
      default -> throw new IllegalStateException("element " + i + " of node '" + name
          + "' has not ended");
    };
  }

  private String cancelReason(int i) {
    var why = stopReason != null ? stopReason : run.readout().cancelText();
    return !cut[i] ? why : why + "; the task ignored the interrupt and was cut off after "
        + Durations.text(Duration.ofNanos(CutOff.GRACE_NANOS));
  }

  /** {@return when element {@code i} became ready, started and ended, and where it ran} */
  public Span span(int i) {
    return span(i, run.startNanos);
  }

  private Span span(int i, long origin) {
    var name = ranOnName[i]; // null if it never started
    var thread = name == null ? null : threads[i];
    long start = startAt[i] == 0 ? endAt[i] : startAt[i];
    return new Span(run.plan.names[vertex], outcome(i), Duration.ofNanos(readyAt - origin),
        Duration.ofNanos(start - origin), Duration.ofNanos(endAt[i] - origin), count(i),
        thread == null ? 0 : thread.threadId(), thread == null ? "" : name, i,
        Readout.inside(child(i), origin));
  }

  /** {@return the spans of every element, in index order, times since {@code origin}} */
  List<Span> spans(long origin) {
    var spans = new ArrayList<Span>(size);
    for (int i = 0; i < size; i++) {
      spans.add(span(i, origin));
    }
    return Collections.unmodifiableList(spans);
  }

}
