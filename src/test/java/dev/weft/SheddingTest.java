package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Criticality at a shared bulkhead: at the same utilisation a sheddable call is refused while a
 * critical one runs; waiting callers are served most critical first; subgraphs and loaders
 * carry their run's criticality; the refusal names bulkhead, node, criticality and figures.
 */
class SheddingTest {
  /** Runs that hold places of a bulkhead until released, each one node of its own run. */
  private static final class Holders {
    final CountDownLatch release = new CountDownLatch(1);
    final List<CompletableFuture<RunResult>> runs = new ArrayList<>();

    Holders(Bulkhead bulkhead, int places) throws InterruptedException {
      var holding = new CountDownLatch(places);
      var g = Graph.builder("holder");
      g.node("holder").bulkhead(bulkhead).call(() -> {
        holding.countDown();
        release.await();
        return "held";
      });
      var graph = g.build();
      for (int i = 0; i < places; i++) {
        runs.add(graph.runAsync(Inputs.empty(), o -> o.withCriticality(Criticality.CRITICAL)));
      }
      assertTrue(holding.await(10, SECONDS), "the holders never took their places");
    }

    void releaseAndAwait() throws Exception {
      release.countDown();
      for (var run : runs) {
        assertTrue(run.get(10, SECONDS).succeeded());
      }
    }
  }

  /** One node "top" behind {@code bulkhead}, run at a criticality. */
  private static final class Reviews {
    final Graph graph;
    final Node<String> top;

    Reviews(Bulkhead bulkhead) {
      var g = Graph.builder("reviews-page");
      top = g.node("top").bulkhead(bulkhead).call(() -> "reviews");
      graph = g.build();
    }

    Outcome<String> run(Criticality criticality) {
      return graph.run(Inputs.empty(), o -> o.withCriticality(criticality)).outcome(top);
    }
  }

  private static BulkheadFullException refusal(Outcome<?> outcome) {
    return assertInstanceOf(BulkheadFullException.class,
        assertInstanceOf(Outcome.Failed.class, outcome).error());
  }

  // ---- the shares ----

  @Test
  void sheddableCall_isRefused_whileACriticalOneRuns_atTheSameUtilisation() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(10).build();
    var holders = new Holders(bulkhead, 5);
    var reviews = new Reviews(bulkhead);

    var sheddable = reviews.run(Criticality.SHEDDABLE);
    var critical = reviews.run(Criticality.CRITICAL);
    var plain = reviews.run(Criticality.DEFAULT);
    holders.releaseAndAwait();

    var shed = refusal(sheddable);
    assertEquals("bulkhead 'reviews' shed node 'top' of a SHEDDABLE run: 5 of 10 in use, and "
        + "SHEDDABLE calls run only while fewer than 5 are; it waited 0 s", shed.getMessage());
    assertTrue(shed.shed());
    assertEquals("reviews", shed.bulkhead());
    assertEquals("top", shed.node());
    assertEquals(Criticality.SHEDDABLE, shed.criticality());
    assertEquals(5, shed.inUse());
    assertEquals(10, shed.limit());
    assertEquals(5, shed.admittedBelow());
    assertEquals(new Outcome.Succeeded<>("top", "reviews"), critical);
    assertEquals(new Outcome.Succeeded<>("top", "reviews"), plain);
    assertEquals(1, bulkhead.rejected());
    assertEquals(1, bulkhead.shed());
    assertEquals(7, bulkhead.accepted(), "5 holders, the critical call and the default one");
  }

  @Test
  void aShedCall_isNotRetriedByDefault_whileAFullOneIs() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(10).build();
    var holders = new Holders(bulkhead, 5);
    var g = Graph.builder("retrying");
    var top = g.node("top").bulkhead(bulkhead).retry(RetryPolicy.fixed(3, Duration.ZERO))
        .call(() -> "reviews");
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withCriticality(Criticality.SHEDDABLE));
    holders.releaseAndAwait();

    assertTrue(refusal(result.outcome(top)).shed());
    assertEquals(1, bulkhead.rejected(), "a shed call was retried into the saturated bulkhead");
    assertEquals(1, result.spans().get(0).attempts());
  }

  @Test
  void defaultShareBelowOne_keepsTheLastPlacesForCriticalCalls() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(10).criticalityShares(0.8, 0.3)
        .build();
    var holders = new Holders(bulkhead, 8);
    var reviews = new Reviews(bulkhead);

    var plain = reviews.run(Criticality.DEFAULT);
    var critical = reviews.run(Criticality.CRITICAL);
    holders.releaseAndAwait();

    var shed = refusal(plain);
    assertEquals("bulkhead 'reviews' shed node 'top' of a DEFAULT run: 8 of 10 in use, and "
        + "DEFAULT calls run only while fewer than 8 are; it waited 0 s", shed.getMessage());
    assertEquals(new Outcome.Succeeded<>("top", "reviews"), critical);
  }

  @Test
  void criticalCall_atTheFullLimit_isRefusedAsFull_namingItsCriticality() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(2).build();
    var holders = new Holders(bulkhead, 2);

    var full = refusal(new Reviews(bulkhead).run(Criticality.CRITICAL));
    holders.releaseAndAwait();

    assertEquals("bulkhead 'reviews' is full (2 of 2 in use): node 'top' of a CRITICAL run was "
        + "not run after waiting 0 s", full.getMessage());
    assertFalse(full.shed());
    assertEquals(0, bulkhead.shed());
  }

  @Test
  void sheddableShareOfASmallLimit_isStillOnePlace() {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(1).build();

    assertEquals(new Outcome.Succeeded<>("top", "reviews"),
        new Reviews(bulkhead).run(Criticality.SHEDDABLE));
  }

  @Test
  void sharesFollowAnAdaptiveLimit() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").adaptiveLimit(AdaptiveLimit.of(4, 1, 100))
        .build();
    var holders = new Holders(bulkhead, 2);
    var reviews = new Reviews(bulkhead);

    var sheddable = reviews.run(Criticality.SHEDDABLE);
    var critical = reviews.run(Criticality.CRITICAL);
    holders.releaseAndAwait();

    assertTrue(refusal(sheddable).shed(), "2 of 4 in use: half the adaptive limit");
    assertEquals(new Outcome.Succeeded<>("top", "reviews"), critical);
  }

  // ---- waiting ----

  @Test
  void waitingCallers_areServedMostCriticalFirst() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(1).maxWait(Duration.ofSeconds(10))
        .build();
    var holders = new Holders(bulkhead, 1);
    var order = new CopyOnWriteArrayList<Criticality>();
    var runs = new ArrayList<CompletableFuture<RunResult>>();
    // least critical first: each must overtake the ones that waited longer
    for (var criticality : List.of(Criticality.SHEDDABLE, Criticality.DEFAULT,
        Criticality.CRITICAL)) {
      var g = Graph.builder("waiter");
      g.node("top").bulkhead(bulkhead).call(() -> order.add(criticality));
      runs.add(g.build().runAsync(Inputs.empty(), o -> o.withCriticality(criticality)));
      AdaptiveLimitTest.awaitWaiters(bulkhead, runs.size());
    }

    holders.releaseAndAwait();
    for (var run : runs) {
      assertTrue(run.get(10, SECONDS).succeeded());
    }

    assertEquals(List.of(Criticality.CRITICAL, Criticality.DEFAULT, Criticality.SHEDDABLE),
        order);
  }

  /** Virtual threads, and a platform thread per task: both can hold 8 places at once. */
  static Stream<Named<Executor>> threadPerTask() {
    var virtual = Thread.ofVirtual().name("shed-vt").factory();
    var platform = Thread.ofPlatform().name("shed-pt").daemon(true).factory();
    return Stream.of(Named.of("virtual", (Executor) t -> virtual.newThread(t).start()),
        Named.of("platform thread per task", (Executor) t -> platform.newThread(t).start()));
  }

  /**
   * 24 concurrent runs at a bulkhead of 8 that makes them wait: 12 sheddable ones first, of which
   * 4 get places and 8 wait, then 12 critical ones, which take the other 4 places at once. Never
   * more than 8 calls at once, never more than 4 sheddable ones, and every run gets its place in
   * the end.
   */
  @ParameterizedTest
  @MethodSource("threadPerTask")
  void concurrentRuns_neverExceedTheLimit_norTheSheddableShare(Executor executor)
      throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(8).maxWait(Duration.ofSeconds(10))
        .build();
    var running = new HashMap<Criticality, AtomicInteger>();
    var peaks = new HashMap<Criticality, AtomicInteger>();
    for (var c : Criticality.values()) {
      running.put(c, new AtomicInteger());
      peaks.put(c, new AtomicInteger());
    }
    var all = new AtomicInteger();
    var peakAll = new AtomicInteger();
    var gate = new CountDownLatch(1);
    var runs = new ArrayList<CompletableFuture<RunResult>>();
    for (var criticality : List.of(Criticality.SHEDDABLE, Criticality.CRITICAL)) {
      for (int i = 0; i < 12; i++) {
        var g = Graph.builder("run" + i);
        g.node("top").bulkhead(bulkhead).call(() -> {
          peaks.get(criticality).accumulateAndGet(running.get(criticality).incrementAndGet(),
              Math::max);
          peakAll.accumulateAndGet(all.incrementAndGet(), Math::max);
          try {
            if (!gate.await(10, SECONDS)) {
              throw new IllegalStateException("the gate never opened");
            }
            return "ran";
          } finally {
            all.decrementAndGet();
            running.get(criticality).decrementAndGet();
          }
        });
        runs.add(g.build().runAsync(Inputs.empty(),
            o -> o.withExecutor(executor).withCriticality(criticality)));
      }
      if (criticality == Criticality.SHEDDABLE) {
        awaitPlacedOrWaiting(bulkhead, 12);
        assertEquals(4, bulkhead.inUse(), "sheddable calls holding places, of 12");
      }
    }
    awaitInUse(bulkhead, 8);
    gate.countDown();

    for (var run : runs) {
      var result = run.get(10, SECONDS);
      assertTrue(result.succeeded(), "every run should get a place in time: " + result.failures());
    }
    assertEquals(8, peakAll.get(), "peak of concurrent calls");
    assertEquals(4, peaks.get(Criticality.SHEDDABLE).get(), "peak of sheddable calls at once");
    assertEquals(0, bulkhead.inUse());
    assertEquals(0, bulkhead.waiters());
    assertEquals(24, bulkhead.accepted());
    assertEquals(0, bulkhead.rejected());
  }

  private static void awaitPlacedOrWaiting(Bulkhead bulkhead, int n) {
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (bulkhead.inUse() + bulkhead.waiters() < n) {
      if (System.nanoTime() > deadline) {
        fail(n + " callers never reached the bulkhead within 10 s: " + bulkhead + ", "
            + bulkhead.waiters() + " waiting");
      }
      Thread.yield();
    }
  }

  private static void awaitInUse(Bulkhead bulkhead, int n) {
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (bulkhead.inUse() < n) {
      if (System.nanoTime() > deadline) {
        fail("the bulkhead never had " + n + " places in use within 10 s: " + bulkhead);
      }
      Thread.yield();
    }
  }

  // ---- the run's criticality reaches every guarded call ----

  @Test
  void subgraphRuns_haveTheirOuterRunsCriticality() throws Exception {
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(10).build();
    var holders = new Holders(bulkhead, 5);
    var inner = Graph.builder("card");
    Node<String> top = inner.node("top").bulkhead(bulkhead).call(() -> "reviews");
    var card = Subgraph.of(inner.build(), top);
    var outer = Graph.builder("page");
    Node<String> section = outer.node("section").subgraph(card);
    var page = outer.build();

    var sheddable = page.run(Inputs.empty(), o -> o.withCriticality(Criticality.SHEDDABLE));
    var critical = page.run(Inputs.empty(), o -> o.withCriticality(Criticality.CRITICAL));
    holders.releaseAndAwait();

    var failure = assertInstanceOf(Outcome.Failed.class, sheddable.outcome(section)).error();
    assertTrue(causes(failure).stream().anyMatch(t -> t instanceof BulkheadFullException b
        && b.shed() && b.criticality() == Criticality.SHEDDABLE), "not shed: " + failure);
    assertEquals("reviews", critical.get(section));
  }

  @Test
  void loaderCalls_haveTheirRunsCriticality() throws Exception {
    var bulkhead = Bulkhead.builder("users").maxConcurrent(10).build();
    var holders = new Holders(bulkhead, 5);
    var users = BatchLoader.of("users", (List<Long> ids) -> {
      var found = new HashMap<Long, String>();
      ids.forEach(id -> found.put(id, "user" + id));
      return (Map<Long, String>) found;
    }).bulkhead(bulkhead);
    var g = Graph.builder("profile");
    Node<String> user = g.task("user", () -> users.load(42L));
    var graph = g.build();

    var sheddable = graph.run(Inputs.empty(), o -> o.withCriticality(Criticality.SHEDDABLE));
    var critical = graph.run(Inputs.empty(), o -> o.withCriticality(Criticality.CRITICAL));
    holders.releaseAndAwait();

    var failure = assertInstanceOf(Outcome.Failed.class, sheddable.outcome(user)).error();
    assertTrue(causes(failure).stream().anyMatch(t -> t instanceof BulkheadFullException b
        && b.shed()), "not shed: " + failure);
    assertEquals("user42", critical.get(user));
  }

  private static List<Throwable> causes(Throwable t) {
    var chain = new ArrayList<Throwable>();
    for (var c = t; c != null && !chain.contains(c); c = c.getCause()) {
      chain.add(c);
    }
    return chain;
  }

  // ---- configuration ----

  @Test
  void runOptions_carryTheCriticality_DEFAULTUnlessSet() {
    assertEquals(Criticality.DEFAULT, RunOptions.defaults().criticality());
    var sheddable = RunOptions.defaults().withCriticality(Criticality.SHEDDABLE);

    assertEquals(Criticality.SHEDDABLE, sheddable.criticality());
    assertEquals(Criticality.SHEDDABLE, sheddable.withDeadline(Duration.ofMillis(5))
        .withoutListeners().criticality(), "a later withX dropped the criticality");
    assertTrue(sheddable.toString().endsWith(", criticality=SHEDDABLE]"), sheddable.toString());
    var e = assertThrows(NullPointerException.class,
        () -> RunOptions.defaults().withCriticality(null));
    assertEquals("criticality", e.getMessage());
  }

  @Test
  void invalidShares_areRefusedNamingTheParameter() {
    var builder = Bulkhead.builder("b");
    assertEquals("defaultShare must be above 0 and at most 1, not 0.0",
        assertThrows(IllegalArgumentException.class, () -> builder.criticalityShares(0, 0.5))
            .getMessage());
    assertEquals("defaultShare must be above 0 and at most 1, not 1.5",
        assertThrows(IllegalArgumentException.class, () -> builder.criticalityShares(1.5, 0.5))
            .getMessage());
    assertEquals("sheddableShare must be above 0 and at most defaultShare (0.5), not 0.6",
        assertThrows(IllegalArgumentException.class, () -> builder.criticalityShares(0.5, 0.6))
            .getMessage());
    assertEquals("sheddableShare must be above 0 and at most defaultShare (1.0), not NaN",
        assertThrows(IllegalArgumentException.class,
            () -> builder.criticalityShares(1, Double.NaN)).getMessage());
  }
}
