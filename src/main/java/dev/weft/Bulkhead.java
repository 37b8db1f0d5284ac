package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.nonNegative;
import static java.util.Objects.requireNonNull;

import dev.weft.internal.Failures;
import dev.weft.internal.Faults;
import dev.weft.internal.GradientLimit;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A limit on how many calls to one downstream run at once, shared by every node guarded by it in
 * any number of graphs and concurrent runs. Create it once per downstream and attach it with
 * {@link NodeBuilder#bulkhead} (or a loader's {@link BatchLoader#bulkhead}):
 *
 * <pre>{@code
 * static final Bulkhead FRAUD = Bulkhead.builder("fraud")
 *     .maxConcurrent(4).maxWait(Duration.ofMillis(20))
 *     .build();
 * }</pre>
 *
 * <p>This one lets at most 4 fraud checks run at a time across the service; a fifth waits up to
 * 20 ms (never past its run's deadline) for a place and otherwise fails with {@link
 * BulkheadFullException} without running. The place is held only while an attempt runs, not
 * during retry delays. The wait is measured in real time, even when runs use a fake {@link
 * Scheduler}.
 *
 * <h2>Adaptive limit</h2>
 * Instead of a fixed {@link Builder#maxConcurrent}, the limit may follow the downstream's latency
 * ({@link Builder#adaptiveLimit}, described on {@link AdaptiveLimit}): every attempt's duration,
 * on its run's {@link Scheduler} clock, and whether it succeeded, failed or timed out, move it.
 * {@link #limit()} tells where it stands and {@link Builder#onLimitChange} reports each move.
 *
 * <h2>Criticality</h2>
 * Each call claims a share of the limit by its run's {@link Criticality} ({@link
 * RunOptions#withCriticality}): a {@code CRITICAL} call may take any free place, a {@code DEFAULT}
 * one runs only while fewer places than its share of the limit are taken, a {@code SHEDDABLE} one
 * only while fewer than its share are (by default all, and half: {@link
 * Builder#criticalityShares}). So when the downstream is saturated, sheddable calls are refused
 * first, while critical ones still get through. Callers waiting for a place are served most
 * critical first, in arrival order within a criticality; a caller never takes a place ahead of a
 * waiting caller at least as critical. A loader's call shared across runs has the criticality of
 * the run that sent it first.
 *
 * <p>Thread-safe. Taking and giving back a place is a compare-and-set while nobody waits; a
 * waiting caller parks (a virtual thread unmounts) and an interrupted wait (its run was cancelled)
 * ends at once. No lock is held while a call runs or waits. An adaptive limit's bookkeeping takes
 * a short lock per attempt; a {@link Builder#onLimitChange} listener that throws is logged
 * through {@link System.Logger} at WARNING and changes nothing else.
 */
public final class Bulkhead {
  private static final Criticality[] LEVELS = Criticality.values();

  private final String name;
  private final int maxConcurrent; // the fixed limit, or an adaptive limit's maximum
  private final long maxWaitNanos;
  private final double defaultShare;
  private final double sheddableShare;
  private final AdaptiveLimit adaptive; // null for a fixed limit
  private final Consumer<? super LimitChange> listener; // null for none
  // the adaptive limit's estimator, guarded by limitLock; null for a fixed limit
  private final GradientLimit estimator;
  private final ReentrantLock limitLock = new ReentrantLock();
  // written under limitLock, read by anyone
  private volatile int limit;

  private final AtomicInteger inUse = new AtomicInteger();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder shed = new LongAdder();

  // Callers waiting for a place, a FIFO queue per criticality, guarded by lock. How many wait at
  // each criticality is written under lock and read by anyone: a caller that finds none waiting
  // ahead of it takes a place without the lock.
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Waiter>[] queues;
  private final AtomicIntegerArray waiting = new AtomicIntegerArray(LEVELS.length);

  /** One parked caller; granted is set, under lock, by whoever gives it a place. */
  private static final class Waiter {
    final Condition granted;
    boolean placed;

    Waiter(Condition granted) {
      this.granted = granted;
    }
  }

  @SuppressWarnings("unchecked")
  private Bulkhead(Builder b) {
    this.name = b.name;
    this.adaptive = b.adaptive;
    this.maxConcurrent = adaptive == null ? b.maxConcurrent : adaptive.max();
    this.maxWaitNanos = b.maxWaitNanos;
    this.defaultShare = b.defaultShare;
    this.sheddableShare = b.sheddableShare;
    this.listener = b.listener;
    this.estimator = adaptive == null ? null : new GradientLimit(name, adaptive.initial(),
        adaptive.min(), adaptive.max(), adaptive.tolerance(), adaptive.smoothing(),
        adaptive.backoff(), adaptive.windowNanos(), adaptive.windowSamples());
    this.limit = adaptive == null ? b.maxConcurrent : adaptive.initial();
    this.queues = new ArrayDeque[LEVELS.length];
    for (int i = 0; i < queues.length; i++) {
      queues[i] = new ArrayDeque<>();
    }
  }

  /**
   * Starts configuring a bulkhead. Either {@link Builder#maxConcurrent} or {@link
   * Builder#adaptiveLimit} is required; callers do not wait for a place unless {@link
   * Builder#maxWait} says otherwise.
   *
   * @param name names the bulkhead in exceptions and in its {@code toString}
   * @return a builder
   */
  public static Builder builder(String name) {
    return new Builder(requireNonNull(name, "name"));
  }

  /** {@return the bulkhead's name} */
  public String name() {
    return name;
  }

  /**
   * {@return the most calls that may ever run at once: the fixed limit, or the adaptive limit's
   * maximum} {@link #limit()} is how many may run now.
   */
  public int maxConcurrent() {
    return maxConcurrent;
  }

  /** {@return how many calls may run at once now: the fixed limit, or where the adaptive is} */
  public int limit() {
    return limit;
  }

  /**
   * {@return how many calls are running now} It may exceed {@link #limit()} for a while after an
   * adaptive limit fell: calls running are never stopped, new ones wait until enough have ended.
   */
  public int inUse() {
    return inUse.get();
  }

  /** {@return how many calls have been given a place since the bulkhead was built} */
  public long accepted() {
    return accepted.sum();
  }

  /**
   * {@return how many calls have been refused a place since the bulkhead was built} {@link
   * #shed()} of them were refused for their criticality.
   */
  public long rejected() {
    return rejected.sum();
  }

  /**
   * {@return how many of the {@link #rejected()} calls were refused while fewer places than the
   * limit were taken, that is, for their criticality: a more critical call would have run}
   */
  public long shed() {
    return shed.sum();
  }

  /** {@return the adaptive limit's settings, or null for a fixed limit} Package-private. */
  AdaptiveLimit adaptive() {
    return adaptive;
  }

  /** {@return how many callers wait for a place now} For tests. */
  int waiters() {
    int n = 0;
    for (int i = 0; i < LEVELS.length; i++) {
      n += waiting.get(i);
    }
    return n;
  }

  // ---- admission ----

  /**
   * Takes a place for a call of node {@code node} of a {@code criticality} run, waiting at most
   * {@code budgetNanos} (and the maximum wait) beyond what is free now.
   *
   * @throws BulkheadFullException if no place was free for it in that time
   * @throws InterruptedException if the wait was interrupted: it holds no place then
   */
  void acquire(Criticality criticality, long budgetNanos, String node)
      throws InterruptedException {
    int level = criticality.ordinal();
    boolean ahead = waitingAhead(level);
    if (!ahead && tryAcquire(criticality)) {
      return;
    }
    long wait = Math.max(0, Math.min(maxWaitNanos, budgetNanos));
    if ((wait > 0 || ahead) && awaitPlace(level, wait)) {
      accepted.increment();
      return;
    }
    throw refused(criticality, node, wait);
  }

  /**
   * Takes a place if one is free for {@code criticality} now, whoever waits. {@return whether it
   * did} For a caller that keeps its own queue (the figures' simulation).
   */
  boolean tryAcquire(Criticality criticality) {
    if (take(criticality.ordinal())) {
      accepted.increment();
      return true;
    }
    return false;
  }

  /** {@return whether a place was free below {@code level}'s share of the limit, now taken} */
  private boolean take(int level) {
    int below = admittedBelow(level, limit);
    for (;;) {
      int n = inUse.get();
      if (n >= below) {
        return false;
      }
      if (inUse.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** {@return how many places may be taken for a call at {@code level} to get one} */
  private int admittedBelow(int level, int limit) {
    double share = level == 0 ? 1 : level == 1 ? defaultShare : sheddableShare;
    return share >= 1 ? limit : Math.max(1, (int) Math.ceil(share * limit));
  }

  private boolean waitingAhead(int level) {
    for (int i = 0; i <= level; i++) {
      if (waiting.get(i) > 0) {
        return true;
      }
    }
    return false;
  }

  private boolean awaitPlace(int level, long nanos) throws InterruptedException {
    var waiter = new Waiter(lock.newCondition());
    lock.lock();
    try {
      queues[level].addLast(waiter);
      waiting.incrementAndGet(level); // before grant's take: a release now cannot miss us
      grant();
      long left = nanos;
      while (!waiter.placed) {
        if (left <= 0) {
          queues[level].remove(waiter);
          waiting.decrementAndGet(level);
          return false;
        }
        left = waiter.granted.awaitNanos(left);
      }
      return true;
    } catch (InterruptedException e) {
      if (waiter.placed) {
        inUse.decrementAndGet(); // granted as it was interrupted: give the place on
        grant();
      } else {
        queues[level].remove(waiter);
        waiting.decrementAndGet(level);
      }
      throw e;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives free places to waiters, most critical first; called under lock. Shares shrink with
   * criticality, so once the head of one queue finds no place, no less critical waiter would.
   */
  private void grant() {
    for (int level = 0; level < queues.length; level++) {
      var queue = queues[level];
      while (!queue.isEmpty()) {
        if (!take(level)) {
          return;
        }
        var waiter = queue.pollFirst();
        waiting.decrementAndGet(level);
        waiter.placed = true;
        waiter.granted.signal();
      }
    }
  }

  private BulkheadFullException refused(Criticality criticality, String node, long waited) {
    rejected.increment();
    int lim = limit;
    var full = new BulkheadFullException(name, node, criticality, inUse.get(), lim,
        admittedBelow(criticality.ordinal(), lim), Duration.ofNanos(waited));
    if (full.shed()) {
      shed.increment();
    }
    return full;
  }

  // ---- giving places back ----

  /** What one attempt tells an adaptive limit. */
  enum Sample {
    /** It returned: its duration is a latency. */
    SUCCEEDED,
    /** It failed, not for overload: no latency, only how many places were in use. */
    FAILED,
    /** It timed out, or failed as the limit's {@code dropIf} says: congestion. */
    DROPPED,
    /** It was cancelled, or its time is unknown: nothing. */
    IGNORED
  }

  /**
   * Gives back the place of an attempt that began at {@code startNanos} on {@code clock} (or
   * {@code Long.MIN_VALUE} if the clock could not tell) and failed with {@code failure} (null if
   * it returned), {@code timedOut} or {@code stopped} (cancelled) as said. Reads the clock only
   * for an adaptive limit. {@return what the clock threw reading the end, or null} Never throws.
   */
  Throwable release(Scheduler clock, long startNanos, Throwable failure, boolean timedOut,
      boolean stopped) {
    if (estimator == null) {
      release();
      return null;
    }
    long end = 0;
    Throwable clockFailed = null;
    try {
      end = clock.nanoTime();
    } catch (Throwable t) {
      clockFailed = t;
    }
    Sample sample;
    if (stopped || clockFailed != null || startNanos == Long.MIN_VALUE) {
      sample = Sample.IGNORED;
    } else if (timedOut) {
      sample = Sample.DROPPED;
    } else if (failure == null) {
      sample = Sample.SUCCEEDED;
    } else {
      sample = Sample.FAILED;
      try {
        if (adaptive.drops(failure)) {
          sample = Sample.DROPPED;
        }
      } catch (Throwable broken) {
        Failures.suppress(failure, broken); // a dropIf that throws decides nothing
      }
    }
    release(startNanos, end, sample);
    return clockFailed;
  }

  /** Gives back a place, and tells an adaptive limit nothing about the call. */
  void release() {
    release(0, 0, Sample.IGNORED);
  }

  /** Gives back a place; an adaptive limit learns {@code sample}, from start to end. */
  void release(long startNanos, long endNanos, Sample sample) {
    int was = inUse.getAndDecrement();
    LimitChange change = null;
    if (estimator != null && sample != Sample.IGNORED) {
      limitLock.lock();
      try {
        change = switch (sample) {
          case SUCCEEDED -> estimator.succeeded(startNanos, endNanos, was);
          case DROPPED -> estimator.dropped(startNanos, endNanos, was);
          default -> {
            estimator.failed(startNanos, endNanos, was);
            yield null;
          }
        };
        if (change != null) {
          limit = change.newLimit();
        }
      } finally {
        limitLock.unlock();
      }
    }
    if (waitingAhead(LEVELS.length - 1)) {
      lock.lock();
      try {
        grant();
      } finally {
        lock.unlock();
      }
    }
    if (change != null && listener != null) {
      try {
        listener.accept(change);
      } catch (Throwable t) {
        Faults.log("the limit listener of bulkhead '" + name + "' threw on " + change
            + "; the bulkhead goes on", t);
      }
    }
  }

  @Override
  public String toString() {
    return "Bulkhead[" + name + ", " + inUse() + "/" + limit + " in use"
        + (adaptive == null ? "" : ", adaptive " + adaptive.min() + ".." + adaptive.max()) + "]";
  }

  /**
   * One move of an adaptive limit, and the figures of the window behind it. Delivered to {@link
   * Builder#onLimitChange} on the thread whose attempt closed the window, after the new limit
   * took effect and outside every lock. Immutable.
   *
   * @param bulkhead the bulkhead's name
   * @param oldLimit the limit before the window closed
   * @param newLimit the limit now
   * @param cause which rule moved it
   * @param rtt the mean duration of the window's successful attempts; zero if none succeeded
   * @param baseline the latency the limit takes for the idle downstream's, after this window;
   *     zero before the first successful window
   * @param samples the window's successful attempts
   * @param drops the window's attempts that timed out or were dropped
   * @param peakInUse the most places in use as one of the window's attempts ended
   */
  public record LimitChange(String bulkhead, int oldLimit, int newLimit, Cause cause,
      Duration rtt, Duration baseline, int samples, int drops, int peakInUse) {
    /** Checks that no component is null. */
    public LimitChange {
      requireNonNull(bulkhead, "bulkhead");
      requireNonNull(cause, "cause");
      requireNonNull(rtt, "rtt");
      requireNonNull(baseline, "baseline");
    }

    /** Which rule of {@link AdaptiveLimit} moved the limit. */
    public enum Cause {
      /** Latency within tolerance and the limit used, before latency first rose: doubled. */
      SLOW_START,
      /** Latency within tolerance and the limit used: grown by {@code smoothing * sqrt(limit)}. */
      GROWTH,
      /** Latency above tolerance: lowered by the smoothed gradient. */
      LATENCY,
      /** Attempts timed out or were dropped: multiplied by the back-off. */
      DROPS,
      /**
       * Latency stayed up although the limit was halved: the baseline was reset to it, and the
       * limit doubled from where it was, as in slow start.
       */
      REBASE,
      /**
       * A probe of the idle latency: the limit lowered for two windows so that the queue at the
       * limit drains, or brought back after them.
       */
      PROBE
    }
  }

  /**
   * Configures a {@link Bulkhead}. Not thread-safe; every setter checks its argument at once and
   * throws {@link IllegalArgumentException} naming it. {@link #build()} leaves the builder as it
   * was, so one builder may build several independent bulkheads.
   */
  public static final class Builder {
    private final String name;
    private int maxConcurrent; // 0: not set
    private AdaptiveLimit adaptive; // null: not set
    private long maxWaitNanos;
    private double defaultShare = 1.0;
    private double sheddableShare = 0.5;
    private Consumer<? super LimitChange> listener;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Lets {@code calls} (at least 1) run at once: a fixed limit. This or {@link #adaptiveLimit}
     * is required: a bulkhead has no natural size.
     *
     * @return this
     */
    public Builder maxConcurrent(int calls) {
      this.maxConcurrent = atLeastOne(calls, "maxConcurrent");
      return this;
    }

    /**
     * Lets the limit follow the downstream's latency, as {@code limit} describes, instead of
     * fixing it with {@link #maxConcurrent}.
     *
     * @return this
     */
    public Builder adaptiveLimit(AdaptiveLimit limit) {
      this.adaptive = requireNonNull(limit, "limit");
      return this;
    }

    /**
     * Lets a caller that finds no place free for it wait up to {@code maxWait} (zero or positive;
     * by default zero: do not wait) for one.
     *
     * @return this
     */
    public Builder maxWait(Duration maxWait) {
      this.maxWaitNanos = nonNegative(maxWait, "maxWait");
      return this;
    }

    /**
     * Sets the share of the limit each criticality may fill: a {@link Criticality#DEFAULT} call
     * gets a place only while fewer than {@code ceil(defaultShare * limit)} are taken, a {@link
     * Criticality#SHEDDABLE} one only while fewer than {@code ceil(sheddableShare * limit)} are
     * (at least one place either way), and a {@link Criticality#CRITICAL} one while any is free.
     * By default 1.0 and 0.5: default calls use the whole limit as they would without
     * criticality, sheddable ones half of it. A default share below 1 keeps places for critical
     * calls alone.
     *
     * @param defaultShare above 0, at most 1
     * @param sheddableShare above 0, at most {@code defaultShare}
     * @return this
     */
    public Builder criticalityShares(double defaultShare, double sheddableShare) {
      if (!(defaultShare > 0 && defaultShare <= 1)) {
        throw new IllegalArgumentException("defaultShare must be above 0 and at most 1, not "
            + defaultShare);
      }
      if (!(sheddableShare > 0 && sheddableShare <= defaultShare)) {
        throw new IllegalArgumentException("sheddableShare must be above 0 and at most "
            + "defaultShare (" + defaultShare + "), not " + sheddableShare);
      }
      this.defaultShare = defaultShare;
      this.sheddableShare = sheddableShare;
      return this;
    }

    /**
     * Reports every move of an adaptive limit to {@code listener}, on the thread of the attempt
     * that closed the window ({@link LimitChange}); never called for a fixed limit. It must be
     * quick and must not block; what it throws is logged and changes nothing. Two windows that
     * close at once on different threads may deliver their changes in either order: each carries
     * its old and new limit.
     *
     * @return this
     */
    public Builder onLimitChange(Consumer<? super LimitChange> listener) {
      this.listener = requireNonNull(listener, "listener");
      return this;
    }

    /**
     * {@return a new bulkhead, every place free}
     *
     * @throws IllegalStateException if neither or both of {@link #maxConcurrent} and {@link
     *     #adaptiveLimit} were set
     */
    public Bulkhead build() {
      if (maxConcurrent == 0 && adaptive == null) {
        throw new IllegalStateException("the limit of bulkhead '" + name + "' is not set: "
            + "call maxConcurrent(n) or adaptiveLimit(limit) before build()");
      }
      if (maxConcurrent != 0 && adaptive != null) {
        throw new IllegalStateException("bulkhead '" + name + "' has both maxConcurrent("
            + maxConcurrent + ") and adaptiveLimit(" + adaptive + "): choose one");
      }
      return new Bulkhead(this);
    }
  }
}
