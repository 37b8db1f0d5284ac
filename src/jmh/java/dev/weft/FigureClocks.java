package dev.weft;

import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/** The clocks {@link HedgeFigures} runs on: a manual one, and the real one with a probe. */
final class FigureClocks {
  private FigureClocks() {}

  /**
   * A clock that moves only when {@link #advance} is called: timers fire on the advancing
   * thread, in due order; sleepers wake once the clock passes their time.
   */
  static final class ManualClock implements Scheduler {
    private record Timer(long due, long seq, FutureTask<?> task) {}

    // guarded by this
    private final PriorityQueue<Timer> timers =
        new PriorityQueue<>(Comparator.comparingLong(Timer::due).thenComparingLong(Timer::seq));
    private long now = 1_000_000_000L; // whole seconds: the budget's buckets start on requests
    private long seq;

    @Override
    public synchronized long nanoTime() {
      return now;
    }

    @Override
    public synchronized Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      var task = new FutureTask<Void>(action, null);
      timers.add(new Timer(now + unit.toNanos(delay), seq++, task));
      return task;
    }

    @Override
    public synchronized void sleep(long delay, TimeUnit unit) throws InterruptedException {
      long wake = now + unit.toNanos(delay);
      while (now < wake) {
        wait();
      }
    }

    void advance(Duration d) {
      long target;
      synchronized (this) {
        target = now + d.toNanos();
      }
      for (;;) {
        FutureTask<?> due;
        synchronized (this) {
          var t = timers.peek();
          if (t == null || t.due > target) {
            now = target;
            notifyAll();
            return;
          }
          timers.poll();
          now = Math.max(now, t.due);
          notifyAll();
          due = t.task;
        }
        due.run(); // does nothing if it was cancelled
      }
    }

    /** {@return timers neither fired nor cancelled} */
    synchronized long pendingTimers() {
      return timers.stream().filter(t -> !t.task.isDone()).count();
    }
  }

  /**
   * The system scheduler, measuring how late its timers fire: every run shares its one timer
   * thread, so on a loaded machine a hedge or a timeout fires after its time.
   */
  static final class LatenessProbe implements Scheduler {
    private final Scheduler system = Scheduler.system();
    final AtomicLongArray late = new AtomicLongArray(2001); // 100 us bins, the last 200 ms+

    @Override
    public long nanoTime() {
      return system.nanoTime();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      long due = System.nanoTime() + unit.toNanos(delay);
      return system.schedule(() -> {
        late.incrementAndGet((int) Math.min(2000, Math.max(0, System.nanoTime() - due) / 100_000));
        action.run();
      }, delay, unit);
    }

    @Override
    public void sleep(long delay, TimeUnit unit) throws InterruptedException {
      system.sleep(delay, unit);
    }

    void reset() {
      for (int b = 0; b < late.length(); b++) {
        late.set(b, 0);
      }
    }

    /** {@return how late timers fired, p50 / p99 / max in ms, and how many fired} */
    String summary() {
      long total = 0;
      for (int b = 0; b < late.length(); b++) {
        total += late.get(b);
      }
      var out = new StringBuilder();
      for (double q : new double[] {0.5, 0.99, 1.0}) {
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int b = 0; b < late.length(); b++) {
          seen += late.get(b);
          if (seen >= rank) {
            out.append(out.isEmpty() ? "" : " / ").append(HedgeFigures.fmt((b + 1) / 10.0));
            break;
          }
        }
      }
      return total == 0 ? "none fired" : out + " (" + total + " fired)";
    }
  }
}
