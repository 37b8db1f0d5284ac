package dev.weft.internal;

import dev.weft.Scheduler;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The real scheduler: one daemon timer thread shared by every run in the JVM. */
public final class SystemScheduler implements Scheduler {
  public static final SystemScheduler INSTANCE = new SystemScheduler();

  private final ScheduledThreadPoolExecutor timers;

  private SystemScheduler() {
    timers = new ScheduledThreadPoolExecutor(1,
        Thread.ofPlatform().name("weft-timer").daemon(true).factory());
    // A timeout cancelled because its task ended must not wait in the queue until it is due.
    timers.setRemoveOnCancelPolicy(true);
    timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
    return timers.schedule(action, delay, unit);
  }

  @Override
  public void sleep(long delay, TimeUnit unit) throws InterruptedException {
    unit.sleep(delay);
  }

  /** {@return how many timers are waiting; for tests of timer hygiene} */
  public int pendingTimers() {
    return timers.getQueue().size();
  }

  @Override
  public String toString() {
    return "system scheduler";
  }
}
