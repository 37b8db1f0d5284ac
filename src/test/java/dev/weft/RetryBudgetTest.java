package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A shared retry budget: Finagle's semantics, a sliding window, and what a refused retry says. */
class RetryBudgetTest {
  @Test
  void defaults_areFinaglesTwentyPercentPlusTenPerSecondOverTenSeconds() {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").scheduler(clock).build();
    assertEquals(100, budget.available(), "10/s over 10 s with no requests yet");
    for (int i = 0; i < 50; i++) {
      budget.deposit();
    }
    assertEquals(110, budget.available(), "plus 20% of 50 requests");
    int granted = 0;
    while (budget.tryWithdraw()) {
      granted++;
    }
    assertEquals(110, granted);
    assertEquals(1, budget.refused());
    assertEquals(0, budget.available());
  }

  @Test
  void theWindowSlides_forgettingOldRequestsAndRetries() {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").ratio(0.5).minPerSecond(0).scheduler(clock).build();
    for (int i = 0; i < 10; i++) {
      budget.deposit();
    }
    for (int i = 0; i < 5; i++) {
      assertTrue(budget.tryWithdraw());
    }
    assertFalse(budget.tryWithdraw(), "half of 10 requests, all withdrawn");
    clock.advance(Duration.ofSeconds(5));
    assertFalse(budget.tryWithdraw(), "still inside the window");
    clock.advance(Duration.ofSeconds(5));
    assertEquals(0, budget.available(), "the requests left the window with the retries");
    budget.deposit();
    budget.deposit();
    assertTrue(budget.tryWithdraw(), "new requests pay for new retries");
  }

  @Test
  void aRefund_givesBackAWithdrawal() {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").ratio(0).minPerSecond(0.1).scheduler(clock)
        .build();
    assertTrue(budget.tryWithdraw());
    assertFalse(budget.tryWithdraw());
    budget.refund(); // the hedge it paid for was stopped before it was sent
    assertEquals(1, budget.available());
    assertTrue(budget.tryWithdraw());
  }

  @Test
  void aRefusedRetry_isNotSent_andTheFailureSaysWhy() {
    var clock = new FakeScheduler();
    // a reserve of one extra call (0.1/s over 10 s), no share of requests
    var budget = RetryBudget.builder("search").ratio(0).minPerSecond(0.1).scheduler(clock)
        .build();
    var calls = new AtomicInteger();
    var g = Graph.builder("budgeted");
    var search = g.node("search").retry(RetryPolicy.fixed(3, Duration.ZERO)).retryBudget(budget)
        .call(() -> {
          calls.incrementAndGet();
          throw new IOException("503");
        });
    var graph = g.build();

    var first = graph.run(Inputs.empty(), o -> o.withScheduler(clock));
    assertEquals(2, calls.get(), "the first attempt, and the one retry the budget pays for");
    var failed = assertInstanceOf(Outcome.Failed.class, first.outcome(search));
    assertInstanceOf(IOException.class, failed.error(), "the node keeps its own failure's type");
    var why = suppressed(failed.error(), BudgetExhaustedException.class);
    assertEquals("search", why.budget());
    assertEquals("search", why.node());
    assertTrue(why.getMessage().contains("retry 3 of node 'search' was not sent"),
        why.getMessage());
    assertTrue(why.getMessage().contains("0% of requests + 0.1/s over 10 s"), why.getMessage());

    graph.run(Inputs.empty(), o -> o.withScheduler(clock));
    assertEquals(3, calls.get(), "the budget is spent: no retry at all");
  }

  private static <T extends Throwable> T suppressed(Throwable t, Class<T> type) {
    for (var s : t.getSuppressed()) {
      if (type.isInstance(s)) {
        return type.cast(s);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " attached to " + t);
  }

  @Test
  void aDownstreamFailingEveryCall_getsAtMostTwentyPercentPlusTenPerSecondMore() {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").scheduler(clock).build();
    var calls = new AtomicInteger();
    var g = Graph.builder("outage");
    g.node("search").retry(RetryPolicy.fixed(3, Duration.ZERO)).retryBudget(budget)
        .call(() -> {
          calls.incrementAndGet();
          throw new IOException("down");
        });
    var graph = g.build();

    int requests = 1000; // in one window of 10 s (the fake clock does not move)
    for (int i = 0; i < requests; i++) {
      graph.run(Inputs.empty(), o -> o.withScheduler(clock));
    }
    int extra = calls.get() - requests;
    assertTrue(extra <= 0.2 * requests + 100, extra + " extra calls for " + requests);
    assertTrue(extra >= 0.2 * requests + 100 - 1, "the budget was not used: " + extra);
  }

  @Test
  void concurrentRuns_neverOverdrawIt() throws Exception {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").ratio(0.25).minPerSecond(1).scheduler(clock)
        .build();
    var granted = new AtomicLong();
    var start = new CountDownLatch(1);
    int threads = 16;
    int each = 500;
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      var done = new ArrayList<java.util.concurrent.Future<?>>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < each; i++) {
            budget.deposit();
            if (budget.tryWithdraw()) {
              granted.incrementAndGet();
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (var f : done) {
        f.get(10, TimeUnit.SECONDS);
      }
    }
    long most = (long) (0.25 * threads * each) + 10;
    assertTrue(granted.get() <= most, granted + " granted, at most " + most);
    assertTrue(granted.get() >= most - threads, "far fewer granted than allowed: " + granted);
  }

  @Test
  void concurrentRunsOfSeveralGraphs_shareOneBudget_withinItsBound() throws Exception {
    var clock = new FakeScheduler();
    var budget = RetryBudget.builder("search").ratio(0.2).minPerSecond(1).scheduler(clock)
        .build();
    var calls = new AtomicInteger();
    var graphs = new ArrayList<Graph>();
    for (int i = 0; i < 2; i++) { // two graphs calling the same downstream
      var g = Graph.builder("outage-" + i);
      g.node("search").retry(RetryPolicy.fixed(3, Duration.ZERO)).retryBudget(budget)
          .hedge(HedgePolicy.after(Duration.ofHours(1))) // a failed first call hedges at once
          .call(() -> {
            calls.incrementAndGet();
            throw new IOException("down");
          });
      graphs.add(g.build());
    }
    int threads = 8;
    int runsEach = 100;
    var start = new CountDownLatch(1);
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      var done = new ArrayList<java.util.concurrent.Future<?>>();
      for (int t = 0; t < threads; t++) {
        var graph = graphs.get(t % 2);
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < runsEach; i++) {
            graph.run(Inputs.empty(), o -> o.withScheduler(clock));
          }
          return null;
        }));
      }
      start.countDown();
      for (var f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
    int requests = threads * runsEach;
    int extra = calls.get() - requests;
    assertTrue(extra <= 0.2 * requests + 10, extra + " retries and hedges for " + requests
        + " requests; the budget allows " + (0.2 * requests + 10));
    assertTrue(extra >= 0.2 * requests + 10 - threads, "the budget went unused: " + extra);
  }

  @Test
  void badSettings_failAtOnce_namingTheParameter() {
    var b = RetryBudget.builder("search");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.ratio(-0.1)).getMessage()
        .contains("ratio"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.minPerSecond(-1))
        .getMessage().contains("minPerSecond"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> b.window(Duration.ofMillis(1))).getMessage().contains("window"));
    assertThrows(NullPointerException.class, () -> RetryBudget.builder(null));
  }
}
