package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Stragglers;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FailureMode#FAIL_FAST}: the first unabsorbed failure cancels the rest of the run. */
class FailFastTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  /** A sleeper that blocks until interrupted, a task that fails once the sleeper is running. */
  static final class Scenario {
    final CountDownLatch sleeperStarted = new CountDownLatch(1);
    final AtomicBoolean sleeperInterrupted = new AtomicBoolean();
    final AtomicBoolean afterSleeperRan = new AtomicBoolean();
    final AtomicInteger running = new AtomicInteger();
    final IllegalStateException boom = new IllegalStateException("boom");
    final Node<String> sleeper;
    final Node<String> afterSleeper;
    final Node<String> failing;
    final Graph graph;

    Scenario(RunOptions options) {
      var g = Graph.builder("fail-fast").options(options);
      sleeper = g.task("sleeper", () -> {
        running.incrementAndGet();
        try {
          sleeperStarted.countDown();
          NEVER.await();
          return "slept";
        } catch (InterruptedException e) {
          sleeperInterrupted.set(true);
          throw e;
        } finally {
          running.decrementAndGet();
        }
      });
      afterSleeper = g.task("afterSleeper", sleeper, s -> {
        afterSleeperRan.set(true);
        return s;
      });
      failing = g.task("failing", () -> {
        if (!sleeperStarted.await(10, SECONDS)) {
          throw new AssertionError("sleeper never started");
        }
        throw boom;
      });
      graph = g.build();
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void firstFailure_interruptsASleepingTaskAndCancelsItsDependents(Executor executor)
      throws InterruptedException {
    var s = new Scenario(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST)
        .withExecutor(executor));

    var result = s.graph.run(Inputs.empty());

    Stragglers.assertOnlyReportedRun(s.running, result.stragglers().size(),
        "when run() returned");
    assertTrue(s.sleeperInterrupted.get(), "the sleeping task should be interrupted");
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(s.failing));
    assertSame(s.boom, failed.error());
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(s.sleeper));
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(s.afterSleeper));
    assertFalse(s.afterSleeperRan.get());
    assertEquals(List.of("failing"), result.failures().stream().map(Outcome::node).toList(),
        "the failure must reach the caller; cancelled tasks are not failures");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void continueMode_letsAnIndependentSleeperRunOn(Executor executor) throws Exception {
    var sleeperStarted = new CountDownLatch(1);
    var failureSeen = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var g = Graph.builder("continue");
    Node<String> sleeper = g.task("sleeper", () -> {
      sleeperStarted.countDown();
      release.await();
      return "slept";
    });
    Node<String> failing = g.task("failing", () -> {
      assertTrue(sleeperStarted.await(10, SECONDS));
      throw new IllegalStateException("boom");
    });
    // Runs only once 'failing' has ended: by then a fail-fast run would already be cancelled.
    g.task("observer", failing.optional(), f -> {
      failureSeen.countDown();
      return f.isPresent();
    });
    var graph = g.build();
    var future = graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor));

    assertTrue(failureSeen.await(10, SECONDS), "the failure should be observed");
    assertFalse(future.isDone(), "CONTINUE must not cancel the independent sleeper");
    release.countDown();

    var result = future.get(10, SECONDS);
    assertEquals("slept", result.get(sleeper));
    assertInstanceOf(Outcome.Failed.class, result.outcome(failing));
  }

  @Test
  void perRunOverride_turnsFailFastOnForOneRun() throws InterruptedException {
    var s = new Scenario(RunOptions.defaults());
    assertEquals(FailureMode.CONTINUE, s.graph.options().failureMode());

    var result = s.graph.run(Inputs.empty(),
        o -> o.withFailureMode(FailureMode.FAIL_FAST));

    Stragglers.assertOnlyReportedRun(s.running, result.stragglers().size(), "after the run");
    assertTrue(s.sleeperInterrupted.get());
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(s.sleeper));
  }

  @Test
  void perRunOverride_turnsFailFastOffForOneRun() {
    var g = Graph.builder("override").options(
        RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    var gate = new CountDownLatch(1);
    Node<String> failing = g.task("failing", () -> {
      throw new IllegalStateException("boom");
    });
    Node<String> waiter = g.task("waiter", () -> {
      assertTrue(gate.await(10, SECONDS));
      return "ran to the end";
    });
    g.node("opener").after(failing.optional()).call(() -> {
      gate.countDown();
      return null;
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty(),
        o -> o.withFailureMode(FailureMode.CONTINUE));

    assertEquals("ran to the end", result.get(waiter));
  }

  @Test
  void failureAbsorbedByOptionalEdges_doesNotCancelTheRun() {
    var g = Graph.builder("absorbed").options(
        RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    var started = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    Node<Integer> flaky = g.task("flaky", () -> {
      assertTrue(started.await(10, SECONDS));
      throw new IllegalStateException("flaky");
    });
    Node<Integer> slow = g.task("slow", () -> {
      started.countDown();
      assertTrue(release.await(10, SECONDS));
      return 2;
    });
    Node<Integer> sum = g.task("sum", flaky.orElse(40), slow, (a, b) -> a + b);
    g.node("releaser").after(flaky.optional()).call(() -> {
      release.countDown();
      return null;
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    assertEquals(42, result.get(sum));
    assertEquals(1, result.failures().size());
  }

  @Test
  void unstartedTasks_areCancelledAndNeverRun() {
    var g = Graph.builder("chain").options(
        RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    var ran = new AtomicInteger();
    var gate = new CountDownLatch(1);
    var slowStarted = new CountDownLatch(1);
    Node<Integer> slowRoot = g.task("slowRoot", () -> {
      slowStarted.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 1; // returns a value despite the interrupt: it succeeded
    });
    Node<Integer> next = slowRoot;
    for (int i = 0; i < 50; i++) {
      next = g.task("c" + i, next, x -> {
        ran.incrementAndGet();
        return x + 1;
      });
    }
    g.task("failing", () -> {
      // else the failure may cancel slowRoot before it starts
      assertTrue(slowStarted.await(10, SECONDS), "slowRoot should start");
      throw new IllegalArgumentException("no");
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    assertEquals(0, ran.get());
    assertEquals(1, (int) result.get(slowRoot),
        "a task that returns despite the interrupt succeeds");
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(next));
  }
  /** As Graph's javadoc says: a failure skips its dependents at once, in either failure mode. */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void failFast_skipsTheFailedNodesDependents_namingIt_andCancelsTheRest(Executor executor) {
    var boom = new java.io.IOException("boom");
    var g = Graph.builder("fail-fast-skips");
    Node<String> failing = g.task("failing", () -> {
      throw boom;
    });
    Node<String> dependent = g.task("dependent", failing, s -> s);
    Node<String> transitive = g.task("transitive", dependent, s -> s);
    Node<String> lenient = g.task("lenient", failing.orElse("none"), s -> s);
    Node<String> afterLenient = g.task("afterLenient", lenient, s -> s);
    var graph = g.options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST)).build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));

    assertEquals(new Outcome.Skipped<>("dependent", "failing", boom), result.outcome(dependent));
    assertEquals(new Outcome.Skipped<>("transitive", "failing", boom),
        result.outcome(transitive));
    for (var node : List.of(lenient, afterLenient)) {
      var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(node),
          "reads the failure optionally, so the cancellation claims it: " + node.name());
      assertEquals("the run failed fast after node 'failing' failed", cancelled.reason());
    }
  }

  /**
   * A node cancelled while it waited keeps the span its NodeEnded carried, ready when it ended,
   * though the dependency it waited for ends (skipped) only after it, earlier on the clock. Its
   * ready time is derived, not stored (Run.readyAt); a derivation that let a dependency ending
   * later count the node down to "ready" moved its ready time back to the dependency's end in
   * the result (found by SchedulingPropertiesTest).
   */
  @Test
  void aNodeCancelledWhileItWaited_keepsTheSpanItsNodeEndedCarried() {
    var clock = new dev.weft.testing.FakeScheduler();
    var g = Graph.builder("fail-fast");
    Node<String> failing = g.task("failing", () -> {
      throw new IllegalStateException("boom");
    });
    Node<String> skipped = g.task("skipped", failing, f -> f); // skipped at the failure's end
    // waits for 'skipped', optionally: not skipped with it, but cancelled by the fail-fast
    Node<Boolean> waiting = g.task("waiting", skipped.optional(), s -> s.isPresent());
    var ended = new java.util.concurrent.ConcurrentHashMap<String, Span>();
    RunListener listener = e -> {
      if (e instanceof RunEvent.NodeEnded n) {
        ended.put(n.node(), n.span());
        if (n.node().equals("failing")) {
          clock.advance(java.time.Duration.ofMillis(1)); // the cancellation comes 1 ms later
        }
      }
    };
    var result = g.build().run(Inputs.empty(), o -> o.withScheduler(clock)
        .withFailureMode(FailureMode.FAIL_FAST).withListener(listener));

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(waiting));
    var span = result.spans().stream().filter(x -> x.node().equals("waiting")).findFirst()
        .orElseThrow();
    assertEquals(ended.get("waiting"), span, "the span NodeEnded carried, and the result's");
    assertEquals(java.time.Duration.ofMillis(1), span.ready(), "ready as it was cancelled");
    assertEquals(span.ended(), span.ready());
    assertEquals(java.time.Duration.ZERO, ended.get("skipped").ended(), "skipped at 0 ms");
  }

  /**
   * A task that ends with a CancellationException once its run is cancelled is cancelled, not
   * failed, even before the run's sweep reached it: what it ran inside (a fan-out's elements,
   * hedges, a subgraph) saw the cancellation first and ended so. Found by
   * SchedulingPropertiesTest (a fan-out Failed with the CancellationException its cancelled
   * elements made). Here the sweep is held at an earlier node, in a listener, while the task
   * throws.
   */
  @Test
  void aTaskEndingWithACancellation_onceItsRunIsCancelled_isCancelled() throws Exception {
    var xRunning = new CountDownLatch(1);
    var sweepHeld = new CountDownLatch(1);
    var xEnded = new CountDownLatch(1);
    var g = Graph.builder("fail-fast");
    Node<String> slow = g.task("slow", () -> {
      NEVER.await(); // until the sweep interrupts it
      return "slow";
    });
    g.task("waiting", slow, s -> s); // cancelled by the sweep, before it reaches 'x'
    Node<String> x = g.task("x", () -> {
      xRunning.countDown();
      HedgeRegressionTest.awaitIgnoringInterrupts(sweepHeld);
      throw new java.util.concurrent.CancellationException("what it ran inside was cancelled");
    });
    g.task("failing", () -> {
      assertTrue(xRunning.await(10, SECONDS), "x should start");
      throw new IllegalStateException("boom");
    });
    RunListener listener = e -> {
      if (e instanceof RunEvent.NodeEnded n && n.node().equals("waiting")) {
        sweepHeld.countDown();
        // the sweep waits here until 'x' has ended
        HedgeRegressionTest.awaitIgnoringInterrupts(xEnded);
      } else if (e instanceof RunEvent.NodeEnded n && n.node().equals("x")) {
        xEnded.countDown();
      }
    };
    var result = g.build().run(Inputs.empty(), o -> o.withListener(listener)
        .withFailureMode(FailureMode.FAIL_FAST));

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(x), () -> "x ended "
        + result.outcome(x));
  }
}
