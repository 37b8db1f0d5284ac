package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a failing {@link Scheduler} throws is never lost, as its javadoc says. */
class SchedulerFailureTest {
  private static final IllegalStateException REFUSED = new IllegalStateException("no timers");

  /** Real time, but every timer and sleep is refused. */
  private static final Scheduler REFUSING = new Scheduler() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      throw REFUSED;
    }

    @Override
    public void sleep(long delay, TimeUnit unit) {
      throw REFUSED;
    }
  };

  @Test
  void timeoutTimerRefused_failsThatNode_andTheRestRuns() throws Exception {
    var g = Graph.builder("refused-timeout");
    Node<String> timed = g.node("timed").timeout(Duration.ofSeconds(1)).call(() -> "unreached");
    Node<String> other = g.task("other", () -> "ran");
    var graph = g.options(RunOptions.defaults().withScheduler(REFUSING)).build();

    var result = graph.runAsync(Inputs.empty()).get(10, SECONDS);

    assertEquals(new Outcome.Failed<>("timed", REFUSED), result.outcome(timed));
    assertEquals("ran", result.get(other));
  }

  @Test
  void retryWaitRefused_failsThatNodeWithWhatTheSchedulerThrew() throws Exception {
    var g = Graph.builder("refused-backoff");
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(3, Duration.ofMillis(5)))
        .call(() -> {
          throw new java.io.IOException("first attempt fails");
        });
    var graph = g.options(RunOptions.defaults().withScheduler(REFUSING)).build();

    var result = graph.runAsync(Inputs.empty()).get(10, SECONDS);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(flaky));
    assertSame(REFUSED, failed.error(), () -> "the retry's wait was refused: " + failed);
  }

  @Test
  void deadlineTimerRefused_failsTheRunsFuture_carryingWhatTheSchedulerThrew() {
    var g = Graph.builder("refused-deadline");
    g.task("task", () -> "value");
    var graph = g.options(RunOptions.defaults().withScheduler(REFUSING)
        .withDeadline(Duration.ofSeconds(1))).build();

    var thrown = assertThrows(ExecutionException.class,
        () -> graph.runAsync(Inputs.empty()).get(10, SECONDS));

    var engineFault = assertInstanceOf(IllegalStateException.class, thrown.getCause());
    assertSame(REFUSED, engineFault.getCause(), () -> "the cause is lost: " + engineFault);
  }
  @Test
  void deadlineTimerRefused_runThrowsOneIllegalStateException_causedByWhatTheSchedulerThrew() {
    var g = Graph.builder("refused-deadline-run");
    g.task("task", () -> "value");
    var graph = g.options(RunOptions.defaults().withScheduler(REFUSING)
        .withDeadline(Duration.ofSeconds(1))).build();

    var thrown = assertThrows(IllegalStateException.class, () -> graph.run(Inputs.empty()));

    assertSame(REFUSED, thrown.getCause(), () -> "wrapped more than once: " + thrown);
    assertTrue(thrown.getMessage().startsWith("the Scheduler of run "), thrown.getMessage());
    assertTrue(thrown.getMessage().contains("'refused-deadline-run'"), thrown.getMessage());
  }

  /** A stub timer whose cancel is unsupported, as test doubles often are. */
  @Test
  void timerWhoseCancelThrows_stillCompletesTheRun_carryingWhatItThrew() throws Exception {
    var unsupported = new UnsupportedOperationException("cancel");
    var stubbed = new Scheduler() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
        return new java.util.concurrent.FutureTask<Void>(action, null) {
          @Override
          public boolean cancel(boolean mayInterruptIfRunning) {
            throw unsupported;
          }
        };
      }

      @Override
      public void sleep(long delay, TimeUnit unit) throws InterruptedException {
        unit.sleep(delay);
      }
    };
    var g = Graph.builder("stub-timer");
    g.task("task", () -> "value");
    var graph = g.options(RunOptions.defaults().withScheduler(stubbed)
        .withDeadline(Duration.ofSeconds(5))).build();

    var thrown = assertThrows(ExecutionException.class,
        () -> graph.runAsync(Inputs.empty()).get(10, SECONDS));

    assertSame(unsupported, thrown.getCause().getCause());
  }
  /**
   * The cut-off's timer is refused while the last task is ending: the run must not complete
   * before the refusal is kept, or the scheduler's failure would be lost (seen in
   * HostileEnvironmentTest, DEADLINE with SCHEDULE failing, once in a CI run).
   */
  @Test
  void cutOffTimerRefusedWhileTheLastTaskEnds_failsTheFuture_carryingWhatItThrew()
      throws Exception {
    var refused = new IllegalStateException("no cut-off timer");
    var taskEnded = new java.util.concurrent.CountDownLatch(1);
    var calls = new java.util.concurrent.atomic.AtomicInteger();
    var racing = new Scheduler() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
        if (calls.incrementAndGet() == 1) {
          return Scheduler.system().schedule(action, delay, unit); // the deadline
        }
        try { // the cut-off: refused only once the interrupted task has ended
          taskEnded.await(10, SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw refused;
      }

      @Override
      public void sleep(long delay, TimeUnit unit) throws InterruptedException {
        unit.sleep(delay);
      }
    };
    var g = Graph.builder("racing-cut-off");
    g.task("answers", () -> {
      try {
        new java.util.concurrent.CountDownLatch(1).await();
        return "unreachable";
      } catch (InterruptedException e) {
        return "ended on its interrupt";
      }
    });
    var graph = g.options(RunOptions.defaults().withScheduler(racing)
        .withDeadline(Duration.ofMillis(50))
        .withListener(e -> {
          if (e instanceof RunEvent.NodeEnded) {
            taskEnded.countDown();
          }
        })).build();

    var thrown = assertThrows(ExecutionException.class,
        () -> graph.runAsync(Inputs.empty()).get(10, SECONDS));

    assertSame(refused, thrown.getCause().getCause(), () -> "lost: " + thrown);
  }
}
