package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.Bulkhead.LimitChange;
import dev.weft.Bulkhead.LimitChange.Cause;
import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limit: slow start, decrease on latency and on timeouts, no upward drift under a
 * steady overload, probes, rebase, its listener, and its waiting callers. Samples carry their
 * own times, fed straight to the bulkhead ({@link Feed}) or measured by runs on a fake clock:
 * every test is deterministic.
 */
class AdaptiveLimitTest {
  private static final long MS = 1_000_000L;

  /**
   * Feeds a bulkhead windows of samples as its attempts would, with times of its own: a window
   * is 26 samples (by default) starting evenly spread, the last ending 100 ms (the default
   * window) after the first started, each ending with {@code inUse} places taken (as many as
   * the limit lets it take).
   */
  private static final class Feed {
    final Bulkhead bulkhead;
    final List<LimitChange> changes = new CopyOnWriteArrayList<>();
    final List<Integer> series = new ArrayList<>(); // the limit after each window
    long now = 1_000 * MS;

    Feed(AdaptiveLimit limit) {
      this.bulkhead = Bulkhead.builder("downstream").adaptiveLimit(limit)
          .onLimitChange(changes::add).build();
    }

    /** One window in which every attempt succeeds after {@code rtt}. */
    void window(int inUse, long rtt) {
      window(inUse, rtt, 26, 0);
    }

    /** One window of {@code samples} attempts, {@code drops} of them timed out. */
    void window(int inUse, long rtt, int samples, int drops) {
      long step = (100 * MS - rtt) / (samples - 1);
      for (int i = 0; i < samples; i++) {
        while (bulkhead.inUse() < inUse && bulkhead.tryAcquire(Criticality.CRITICAL)) {
          // hold as many places as the window has in use
        }
        if (bulkhead.inUse() == 0) {
          fail("no place to sample with at limit " + bulkhead.limit());
        }
        long start = now + (i == samples - 1 ? 100 * MS - rtt : i * step);
        var sample = i < drops ? Bulkhead.Sample.DROPPED : Bulkhead.Sample.SUCCEEDED;
        bulkhead.release(start, start + rtt, sample);
      }
      series.add(bulkhead.limit());
      now += 104 * MS;
      while (bulkhead.inUse() > 0) {
        bulkhead.release(); // the held places, given back without a sample
      }
    }

    /** Windows at the limit against a downstream whose latency is {@code rtt(limit)}. */
    void saturated(int windows, IntToLongFunction rtt) {
      for (int w = 0; w < windows; w++) {
        int limit = bulkhead.limit();
        window(limit, rtt.applyAsLong(limit));
      }
    }

    int limit() {
      return bulkhead.limit();
    }

    LimitChange last() {
      return changes.get(changes.size() - 1);
    }
  }

  /** 10 ms up to 100 calls in flight, growing with the queue beyond: 100 workers. */
  private static long workers(int inFlight) {
    return 10 * MS * Math.max(100, inFlight) / 100;
  }

  // ---- slow start ----

  @Test
  void slowStart_doublesTheLimitEachWindowUntilLatencyRises_thenCutsByTheGradient() {
    var feed = new Feed(AdaptiveLimit.of(10, 5, 1000));

    feed.saturated(4, limit -> 10 * MS);
    assertEquals(160, feed.limit());
    assertEquals(List.of(Cause.SLOW_START), feed.changes.stream().map(LimitChange::cause)
        .distinct().toList());
    feed.window(160, 20 * MS); // latency doubled: gradient max(0.5, 11 / 20), unsmoothed

    assertEquals(88, feed.limit());
    assertEquals(new LimitChange("downstream", 160, 88, Cause.LATENCY, Duration.ofMillis(20),
        Duration.ofMillis(10), 26, 0, 160), feed.last());
  }

  @Test
  void slowStart_growsOnlyAWindowThatUsedTheLimit() {
    var feed = new Feed(AdaptiveLimit.of(20, 5, 1000));

    feed.window(3, 10 * MS); // app-limited: under half the limit in use
    feed.window(17, 10 * MS); // busy, but under 90% of the limit
    assertEquals(20, feed.limit(), "a limit nobody reached grew");
    feed.window(18, 10 * MS);

    assertEquals(40, feed.limit());
  }

  @Test
  void limit_neverLeavesItsMinAndMax() {
    var feed = new Feed(AdaptiveLimit.of(10, 4, 50));

    feed.saturated(5, limit -> 10 * MS);
    assertEquals(50, feed.limit(), "slow start stops at the maximum");
    for (int w = 0; w < 30; w++) {
      feed.window(feed.limit(), 10 * MS, 26, 26);
    }

    assertEquals(4, feed.limit(), "drops stop at the minimum");
  }

  // ---- decrease ----

  @Test
  void latencyRise_lowersTheLimitByTheSmoothedGradient() {
    var feed = new Feed(AdaptiveLimit.of(100, 5, 1000));
    feed.window(100, 10 * MS); // baseline 10 ms; slow start: 200
    feed.window(200, 40 * MS); // ends slow start: 200 * max(0.5, 11 / 40) = 100
    assertEquals(100, feed.limit());

    feed.window(100, 20 * MS); // 100 * (0.8 + 0.2 * 11 / 20)

    assertEquals(91, feed.limit());
    assertEquals(Cause.LATENCY, feed.last().cause());
  }

  @Test
  void timeouts_lowerTheLimitByTheBackoff_whenAtLeastOnePercentOfAWindow() {
    var feed = new Feed(AdaptiveLimit.of(100, 5, 1000).withBackoff(0.8));
    feed.window(100, 10 * MS); // 200
    feed.window(200, 40 * MS); // 100, slow start over

    feed.window(100, 10 * MS, 200, 1); // one drop in 200 attempts: under 1%, growth instead
    assertEquals(102, feed.limit());
    feed.window(102, 10 * MS, 26, 1);

    assertEquals(81, feed.limit());
    assertEquals(Cause.DROPS, feed.last().cause());
    assertEquals(1, feed.last().drops());
  }

  @Test
  void timedOutAttempts_lowerTheLimit_measuredOnTheRunsFakeClock() throws Exception {
    var clock = new FakeScheduler();
    var changes = new CopyOnWriteArrayList<LimitChange>();
    var bulkhead = Bulkhead.builder("pricing")
        .adaptiveLimit(AdaptiveLimit.of(1, 1, 8).withWindow(Duration.ofMillis(1), 1))
        .onLimitChange(changes::add).build();
    var started = new CountDownLatch(1);
    var proceed = new CountDownLatch(1);
    var g = Graph.builder("quote");
    Node<String> call = g.node("call").bulkhead(bulkhead).timeout(Duration.ofMillis(50))
        .call(() -> {
          started.countDown();
          proceed.await(); // returns once released; the second run is never released
          return "quoted";
        });
    var graph = g.build();

    var first = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(started);
    clock.advance(Duration.ofMillis(10));
    proceed.countDown();
    assertEquals("quoted", first.get(10, SECONDS).get(call));
    // one window of one 10 ms attempt, the one place in use: slow start
    assertEquals(List.of(new LimitChange("pricing", 1, 2, Cause.SLOW_START,
        Duration.ofMillis(10), Duration.ofMillis(10), 1, 0, 1)), changes,
        "the attempt's duration on the run's clock");

    var hanging = new CountDownLatch(1);
    var g2 = Graph.builder("slow-quote");
    Node<String> slow = g2.node("call").bulkhead(bulkhead).timeout(Duration.ofMillis(50))
        .call(() -> {
          hanging.countDown();
          new CountDownLatch(1).await();
          return "never";
        });
    var second = g2.build().runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    await(hanging);
    clock.advance(Duration.ofMillis(50));

    assertInstanceOf(NodeTimeoutException.class, assertInstanceOf(Outcome.Failed.class,
        second.get(10, SECONDS).outcome(slow)).error());
    assertEquals(new LimitChange("pricing", 2, 1, Cause.DROPS, Duration.ZERO,
        Duration.ofMillis(10), 0, 1, 1), changes.get(1), "the timeout, a drop: 2 * 0.9");
    assertEquals(1, bulkhead.limit());
    assertEquals(0, bulkhead.inUse());
  }

  @Test
  void failuresThatAreNotDrops_neitherRaiseNorLowerTheLimit_unlessDropIfNamesThem() {
    var plain = Bulkhead.builder("b").adaptiveLimit(AdaptiveLimit.of(4, 1, 8)
        .withWindow(Duration.ofMillis(1), 1)).build();
    var overload = new IllegalStateException("429 too many requests");
    var dropping = Bulkhead.builder("b").adaptiveLimit(AdaptiveLimit.of(4, 1, 8)
        .withWindow(Duration.ofMillis(1), 1).dropIf(t -> t.getMessage().startsWith("429")))
        .build();
    var clock = new FakeScheduler();

    for (var bulkhead : List.of(plain, dropping)) {
      for (int i = 0; i < 3; i++) {
        assertTrue(bulkhead.tryAcquire(Criticality.DEFAULT));
        long start = clock.nanoTime();
        clock.advance(Duration.ofMillis(5));
        assertNull(bulkhead.release(clock, start, overload, false, false));
      }
    }

    assertEquals(4, plain.limit(), "a failure moved the limit");
    assertEquals(2, dropping.limit(), "three windows of one drop each: 4 * 0.9^3");
  }

  // ---- no drift ----

  /**
   * Concurrency-limits issues #35 and #134: under a steady overload, latency sits just above
   * the baseline (Gradient2's gradient just below 1), and its queue term and a baseline that
   * averages latency in make the limit creep up without end. Ten simulated minutes here: the
   * limit stays where latency is the tolerance above the idle downstream's.
   */
  @Test
  void steadyOverload_doesNotDriftTheLimitUpward_overTenMinutes() {
    var feed = new Feed(AdaptiveLimit.of(20, 5, 1000));

    feed.saturated(6_000, AdaptiveLimitTest::workers);

    var limits = limitsPerWindow(feed);
    assertTrue(limits.subList(100, limits.size()).stream().allMatch(l -> l >= 80 && l <= 120),
        "left [80, 120] after 10 s: " + limits.subList(100, limits.size()).stream()
            .filter(l -> l < 80 || l > 120).limit(10).toList());
    double second = mean(limits.subList(600, 1_200));
    double tenth = mean(limits.subList(5_400, 6_000));
    assertTrue(tenth <= second + 1, "the limit crept up: minute 2 " + second + ", minute 10 "
        + tenth);
    var baseline = feed.last().baseline();
    assertTrue(baseline.compareTo(Duration.ofMillis(10)) <= 0
        && baseline.compareTo(Duration.ofMillis(9)) >= 0, "the baseline moved: " + baseline);
  }

  @Test
  void latencyJustAboveTolerance_whateverTheLimit_neverRaisesIt() {
    // past 100 calls in flight latency is 1.12 times the idle: a gradient of 11 / 11.2 = 0.98
    var feed = new Feed(AdaptiveLimit.of(100, 5, 1000));
    feed.window(100, 10 * MS); // slow start: 200
    feed.saturated(6_000, limit -> limit > 100 ? 112 * MS / 10 : 10 * MS);

    var limits = limitsPerWindow(feed);
    assertTrue(limits.subList(1_000, limits.size()).stream().allMatch(l -> l <= 105),
        "the limit rose past where latency rises: max " + limits.subList(1_000, limits.size())
            .stream().mapToInt(Integer::intValue).max().orElseThrow());
  }

  private static List<Integer> limitsPerWindow(Feed feed) {
    return feed.series;
  }

  private static double mean(List<Integer> values) {
    return values.stream().mapToInt(Integer::intValue).average().orElseThrow();
  }

  // ---- probe and rebase ----

  @Test
  void probe_lowersTheLimitForTwoWindows_thenBringsItBack() {
    var feed = new Feed(AdaptiveLimit.of(50, 5, 50));
    feed.window(50, 10 * MS); // slow start, at the maximum already
    feed.window(50, 20 * MS); // 27: slow start over

    feed.saturated(120, limit -> 10 * MS); // back up to 50, then 100 used windows: a probe

    var probes = feed.changes.stream().filter(c -> c.cause() == Cause.PROBE).toList();
    assertEquals(2, probes.size(), "one probe: down, then back: " + probes);
    assertEquals(50, probes.get(0).oldLimit());
    assertEquals(41, probes.get(0).newLimit(), "50 / 1.1^2");
    assertEquals(41, probes.get(1).oldLimit());
    assertEquals(50, probes.get(1).newLimit());
    int down = feed.changes.indexOf(probes.get(0));
    assertEquals(down + 1, feed.changes.indexOf(probes.get(1)), "a change inside the probe");
  }

  @Test
  void probe_bringsAnInflatedBaselineDown_toTheIdleLatency() {
    // the first windows measure 13 ms, a queue at the limit; then the downstream's idle
    // latency is 10 ms, and what it shows at the limit depends on the limiter's own queue
    var feed = new Feed(AdaptiveLimit.of(130, 5, 1000));
    feed.window(130, 13 * MS);
    feed.window(260, 30 * MS); // slow start over: 260 * 0.5

    feed.saturated(1_500, AdaptiveLimitTest::workers);

    var baseline = feed.last().baseline();
    assertTrue(baseline.compareTo(Duration.ofMillis(11)) < 0,
        "probes left the baseline at " + baseline);
    int limit = feed.limit();
    assertTrue(limit >= 80 && limit <= 120, "settled at " + limit);
  }

  @Test
  void latencyThatHalvingTheLimitDoesNotLower_becomesTheNewBaseline() {
    var feed = new Feed(AdaptiveLimit.of(20, 5, 1000));
    feed.saturated(100, AdaptiveLimitTest::workers); // settled near 110 on a 10 ms baseline

    feed.saturated(100, limit -> 2 * workers(limit)); // the downstream got twice as slow

    var rebases = feed.changes.stream().filter(c -> c.cause() == Cause.REBASE).toList();
    assertEquals(1, rebases.size(), "rebases: " + rebases);
    var baseline = feed.last().baseline();
    assertTrue(baseline.compareTo(Duration.ofMillis(19)) >= 0
        && baseline.compareTo(Duration.ofMillis(21)) <= 0, "baseline " + baseline);
    int limit = feed.limit();
    assertTrue(limit >= 80 && limit <= 120, "settled at " + limit + " after the rebase");
  }

  // ---- listener ----

  @Test
  void throwingListener_doesNotBreakCalls_andTheLimitStillMoves() throws Exception {
    var clock = new FakeScheduler();
    var bulkhead = Bulkhead.builder("pricing")
        .adaptiveLimit(AdaptiveLimit.of(1, 1, 8).withWindow(Duration.ofMillis(1), 1))
        .onLimitChange(change -> {
          throw new IllegalStateException("a broken metrics bridge");
        }).build();
    var g = Graph.builder("quote");
    Node<String> call = g.node("call").bulkhead(bulkhead).call(() -> "quoted");
    var graph = g.build();

    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofMillis(5));
      var result = graph.run(Inputs.empty(), o -> o.withScheduler(clock));
      assertEquals("quoted", result.get(call));
    }

    assertEquals(0, bulkhead.inUse());
    assertEquals(3, bulkhead.accepted());
    assertEquals(2, bulkhead.limit(), "the second run's sample closed a window: slow start");
  }

  @Test
  void listener_getsEveryChange_inOrder_withOldAndNew() {
    var feed = new Feed(AdaptiveLimit.of(10, 5, 1000));

    feed.saturated(50, AdaptiveLimitTest::workers);

    int expectedOld = 10;
    for (var change : feed.changes) {
      assertEquals(expectedOld, change.oldLimit(), "a change was lost: " + feed.changes);
      assertTrue(change.newLimit() != change.oldLimit(), change.toString());
      expectedOld = change.newLimit();
    }
    assertEquals(expectedOld, feed.limit());
  }

  // ---- waiting ----

  @Test
  void callerAtTheAdaptiveLimit_waitsForAPlace_withinMaxWait() throws Exception {
    var bulkhead = Bulkhead.builder("pricing").adaptiveLimit(AdaptiveLimit.of(1, 1, 4))
        .maxWait(Duration.ofSeconds(10)).build();
    var holding = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var g = Graph.builder("two");
    g.node("holder").bulkhead(bulkhead).call(() -> {
      holding.countDown();
      release.await();
      return "held";
    });
    var holder = g.build().runAsync(Inputs.empty());
    await(holding);
    var g2 = Graph.builder("waiter");
    Node<String> waiter = g2.node("waiter").bulkhead(bulkhead).call(() -> "ran");
    var second = g2.build().runAsync(Inputs.empty());
    awaitWaiters(bulkhead, 1);

    release.countDown();

    assertEquals("ran", second.get(10, SECONDS).get(waiter));
    assertTrue(holder.get(10, SECONDS).succeeded());
    assertEquals(0, bulkhead.inUse());
    assertEquals(0, bulkhead.waiters());
  }

  @Test
  void waitAtTheAdaptiveLimit_isCutShortByTheRunsDeadline() throws Exception {
    var bulkhead = Bulkhead.builder("pricing").adaptiveLimit(AdaptiveLimit.of(1, 1, 4))
        .maxWait(Duration.ofSeconds(10)).build();
    assertTrue(bulkhead.tryAcquire(Criticality.CRITICAL));
    var g = Graph.builder("late");
    Node<String> call = g.node("call").bulkhead(bulkhead).call(() -> "ran");
    // the fake clock never moves, so the deadline's own timer never fires: only the wait is cut
    var options = RunOptions.defaults().withScheduler(new FakeScheduler())
        .withDeadline(Duration.ofMillis(100));

    var result = g.build().runAsync(Inputs.empty(), o -> options).get(10, SECONDS);
    bulkhead.release();

    var full = assertInstanceOf(BulkheadFullException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error());
    assertEquals(Duration.ofMillis(100), full.waited());
    assertEquals(1, bulkhead.rejected());
    assertEquals(0, bulkhead.waiters());
  }

  // ---- configuration ----

  @Test
  void invalidSettings_areRefusedNamingTheParameter() {
    assertIae("min must be at least 1, not 0", () -> AdaptiveLimit.of(1, 0, 4));
    assertIae("max must be at least min (5), not 4", () -> AdaptiveLimit.of(5, 5, 4));
    assertIae("initial must be between min (2) and max (4), not 5",
        () -> AdaptiveLimit.of(5, 2, 4));
    var limit = AdaptiveLimit.of(2, 1, 4);
    assertIae("tolerance must be at least 1.0 and finite, not 0.9", () -> limit.withTolerance(0.9));
    assertIae("tolerance must be at least 1.0 and finite, not NaN",
        () -> limit.withTolerance(Double.NaN));
    assertIae("smoothing must be above 0 and at most 1, not 0.0", () -> limit.withSmoothing(0));
    assertIae("backoff must be above 0 and below 1, not 1.0", () -> limit.withBackoff(1));
    assertIae("minTime must be positive, not PT0S", () -> limit.withWindow(Duration.ZERO, 1));
    assertIae("minSamples must be at least 1, not 0",
        () -> limit.withWindow(Duration.ofMillis(1), 0));
    assertThrows(NullPointerException.class, () -> limit.dropIf(null));
    assertThrows(NullPointerException.class, () -> Bulkhead.builder("b").adaptiveLimit(null));
    assertThrows(NullPointerException.class, () -> Bulkhead.builder("b").onLimitChange(null));
  }

  @Test
  void bulkheadWithBothAFixedAndAnAdaptiveLimit_isRefusedAtBuild() {
    var builder = Bulkhead.builder("fraud").maxConcurrent(4)
        .adaptiveLimit(AdaptiveLimit.of(2, 1, 4));

    var e = assertThrows(IllegalStateException.class, builder::build);
    assertTrue(e.getMessage().startsWith("bulkhead 'fraud' has both maxConcurrent(4) and "
        + "adaptiveLimit(AdaptiveLimit[initial=2, min=1, max=4"), e.getMessage());
  }

  @Test
  void adaptiveBulkhead_reportsItsLimitAndItsMaximum() {
    var bulkhead = Bulkhead.builder("b").adaptiveLimit(AdaptiveLimit.of(20, 5, 400)).build();

    assertEquals(20, bulkhead.limit());
    assertEquals(400, bulkhead.maxConcurrent());
    assertEquals("Bulkhead[b, 0/20 in use, adaptive 5..400]", bulkhead.toString());
  }

  private static void assertIae(String message, Runnable call) {
    var e = assertThrows(IllegalArgumentException.class, call::run);
    assertEquals(message, e.getMessage());
  }

  private static void await(CountDownLatch latch) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s");
  }

  static void awaitWaiters(Bulkhead bulkhead, int n) {
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (bulkhead.waiters() < n) {
      if (System.nanoTime() > deadline) {
        fail("fewer than " + n + " callers waited for a place within 10 s");
      }
      Thread.yield();
    }
  }
}
