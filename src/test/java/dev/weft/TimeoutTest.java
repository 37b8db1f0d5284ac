package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-attempt timeouts: they interrupt the task, fail the node with {@link NodeTimeoutException},
 * yield to the run's deadline, and leave neither interrupts nor timers behind.
 */
class TimeoutTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s waiting until " + what);
  }

  /** A node that blocks until interrupted, counting down {@code started} first. */
  private static Node<String> blocking(GraphBuilder g, String name, Duration timeout,
      CountDownLatch started) {
    return g.node(name).timeout(timeout).call(() -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
  }

  /** Blocks until interrupted, then does the polite thing: restores the flag and gives up. */
  private static String awaitAndRestoreTheInterrupt() throws IOException {
    try {
      NEVER.await();
      return "unreachable";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("gave up", e);
    }
  }

  // ---- real time: the interrupt reaches a sleeping thread ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void timeout_interruptsATaskSleepingInRealTime(Executor executor) {
    var interrupted = new CountDownLatch(1);
    var g = Graph.builder("slow-call");
    Node<String> slow = g.node("slow").timeout(Duration.ofMillis(50)).call(() -> {
      try {
        Thread.sleep(20_000);
        return "late";
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
    });
    var graph = g.build();

    long start = System.nanoTime();
    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertFalse(Thread.interrupted(), "the timeout's interrupt leaked into the caller's thread");
    assertEquals(0, interrupted.getCount(), "the sleeping task was not interrupted");
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(slow));
    assertInstanceOf(NodeTimeoutException.class, failed.error());
    assertTrue(tookMs < 10_000, "a 50 ms timeout took " + tookMs + " ms to end the run");
  }

  // ---- the failure, on a fake clock ----

  @Test
  void timeout_failsTheNodeWithAnExceptionNamingNodeDurationAndAttempt() throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var g = Graph.builder("pricing");
    var price = blocking(g, "price", Duration.ofMillis(80), started);
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started, "the task starts");
    clock.advance(Duration.ofMillis(79));
    assertEquals(1, clock.pendingTimers(), "the 80 ms timer fired at 79 ms");
    clock.advance(Duration.ofMillis(1));
    var result = future.get(10, SECONDS);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(price));
    var timeout = assertInstanceOf(NodeTimeoutException.class, failed.error());
    assertEquals("price", timeout.node());
    assertEquals(Duration.ofMillis(80), timeout.timeout());
    assertEquals(1, timeout.attempt());
    assertEquals("node 'price' timed out after 80 ms (attempt 1)", timeout.getMessage());
    assertInstanceOf(InterruptedException.class, timeout.getCause(),
        "the cause should be what the task threw when interrupted");
    assertFalse(result.deadlineExceeded());
  }

  @Test
  void taskThatReturnsAfterItsTimeoutFired_stillFailsWithTheTimeout() throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var proceed = new CountDownLatch(1);
    var g = Graph.builder("stubborn");
    Node<String> stubborn = g.node("stubborn").timeout(Duration.ofMillis(30)).call(() -> {
      started.countDown();
      while (true) {
        try {
          proceed.await();
          return "too late";
        } catch (InterruptedException ignored) {
          // ignores the interrupt, returns once told to
        }
      }
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started, "the task starts");
    clock.advance(Duration.ofMillis(30));
    proceed.countDown();
    var result = future.get(10, SECONDS);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(stubborn));
    var timeout = assertInstanceOf(NodeTimeoutException.class, failed.error());
    assertEquals("stubborn", timeout.node());
  }

  @Test
  void timedOutNode_skipsRequiredDependents_andOrElseDependentsRunWithTheFallback()
      throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var requiredRan = new AtomicBoolean();
    var g = Graph.builder("page");
    var price = blocking(g, "price", Duration.ofMillis(80), started);
    var total = g.task("total", price, p -> {
      requiredRan.set(true);
      return p + "!";
    });
    var banner = g.task("banner", price.orElse("n/a"), p -> "price: " + p);
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started, "the task starts");
    clock.advance(Duration.ofMillis(80));
    var result = future.get(10, SECONDS);

    var timeout = ((Outcome.Failed<?>) result.outcome(price)).error();
    assertInstanceOf(NodeTimeoutException.class, timeout);
    assertEquals(new Outcome.Skipped<>("total", "price", timeout), result.outcome(total));
    assertFalse(requiredRan.get(), "a dependent on a required edge ran");
    assertEquals("price: n/a", result.get(banner));
  }

  @Test
  void timeoutLongerThanTheRemainingDeadline_neverFires_theDeadlineCancelsTheTask()
      throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var g = Graph.builder("bounded");
    var slow = blocking(g, "slow", Duration.ofMillis(500), started);
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(100)));
    await(started, "the task starts");
    assertEquals(1, clock.pendingTimers(),
        "only the deadline's timer should be set: a 500 ms timeout cannot outlast a 100 ms run");
    clock.advance(Duration.ofMillis(600));
    var result = future.get(10, SECONDS);

    assertTrue(result.deadlineExceeded());
    var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow),
        "the deadline, not the timeout, should end the task");
    assertTrue(cancelled.reason().contains("deadline of 100 ms"), cancelled.reason());
  }

  // ---- no interrupt leaks ----

  @Test
  void interruptOfATimedOutAttempt_doesNotLeakIntoTheNextAttempt() throws Exception {
    var clock = new FakeScheduler();
    var firstStarted = new CountDownLatch(1);
    var secondStarted = new CountDownLatch(1);
    var proceed = new CountDownLatch(1);
    var interruptedAtSecondStart = new AtomicBoolean(true);
    var attempts = new AtomicInteger();
    var g = Graph.builder("retrying");
    Node<String> call = g.node("call")
        .timeout(Duration.ofMillis(50))
        .retry(RetryPolicy.fixed(2, Duration.ZERO))
        .call(() -> {
          if (attempts.incrementAndGet() == 1) {
            firstStarted.countDown();
            awaitAndRestoreTheInterrupt();
          }
          interruptedAtSecondStart.set(Thread.currentThread().isInterrupted());
          secondStarted.countDown();
          proceed.await(); // throws at once if an interrupt leaked
          return "second";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(firstStarted, "the first attempt starts");
    clock.advance(Duration.ofMillis(50));
    await(secondStarted, "the second attempt starts");
    proceed.countDown();
    var result = future.get(10, SECONDS);

    assertFalse(interruptedAtSecondStart.get(), "the second attempt began interrupted");
    assertEquals("second", result.get(call));
    assertEquals(2, result.spans().get(0).attempts());
  }

  @Test
  void interruptOfATimedOutTask_doesNotLeakIntoTheNextTaskOnTheSameThread() throws Exception {
    var clock = new FakeScheduler();
    var pool = java.util.concurrent.Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("single").daemon(true).factory());
    try {
      var started = new CountDownLatch(1);
      var nextStarted = new CountDownLatch(1);
      var proceed = new CountDownLatch(1);
      var timedOutThread = new AtomicReference<Thread>();
      var nextThread = new AtomicReference<Thread>();
      var interruptedAtNextStart = new AtomicBoolean(true);
      var g = Graph.builder("same-thread");
      Node<String> slow = g.node("slow").timeout(Duration.ofMillis(50)).call(() -> {
        timedOutThread.set(Thread.currentThread());
        started.countDown();
        return awaitAndRestoreTheInterrupt();
      });
      var next = g.task("next", slow.orElse("fallback"), s -> {
        nextThread.set(Thread.currentThread());
        interruptedAtNextStart.set(Thread.currentThread().isInterrupted());
        nextStarted.countDown();
        proceed.await(); // throws at once if an interrupt leaked
        return s;
      });
      var graph = g.build();

      var future = graph.runAsync(Inputs.empty(),
          o -> o.withScheduler(clock).withExecutor(pool));
      await(started, "the first task starts");
      clock.advance(Duration.ofMillis(50));
      await(nextStarted, "the next task starts");
      proceed.countDown();
      var result = future.get(10, SECONDS);

      assertSame(timedOutThread.get(), nextThread.get(), "the test needs both on one thread");
      assertFalse(interruptedAtNextStart.get(), "the next task began interrupted");
      assertEquals("fallback", result.get(next));
    } finally {
      pool.shutdownNow();
    }
  }

  /** A late timer: its {@code cancel} lost the race, so it fires after its attempt ended. */
  @Test
  void lateTimerOfAnEndedAttempt_doesNotInterruptTheNextAttempt() throws Exception {
    var clock = new FakeScheduler();
    var secondStarted = new CountDownLatch(1);
    var proceed = new CountDownLatch(1);
    var attempts = new AtomicInteger();
    var g = Graph.builder("late-timer");
    Node<String> call = g.node("call")
        .timeout(Duration.ofMillis(50))
        .retry(RetryPolicy.fixed(2, Duration.ofMillis(30)))
        .call(() -> {
          if (attempts.incrementAndGet() == 1) {
            throw new IOException("fails fast, leaving its timer (due at 50 ms) behind");
          }
          secondStarted.countDown();
          proceed.await(); // its own timer is due at 80 ms
          return "second";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(new UncancellableTimers(clock)));
    clock.awaitSleepers(1);
    clock.advance(Duration.ofMillis(30));
    await(secondStarted, "the second attempt starts");
    clock.advance(Duration.ofMillis(20)); // the first attempt's timer fires now
    proceed.countDown();
    var result = future.get(10, SECONDS);

    assertEquals("second", result.get(call), "the first attempt's timer hit the second attempt");
  }

  @Test
  void lateTimerOfAnEndedTask_doesNotInterruptTheNextTaskOnTheSameThread() throws Exception {
    var clock = new FakeScheduler();
    var nextStarted = new CountDownLatch(1);
    var proceed = new CountDownLatch(1);
    var g = Graph.builder("late-timer");
    Node<String> quick = g.node("quick").timeout(Duration.ofMillis(50)).call(() -> "quick");
    var next = g.task("next", quick, q -> {
      nextStarted.countDown();
      proceed.await(); // throws at once if the late timer interrupts this thread
      return q + " then next";
    });
    var graph = g.build();
    var options = graph.options().withScheduler(new UncancellableTimers(clock))
        .withExecutor(Runnable::run);

    // caller-runs: both tasks run on this one thread, started here
    var result = CompletableFuture.supplyAsync(() -> graph.run(Inputs.empty(), o -> options),
        task -> Thread.ofPlatform().daemon(true).start(task));
    await(nextStarted, "the next task starts");
    clock.advance(Duration.ofMillis(50)); // the quick task's timer fires now
    proceed.countDown();

    assertEquals("quick then next", result.get(10, SECONDS).get(next));
  }

  // ---- no timers left behind ----

  @Test
  void timersOfEndedAttemptsAndRuns_areCancelled_noneAccumulate() {
    var clock = new FakeScheduler();
    var pendingDuringRun = new AtomicInteger();
    var attempts = new AtomicInteger();
    var g = Graph.builder("many");
    for (int i = 0; i < 10; i++) {
      g.node("quick" + i).timeout(Duration.ofSeconds(1)).call(() -> 1);
    }
    g.node("flaky")
        .timeout(Duration.ofSeconds(1))
        .retry(RetryPolicy.fixed(2, Duration.ZERO))
        .call(() -> {
          pendingDuringRun.set(Math.max(pendingDuringRun.get(), clock.pendingTimers()));
          if (attempts.incrementAndGet() % 2 == 1) {
            throw new IOException("every first attempt fails");
          }
          return 2;
        });
    var graph = g.build();
    var options = graph.options().withScheduler(clock).withExecutor(Runnable::run)
        .withDeadline(Duration.ofSeconds(5));

    for (int run = 0; run < 500; run++) {
      assertTrue(graph.run(Inputs.empty(), o -> options).succeeded());
    }

    assertTrue(pendingDuringRun.get() >= 2,
        "a running attempt should have its timer and the run's deadline set, saw "
            + pendingDuringRun.get());
    assertEquals(0, clock.pendingTimers(), "timers outlived their attempts or runs");
  }

  /** Delegates to a fake clock, but the timers it returns ignore {@code cancel}. */
  private record UncancellableTimers(FakeScheduler clock) implements Scheduler {
    @Override
    public long nanoTime() {
      return clock.nanoTime();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      clock.schedule(action, delay, unit);
      return CompletableFuture.completedFuture(null); // cancel(...) on it does nothing
    }

    @Override
    public void sleep(long delay, TimeUnit unit) throws InterruptedException {
      clock.sleep(delay, unit);
    }
  }
}
