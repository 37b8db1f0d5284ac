package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.nonNegative;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A limit on how many calls to one downstream run at once, shared by every node guarded by it in
 * any number of graphs and concurrent runs: {@code Bulkhead.of("fraud", 4, Duration.ofMillis(20))}
 * lets at most 4 fraud checks run at a time across the service; a fifth waits up to 20 ms (never
 * past its run's deadline) for a place and otherwise fails with {@link BulkheadFullException}
 * without running. Attach with {@link NodeBuilder#bulkhead}.
 *
 * <p>The place is held only while an attempt runs, not during retry delays. The wait is measured
 * in real time, even when runs use a fake {@link Scheduler}.
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
   * {@return a bulkhead of {@code maxConcurrent} places whose callers do not wait for one}
   *
   * @throws IllegalArgumentException if {@code maxConcurrent} is less than 1
   */
  public static Bulkhead of(String name, int maxConcurrent) {
    return of(name, maxConcurrent, Duration.ZERO);
  }

  /**
   * {@return a bulkhead of {@code maxConcurrent} places whose callers wait up to {@code maxWait}}
   *
   * @throws IllegalArgumentException if {@code maxConcurrent} is less than 1 or {@code maxWait}
   *     is negative
   */
  public static Bulkhead of(String name, int maxConcurrent, Duration maxWait) {
    requireNonNull(name, "name");
    return new Bulkhead(name, atLeastOne(maxConcurrent, "maxConcurrent"),
        nonNegative(maxWait, "maxWait"));
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
}
