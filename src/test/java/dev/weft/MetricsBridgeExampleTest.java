package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.MetricsBridge;
import dev.weft.examples.MetricsBridge.FakeRegistry;
import dev.weft.testing.FakeScheduler;
import dev.weft.testing.StdOut;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The metrics bridge example: Micrometer-style names, tags and units from run events. */
class MetricsBridgeExampleTest {
  private static final Pattern NAME = Pattern.compile("weft(\\.[a-z]+)+");

  @Test
  void nodeAndRunDurations_areInSecondsTaggedGraphNodeOutcome() {
    var registry = new FakeRegistry();
    var g = Graph.builder("page");
    Node<String> a = g.task("a", () -> {
      Thread.sleep(20);
      return "a";
    });
    g.task("b", a, x -> x + "b");
    g.node("broken").call(() -> {
      throw new IllegalStateException("fails");
    });
    var calls = new int[1];
    g.node("flaky").retry(RetryPolicy.fixed(2, Duration.ZERO)).call(() -> {
      if (++calls[0] % 2 == 1) {
        throw new IllegalStateException("odd calls fail");
      }
      return 1;
    });
    var graph = g.options(MetricsBridge.metered(RunOptions.defaults(), registry)).build();

    for (int i = 0; i < 3; i++) {
      graph.run(Inputs.empty());
    }

    var a3 = registry.seconds("weft.node.duration", "graph", "page", "node", "a", "outcome",
        "succeeded");
    assertEquals(3, a3.size());
    for (double seconds : a3) {
      assertTrue(seconds >= 0.019 && seconds < 10, "seconds, not millis or nanos: " + seconds);
    }
    assertEquals(3, registry.seconds("weft.node.duration", "graph", "page", "node", "broken",
        "outcome", "failed").size());
    assertEquals(3, registry.count("weft.node.retries", "graph", "page", "node", "flaky"));
    assertEquals(3, registry.seconds("weft.run.duration", "graph", "page", "outcome", "partial")
        .size());
    for (var id : registry.ids()) {
      assertTrue(NAME.matcher(id.name()).matches(), "lower-case dotted: " + id);
      assertTrue(List.of("graph", "node", "outcome").containsAll(id.tags().keySet()),
          "low-cardinality tags only: " + id);
    }
  }

  @Test
  void breakerStateGauge_followsTheBreaker() {
    var registry = new FakeRegistry();
    var breaker = CircuitBreaker.builder("pricing").slidingWindow(2).minimumCalls(2).build();
    MetricsBridge.bind(breaker, registry);
    var g = Graph.builder("page");
    g.node("price").circuitBreaker(breaker).call(() -> {
      throw new IllegalStateException("down");
    });
    var graph = g.build();
    assertEquals(1, registry.gauge("weft.breaker.state", "breaker", "pricing", "state", "closed"));

    graph.run(Inputs.empty());
    graph.run(Inputs.empty());

    assertEquals(0, registry.gauge("weft.breaker.state", "breaker", "pricing", "state", "closed"));
    assertEquals(1, registry.gauge("weft.breaker.state", "breaker", "pricing", "state", "open"));
    assertEquals(1.0, registry.gauge("weft.breaker.failure.rate", "breaker", "pricing"));
  }

  @Test
  void bulkheadSaturation_isInUseOverTheLimit() throws Exception {
    var registry = new FakeRegistry();
    var bulkhead = Bulkhead.builder("reviews").maxConcurrent(4).build();
    MetricsBridge.bind(bulkhead, registry);
    var entered = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var g = Graph.builder("page");
    g.node("reviews").bulkhead(bulkhead).call(() -> {
      entered.countDown();
      return release.await(10, SECONDS);
    });
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS), "the task did not start in 10 s");

    assertEquals(1, registry.gauge("weft.bulkhead.in.use", "bulkhead", "reviews"));
    assertEquals(4, registry.gauge("weft.bulkhead.limit", "bulkhead", "reviews"));
    assertEquals(0.25, registry.gauge("weft.bulkhead.saturation", "bulkhead", "reviews"));
    release.countDown();
    future.get(10, SECONDS);
    assertEquals(0, registry.gauge("weft.bulkhead.saturation", "bulkhead", "reviews"));
  }

  /**
   * An adaptive limit's gauges read its current limit: a window of timed-out calls (fed straight
   * to the bulkhead, on times of its own, as its attempts would) lowers it, and the saturation
   * follows.
   */
  @Test
  void adaptiveLimitSaturation_followsTheCurrentLimit() {
    var registry = new FakeRegistry();
    var bulkhead = Bulkhead.builder("search").adaptiveLimit(AdaptiveLimit.of(10, 2, 20)).build();
    MetricsBridge.bind(bulkhead, registry);
    for (int i = 0; i < 10; i++) {
      assertTrue(bulkhead.tryAcquire(Criticality.CRITICAL), "place " + i);
    }
    assertEquals(10, registry.gauge("weft.bulkhead.limit", "bulkhead", "search"));
    assertEquals(1.0, registry.gauge("weft.bulkhead.saturation", "bulkhead", "search"));

    long ms = 1_000_000L;
    long start = 1_000 * ms;
    for (int i = 0; i < 26; i++) { // one window (100 ms, 26 samples), every call timed out
      long at = start + i * 4 * ms;
      bulkhead.release(at, at + ms, Bulkhead.Sample.DROPPED);
      if (i < 25) {
        assertTrue(bulkhead.tryAcquire(Criticality.CRITICAL), "place again " + i);
      }
    }

    int lowered = (int) registry.gauge("weft.bulkhead.limit", "bulkhead", "search");
    assertEquals(bulkhead.limit(), lowered);
    assertTrue(lowered < 10, "a window of drops did not lower the limit: " + lowered);
    assertEquals((double) bulkhead.inUse() / lowered,
        registry.gauge("weft.bulkhead.saturation", "bulkhead", "search"));
  }

  /**
   * A loader's calls, from {@code BatchEnded}: their sizes in keys and their count by outcome.
   * Only the run going quiet sends keys here (the scheduler's timers never fire), so the rounds
   * are exact.
   */
  @Test
  void loaderBatchSizes_andCalls_taggedLoaderAndOutcome() {
    var registry = new FakeRegistry();
    var users = BatchLoader.<Integer, String>ofList("users",
        ids -> ids.stream().map(id -> "u" + id).toList());
    var reviews = BatchLoader.<Integer, String>of("reviews", ids -> {
      throw new IOException("reviews service is down");
    });
    var g = Graph.builder("page");
    Node<List<Integer>> ids = g.task("ids", () -> List.of(1, 2, 3, 2));
    Node<List<String>> names = g.forEach("names", ids, users::load); // one call: 1, 2, 3
    g.task("friends", names, n -> users.loadMany(List.of(3, 4, 5))); // one call: 4, 5
    g.task("reviews", () -> reviews.load(7)); // fails
    var graph = g.options(MetricsBridge.metered(RunOptions.defaults(), registry)
        .withExecutor(dev.weft.testing.Executors.virtual())
        .withScheduler(new FakeScheduler())).build();

    for (int i = 0; i < 2; i++) {
      graph.run(Inputs.empty());
    }

    assertEquals(List.of(3.0, 2.0, 3.0, 2.0), registry.values("weft.loader.batch.size", "loader",
        "users"));
    assertEquals(4, registry.count("weft.loader.calls", "loader", "users", "outcome",
        "succeeded"));
    assertEquals(List.of(1.0, 1.0), registry.values("weft.loader.batch.size", "loader",
        "reviews"));
    assertEquals(2, registry.count("weft.loader.calls", "loader", "reviews", "outcome",
        "failed"));
    assertEquals(0, registry.count("weft.loader.calls", "loader", "reviews", "outcome",
        "succeeded"));
    for (var id : registry.ids()) {
      assertTrue(NAME.matcher(id.name()).matches(), "lower-case dotted: " + id);
      assertTrue(List.of("graph", "node", "outcome", "loader").containsAll(id.tags().keySet()),
          "low-cardinality tags only: " + id);
    }
  }

  @Test
  void hedgesSent_andTheBudgetsGauges() {
    var registry = new FakeRegistry();
    var budget = RetryBudget.builder("search").ratio(0).minPerSecond(0.2).build(); // 2 in 10 s
    MetricsBridge.bind(budget, registry);
    var g = Graph.builder("page");
    // the first attempt fails at once, so each run sends its hedge at once
    g.node("search").hedge(HedgePolicy.after(Duration.ofHours(1))).retryBudget(budget)
        .call(java.util.List.of(), deps -> {
          if (TaskContext.current().hedge() == 0) {
            throw new java.io.IOException("reset");
          }
          return "hits";
        });
    var graph = g.options(MetricsBridge.metered(RunOptions.defaults(), registry)).build();
    for (int i = 0; i < 3; i++) {
      graph.run(Inputs.empty());
    }

    assertEquals(2, registry.count("weft.node.hedges", "graph", "page", "node", "search"),
        "the budget pays for two hedges, the third run sends none");
    assertEquals(0, registry.gauge("weft.retry.budget.available", "budget", "search"));
    assertEquals(1, registry.gauge("weft.retry.budget.refused", "budget", "search"));
  }

  @Test
  void main_printsOneLinePerMeter() throws Exception {
    var output = StdOut.of(() -> MetricsBridge.main(new String[0]));
    assertTrue(output.contains("weft.node.duration{graph=listing-page, node=price,"
        + " outcome=succeeded} count=10"), output);
    assertTrue(output.contains("weft.run.duration{graph=listing-page, outcome=succeeded}"
        + " count=10"), output);
    assertTrue(output.contains("weft.breaker.state{breaker=pricing, state=closed} value=1.0"),
        output);
    assertTrue(output.contains("weft.bulkhead.saturation{bulkhead=reviews} value=0.0"), output);
    // 3 distinct keys a run, however the calls split them
    assertTrue(Pattern.compile("weft\\.loader\\.batch\\.size\\{loader=users} count=\\d+"
        + " sum=30\\.0\n").matcher(output).find(), output);
    assertTrue(Pattern.compile("weft\\.loader\\.calls\\{loader=users, outcome=succeeded}"
        + " count=\\d+\n").matcher(output).find(), output);
  }
}
