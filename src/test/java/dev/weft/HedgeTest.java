package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Hedged calls: a second attempt after the delay, the first success wins, losers are interrupted
 * and recorded but never the node's failure; hedges within the timeout, the deadline and the
 * budget; every attempt a span and an event.
 */
class HedgeTest {
  private static final Duration DELAY = Duration.ofMillis(10);

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s waiting until " + what);
  }

  /** Attempt k (TaskContext.hedge()) of the body: what each attempt does, set per test. */
  @FunctionalInterface
  interface Body {
    String attempt(int hedge) throws Exception;
  }

  /** A graph of one hedged node, {@code search}. */
  private record Hedged(Graph graph, Node<String> search) {
    CompletableFuture<RunResult> runAsync(Inputs inputs,
        java.util.function.UnaryOperator<RunOptions> options) {
      return graph.runAsync(inputs, options);
    }

    RunResult run(Inputs inputs, java.util.function.UnaryOperator<RunOptions> options) {
      return graph.run(inputs, options);
    }
  }

  private static Hedged hedged(HedgePolicy policy, Body body, RetryBudget budget) {
    var g = Graph.builder("hedging");
    var node = g.node("search").hedge(policy);
    if (budget != null) {
      node.retryBudget(budget);
    }
    Node<String> search = node.call(List.of(), deps -> body.attempt(TaskContext.current().hedge()));
    return new Hedged(g.build(), search);
  }

  private static Span only(RunResult result) {
    assertEquals(1, result.spans().size(), result.spans().toString());
    return result.spans().get(0);
  }

  private static List<String> children(Span span) {
    var out = new ArrayList<String>();
    for (var c : span.children()) {
      out.add(c.label() + "=" + c.outcome().status().label());
    }
    return out;
  }

  @Test
  void aHedgeAfterTheDelayWins_andTheFirstIsInterruptedAndRecorded() throws Exception {
    var clock = new FakeScheduler();
    var firstStarted = new CountDownLatch(1);
    var firstInterrupted = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var graph = hedged(HedgePolicy.after(DELAY), hedge -> {
      if (hedge == 0) {
        firstStarted.countDown();
        try {
          release.await();
          return "first";
        } catch (InterruptedException e) {
          firstInterrupted.countDown();
          throw e;
        }
      }
      return "hedge " + hedge;
    }, null);

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(firstStarted, "the first attempt started");
    clock.awaitTimers(1);
    clock.advance(DELAY);
    var result = future.get(10, SECONDS);

    assertEquals(0, firstInterrupted.getCount(), "the losing first attempt was not interrupted");
    assertEquals("hedge 1", result.get(graph.search()));
    var span = only(result);
    assertEquals(Outcome.Status.SUCCEEDED, span.outcome().status());
    assertEquals(List.of("search (first)=cancelled", "search (hedge 1)=succeeded"),
        children(span));
    assertEquals(0, span.children().get(0).hedge());
    assertEquals(1, span.children().get(1).hedge());
    assertEquals(0, clock.pendingTimers(), "a timer was left behind");

    // the trace names the attempts after their node, and its critical path runs through the
    // winner
    var text = result.trace().toText();
    assertTrue(text.contains("\n    search (first)") && text.contains("\n*   search (hedge 1)"),
        text);
    var json = result.trace().toChromeJson();
    assertTrue(json.contains("\"hedge\":1") && json.contains("\"hedge\":0"), json);
    assertTrue(result.trace().toHtml().contains("2 attempts"), "the HTML names the attempts");
  }

  @Test
  void aFirstAttemptThatAnswersInTime_sendsNoHedge() throws Exception {
    var clock = new FakeScheduler();
    var calls = new AtomicInteger();
    var graph = hedged(HedgePolicy.after(DELAY), hedge -> {
      calls.incrementAndGet();
      return "fast";
    }, null);

    var result = graph.run(Inputs.empty(), o -> o.withScheduler(clock));

    assertEquals("fast", result.get(graph.search()));
    assertEquals(1, calls.get());
    assertEquals(List.of("search (first)=succeeded"), children(only(result)));
    assertEquals(0, clock.pendingTimers(), "the hedge's timer was not cancelled");
  }

  @Test
  void aFailedFirstAttempt_sendsTheHedgeAtOnce_andDoesNotFailTheNode() throws Exception {
    var clock = new FakeScheduler(); // never advanced: the hedge goes without its delay
    var graph = hedged(HedgePolicy.after(Duration.ofHours(1)), hedge -> {
      if (hedge == 0) {
        throw new IOException("connection reset");
      }
      return "hedge " + hedge;
    }, null);

    var result = graph.run(Inputs.empty(), o -> o.withScheduler(clock));

    assertEquals("hedge 1", result.get(graph.search()));
    assertEquals(List.of("search (first)=failed", "search (hedge 1)=succeeded"),
        children(only(result)));
  }

  @Test
  void whenEveryAttemptFails_theNodeFailsWithTheFirstsFailure_theOthersAttached() {
    var clock = new FakeScheduler();
    var graph = hedged(HedgePolicy.after(Duration.ofHours(1)).withMaxHedges(2), hedge -> {
      throw new IOException("attempt " + hedge + " failed");
    }, null);

    var result = graph.run(Inputs.empty(), o -> o.withScheduler(clock));

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(graph.search()));
    assertEquals("attempt 0 failed", failed.error().getMessage());
    var suppressed = new ArrayList<String>();
    for (var s : failed.error().getSuppressed()) {
      suppressed.add(s.getMessage());
    }
    assertEquals(List.of("attempt 1 failed", "attempt 2 failed"), suppressed);
    assertEquals(3, only(result).children().size());
  }

  @Test
  void maxHedges_bounds_theAttemptsSent_oneDelayApart() throws Exception {
    var clock = new FakeScheduler();
    var started = new CopyOnWriteArrayList<Integer>();
    var third = new CountDownLatch(1);
    var graph = hedged(HedgePolicy.after(DELAY).withMaxHedges(2), hedge -> {
      started.add(hedge);
      if (hedge == 2) {
        third.countDown();
      }
      new CountDownLatch(1).await(); // every attempt hangs until interrupted
      return "never";
    }, null);

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofSeconds(1)));
    // the deadline's timer and the first hedge's
    clock.awaitTimers(2);
    clock.advance(DELAY);
    clock.awaitTimers(2); // the second hedge's armed after the first was sent
    clock.advance(DELAY);
    await(third, "the second hedge started");
    // to the deadline exactly: the cut-off's grace, 10 ms after it, stays ahead of the clock
    clock.advance(Duration.ofSeconds(1).minus(DELAY.multipliedBy(2)));
    var result = future.get(10, SECONDS);

    Collections.sort(started);
    assertEquals(List.of(0, 1, 2), started);
    assertEquals(Outcome.Status.CANCELLED, result.outcome(graph.search()).status());
    assertEquals(List.of("search (first)=cancelled", "search (hedge 1)=cancelled",
        "search (hedge 2)=cancelled"), children(only(result)));
    assertTrue(result.stragglers().isEmpty(), result.stragglers().toString());
  }

  @Test
  void theNodesTimeout_boundsAllItsHedges() throws Exception {
    var clock = new FakeScheduler();
    var interrupted = new AtomicInteger();
    var hedgeStarted = new CountDownLatch(1);
    var g = Graph.builder("hedging");
    var search = g.node("search").timeout(Duration.ofMillis(25)).hedge(HedgePolicy.after(DELAY))
        .call(List.of(), deps -> {
          if (TaskContext.current().hedge() == 1) {
            hedgeStarted.countDown();
          }
          try {
            new CountDownLatch(1).await();
            return "never";
          } catch (InterruptedException e) {
            interrupted.incrementAndGet();
            throw e;
          }
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    clock.awaitTimers(2); // the timeout's and the hedge's
    clock.advance(DELAY);
    await(hedgeStarted, "the hedge started");
    clock.advance(Duration.ofMillis(15));
    var result = future.get(10, SECONDS);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(search));
    assertInstanceOf(NodeTimeoutException.class, failed.error());
    assertEquals(2, interrupted.get(), "both attempts must be interrupted by the timeout");
    assertEquals(0, clock.pendingTimers());
  }

  @Test
  void noHedgeStarts_whenItCouldNotStartBeforeTheTimeout() throws Exception {
    var clock = new FakeScheduler();
    var calls = new AtomicInteger();
    var started = new CountDownLatch(1);
    var g = Graph.builder("hedging");
    var search = g.node("search").timeout(Duration.ofMillis(5)).hedge(HedgePolicy.after(DELAY))
        .call(List.of(), deps -> {
          calls.incrementAndGet();
          started.countDown();
          new CountDownLatch(1).await();
          return "never";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started, "the first attempt started");
    clock.awaitTimers(1);
    assertEquals(1, clock.pendingTimers(), "only the timeout's timer: no hedge past it");
    clock.advance(Duration.ofMillis(5));
    var result = future.get(10, SECONDS);

    assertInstanceOf(NodeTimeoutException.class,
        ((Outcome.Failed<?>) result.outcome(search)).error());
    assertEquals(1, calls.get());
  }

  @Test
  void aSpentBudget_sendsNoHedge() throws Exception {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").ratio(0).minPerSecond(0).scheduler(clock).build();
    var calls = new AtomicInteger();
    var release = new CountDownLatch(1);
    var started = new CountDownLatch(1);
    var graph = hedged(HedgePolicy.after(DELAY), hedge -> {
      calls.incrementAndGet();
      started.countDown();
      release.await();
      return "first";
    }, budget);

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started, "the first attempt started");
    clock.awaitTimers(1);
    clock.advance(DELAY); // the hedge's moment: the budget refuses it
    release.countDown();
    var result = future.get(10, SECONDS);

    assertEquals("first", result.get(graph.search()));
    assertEquals(1, calls.get());
    assertEquals(1, budget.refused());
  }

  @Test
  void eachAttemptIsAnEvent_startedAndEnded_beforeTheNodeEnds() throws Exception {
    var clock = new FakeScheduler();
    var events = new CopyOnWriteArrayList<String>();
    RunListener listener = e -> {
      if (e instanceof RunEvent.HedgeStarted s) {
        events.add("started " + s.hedge());
      } else if (e instanceof RunEvent.HedgeEnded h) {
        events.add("ended " + h.hedge() + " " + h.span().outcome().status().label());
      } else if (e instanceof RunEvent.NodeEnded n) {
        events.add("node " + n.span().outcome().status().label());
      }
    };
    var graph = hedged(HedgePolicy.after(Duration.ofHours(1)), hedge -> {
      if (hedge == 0) {
        throw new IOException("reset");
      }
      return "ok";
    }, null);

    graph.run(Inputs.empty(), o -> o.withScheduler(clock).withListener(listener));

    assertEquals(List.of("started 0", "ended 0 failed", "started 1", "ended 1 succeeded",
        "node succeeded"), events);
  }

  @Test
  void fanOutElements_areHedgedEachOnItsOwn_andKnowTheirIndexAndHedge() throws Exception {
    var clock = new FakeScheduler();
    var seen = new CopyOnWriteArrayList<String>();
    var g = Graph.builder("hedging");
    var ids = g.input("ids", List.class);
    @SuppressWarnings("unchecked")
    Dep<List<Integer>> items = (Dep<List<Integer>>) (Dep<?>) ids;
    var photos = g.node("photos").hedge(HedgePolicy.after(Duration.ofHours(1)))
        .forEach(items, (Integer id) -> {
          var ctx = TaskContext.current();
          seen.add(ctx.element() + "/" + ctx.hedge());
          if (id == 2 && ctx.hedge() == 0) {
            throw new IOException("reset"); // element 1's first attempt fails: its hedge goes
          }
          return "p" + id + "@" + ctx.hedge();
        });
    var graph = g.build();

    var result = graph.run(Inputs.of(ids, List.of(1, 2, 3)), o -> o.withScheduler(clock));

    assertEquals(List.of("p1@0", "p2@1", "p3@0"), result.get(photos));
    var sorted = new ArrayList<>(seen);
    Collections.sort(sorted);
    assertEquals(List.of("0/0", "1/0", "1/1", "2/0"), sorted);
    var element1 = only(result).children().get(1);
    assertEquals(List.of("photos[1] (first)=failed", "photos[1] (hedge 1)=succeeded"),
        children(element1));
  }

  @Test
  void aLoserIsNotCountedByTheBreaker_andTheWinnerIs() throws Exception {
    var clock = new FakeScheduler();
    var breaker = CircuitBreaker.builder("search").slidingWindow(10).minimumCalls(1)
        .failureRateThreshold(0.5).scheduler(clock).build();
    var firstStarted = new CountDownLatch(1);
    var g = Graph.builder("hedging");
    var search = g.node("search").circuitBreaker(breaker).hedge(HedgePolicy.after(DELAY))
        .call(List.of(), deps -> {
          if (TaskContext.current().hedge() == 0) {
            firstStarted.countDown();
            new CountDownLatch(1).await(); // the loser: interrupted when the hedge wins
          }
          return "hedged";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(firstStarted, "the first attempt started");
    clock.awaitTimers(1);
    clock.advance(DELAY);
    var result = future.get(10, SECONDS);

    assertEquals("hedged", result.get(search));
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state(),
        "the interrupted loser was counted as a failure");
    assertEquals(0.0, breaker.failureRate());
  }

  @Test
  void whenTheTimeoutStopsBothAttempts_theBreakerCountsOneSlowCall() throws Exception {
    var clock = new FakeScheduler();
    var breaker = CircuitBreaker.builder("search").slidingWindow(10).minimumCalls(2)
        .failureRateThreshold(1.0).scheduler(clock).build();
    var both = new CountDownLatch(2);
    var g = Graph.builder("hedging");
    var search = g.node("search").timeout(Duration.ofMillis(25)).circuitBreaker(breaker)
        .hedge(HedgePolicy.after(DELAY)).call(List.of(), deps -> {
          both.countDown();
          new CountDownLatch(1).await();
          return "never";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    clock.awaitTimers(2);
    clock.advance(DELAY);
    await(both, "both attempts started");
    clock.advance(Duration.ofMillis(15));
    var result = future.get(10, SECONDS);

    assertInstanceOf(NodeTimeoutException.class,
        ((Outcome.Failed<?>) result.outcome(search)).error());
    // two failures in a window of minimum 2 at threshold 1.0 would open it: one does not
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state(),
        "the hedge stopped by the timeout was counted as a second slow call");
    assertEquals(1.0, breaker.failureRate(), "the first attempt is counted, as a failure");
  }

  @Test
  void aCancelledRun_stopsEveryAttempt_andLeavesNoThread() throws Exception {
    var clock = new FakeScheduler();
    var both = new CountDownLatch(2);
    var ended = new CountDownLatch(2);
    var graph = hedged(HedgePolicy.after(DELAY), hedge -> {
      both.countDown();
      try {
        new CountDownLatch(1).await();
        return "never";
      } finally {
        ended.countDown();
      }
    }, null);

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    clock.awaitTimers(1);
    clock.advance(DELAY);
    await(both, "both attempts started");
    future.cancel(true);
    await(ended, "both attempts ended, interrupted");
    assertFalse(Thread.currentThread().isInterrupted());
  }

  @Test
  void aPercentilePolicy_hedgesAtTheNodesOwnRecentP95_onceItsHistoryIsWarm() throws Exception {
    var clock = new FakeScheduler();
    var blockNext = new java.util.concurrent.atomic.AtomicBoolean();
    var firstStarted = new CountDownLatch(1);
    var hedgeStarted = new CountDownLatch(1);
    var graph = hedged(HedgePolicy.percentile(0.95), hedge -> {
      if (!blockNext.get()) {
        clock.advance(Duration.ofMillis(10)); // the warm-up: every attempt takes 10 ms
        return "warm";
      }
      if (hedge == 1) {
        hedgeStarted.countDown();
        return "hedge";
      }
      firstStarted.countDown();
      new CountDownLatch(1).await();
      return "never";
    }, null);
    for (int i = 0; i < 20; i++) {
      assertEquals(List.of("search (first)=succeeded"),
          children(only(graph.run(Inputs.empty(), o -> o.withScheduler(clock)))),
          "a cold percentile policy sends no hedge");
    }
    blockNext.set(true);

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(firstStarted, "the first attempt started");
    clock.awaitTimers(1);
    clock.advance(Duration.ofMillis(9));
    assertEquals(1, hedgeStarted.getCount(), "hedged before the p95 of 10 ms");
    clock.advance(Duration.ofMillis(3)); // p95 reads at most an eighth above 10 ms
    var result = future.get(10, SECONDS);

    assertEquals("hedge", result.get(graph.search()));
  }

  @Test
  void attemptsThatIgnoreTheInterrupt_areCutOffAtTheDeadline_andNamedAsStragglers()
      throws Exception {
    var release = new CountDownLatch(1);
    var both = new CountDownLatch(2);
    var ended = new CountDownLatch(2);
    var graph = hedged(HedgePolicy.after(Duration.ofMillis(1)), hedge -> {
      both.countDown();
      try {
        while (!release.await(10, SECONDS)) {
          Thread.onSpinWait(); // bounded: released by the test
        }
      } catch (InterruptedException swallowed) {
        // this call ignores interruption: it goes on until released
        release.await(10, SECONDS);
      } finally {
        ended.countDown();
      }
      return "late";
    }, null);

    try {
      var result = graph.runAsync(Inputs.empty(),
          o -> o.withDeadline(Duration.ofMillis(200))).get(10, SECONDS);
      await(both, "both attempts started");

      assertEquals(Outcome.Status.CANCELLED, result.outcome(graph.search()).status());
      assertEquals(java.util.Set.of("search", "search (hedge 1)"), result.stragglers().keySet(),
          "the node's own thread is its straggler, the hedge's thread the hedge's");
      assertEquals(List.of("search (first)=cancelled", "search (hedge 1)=cancelled"),
          children(only(result)));
    } finally {
      release.countDown();
    }
    await(ended, "the stragglers ended once released");
  }

  @Test
  void failFast_stopsEveryAttemptOfAHedgedNode() throws Exception {
    var both = new CountDownLatch(2);
    var interrupted = new AtomicInteger();
    var g = Graph.builder("hedging");
    var search = g.node("search").hedge(HedgePolicy.after(Duration.ofMillis(1)))
        .call(List.of(), deps -> {
          both.countDown();
          try {
            new CountDownLatch(1).await();
            return "never";
          } catch (InterruptedException e) {
            interrupted.incrementAndGet();
            throw e;
          }
        });
    g.task("broken", () -> {
      await(both, "both attempts of search started");
      throw new IOException("broken");
    });
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> o.withFailureMode(FailureMode.FAIL_FAST))
        .get(10, SECONDS);

    assertEquals(Outcome.Status.CANCELLED, result.outcome(search).status());
    assertEquals(2, interrupted.get(), "both attempts are interrupted when the run fails fast");
    assertTrue(result.stragglers().isEmpty(), result.stragglers().toString());
  }
}
