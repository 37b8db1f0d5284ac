package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.MetricsBridge;
import dev.weft.examples.MetricsBridge.FakeRegistry;
import dev.weft.testing.StdOut;
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
  }
}
