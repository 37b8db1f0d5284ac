package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.testing.Executors;
import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A bulkhead shared by runs: at most N guarded calls at once, a bounded wait for a place (never
 * past the run's deadline), and every place given back however the call ends.
 */
class BulkheadTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s waiting until " + what);
  }

  /** A run, started in the background, whose one guarded node holds a place until released. */
  private static final class Holder {
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CompletableFuture<RunResult> run;

    Holder(Bulkhead bulkhead) throws InterruptedException {
      var g = Graph.builder("holder");
      g.node("holder").bulkhead(bulkhead).call(() -> {
        holding.countDown();
        release.await();
        return "held";
      });
      run = g.build().runAsync(Inputs.empty());
      await(holding, "the holder takes its place");
    }

    void releaseAndAwait() throws Exception {
      release.countDown();
      assertTrue(run.get(10, SECONDS).succeeded());
    }
  }

  /** A one-node graph whose node runs through {@code bulkhead}, counting its executions. */
  private static final class Guarded {
    final AtomicInteger ran = new AtomicInteger();
    final Graph graph;
    final Node<String> node;

    Guarded(Bulkhead bulkhead) {
      var g = Graph.builder("guarded");
      node = g.node("second").bulkhead(bulkhead).call(() -> {
        ran.incrementAndGet();
        return "ran";
      });
      graph = g.build();
    }
  }

  // ---- the limit ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void bulkhead_neverRunsMoreThanItsLimitAtOnce_acrossConcurrentRuns(Executor executor)
      throws Exception {
    int limit = 3;
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(limit).maxWait(Duration.ofSeconds(10))
        .build();
    var running = new AtomicInteger();
    var peak = new AtomicInteger();
    var atLimit = new CountDownLatch(limit);
    var g = Graph.builder("checks");
    for (int i = 0; i < 4; i++) {
      g.node("check" + i).bulkhead(bulkhead).call(() -> {
        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
          atLimit.countDown();
          // the first `limit` calls hold their places until all of them are in at once
          if (!atLimit.await(10, SECONDS)) {
            throw new IllegalStateException(limit + " calls never ran at once");
          }
          return "checked";
        } finally {
          running.decrementAndGet();
        }
      });
    }
    var graph = g.build();

    var runs = new ArrayList<CompletableFuture<RunResult>>();
    for (int r = 0; r < 8; r++) {
      runs.add(graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor)));
    }
    for (var run : runs) {
      var result = run.get(10, SECONDS);
      assertTrue(result.succeeded(), "every call should get a place in time: " + result.failures());
    }

    assertEquals(limit, peak.get(), "peak of concurrent executions");
    assertEquals(0, bulkhead.inUse());
  }

  @Test
  void callerFindingTheBulkheadFull_waitsMaxWait_thenFailsWithoutRunning() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).maxWait(Duration.ofMillis(50))
        .build();
    var holder = new Holder(bulkhead);
    var second = new Guarded(bulkhead);

    long start = System.nanoTime();
    var result = second.graph.run(Inputs.empty());
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    holder.releaseAndAwait();

    var full = assertInstanceOf(BulkheadFullException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(second.node)).error());
    assertEquals("fraud", full.bulkhead());
    assertEquals("second", full.node());
    assertEquals(Duration.ofMillis(50), full.waited());
    assertEquals("bulkhead 'fraud' is full (1 of 1 in use): node 'second' of a DEFAULT run was "
        + "not run after waiting 50 ms", full.getMessage());
    assertEquals(0, second.ran.get());
    assertTrue(tookMs >= 45, "gave up after " + tookMs + " ms instead of waiting 50 ms");
    assertTrue(tookMs < 5_000, "a 50 ms wait took " + tookMs + " ms");
  }

  @Test
  void waitingCaller_runsWhenAPlaceIsFreedWithinMaxWait() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).maxWait(Duration.ofSeconds(10))
        .build();
    var holder = new Holder(bulkhead);
    var second = new Guarded(bulkhead);
    var tracking = new Executors.Tracking(Executors.virtual());

    var run = second.graph.runAsync(Inputs.empty(), o -> o.withExecutor(tracking));
    awaitParked(tracking);
    assertEquals(0, second.ran.get(), "the second call ran while the bulkhead was full");
    holder.releaseAndAwait();

    assertEquals("ran", run.get(5, SECONDS).get(second.node));
    assertEquals(0, bulkhead.inUse());
  }

  /** Waits until the one thread the executor started is parked, waiting for a place. */
  private static void awaitParked(Executors.Tracking tracking) {
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (tracking.threads().isEmpty()
        || tracking.threads().get(0).getState() != Thread.State.TIMED_WAITING) {
      if (System.nanoTime() > deadline) {
        fail("the second call never waited for a place within 10 s");
      }
      Thread.yield();
    }
  }

  @Test
  void waitForAPlace_isCutShortByTheRunsDeadline() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).maxWait(Duration.ofSeconds(10))
        .build();
    var holder = new Holder(bulkhead);
    var second = new Guarded(bulkhead);
    // the fake clock never moves, so the deadline's own timer never fires: only the wait is cut
    var options = second.graph.options().withScheduler(new FakeScheduler())
        .withDeadline(Duration.ofMillis(100));

    var result = second.graph.runAsync(Inputs.empty(), o -> options).get(5, SECONDS);
    holder.releaseAndAwait();

    var full = assertInstanceOf(BulkheadFullException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(second.node)).error());
    assertEquals(Duration.ofMillis(100), full.waited(), "the wait should end at the deadline");
    assertEquals(0, second.ran.get());
  }

  // ---- places given back ----

  @Test
  void place_isGivenBackWhenTheCallFails() {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).build();
    var g = Graph.builder("failing");
    Node<String> call = g.node("call").bulkhead(bulkhead).call(() -> {
      throw new IOException("down");
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    assertInstanceOf(Outcome.Failed.class, result.outcome(call));
    assertEquals(0, bulkhead.inUse());
  }

  @Test
  void place_isGivenBackWhenTheCallTimesOut() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).build();
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var g = Graph.builder("slow");
    g.node("call").bulkhead(bulkhead).timeout(Duration.ofMillis(50)).call(() -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started, "the call starts");
    assertEquals(1, bulkhead.inUse());
    clock.advance(Duration.ofMillis(50));
    future.get(10, SECONDS);

    assertEquals(0, bulkhead.inUse());
  }

  @Test
  void place_isGivenBackWhenTheRunIsCancelled() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).build();
    var holder = new Holder(bulkhead);
    assertEquals(1, bulkhead.inUse());

    holder.run.cancel(true); // returns once the task has ended

    assertEquals(0, bulkhead.inUse());
  }

  @Test
  void rejectedCall_doesNotGiveBackAPlaceItNeverHad() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).build();
    var holder = new Holder(bulkhead);
    var second = new Guarded(bulkhead);

    var result = second.graph.run(Inputs.empty());
    assertInstanceOf(BulkheadFullException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(second.node)).error());
    assertEquals(1, bulkhead.inUse(), "the holder should still hold the only place");
    holder.releaseAndAwait();

    assertEquals(0, bulkhead.inUse());
    var first = new Holder(bulkhead);
    assertInstanceOf(BulkheadFullException.class, assertInstanceOf(Outcome.Failed.class,
        second.graph.run(Inputs.empty()).outcome(second.node)).error(),
        "the bulkhead of 1 let a second call in");
    first.releaseAndAwait();
  }

  @Test
  void place_isNotHeldDuringARetryDelay() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).build();
    var clock = new FakeScheduler();
    var attempts = new AtomicInteger();
    var g = Graph.builder("retrying");
    Node<String> call = g.node("call").bulkhead(bulkhead)
        .retry(RetryPolicy.fixed(2, Duration.ofSeconds(1)))
        .call(() -> {
          if (attempts.incrementAndGet() == 1) {
            throw new IOException("first attempt fails");
          }
          return "second attempt";
        });
    var graph = g.build();
    var other = new Guarded(bulkhead);

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    clock.awaitSleepers(1);
    assertEquals(0, bulkhead.inUse(), "the place was held while waiting to retry");
    assertEquals("ran", other.graph.run(Inputs.empty()).get(other.node));
    clock.advance(Duration.ofSeconds(1));

    assertEquals("second attempt", future.get(10, SECONDS).get(call));
    assertEquals(0, bulkhead.inUse());
  }

  @Test
  void rejectionByTheBulkhead_isNotCountedByTheCircuitBreaker() throws Exception {
    var bulkhead = Bulkhead.builder("fraud").maxConcurrent(1).build();
    var breaker = CircuitBreaker.builder("fraud").slidingWindow(1).minimumCalls(1).build();
    var holder = new Holder(bulkhead);
    var g = Graph.builder("both");
    Node<String> call = g.node("call").circuitBreaker(breaker).bulkhead(bulkhead).call(() -> "ok");
    var graph = g.build();

    var result = graph.run(Inputs.empty());
    holder.releaseAndAwait();

    assertInstanceOf(BulkheadFullException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error());
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    assertEquals(0.0, breaker.failureRate());
  }
}
