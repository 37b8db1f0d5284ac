package dev.weft.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * For tests that check that no task runs once a cancelled run returned. Every cancellation gives
 * tasks that do not end 10 ms to do so, then cuts them off as stragglers, reported by the run.
 * On a loaded machine a task that does respond to its interrupt can miss that grace (its thread
 * waits for a core), and is then rightly reported. So: nothing may run beyond what the run
 * reported, and what it reported must end in bounded time.
 */
public final class Stragglers {
  private Stragglers() {}

  /** {@return how many stragglers a cancelled future's exception names as still running} */
  public static int named(CompletableFuture<?> future) {
    try {
      future.join();
      return 0;
    } catch (RuntimeException e) {
      return named(e);
    }
  }

  /** {@return how many stragglers {@code thrown}, or an exception it wraps, names} */
  public static int named(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      var message = String.valueOf(t.getMessage());
      int at = message.indexOf("still running:");
      if (at >= 0) {
        return message.substring(at).split("' on #", -1).length - 1;
      }
    }
    return 0;
  }

  /**
   * Asserts that at most {@code reported} tasks still run now, then waits (10 s at most) until
   * none does.
   */
  public static void assertOnlyReportedRun(AtomicInteger running, int reported, String what)
      throws InterruptedException {
    int now = running.get();
    assertTrue(now <= reported, what + ": " + now + " tasks still ran, " + reported
        + " reported as cut off");
    long until = System.nanoTime() + 10_000_000_000L;
    while (running.get() > 0 && System.nanoTime() < until) {
      Thread.sleep(1); // bounded: the stragglers were interrupted and do end
    }
    assertTrue(running.get() == 0, what + ": the reported stragglers never ended");
  }
}
