package dev.weft.testing;

import dev.weft.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A scheduler whose clock moves only when a test calls {@link #advance}. Timers fire on the
 * advancing thread, in due order; sleepers wake once the clock reaches their wake-up time. The
 * {@code await*} methods let a test wait (in bounded real time) until task threads have reached a
 * sleep or set a timer, so it never races the code under test.
 */
public final class FakeScheduler implements Scheduler {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final List<Long> sleeps = new ArrayList<>();
  private long now = 1_000_000_000L;
  // the furthest any advance() has set out for: where the next one starts from
  private long horizon;
  private long sequence;
  private int sleepers;

  @Override
  public long nanoTime() {
    lock.lock();
    try {
      return now;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
    lock.lock();
    try {
      var timer = new Timer(now + unit.toNanos(delay), sequence++, action);
      timers.add(timer);
      changed.signalAll();
      return timer;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void sleep(long delay, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(delay);
    lock.lock();
    try {
      sleeps.add(nanos);
      long wake = now + nanos;
      sleepers++;
      changed.signalAll();
      try {
        while (now < wake) {
          changed.await();
        }
      } finally {
        sleepers--;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves the clock forward by {@code d}, firing due timers in order and waking sleepers.
   * Concurrent calls add up (two advances of 1 ns move the clock 2 ns) and never move it back.
   */
  public void advance(Duration d) {
    long target;
    lock.lock();
    try {
      target = Math.max(now, horizon) + d.toNanos();
      horizon = target;
    } finally {
      lock.unlock();
    }
    for (;;) {
      Timer due;
      lock.lock();
      try {
        due = timers.peek();
        if (due == null || due.due > target) {
          now = Math.max(now, target);
          changed.signalAll();
          return;
        }
        timers.poll();
        now = Math.max(now, due.due);
        due.fired = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      due.action.run();
    }
  }

  /** {@return the durations of every sleep so far, in the order they began} */
  public List<Duration> sleeps() {
    lock.lock();
    try {
      return sleeps.stream().map(Duration::ofNanos).toList();
    } finally {
      lock.unlock();
    }
  }

  /** {@return how many timers are set and have neither fired nor been cancelled} */
  public int pendingTimers() {
    lock.lock();
    try {
      return timers.size();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until at least {@code n} threads are sleeping on this scheduler. */
  public void awaitSleepers(int n) {
    await(() -> sleepers >= n, n + " sleeper(s)");
  }

  /** Waits until at least {@code n} sleeps have begun since this scheduler was created. */
  public void awaitSleeps(int n) {
    await(() -> sleeps.size() >= n, n + " sleep(s) begun");
  }

  /** Waits until at least {@code n} timers are pending. */
  public void awaitTimers(int n) {
    await(() -> timers.size() >= n, n + " pending timer(s)");
  }

  private void await(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    lock.lock();
    try {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("timed out after 10 s waiting for " + what);
        }
        changed.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what, e);
    } finally {
      lock.unlock();
    }
  }

  private final class Timer implements Future<Object>, Comparable<Timer> {
    final long due;
    final long seq;
    final Runnable action;
    boolean fired;
    boolean cancelled;

    Timer(long due, long seq, Runnable action) {
      this.due = due;
      this.seq = seq;
      this.action = action;
    }

    @Override
    public int compareTo(Timer o) {
      return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      lock.lock();
      try {
        if (fired || cancelled) {
          return false;
        }
        cancelled = true;
        timers.remove(this);
        changed.signalAll();
        return true;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return fired || cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("a fake timer has no result");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("a fake timer has no result");
    }
  }
}
