package dev.weft.examples;

import dev.weft.BatchLoader;
import dev.weft.Bulkhead;
import dev.weft.CircuitBreaker;
import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.RetryBudget;
import dev.weft.RunEvent;
import dev.weft.RunListener;
import dev.weft.RunOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * A Micrometer-style metrics bridge written against Weft's {@link RunListener} only, with no
 * dependency. Meter names are lower-case and dotted, tags low-cardinality (never a run id or an
 * element index); durations are in seconds, as Micrometer's base unit for time:
 *
 * <ul>
 *   <li>{@code weft.node.duration}: a histogram of each node's run time (its attempts and their
 *       retry delays, from start to end), tagged {@code graph}, {@code node}, {@code outcome};
 *       nodes that never started (skipped, cancelled early) are recorded with zero time, so the
 *       count per outcome stays whole;
 *   <li>{@code weft.run.duration}: each run's time, tagged {@code graph}, {@code outcome}
 *       ({@code succeeded} or {@code partial});
 *   <li>{@code weft.node.retries}: a counter of retried attempts, tagged {@code graph}, {@code
 *       node};
 *   <li>{@code weft.breaker.state}: one gauge per breaker and state, 1 for the current state and
 *       0 for the others (as resilience4j's Micrometer binding does), tagged {@code breaker},
 *       {@code state}; and {@code weft.breaker.failure.rate};
 *   <li>{@code weft.bulkhead.in.use}, {@code weft.bulkhead.limit} and {@code
 *       weft.bulkhead.saturation} (in use over limit, 0 to 1), tagged {@code bulkhead}; the limit
 *       is the current one, so an adaptive limit's moves show too;
 *   <li>{@code weft.loader.batch.size}: a distribution of the keys per call of a {@link
 *       BatchLoader}'s batch function, tagged {@code loader}; and {@code weft.loader.calls}, a
 *       counter of those calls, tagged {@code loader}, {@code outcome} ({@code succeeded}, {@code
 *       failed} or {@code cancelled}). Both come from {@link RunEvent.BatchEnded}, one per call
 *       and run: a call shared across runs counts once per run that waited for it, with that
 *       run's keys;
 *   <li>{@code weft.node.hedges}: a counter of hedges sent ({@link RunEvent.HedgeStarted} past
 *       the first attempt), tagged {@code graph}, {@code node}; and {@code
 *       weft.retry.budget.available} and {@code weft.retry.budget.refused}, gauges of a {@link
 *       RetryBudget}, tagged {@code budget}.
 * </ul>
 *
 * <p>The registry is a tiny stand-in defined below ({@link FakeRegistry}); with Micrometer,
 * {@code timer(name, tags).record(d)} is {@code Timer.builder(name).tags(tags)
 * .publishPercentileHistogram().register(registry).record(d)}, {@code summary(name, tags)
 * .record(n)} is {@code DistributionSummary.builder(name).baseUnit("keys").tags(tags)
 * .register(registry).record(n)}, {@code counter} is {@code registry.counter(name, tags)
 * .increment()}, and {@code gauge} is {@code Gauge.builder(name, supplier).tags(tags)
 * .register(registry)}.
 *
 * <p>Run it with {@code mvn -q test-compile exec:exec -Dexample=dev.weft.examples.MetricsBridge}.
 */
public final class MetricsBridge {
  private MetricsBridge() {}

  // ---- the bridge ----

  /** {@return {@code options} that record node and run metrics in {@code registry}} */
  public static RunOptions metered(RunOptions options, FakeRegistry registry) {
    RunListener meters = event -> {
      switch (event) {
        case RunEvent.NodeEnded e -> registry.timer("weft.node.duration", "graph", e.graph(),
            "node", e.node(), "outcome", e.span().outcome().status().label())
            .record(e.span().ran());
        case RunEvent.NodeRetried e ->
            registry.counter("weft.node.retries", "graph", e.graph(), "node", e.node());
        case RunEvent.HedgeStarted e when e.hedge() > 0 ->
            registry.counter("weft.node.hedges", "graph", e.graph(), "node", e.node());
        case RunEvent.RunEnded e -> registry.timer("weft.run.duration", "graph", e.graph(),
            "outcome", e.result().succeeded() ? "succeeded" : "partial").record(e.at());
        case RunEvent.BatchEnded e -> {
          var batch = e.batch();
          registry.summary("weft.loader.batch.size", "loader", batch.loader())
              .record(batch.keys().size());
          registry.counter("weft.loader.calls", "loader", batch.loader(), "outcome",
              batch.status().label());
        }
        default -> {}
      }
    };
    return options.withListener(meters);
  }

  /** Registers the gauges of a breaker shared by many nodes (once, where it is built). */
  public static void bind(CircuitBreaker breaker, FakeRegistry registry) {
    for (var state : CircuitBreaker.State.values()) {
      registry.gauge("weft.breaker.state", () -> breaker.state() == state ? 1 : 0,
          "breaker", breaker.name(), "state", state.name().toLowerCase(Locale.ROOT));
    }
    registry.gauge("weft.breaker.failure.rate", breaker::failureRate, "breaker", breaker.name());
  }

  /** Registers the gauges of a bulkhead shared by many nodes (once, where it is built). */
  public static void bind(Bulkhead bulkhead, FakeRegistry registry) {
    registry.gauge("weft.bulkhead.in.use", bulkhead::inUse, "bulkhead", bulkhead.name());
    registry.gauge("weft.bulkhead.limit", bulkhead::limit, "bulkhead", bulkhead.name());
    registry.gauge("weft.bulkhead.saturation",
        () -> (double) bulkhead.inUse() / bulkhead.limit(), "bulkhead", bulkhead.name());
  }

  /** Registers the gauges of a retry budget shared by many nodes (once, where it is built). */
  public static void bind(RetryBudget budget, FakeRegistry registry) {
    registry.gauge("weft.retry.budget.available", budget::available, "budget", budget.name());
    registry.gauge("weft.retry.budget.refused", budget::refused, "budget", budget.name());
  }

  // ---- a service using it ----

  static final BatchLoader<Long, String> USERS =
      BatchLoader.ofList("users", ids -> ids.stream().map(id -> "user " + id).toList());

  public static void main(String[] args) {
    var registry = new FakeRegistry();
    var pricing = CircuitBreaker.builder("pricing").build();
    var reviews = Bulkhead.builder("reviews").maxConcurrent(8).build();
    bind(pricing, registry);
    bind(reviews, registry);

    var g = Graph.builder("listing-page");
    Input<Long> id = g.input("listingId", Long.class);
    Node<String> listing = g.task("listing", id, i -> "listing " + i);
    Node<String> price = g.node("price").circuitBreaker(pricing).call(listing, l -> "price");
    Node<String> top = g.node("reviews").bulkhead(reviews).call(listing, l -> "reviews");
    Node<List<Long>> authorIds = g.task("authorIds", listing, l -> List.of(3L, 4L, 3L, 5L));
    Node<List<String>> authors = g.forEach("authors", authorIds, USERS::load); // 1 call, 3 keys
    g.task("page", price, top, authors, (p, r, a) -> p + " | " + r + " by " + a);
    Graph graph = g.options(metered(RunOptions.defaults(), registry)).build();
    for (long i = 0; i < 10; i++) {
      graph.run(Inputs.of(id, i));
    }
    System.out.print(registry.scrape());
  }

  // ---- a stand-in for a metrics library ----

  /** A meter's name and tags, as a registry keys it. */
  public record MeterId(String name, Map<String, String> tags) {
    static MeterId of(String name, String... tags) {
      var map = new TreeMap<String, String>();
      for (int i = 0; i < tags.length; i += 2) {
        map.put(tags[i], tags[i + 1]);
      }
      return new MeterId(name, Map.copyOf(map));
    }

    @Override
    public String toString() {
      return name + new TreeMap<>(tags);
    }
  }

  /**
   * A registry: timers keep every value (in seconds), summaries every value, counters count,
   * gauges are read live.
   */
  public static final class FakeRegistry {
    private final Map<MeterId, FakeTimer> timers = new ConcurrentHashMap<>();
    private final Map<MeterId, FakeSummary> summaries = new ConcurrentHashMap<>();
    private final Map<MeterId, Long> counters = new ConcurrentHashMap<>();
    private final Map<MeterId, DoubleSupplier> gauges = new ConcurrentHashMap<>();

    FakeTimer timer(String name, String... tags) {
      return timers.computeIfAbsent(MeterId.of(name, tags), k -> new FakeTimer());
    }

    FakeSummary summary(String name, String... tags) {
      return summaries.computeIfAbsent(MeterId.of(name, tags), k -> new FakeSummary());
    }

    void counter(String name, String... tags) {
      counters.merge(MeterId.of(name, tags), 1L, Long::sum);
    }

    void gauge(String name, DoubleSupplier value, String... tags) {
      gauges.put(MeterId.of(name, tags), value);
    }

    /** {@return the values a timer recorded, in seconds; empty if it has none} */
    public List<Double> seconds(String name, String... tags) {
      var timer = timers.get(MeterId.of(name, tags));
      return timer == null ? List.of() : timer.values();
    }

    /** {@return the values a distribution summary recorded; empty if it has none} */
    public List<Double> values(String name, String... tags) {
      var summary = summaries.get(MeterId.of(name, tags));
      return summary == null ? List.of() : summary.values();
    }

    /** {@return a counter's count} */
    public long count(String name, String... tags) {
      return counters.getOrDefault(MeterId.of(name, tags), 0L);
    }

    /** {@return a gauge's current value} */
    public double gauge(String name, String... tags) {
      return gauges.get(MeterId.of(name, tags)).getAsDouble();
    }

    /** {@return the ids of every meter registered} */
    public List<MeterId> ids() {
      var ids = new ArrayList<MeterId>(timers.keySet());
      ids.addAll(summaries.keySet());
      ids.addAll(counters.keySet());
      ids.addAll(gauges.keySet());
      return ids;
    }

    /**
     * {@return one line per meter, sorted: count and sum of timers and summaries, counts, gauge
     * values}
     */
    public String scrape() {
      var lines = new TreeMap<String, String>();
      timers.forEach((id, t) -> {
        var values = t.values();
        lines.put(id.toString(), "count=" + values.size() + " sum=" + String.format(Locale.ROOT,
            "%.6f", values.stream().mapToDouble(Double::doubleValue).sum()) + " seconds");
      });
      summaries.forEach((id, s) -> {
        var values = s.values();
        lines.put(id.toString(), "count=" + values.size() + " sum=" + String.format(Locale.ROOT,
            "%.1f", values.stream().mapToDouble(Double::doubleValue).sum()));
      });
      counters.forEach((id, c) -> lines.put(id.toString(), "count=" + c));
      gauges.forEach((id, g) -> lines.put(id.toString(), "value=" + g.getAsDouble()));
      var out = new StringBuilder();
      lines.forEach((id, value) -> out.append(id).append(' ').append(value).append('\n'));
      return out.toString();
    }
  }

  /** A histogram of durations, kept whole, in seconds. Thread-safe. */
  static final class FakeTimer {
    private final List<Double> values = new ArrayList<>();

    synchronized void record(Duration duration) {
      values.add(duration.toNanos() / 1e9);
    }

    synchronized List<Double> values() {
      return List.copyOf(values);
    }
  }

  /** A distribution of amounts (a batch's keys), kept whole. Thread-safe. */
  static final class FakeSummary {
    private final List<Double> values = new ArrayList<>();

    synchronized void record(double amount) {
      values.add(amount);
    }

    synchronized List<Double> values() {
      return List.copyOf(values);
    }
  }
}
