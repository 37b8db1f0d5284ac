package dev.weft;

import dev.weft.internal.SystemScheduler;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Weft's source of time: the clock that timestamps runs, the timers behind timeouts and deadlines,
 * and the sleeps between retries. {@link #system()} is the real one; tests pass a fake one through
 * {@link RunOptions#withScheduler} and {@link CircuitBreaker.Builder#scheduler} so timeouts,
 * backoff, deadlines and breaker windows run without waiting.
 *
 * <p>Implementations must be thread-safe. Timer actions must be quick and must not block: Weft's
 * only interrupt a thread or hand work to another thread. What a scheduler throws is never lost:
 * inside a task (a timeout's timer, a retry's wait, the time left) it fails that attempt like
 * anything the task throws. Elsewhere the run's future completes exceptionally with an {@link
 * IllegalStateException} carrying it, as for any fault inside the engine: at once when the
 * deadline's timer cannot be set (running tasks are interrupted, the rest cancelled); once the run
 * has ended when the clock throws (the run goes on, every task still ends with an outcome, and
 * {@link #nanoTime} failing in {@code runAsync} itself is thrown from there). The real scheduler
 * does not throw.
 */
public interface Scheduler {
  /**
   * {@return the shared real scheduler: {@link System#nanoTime()}, one daemon timer thread for
   * all runs (cancelled timers are removed at once, so they never accumulate), and
   * {@link Thread#sleep}}
   */
  static Scheduler system() {
    return SystemScheduler.INSTANCE;
  }

  /** {@return the current time in nanoseconds, from an arbitrary origin, never decreasing} */
  long nanoTime();

  /**
   * Runs {@code action} once after {@code delay}.
   *
   * @return a future whose {@code cancel} stops the timer if it has not fired yet
   */
  Future<?> schedule(Runnable action, long delay, TimeUnit unit);

  /**
   * Blocks the calling thread for {@code delay}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  void sleep(long delay, TimeUnit unit) throws InterruptedException;
}
