package dev.weft.testing;

import dev.weft.Scheduler;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scheduler whose sleeps return at once, moving its clock forward by what they skipped: retry
 * backoff of any length costs no real time, while the clock still shows it. Unlike {@link
 * FakeScheduler}, nothing has to advance it, so it suits random graphs with many retrying tasks.
 * Timers are real ({@link Scheduler#system()}), so use it without timeouts or deadlines, whose
 * timers would not see the skipped time. Thread-safe.
 */
public final class InstantScheduler implements Scheduler {
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong sleeps = new AtomicLong();

  @Override
  public long nanoTime() {
    return System.nanoTime() + skipped.get();
  }

  @Override
  public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
    return Scheduler.system().schedule(action, delay, unit);
  }

  /** Returns at once, unless interrupted; the clock moves on by {@code delay}. */
  @Override
  public void sleep(long delay, TimeUnit unit) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before an instant sleep");
    }
    sleeps.incrementAndGet();
    skipped.addAndGet(unit.toNanos(delay));
  }

  /** {@return how many sleeps returned at once} */
  public long sleeps() {
    return sleeps.get();
  }

  @Override
  public String toString() {
    return "instant scheduler";
  }
}
