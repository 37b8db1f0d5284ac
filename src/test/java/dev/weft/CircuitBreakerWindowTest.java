package dev.weft;

import static dev.weft.CircuitBreaker.State.CLOSED;
import static dev.weft.CircuitBreaker.State.HALF_OPEN;
import static dev.weft.CircuitBreaker.State.OPEN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A breaker's time window: it holds the outcomes of the calls that ended within its length, in 20
 * buckets of a twentieth of it aligned on the breaker's clock, and forgets older ones.
 */
class CircuitBreakerWindowTest {
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final Duration BUCKET = WINDOW.dividedBy(20);
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);

  // starts at 1 s, a multiple of the bucket: the first outcome is at the start of its bucket
  private final FakeScheduler clock = new FakeScheduler();

  private CircuitBreaker.Builder breaker(String name) {
    return CircuitBreaker.builder(name).timeWindow(WINDOW).openDuration(OPEN_FOR)
        .scheduler(clock);
  }

  @Test
  void timeWindow_forgetsAnOutcome_oneWindowAfterTheStartOfItsBucket() {
    var breaker = breaker("search").minimumCalls(2).build();
    var guarded = new GuardedNode("g", breaker);

    guarded.throwing(new IOException("down"), 1);
    clock.advance(WINDOW.minusNanos(1));
    assertEquals(1.0, breaker.failureRate(), "still within the window");
    clock.advance(Duration.ofNanos(1));
    assertEquals(0.0, breaker.failureRate(), "forgotten");
    guarded.throwing(new IOException("down"), 1);

    assertEquals(CLOSED, breaker.state(), "1 failure in the window, below minimumCalls 2");
  }

  @Test
  void timeWindow_keepsAnOutcome_atLeastNineteenTwentiethsOfTheWindow() {
    var breaker = breaker("search").build();
    var guarded = new GuardedNode("g", breaker);
    clock.advance(BUCKET.minusNanos(1)); // the last nanosecond of the first bucket

    guarded.throwing(new IOException("down"), 1);
    clock.advance(WINDOW.minus(BUCKET));
    assertEquals(1.0, breaker.failureRate(), "kept 19/20 of the window");
    clock.advance(Duration.ofNanos(1));

    assertEquals(0.0, breaker.failureRate(), "its bucket has left the window");
  }

  @Test
  void timeWindow_forgetsBucketByBucket() {
    var breaker = breaker("search").build();
    var guarded = new GuardedNode("g", breaker);

    guarded.throwing(new IOException("down"), 1); // in bucket 0
    clock.advance(Duration.ofSeconds(1));
    guarded.returning("ok"); // bucket 2
    clock.advance(Duration.ofSeconds(1));
    guarded.returning("ok"); // bucket 4
    clock.advance(Duration.ofSeconds(1));
    guarded.throwing(new IOException("down"), 1); // bucket 6
    assertEquals(0.5, breaker.failureRate());

    clock.advance(Duration.ofSeconds(7)); // 10 s after the first call: bucket 0 is out
    assertEquals(1.0 / 3, breaker.failureRate(), 1e-9);
    clock.advance(Duration.ofSeconds(2)); // buckets 2 and 4 out too
    assertEquals(1.0, breaker.failureRate());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(0.0, breaker.failureRate());
  }

  @Test
  void timeWindow_opensOnTheOutcomesWithinIt_notOnOlderOnes() {
    var breaker = breaker("search").minimumCalls(3).failureRateThreshold(0.5).build();
    var guarded = new GuardedNode("g", breaker);
    for (int i = 0; i < 10; i++) {
      guarded.returning("ok");
    }
    clock.advance(WINDOW);

    guarded.throwing(new IOException("down"), 3);

    assertEquals(OPEN, breaker.state());
    assertEquals(1.0, breaker.failureRate(), "opened on 3 failures of 3, the successes gone");
  }

  @Test
  void timeWindow_halfOpenProbes_workAsWithACountWindow() {
    var breaker = breaker("search").minimumCalls(2).halfOpenProbes(2).build();
    var guarded = new GuardedNode("g", breaker);
    guarded.throwing(new IOException("down"), 2);
    assertEquals(OPEN, breaker.state());
    clock.advance(OPEN_FOR);

    guarded.returning("ok");
    assertEquals(HALF_OPEN, breaker.state());
    guarded.returning("ok");

    assertEquals(CLOSED, breaker.state());
    assertEquals(0.0, breaker.failureRate(), "closed with an empty window");
    guarded.throwing(new IOException("down"), 1);
    assertEquals(CLOSED, breaker.state(), "the failures before the opening are gone");
  }

  @Test
  void timeWindowAndSlidingWindow_replaceEachOther() {
    var builder = breaker("search").minimumCalls(2);
    var counting = builder.timeWindow(Duration.ofMillis(1)).slidingWindow(2).build();
    var timing = builder.slidingWindow(2).timeWindow(Duration.ofMillis(1)).build();

    for (var breaker : new CircuitBreaker[] {counting, timing}) {
      var guarded = new GuardedNode("g", breaker);
      guarded.throwing(new IOException("down"), 1);
      clock.advance(Duration.ofSeconds(1));
      guarded.throwing(new IOException("down"), 1);
    }

    assertEquals(OPEN, counting.state(), "a count window remembers the first failure");
    assertEquals(CLOSED, timing.state(), "a 1 ms window forgot it");
  }
}
