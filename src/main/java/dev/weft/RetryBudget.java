package dev.weft;

import static dev.weft.internal.Check.positive;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A cap on the extra calls that retries and hedges send to one downstream, shared by every node
 * that calls it, in any number of graphs and concurrent runs: create it once per downstream and
 * attach it with {@link NodeBuilder#retryBudget}. Unbudgeted retries turn a brown-out into an
 * outage: when every call fails, {@code maxAttempts} 3 triples the load on the service that is
 * already failing. A budget lets retries through while they are rare and stops them when they are
 * not.
 *
 * <pre>{@code
 * static final RetryBudget SEARCH = RetryBudget.builder("search").build(); // Finagle's defaults
 *
 * g.node("results").retry(RetryPolicy.fixed(3, Duration.ofMillis(5)))
 *     .hedge(HedgePolicy.percentile(0.95))
 *     .retryBudget(SEARCH)
 *     .call(query, search::find);
 * }</pre>
 *
 * <h2>Semantics</h2>
 * The semantics of Finagle's {@code RetryBudget}: every first attempt of a guarded node (every
 * element, for a fan-out) deposits one request; every retry and every hedge withdraws one extra
 * call. Over the last {@code window} (10 s by default), the extra calls may number at most {@code
 * ratio} (20%) of the requests plus {@code minPerSecond} (10) per second of the window: so a
 * quiet service may still retry a little, and a busy one a fixed share. Time is counted in 10
 * buckets of a tenth of the window each, so the window slides in steps of a tenth.
 *
 * <p>A retry the budget refuses is not sent: the node fails with the failure it had, and a {@link
 * BudgetExhaustedException} attached to it as suppressed says why. A hedge it refuses is not sent
 * either; the attempts already running go on.
 *
 * <h2>Thread-safety</h2>
 * Thread-safe. Bookkeeping runs under a lock held for a few field updates, never while a call
 * runs or user code is called.
 */
public final class RetryBudget {
  private static final int BUCKETS = 10;

  private final String name;
  private final double ratio;
  private final double minPerSecond;
  private final long windowNanos;
  private final long bucketNanos;
  private final Scheduler clock;
  private final double reserve;

  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock: per bucket, its epoch (-1: unused), requests and extra calls
  private final long[] epochs = new long[BUCKETS];
  private final long[] deposits = new long[BUCKETS];
  private final long[] withdrawals = new long[BUCKETS];
  private long refused;

  private RetryBudget(Builder b) {
    this.name = b.name;
    this.ratio = b.ratio;
    this.minPerSecond = b.minPerSecond;
    this.windowNanos = b.windowNanos;
    this.bucketNanos = Math.max(1, b.windowNanos / BUCKETS);
    this.clock = b.clock;
    this.reserve = minPerSecond * (windowNanos / 1e9);
    java.util.Arrays.fill(epochs, -1);
  }

  /**
   * Starts configuring a budget. Defaults, as Finagle's: {@code ratio} 0.2, {@code minPerSecond}
   * 10, a {@code window} of 10 s, the {@link Scheduler#system() system} clock.
   *
   * @param name names the budget in exceptions and in its {@code toString}
   * @return a builder
   */
  public static Builder builder(String name) {
    return new Builder(requireNonNull(name, "name"));
  }

  /** {@return the budget's name} */
  public String name() {
    return name;
  }

  /** Counts one request: a first attempt. */
  void deposit() {
    long now = clock.nanoTime();
    lock.lock();
    try {
      deposits[bucket(now)]++;
    } finally {
      lock.unlock();
    }
  }

  /** {@return whether one extra call (a retry, a hedge) may be sent; if so, it is counted} */
  boolean tryWithdraw() {
    long now = clock.nanoTime();
    lock.lock();
    try {
      int b = bucket(now);
      if (balance(now) < 1) {
        refused++;
        return false;
      }
      withdrawals[b]++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Gives back a withdrawal whose extra call was never sent (a hedge stopped before it ran). */
  void refund() {
    long now = clock.nanoTime();
    lock.lock();
    try {
      int b = bucket(now);
      if (withdrawals[b] > 0) {
        withdrawals[b]--;
      }
    } finally {
      lock.unlock();
    }
  }

  // guarded by lock: the bucket of now, cleared if it held an older epoch
  private int bucket(long now) {
    long epoch = Math.floorDiv(now, bucketNanos);
    int b = (int) Math.floorMod(epoch, BUCKETS);
    if (epochs[b] != epoch) {
      epochs[b] = epoch;
      deposits[b] = 0;
      withdrawals[b] = 0;
    }
    return b;
  }

  // guarded by lock
  private double balance(long now) {
    long epoch = Math.floorDiv(now, bucketNanos);
    long in = 0;
    long out = 0;
    for (int b = 0; b < BUCKETS; b++) {
      if (epochs[b] > epoch - BUCKETS) {
        in += deposits[b];
        out += withdrawals[b];
      }
    }
    return reserve + ratio * in - out;
  }

  /**
   * {@return how many extra calls the budget would let through now} Rounded down; a snapshot that
   * concurrent calls change at once.
   */
  public long available() {
    long now = clock.nanoTime();
    lock.lock();
    try {
      bucket(now);
      return (long) Math.max(0, Math.floor(balance(now)));
    } finally {
      lock.unlock();
    }
  }

  /** {@return how many retries and hedges the budget has refused since it was built} */
  public long refused() {
    lock.lock();
    try {
      return refused;
    } finally {
      lock.unlock();
    }
  }

  /** {@return what the budget allows, for messages: {@code 20% of requests + 10/s over 10 s}} */
  String terms() {
    return Math.round(ratio * 100) + "% of requests + " + fmt(minPerSecond) + "/s over "
        + dev.weft.internal.Durations.text(Duration.ofNanos(windowNanos));
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  @Override
  public String toString() {
    return "RetryBudget[" + name + ", " + terms() + ", " + available() + " available]";
  }

  /**
   * Configures a {@link RetryBudget}. Not thread-safe; every setter checks its argument at once
   * and throws {@link IllegalArgumentException} naming it. {@link #build()} leaves the builder as
   * it was.
   */
  public static final class Builder {
    private final String name;
    private double ratio = 0.2;
    private double minPerSecond = 10;
    private long windowNanos = Duration.ofSeconds(10).toNanos();
    private Scheduler clock = Scheduler.system();

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Lets extra calls number {@code ratio} (in [0, 10]) of the requests in the window.
     *
     * @return this
     */
    public Builder ratio(double ratio) {
      if (!(ratio >= 0 && ratio <= 10)) {
        throw new IllegalArgumentException("ratio must be in [0, 10], not " + ratio);
      }
      this.ratio = ratio;
      return this;
    }

    /**
     * Lets {@code calls} (zero or more) extra calls per second through whatever the ratio says.
     *
     * @return this
     */
    public Builder minPerSecond(double calls) {
      if (!(calls >= 0 && calls < 1e9)) {
        throw new IllegalArgumentException("minPerSecond must be zero or positive, not " + calls);
      }
      this.minPerSecond = calls;
      return this;
    }

    /**
     * Counts requests and extra calls over the last {@code window} (positive, at least 10 ms).
     *
     * @return this
     */
    public Builder window(Duration window) {
      long nanos = positive(window, "window");
      if (nanos < 10_000_000L) {
        throw new IllegalArgumentException("window must be at least 10ms, not " + window);
      }
      this.windowNanos = nanos;
      return this;
    }

    /**
     * Reads time from {@code scheduler}, a fake one in tests.
     *
     * @return this
     */
    public Builder scheduler(Scheduler scheduler) {
      this.clock = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** {@return a new budget, with no requests counted yet} */
    public RetryBudget build() {
      return new RetryBudget(this);
    }
  }
}
