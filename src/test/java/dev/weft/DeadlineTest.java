package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A run's deadline: set per graph or per run; when it passes running tasks are interrupted, the
 * rest cancelled, and tasks that ignore the interrupt are cut off so the run still ends on time.
 */
class DeadlineTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s waiting until " + what);
  }

  /** A graph whose "slow" task blocks until interrupted, with two dependents and a quick task. */
  private static final class Fixture {
    final FakeScheduler clock = new FakeScheduler();
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final CountDownLatch quickRan = new CountDownLatch(1);
    final AtomicBoolean dependentRan = new AtomicBoolean();
    final Graph graph;
    final Node<String> slow;
    final Node<String> quick;
    final Node<String> required;
    final Node<String> optional;

    Fixture(RunOptions graphOptions) {
      var g = Graph.builder("page").options(graphOptions.withScheduler(clock));
      slow = g.task("slow", () -> {
        started.countDown();
        try {
          NEVER.await();
          return "unreachable";
        } catch (InterruptedException e) {
          interrupted.countDown();
          throw e;
        }
      });
      quick = g.task("quick", () -> {
        quickRan.countDown();
        return "quick";
      });
      required = g.task("required", slow, s -> ran(s));
      optional = g.task("optional", slow.orElse("none"), s -> ran(s));
      graph = g.build();
    }

    private String ran(String s) {
      dependentRan.set(true);
      return s;
    }
  }

  @Test
  void deadlinePassing_interruptsRunningTasks_cancelsUnstartedOnes_andNamesTheDeadline()
      throws Exception {
    var t = new Fixture(RunOptions.defaults().withDeadline(Duration.ofMillis(100)));

    var future = t.graph.runAsync(Inputs.empty());
    await(t.started, "the slow task starts");
    await(t.quickRan, "the quick task runs");
    t.clock.advance(Duration.ofMillis(100));
    var result = future.get(10, SECONDS);

    assertTrue(result.deadlineExceeded());
    assertEquals(0, t.interrupted.getCount(), "the running task was not interrupted");
    assertFalse(t.dependentRan.get(), "a task started after the deadline");
    var reason = "the run's deadline of 100 ms passed";
    assertEquals(new Outcome.Cancelled<>("slow", reason), result.outcome(t.slow));
    assertEquals(new Outcome.Cancelled<>("required", reason), result.outcome(t.required));
    assertEquals(new Outcome.Cancelled<>("optional", reason), result.outcome(t.optional));
    assertEquals("quick", result.get(t.quick));
    assertEquals(Map.of(), result.stragglers());
    assertEquals(Duration.ofMillis(100), result.elapsed(), "the run should end at its deadline");
  }

  /** A RunStarted listener that takes its time does not push the deadline back. */
  @Test
  void deadline_countsFromTheRunsStart_notFromWhenRunStartedListenersReturned() throws Exception {
    var t = new Fixture(RunOptions.defaults().withDeadline(Duration.ofMillis(100)));
    RunListener slowOnStart = event -> {
      if (event instanceof RunEvent.RunStarted) {
        t.clock.advance(Duration.ofMillis(60)); // the listener took 60 ms
      }
    };

    var future = t.graph.runAsync(Inputs.empty(), o -> o.withListener(slowOnStart));
    await(t.started, "the slow task starts");
    t.clock.advance(Duration.ofMillis(40)); // 100 ms after the start: the run must end now
    var result = future.get(10, SECONDS);

    assertTrue(result.deadlineExceeded());
    assertEquals(Duration.ofMillis(100), result.elapsed());
  }

  @Test
  void runFinishingBeforeItsDeadline_isNotMarked_andLeavesNoTimer() throws Exception {
    var clock = new FakeScheduler();
    var g = Graph.builder("fast")
        .options(RunOptions.defaults().withDeadline(Duration.ofMillis(100)).withScheduler(clock));
    var node = g.task("node", () -> clock.pendingTimers());
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty()).get(10, SECONDS);

    assertEquals(1, result.get(node), "the deadline's timer should be set while the run runs");
    assertFalse(result.deadlineExceeded());
    assertEquals(0, clock.pendingTimers(), "the deadline's timer outlived the run");
  }

  @Test
  void perRunDeadline_overridesTheGraphs() throws Exception {
    var t = new Fixture(RunOptions.defaults().withDeadline(Duration.ofMillis(100)));

    var future = t.graph.runAsync(Inputs.empty(),
        o -> o.withDeadline(Duration.ofSeconds(1)));
    await(t.started, "the slow task starts");
    t.clock.advance(Duration.ofMillis(100));
    assertEquals(1, t.clock.pendingTimers(), "the 1 s deadline should still be pending at 100 ms");
    assertEquals(1, t.interrupted.getCount(), "the graph's 100 ms deadline interrupted the task");
    t.clock.advance(Duration.ofMillis(900));
    var result = future.get(10, SECONDS);

    assertTrue(result.deadlineExceeded());
    assertEquals(new Outcome.Cancelled<>("slow", "the run's deadline of 1 s passed"),
        result.outcome(t.slow));
  }

  @Test
  void runWithoutDeadline_isNeverCutOff() throws Exception {
    var clock = new FakeScheduler();
    var release = new CountDownLatch(1);
    var g = Graph.builder("unbounded")
        .options(RunOptions.defaults().withDeadline(Duration.ofMillis(100)));
    var slow = g.task("slow", () -> {
      release.await();
      return "done";
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withoutDeadline());
    assertEquals(0, clock.pendingTimers(), "a run without a deadline should set no timer");
    clock.advance(Duration.ofDays(1));
    release.countDown();
    var result = future.get(10, SECONDS);

    assertEquals("done", result.get(slow));
    assertFalse(result.deadlineExceeded());
  }

  // ---- the remaining budget ----

  @Test
  void remaining_shrinksWithTheClock() throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var proceed = new CountDownLatch(1);
    var seen = new AtomicReference<List<Duration>>();
    var g = Graph.builder("budget");
    g.node("call").call(List.of(), ctx -> {
      var first = ctx.remaining();
      started.countDown();
      proceed.await();
      seen.set(List.of(first, ctx.remaining()));
      return "ok";
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(100)));
    await(started, "the task starts");
    clock.advance(Duration.ofMillis(30));
    proceed.countDown();
    assertTrue(future.get(10, SECONDS).succeeded());

    assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(70)), seen.get());
  }

  @Test
  void remaining_isTheNearerOfTimeoutAndDeadline() throws Exception {
    assertEquals(ms(40), remainingAtStart(ms(40), ms(100)));
    assertEquals(ms(100), remainingAtStart(ms(200), ms(100)));
    assertEquals(ms(200), remainingAtStart(ms(200), null));
    assertTrue(remainingAtStart(null, null).compareTo(Duration.ofDays(365_000)) > 0,
        "with neither set the budget should be unbounded");
  }

  private static Duration remainingAtStart(Duration timeout, Duration deadline) throws Exception {
    var seen = new AtomicReference<Duration>();
    var g = Graph.builder("budget");
    var node = g.node("call");
    if (timeout != null) {
      node.timeout(timeout);
    }
    node.call(List.of(), ctx -> {
      seen.set(ctx.remaining());
      return "ok";
    });
    var graph = g.build();
    var options = graph.options().withScheduler(new FakeScheduler()).withExecutor(Runnable::run);
    assertTrue(graph.run(Inputs.empty(), o -> deadline == null ? options
        : options.withDeadline(deadline)).succeeded());
    return seen.get();
  }

  @Test
  void remaining_inARetry_restartsTheTimeoutButNotTheDeadline() throws Exception {
    var clock = new FakeScheduler();
    var seen = new CopyOnWriteArrayList<Duration>();
    var g = Graph.builder("budget");
    g.node("call")
        .timeout(ms(50))
        .retry(RetryPolicy.fixed(3, ms(30)))
        .call(List.of(), ctx -> {
          seen.add(ctx.remaining());
          throw new IOException("attempt " + ctx.attempt());
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(100)));
    clock.awaitSleeps(1);
    clock.advance(Duration.ofMillis(30));
    clock.awaitSleeps(2);
    clock.advance(Duration.ofMillis(30));
    future.get(10, SECONDS);

    // attempts start at 0, 30 and 60 ms, each with a fresh 50 ms timeout; the last has only 40 ms
    // of the deadline left
    assertEquals(List.of(ms(50), ms(50), ms(40)), seen);
  }

  // ---- tasks that ignore the interrupt (real time) ----

  /**
   * Long enough that every task of these graphs has started well before it passes, even on a
   * loaded 2-core machine; the tests then wait for the cut-off in real time.
   */
  private static final Duration REAL_DEADLINE = Duration.ofMillis(500);

  /** A task that ignores interrupts until released, recording its thread and its end. */
  private static final class Stubborn {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicReference<Thread> thread = new AtomicReference<>();
    final AtomicInteger calls = new AtomicInteger();

    String call(String result) throws IOException {
      calls.incrementAndGet();
      thread.set(Thread.currentThread());
      while (true) {
        try {
          release.await();
          if (result == null) {
            throw new IOException("failed late");
          }
          return result;
        } catch (InterruptedException ignored) {
          // ignores interruption
        }
      }
    }

    /** Lets the task end and waits until its (virtual) thread has left the engine. */
    void releaseAndJoin() throws InterruptedException {
      release.countDown();
      var t = thread.get();
      assertTrue(t == null || t.join(Duration.ofSeconds(10)), "the straggler's thread did not end");
    }
  }

  @Test
  void taskIgnoringTheInterrupt_doesNotHoldTheRunPastItsDeadline_andIsReportedAsAStraggler()
      throws Exception {
    var stubborn = new Stubborn();
    var g = Graph.builder("straggling")
        .options(RunOptions.defaults().withDeadline(REAL_DEADLINE));
    Node<String> slow = g.task("stubborn", () -> stubborn.call("late"));
    Node<String> quick = g.task("quick", () -> "quick");
    Node<String> after = g.task("after", slow, s -> s);
    var graph = g.build();

    RunResult result;
    try {
      result = assertDoesNotHang(graph.runAsync(Inputs.empty()));
      assertTrue(result.deadlineExceeded());
      assertEquals(Map.of("stubborn", stubborn.thread.get()), result.stragglers());
      assertTrue(result.stragglers().get("stubborn").isAlive(), "the straggler should still run");
      var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
      assertTrue(cancelled.reason().contains("deadline of 500 ms"), cancelled.reason());
      assertTrue(cancelled.reason().contains("ignored the interrupt"), cancelled.reason());
      assertInstanceOf(Outcome.Cancelled.class, result.outcome(after));
      assertEquals("quick", result.get(quick));
    } finally {
      stubborn.releaseAndJoin();
    }

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow),
        "the straggler's late value should be dropped");
    assertThrows(NodeException.class, () -> result.get(slow));
  }

  /**
   * A returned result does not change: not when a cut-off straggler's context scope fails as it
   * finally ends (logged instead), nor its span when the straggler returns.
   */
  @Test
  void resultOfARunWithAStraggler_doesNotChangeWhenTheStragglerEndsLater() throws Exception {
    var stubborn = new Stubborn();
    var closing = new AtomicInteger();
    ContextPropagator failingClose = new ContextPropagator() {
      @Override
      public Object capture() {
        return "request-7";
      }

      @Override
      public Scope restore(Object captured) {
        return () -> {
          closing.incrementAndGet();
          throw new IllegalStateException("scope close failed");
        };
      }
    };
    var g = Graph.builder("late-scope").options(RunOptions.defaults()
        .withDeadline(REAL_DEADLINE).withPropagator(failingClose));
    Node<String> slow = g.task("stubborn", () -> stubborn.call("late"));
    var graph = g.build();

    var result = assertDoesNotHang(graph.runAsync(Inputs.empty()));
    var failuresBefore = result.listenerFailures();
    var spansBefore = result.spans();
    try {
      stubborn.releaseAndJoin();
    } finally {
      stubborn.release.countDown();
    }

    assertEquals(1, closing.get(), "the straggler's scope was closed when it finally ended");
    assertEquals(failuresBefore, result.listenerFailures(),
        "a failure after the run ended was added to its returned result");
    assertEquals(spansBefore, result.spans(), "the straggler's late end changed its span");
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
  }

  @Test
  void stragglerWithARetryPolicy_isNotRetriedWhenItFailsLate() throws Exception {
    var stubborn = new Stubborn();
    var g = Graph.builder("straggling")
        .options(RunOptions.defaults().withDeadline(REAL_DEADLINE));
    Node<String> slow = g.node("stubborn").retry(RetryPolicy.fixed(3, Duration.ZERO))
        .call(() -> stubborn.call(null));
    var graph = g.build();

    RunResult result;
    try {
      result = assertDoesNotHang(graph.runAsync(Inputs.empty()));
    } finally {
      stubborn.releaseAndJoin();
    }

    assertEquals(1, stubborn.calls.get(), "a task cut off at the deadline was tried again");
    assertEquals(List.of("stubborn"), List.copyOf(result.stragglers().keySet()));
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
  }

  /** A run already cancelled by fail-fast still honours its deadline. */
  @Test
  void taskIgnoringTheInterruptOfAFailFastCancellation_isStillCutOffAtTheDeadline()
      throws Exception {
    var stubborn = new Stubborn();
    var stubbornStarted = new CountDownLatch(1);
    var g = Graph.builder("fail-fast-straggler").options(RunOptions.defaults()
        .withDeadline(REAL_DEADLINE).withFailureMode(FailureMode.FAIL_FAST));
    Node<String> slow = g.task("stubborn", () -> {
      stubbornStarted.countDown();
      return stubborn.call("late");
    });
    g.task("bomb", () -> {
      stubbornStarted.await();
      throw new IllegalStateException("bomb");
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty());
    try {
      var result = assertDoesNotHang(future);
      assertEquals(List.of("stubborn"), List.copyOf(result.stragglers().keySet()));
      assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
    } finally {
      stubborn.releaseAndJoin();
    }
  }

  private static RunResult assertDoesNotHang(Future<RunResult> future)
      throws Exception {
    try {
      return future.get(5, SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("a run with a 500 ms deadline was still running after 5 s: the "
          + "deadline did not cut off the task that ignores its interrupt", e);
    }
  }
}
