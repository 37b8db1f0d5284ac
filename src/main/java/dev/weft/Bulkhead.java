package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.nonNegative;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A limit on how many calls to one downstream run at once, shared by every node guarded by it in
 * any number of graphs and concurrent runs. Create it once per downstream and attach it with
 * {@link NodeBuilder#bulkhead}:
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
 * <p>Thread-safe. A waiting virtual thread parks; an interrupted wait (its run was cancelled)
 * ends at once.
 */
public final class Bulkhead {
  private final String name;
  private final int maxConcurrent;
  private final long maxWaitNanos;
  private final Semaphore places;

  private Bulkhead(String name, int maxConcurrent, long maxWaitNanos) {
    this.name = name;
    this.maxConcurrent = maxConcurrent;
    this.maxWaitNanos = maxWaitNanos;
    this.places = new Semaphore(maxConcurrent, true);
  }

  /**
   * Starts configuring a bulkhead. {@link Builder#maxConcurrent} is required; callers do not wait
   * for a place unless {@link Builder#maxWait} says otherwise.
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

  /** {@return how many calls may run at once} */
  public int maxConcurrent() {
    return maxConcurrent;
  }

  /** {@return how many calls are running now} */
  public int inUse() {
    return maxConcurrent - places.availablePermits();
  }

  /** Takes a place, waiting at most {@code budgetNanos} beyond what is free now. */
  boolean acquire(long budgetNanos) throws InterruptedException {
    if (places.tryAcquire()) {
      return true;
    }
    long wait = Math.min(maxWaitNanos, budgetNanos);
    return wait > 0 && places.tryAcquire(wait, TimeUnit.NANOSECONDS);
  }

  void release() {
    places.release();
  }

  long maxWaitNanos() {
    return maxWaitNanos;
  }

  @Override
  public String toString() {
    return "Bulkhead[" + name + ", " + inUse() + "/" + maxConcurrent + " in use]";
  }

  /**
   * Configures a {@link Bulkhead}. Not thread-safe; every setter checks its argument at once and
   * throws {@link IllegalArgumentException} naming it. {@link #build()} leaves the builder as it
   * was, so one builder may build several independent bulkheads.
   */
  public static final class Builder {
    private final String name;
    private int maxConcurrent; // 0: not set
    private long maxWaitNanos;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Lets {@code calls} (at least 1) run at once. Required: a bulkhead has no natural size.
     *
     * @return this
     */
    public Builder maxConcurrent(int calls) {
      this.maxConcurrent = atLeastOne(calls, "maxConcurrent");
      return this;
    }

    /**
     * Lets a caller that finds every place taken wait up to {@code maxWait} (zero or positive; by
     * default zero: do not wait) for one.
     *
     * @return this
     */
    public Builder maxWait(Duration maxWait) {
      this.maxWaitNanos = nonNegative(maxWait, "maxWait");
      return this;
    }

    /**
     * {@return a new bulkhead, every place free}
     *
     * @throws IllegalStateException if {@link #maxConcurrent} was not set
     */
    public Bulkhead build() {
      if (maxConcurrent == 0) {
        throw new IllegalStateException("maxConcurrent of bulkhead '" + name + "' is not set: "
            + "call maxConcurrent(n) before build()");
      }
      return new Bulkhead(name, maxConcurrent, maxWaitNanos);
    }
  }
}
