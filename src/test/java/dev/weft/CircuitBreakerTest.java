package dev.weft;

import static dev.weft.CircuitBreaker.State.CLOSED;
import static dev.weft.CircuitBreaker.State.HALF_OPEN;
import static dev.weft.CircuitBreaker.State.OPEN;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A circuit breaker shared by nodes, graphs and runs: when it opens, rejects, half-opens and
 * closes, and that concurrent calls keep its counts consistent.
 */
class CircuitBreakerTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private final FakeScheduler clock = new FakeScheduler();

  private CircuitBreaker.Builder breaker(String name) {
    return CircuitBreaker.builder(name).openDuration(OPEN_FOR).scheduler(clock);
  }

  /** What a guarded call does when it runs: succeed, fail, or block until released. */
  private interface Body {
    String call() throws Exception;
  }

  /** A one-node graph whose node calls through {@code breaker}, counting the calls that ran. */
  private static final class Guarded {
    final AtomicInteger ran = new AtomicInteger();
    final Graph graph;
    final Node<String> node;
    volatile Body body = () -> "ok";

    Guarded(String graphName, CircuitBreaker breaker) {
      var g = Graph.builder(graphName);
      node = g.node("call").circuitBreaker(breaker).call(() -> {
        ran.incrementAndGet();
        return body.call();
      });
      graph = g.build();
    }

    Outcome<String> succeed() {
      body = () -> "ok";
      return runOnce();
    }

    Outcome<String> fail() {
      body = () -> {
        throw new IOException("downstream error");
      };
      return runOnce();
    }

    Outcome<String> runOnce() {
      return graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run)).outcome(node);
    }

    void fail(int times) {
      for (int i = 0; i < times; i++) {
        assertInstanceOf(IOException.class, failure(fail()));
      }
    }
  }

  private static Throwable failure(Outcome<?> outcome) {
    return assertInstanceOf(Outcome.Failed.class, outcome).error();
  }

  private Guarded opened(CircuitBreaker breaker) {
    var guarded = new Guarded("g", breaker);
    while (breaker.state() == CLOSED) {
      guarded.fail();
    }
    assertEquals(OPEN, breaker.state());
    return guarded;
  }

  // ---- what it reports (resilience4j keeps reporting the rate that opened it) ----

  @Test
  void failureRate_keepsTheRateThatOpenedIt_whileOpenAndHalfOpen() {
    var breaker = breaker("pricing").slidingWindow(4).minimumCalls(4)
        .failureRateThreshold(0.5).halfOpenProbes(2).build();
    var guarded = new Guarded("g", breaker);
    guarded.succeed();
    guarded.succeed();
    guarded.fail(2);
    assertEquals(OPEN, breaker.state());
    assertEquals(0.5, breaker.failureRate(), "open: the rate of the window that opened it");

    clock.advance(OPEN_FOR);
    assertEquals(HALF_OPEN, breaker.state());
    assertEquals(0.5, breaker.failureRate(), "half-open, before any probe");
    assertEquals("ok", ((Outcome.Succeeded<String>) guarded.succeed()).value());
    guarded.fail(1);
    assertEquals(OPEN, breaker.state());
    assertEquals(0.5, breaker.failureRate(), "reopened by a failed probe: 1 of 2 probes");

    clock.advance(OPEN_FOR);
    guarded.succeed();
    guarded.succeed();
    assertEquals(CLOSED, breaker.state());
    assertEquals(0.0, breaker.failureRate(), "closed again: an empty window");
  }

  @Test
  void buildTwice_afterChangingTheWindow_usesTheDefaultMinimumCallsAgain() {
    var builder = breaker("pricing").slidingWindow(50);
    builder.build(); // resolves the unset minimumCalls to 20 for that breaker only
    var small = builder.slidingWindow(5).build();

    var guarded = new Guarded("g", small);
    guarded.fail(4);
    assertEquals(CLOSED, small.state(), "below the default minimum of the window, 5");
    guarded.fail(1);
    assertEquals(OPEN, small.state());
  }

  // ---- opening ----

  @Test
  void breaker_staysClosedBelowMinimumCalls_thenOpensAtTheThreshold() {
    var breaker = breaker("pricing").slidingWindow(10).minimumCalls(4).build();
    var guarded = new Guarded("g", breaker);

    guarded.fail(3);
    assertEquals(CLOSED, breaker.state(), "3 failures are fewer than minimumCalls 4");
    assertEquals(1.0, breaker.failureRate());
    guarded.fail(1);

    assertEquals(OPEN, breaker.state());
  }

  @Test
  void breaker_opensWhenTheRateInTheSlidingWindowReachesTheThreshold() {
    var breaker = breaker("pricing").slidingWindow(4).minimumCalls(4)
        .failureRateThreshold(0.5).build();
    var guarded = new Guarded("g", breaker);

    guarded.fail(1);
    for (int i = 0; i < 4; i++) {
      guarded.succeed(); // the last one pushes the failure out of the window
    }
    assertEquals(0.0, breaker.failureRate());
    guarded.fail(1);
    assertEquals(0.25, breaker.failureRate());
    assertEquals(CLOSED, breaker.state());
    guarded.fail(1);

    assertEquals(OPEN, breaker.state(), "2 failures of 4 reach the 0.5 threshold");
  }

  @Test
  void breaker_belowTheThreshold_staysClosed() {
    var breaker = breaker("pricing").slidingWindow(4).minimumCalls(4)
        .failureRateThreshold(0.75).build();
    var guarded = new Guarded("g", breaker);

    for (int i = 0; i < 10; i++) {
      guarded.fail(1);
      guarded.succeed();
    }

    assertEquals(CLOSED, breaker.state());
    assertEquals(0.5, breaker.failureRate());
  }

  @Test
  void timeout_countsAsAFailure() throws Exception {
    var breaker = breaker("slow").slidingWindow(1).minimumCalls(1).build();
    var started = new CountDownLatch(1);
    var g = Graph.builder("slow");
    g.node("call").timeout(Duration.ofMillis(50)).circuitBreaker(breaker).call(() -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    assertTrue(started.await(10, SECONDS), "the call did not start");
    clock.advance(Duration.ofMillis(50));
    future.get(10, SECONDS);

    assertEquals(OPEN, breaker.state());
  }

  @Test
  void callCancelledWithItsRun_isNotCounted() throws Exception {
    var breaker = breaker("cancelled").slidingWindow(1).minimumCalls(1).build();
    var guarded = new Guarded("g", breaker);
    var started = new CountDownLatch(1);
    guarded.body = () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    };

    var future = guarded.graph.runAsync(Inputs.empty());
    assertTrue(started.await(10, SECONDS), "the call did not start");
    future.cancel(true);

    assertEquals(CLOSED, breaker.state());
    assertEquals(0.0, breaker.failureRate());
  }

  // ---- open: rejecting ----

  @Test
  void openBreaker_rejectsWithoutRunning_namingBreakerAndNode() {
    var breaker = breaker("pricing").slidingWindow(2).minimumCalls(2).build();
    var guarded = opened(breaker);
    int ranBefore = guarded.ran.get();

    var rejection = assertInstanceOf(CircuitOpenException.class, failure(guarded.succeed()));

    assertEquals(ranBefore, guarded.ran.get(), "a rejected call ran");
    assertEquals("pricing", rejection.breaker());
    assertEquals("call", rejection.node());
    assertEquals("circuit breaker 'pricing' is open: node 'call' was not run",
        rejection.getMessage());
  }

  @Test
  void breaker_isSharedAcrossGraphs() {
    var breaker = breaker("pricing").slidingWindow(2).minimumCalls(2).build();
    var first = new Guarded("first", breaker);
    var second = new Guarded("second", breaker);

    first.fail(2);

    assertInstanceOf(CircuitOpenException.class, failure(second.succeed()));
    assertEquals(0, second.ran.get());
  }

  // ---- half-open and back ----

  @Test
  void openBreaker_halfOpensAfterOpenDuration() {
    var breaker = breaker("pricing").slidingWindow(1).minimumCalls(1).build();
    opened(breaker);

    clock.advance(OPEN_FOR.minusNanos(1));
    assertEquals(OPEN, breaker.state());
    clock.advance(Duration.ofNanos(1));

    assertEquals(HALF_OPEN, breaker.state());
  }

  @Test
  void halfOpenBreaker_closesAfterHalfOpenProbesSucceed() {
    var breaker = breaker("pricing").slidingWindow(2).minimumCalls(2).halfOpenProbes(2).build();
    var guarded = opened(breaker);
    clock.advance(OPEN_FOR);
    int ranBefore = guarded.ran.get();

    assertEquals("ok", succeeded(guarded.succeed()));
    assertEquals(HALF_OPEN, breaker.state(), "one probe of 2 is not enough to close");
    assertEquals("ok", succeeded(guarded.succeed()));

    assertEquals(CLOSED, breaker.state());
    assertEquals(ranBefore + 2, guarded.ran.get());
    assertEquals(0.0, breaker.failureRate(), "a closing breaker starts with an empty window");
    guarded.fail(1);
    assertEquals(CLOSED, breaker.state(), "1 failure is below minimumCalls in the new window");
  }

  @Test
  void failedProbe_reopensTheBreakerForAnotherOpenDuration() {
    var breaker = breaker("pricing").slidingWindow(1).minimumCalls(1).halfOpenProbes(2).build();
    var guarded = opened(breaker);
    clock.advance(OPEN_FOR);

    guarded.fail(1);
    assertEquals(OPEN, breaker.state());
    clock.advance(OPEN_FOR.minusNanos(1));
    assertInstanceOf(CircuitOpenException.class, failure(guarded.succeed()));
    clock.advance(Duration.ofNanos(1));

    assertEquals(HALF_OPEN, breaker.state());
  }

  @Test
  void halfOpenBreaker_admitsOnlyItsProbes_evenUnderConcurrentRuns() throws Exception {
    var breaker = breaker("pricing").slidingWindow(1).minimumCalls(1).halfOpenProbes(2).build();
    var guarded = opened(breaker);
    clock.advance(OPEN_FOR);
    var probing = new CountDownLatch(2);
    var release = new CountDownLatch(1);
    int ranBefore = guarded.ran.get();
    guarded.body = () -> {
      probing.countDown();
      release.await();
      return "probe";
    };

    var ended = new Semaphore(0);
    var runs = new ArrayList<CompletableFuture<RunResult>>();
    for (int i = 0; i < 8; i++) {
      var run = guarded.graph.runAsync(Inputs.empty());
      run.whenComplete((r, e) -> ended.release());
      runs.add(run);
    }
    assertTrue(probing.await(10, SECONDS), "two probes should be let through");
    assertTrue(ended.tryAcquire(6, 10, SECONDS), "the 6 other runs should end while the probes "
        + "run, rejected");
    release.countDown();
    var outcomes = new ArrayList<Outcome<String>>();
    for (var run : runs) {
      outcomes.add(run.get(10, SECONDS).outcome(guarded.node));
    }

    long probes = outcomes.stream().filter(o -> o instanceof Outcome.Succeeded).count();
    assertEquals(2, probes, "exactly the two probes should have run: " + outcomes);
    assertEquals(ranBefore + 2, guarded.ran.get());
    for (var outcome : outcomes) {
      if (!(outcome instanceof Outcome.Succeeded)) {
        assertInstanceOf(CircuitOpenException.class, failure(outcome));
      }
    }
    assertEquals(CLOSED, breaker.state());
  }

  @Test
  void probeCancelledWithItsRun_givesItsPlaceBack() throws Exception {
    var breaker = breaker("pricing").slidingWindow(1).minimumCalls(1).build();
    var guarded = opened(breaker);
    clock.advance(OPEN_FOR);
    var started = new CountDownLatch(1);
    guarded.body = () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    };
    var probe = guarded.graph.runAsync(Inputs.empty());
    assertTrue(started.await(10, SECONDS), "the probe did not start");
    assertInstanceOf(CircuitOpenException.class, failure(guarded.runOnce()),
        "the only probe place should be taken");

    probe.cancel(true);

    assertEquals(HALF_OPEN, breaker.state());
    assertEquals("ok", succeeded(guarded.succeed()), "the freed place should admit a new probe");
    assertEquals(CLOSED, breaker.state());
  }

  @Test
  void probeCutOffAsAStragglerAtTheDeadline_givesItsPlaceBackWhenItEnds() throws Exception {
    var breaker = breaker("pricing").slidingWindow(1).minimumCalls(1).build();
    var guarded = opened(breaker);
    clock.advance(OPEN_FOR);
    var started = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var probeThread = new AtomicReference<Thread>();
    guarded.body = () -> {
      probeThread.set(Thread.currentThread());
      started.countDown();
      while (true) {
        try {
          release.await();
          return "late";
        } catch (InterruptedException ignored) {
          // ignores the deadline's interrupt
        }
      }
    };
    var probe = guarded.graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(100)));
    assertTrue(started.await(10, SECONDS), "the probe did not start");
    clock.advance(Duration.ofMillis(100)); // the deadline passes
    clock.awaitTimers(1); // the straggler cut-off, set once the deadline's action has run
    clock.advance(Duration.ofMillis(100));
    var result = probe.get(10, SECONDS);
    assertEquals(List.of("call"), List.copyOf(result.stragglers().keySet()));

    release.countDown();
    assertTrue(probeThread.get().join(Duration.ofSeconds(10)), "the straggler did not end");

    var next = guarded.succeed();
    assertInstanceOf(Outcome.Succeeded.class, next,
        "the straggling probe has ended, so its place should admit a new probe; got " + next);
    assertEquals(CLOSED, breaker.state());
  }

  // ---- calls that straddle a state change ----

  @Test
  void callAdmittedWhileClosed_succeedingWhileHalfOpen_doesNotCountAsAProbe() throws Exception {
    var breaker = breaker("pricing").slidingWindow(2).minimumCalls(2).build();
    var slow = new Guarded("slow", breaker);
    var started = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    slow.body = () -> {
      started.countDown();
      release.await();
      return "late";
    };
    var late = slow.graph.runAsync(Inputs.empty());
    assertTrue(started.await(10, SECONDS), "the slow call did not start");
    new Guarded("fast", breaker).fail(2);
    assertEquals(OPEN, breaker.state());
    clock.advance(OPEN_FOR);
    assertEquals(HALF_OPEN, breaker.state());

    release.countDown();
    assertEquals("late", succeeded(late.get(10, SECONDS).outcome(slow.node)));

    assertEquals(HALF_OPEN, breaker.state(), "a success admitted under CLOSED closed it");
    assertEquals(1.0, breaker.failureRate(), "half-open, it reports the rate that opened it");
  }

  @Test
  void callAdmittedWhileClosed_failingWhileHalfOpen_doesNotReopenTheBreaker() throws Exception {
    var breaker = breaker("pricing").slidingWindow(2).minimumCalls(2).build();
    var slow = new Guarded("slow", breaker);
    var started = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    slow.body = () -> {
      started.countDown();
      release.await();
      throw new IOException("late failure");
    };
    var late = slow.graph.runAsync(Inputs.empty());
    assertTrue(started.await(10, SECONDS), "the slow call did not start");
    var fast = new Guarded("fast", breaker);
    fast.fail(2);
    clock.advance(OPEN_FOR);
    assertEquals(HALF_OPEN, breaker.state());

    release.countDown();
    assertInstanceOf(IOException.class, failure(late.get(10, SECONDS).outcome(slow.node)));

    assertEquals(HALF_OPEN, breaker.state(), "a failure admitted under CLOSED reopened it");
    assertEquals("ok", succeeded(fast.succeed()), "the probe place should still be free");
    assertEquals(CLOSED, breaker.state());
  }

  // ---- concurrency ----

  /**
   * 8 concurrent runs of 25 failing calls each, one call at a time per run: the breaker opens
   * after minimumCalls (10) failures, and only calls already admitted then can still run.
   */
  @Test
  void eightConcurrentRunsOfFailingCalls_openTheBreaker_afterAConsistentNumberOfCalls()
      throws Exception {
    int runs = 8;
    int calls = 25;
    int minimumCalls = 10;
    var breaker = breaker("shared").slidingWindow(minimumCalls).minimumCalls(minimumCalls)
        .failureRateThreshold(0.5).build();
    var executions = new AtomicInteger();
    var allStarted = new CountDownLatch(runs);
    var g = Graph.builder("chain");
    var nodes = new ArrayList<Node<String>>();
    Node<String> previous = g.node("call0").circuitBreaker(breaker).call(() -> {
      executions.incrementAndGet();
      allStarted.countDown();
      if (!allStarted.await(10, SECONDS)) { // every run has a call in flight at once
        throw new IllegalStateException("not every run's first call started within 10 s");
      }
      throw new IOException("down");
    });
    nodes.add(previous);
    for (int i = 1; i < calls; i++) {
      previous = g.node("call" + i).circuitBreaker(breaker).call(previous.orElse(""), p -> {
        executions.incrementAndGet();
        throw new IOException("down");
      });
      nodes.add(previous);
    }
    var graph = g.build();

    var futures = new ArrayList<CompletableFuture<RunResult>>();
    for (int r = 0; r < runs; r++) {
      futures.add(graph.runAsync(Inputs.empty()));
    }
    var results = new ArrayList<RunResult>();
    for (var f : futures) {
      results.add(f.get(10, SECONDS));
    }

    assertEquals(OPEN, breaker.state());
    int failedByTask = 0;
    int rejected = 0;
    for (var result : results) {
      boolean sawRejection = false;
      for (var node : nodes) {
        var error = failure(result.outcome(node));
        if (error instanceof CircuitOpenException) {
          sawRejection = true;
          rejected++;
        } else {
          assertInstanceOf(IOException.class, error);
          assertFalse(sawRejection, "a call ran after the breaker had rejected one in this run, "
              + "though the clock never moved: " + node.name());
          failedByTask++;
        }
      }
    }
    assertEquals(executions.get(), failedByTask, "every execution should end as its node's error");
    assertEquals(runs * calls, failedByTask + rejected);
    assertTrue(executions.get() >= minimumCalls,
        "opened after " + executions.get() + " calls, fewer than minimumCalls");
    assertTrue(executions.get() <= minimumCalls + runs - 1, executions.get() + " calls ran, but "
        + "at most " + (runs - 1) + " others can be in flight when the 10th failure opens it");
  }

  private static String succeeded(Outcome<String> outcome) {
    return assertInstanceOf(Outcome.Succeeded.class, outcome, () -> "got " + outcome).value()
        .toString();
  }
}
