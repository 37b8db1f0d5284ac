package dev.weft;

import static dev.weft.CircuitBreaker.State.CLOSED;
import static dev.weft.CircuitBreaker.State.HALF_OPEN;
import static dev.weft.CircuitBreaker.State.OPEN;
import static dev.weft.GuardedNode.failure;
import static dev.weft.GuardedNode.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.CircuitBreaker.Transition;
import dev.weft.CircuitBreaker.Transition.Reason;
import dev.weft.testing.FakeScheduler;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a breaker counts: which failures ({@code recordOn}, {@code ignoreOn} and their
 * predicates), which values ({@code recordResultIf}), and which calls are slow.
 */
class CircuitBreakerRecordingTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);
  private static final Duration SLOW = Duration.ofMillis(100);

  private final FakeScheduler clock = new FakeScheduler();
  private final List<Transition> transitions = new ArrayList<>();

  private CircuitBreaker.Builder breaker(String name) {
    return CircuitBreaker.builder(name).openDuration(OPEN_FOR).scheduler(clock)
        .onStateChange(transitions::add);
  }

  /** A downstream's answer that the request was wrong, not that the downstream is down. */
  static final class NotFoundException extends RuntimeException {
    NotFoundException(String what) {
      super(what + " not found");
    }
  }

  record Response(int status) {}

  /** A body that takes {@code d} on the fake clock, then returns "ok". */
  private GuardedNode.Body taking(Duration d) {
    return () -> {
      clock.advance(d);
      return "ok";
    };
  }

  // ---- which failures count ----

  @Test
  void ignoredFailure_neitherOpensTheBreakerNorCountsAsASuccess() {
    var breaker = breaker("listings").slidingWindow(4).minimumCalls(2)
        .ignoreOn(NotFoundException.class).build();
    var guarded = new GuardedNode("g", breaker);

    var notFound = new NotFoundException("listing 42");
    guarded.throwing(notFound, 10); // the node still fails with it
    assertEquals(CLOSED, breaker.state());
    assertEquals(0.0, breaker.failureRate(), "ignored calls are not in the window");

    guarded.throwing(new IOException("down"), 1);
    assertEquals(1.0, breaker.failureRate(), "1 failure of 1 counted call: no ignored success");
    assertEquals(CLOSED, breaker.state(), "1 counted call is below minimumCalls 2");
    guarded.throwing(new IOException("down"), 1);
    assertEquals(OPEN, breaker.state());
  }

  @Test
  void recordOn_countsOnlyItsTypes_otherFailuresAsSuccesses() {
    var breaker = breaker("listings").slidingWindow(4).minimumCalls(4)
        .recordOn(IOException.class).build();
    var guarded = new GuardedNode("g", breaker);

    guarded.throwing(new IllegalStateException("bad input"), 3);
    guarded.throwing(new IOException("down"), 1);
    assertEquals(0.25, breaker.failureRate(), "the IllegalStateExceptions count as successes");
    assertEquals(CLOSED, breaker.state());
    guarded.throwing(new IOException("down"), 1);

    assertEquals(OPEN, breaker.state(), "2 IOExceptions of 4 calls reach the 0.5 threshold");
  }

  @Test
  void ignoreOn_winsOverRecordOn() {
    var breaker = breaker("files").slidingWindow(2).minimumCalls(2)
        .recordOn(IOException.class).ignoreOn(FileNotFoundException.class).build();
    var guarded = new GuardedNode("g", breaker);

    guarded.throwing(new FileNotFoundException("a.txt"), 5);
    assertEquals(CLOSED, breaker.state());
    assertEquals(0.0, breaker.failureRate());
    guarded.throwing(new IOException("disk"), 2);

    assertEquals(OPEN, breaker.state());
  }

  @Test
  void recordIfAndIgnoreIf_decideByPredicate_eachAddingToTheOthers() {
    var breaker = breaker("http").slidingWindow(2).minimumCalls(2).failureRateThreshold(1.0)
        .recordIf(t -> t.getMessage().startsWith("5"))
        .recordOn(IllegalStateException.class)
        .ignoreIf(t -> t.getMessage().startsWith("404"))
        .ignoreIf(t -> t.getMessage().startsWith("410"))
        .build();
    var guarded = new GuardedNode("g", breaker);

    guarded.throwing(new IOException("404 no such listing"), 3);
    guarded.throwing(new IOException("410 gone"), 3);
    assertEquals(0.0, breaker.failureRate(), "ignored by either predicate");
    guarded.throwing(new IOException("400 bad request"), 1); // neither: a success
    guarded.throwing(new IOException("503 unavailable"), 1);
    assertEquals(0.5, breaker.failureRate());
    assertEquals(CLOSED, breaker.state());
    guarded.throwing(new IllegalStateException("409 conflict"), 1); // recorded by type

    assertEquals(OPEN, breaker.state(), "the 503 and the 409 fill the window of 2");
  }

  @Test
  void byDefault_everyThrowableCounts_errorsIncluded() {
    var breaker = breaker("any").slidingWindow(2).minimumCalls(2)
        .failureRateThreshold(1.0).build();
    var guarded = new GuardedNode("g", breaker);

    guarded.throwing(new AssertionError("an error"), 1);
    guarded.throwing(new IllegalArgumentException("bad input"), 1);

    assertEquals(OPEN, breaker.state());
  }

  // ---- which values count ----

  @Test
  void recordResultIf_countsAValueAsAFailure_whileTheNodeStillSucceedsWithIt() {
    var breaker = breaker("http").slidingWindow(2).minimumCalls(2).failureRateThreshold(1.0)
        .recordResultIf(v -> v instanceof Response r && r.status() >= 500)
        .recordResultIf(Objects::isNull)
        .build();
    var guarded = new GuardedNode("g", breaker);

    assertEquals(new Response(200), value(guarded.returning(new Response(200))));
    assertEquals(0.0, breaker.failureRate());
    assertEquals(new Response(503), value(guarded.returning(new Response(503))));
    assertEquals(0.5, breaker.failureRate(), "the 200 is a success, the 503 a failure");
    assertEquals(CLOSED, breaker.state());
    assertNull(value(guarded.returning(null)), "a null value is the node's too");

    assertEquals(OPEN, breaker.state(), "the 503 and the null, by the second predicate");
    assertEquals(1.0, breaker.failureRate());
  }

  // ---- classifiers that throw ----

  @Test
  void throwingIgnorePredicate_countsTheCallAsAFailure_attachedToItsFailure() {
    var broken = new IllegalStateException("broken predicate");
    var breaker = breaker("http").slidingWindow(1).minimumCalls(1)
        .ignoreIf(t -> {
          throw broken;
        })
        .build();
    var guarded = new GuardedNode("g", breaker);

    var down = new IOException("down");
    var error = failure(guarded.throwing(down));

    assertSame(down, error, "the node fails with its own failure");
    assertEquals(List.of(broken), List.of(error.getSuppressed()));
    assertEquals(OPEN, breaker.state(), "a classifier that throws counts a failure");
  }

  @Test
  void throwingRecordPredicate_countsTheCallAsAFailure_attachedToItsFailure() {
    var broken = new IllegalStateException("broken predicate");
    var breaker = breaker("http").slidingWindow(1).minimumCalls(1)
        .recordIf(t -> {
          throw broken;
        })
        .build();
    var guarded = new GuardedNode("g", breaker);

    var error = failure(guarded.throwing(new IOException("down")));

    assertEquals(List.of(broken), List.of(error.getSuppressed()));
    assertEquals(OPEN, breaker.state());
  }

  @Test
  void throwingResultPredicate_keepsTheNodesValue_andCountsAFailure() {
    var breaker = breaker("http").slidingWindow(1).minimumCalls(1)
        .recordResultIf(v -> {
          throw new IllegalStateException("broken predicate");
        })
        .build();
    var guarded = new GuardedNode("g", breaker);

    assertEquals("ok", value(guarded.returning("ok")));

    assertEquals(OPEN, breaker.state());
  }

  // ---- probes ----

  @Test
  void ignoredProbe_givesItsPlaceBack_andDoesNotCountAsASuccess() {
    var breaker = breaker("listings").slidingWindow(1).minimumCalls(1).halfOpenProbes(1)
        .ignoreOn(NotFoundException.class).build();
    var guarded = new GuardedNode("g", breaker);
    guarded.throwing(new IOException("down"), 1);
    clock.advance(OPEN_FOR);
    assertEquals(HALF_OPEN, breaker.state());

    guarded.throwing(new NotFoundException("listing 42"), 3);

    assertEquals(3, guarded.ran.get() - 1, "every ignored probe gave its one place back");
    assertEquals(HALF_OPEN, breaker.state(), "an ignored probe is no successful one");
    assertEquals("ok", value(guarded.returning("ok")));
    assertEquals(CLOSED, breaker.state());
  }

  // ---- slow calls ----

  @Test
  void slowCalls_openTheBreaker_whenTheirRateReachesTheThreshold() {
    var breaker = breaker("search").slidingWindow(4).minimumCalls(4)
        .slowCallDurationThreshold(SLOW).slowCallRateThreshold(0.5).build();
    var guarded = new GuardedNode("g", breaker);

    guarded.run(taking(SLOW.minusNanos(1)));
    guarded.run(taking(SLOW.minusNanos(1)));
    guarded.run(taking(SLOW)); // at least the threshold: slow
    assertEquals(1.0 / 3, breaker.slowCallRate(), 1e-9);
    assertEquals(CLOSED, breaker.state(), "below minimumCalls");
    assertEquals("ok", value(guarded.run(taking(SLOW.multipliedBy(3)))));

    assertEquals(OPEN, breaker.state(), "2 slow calls of 4 reach the 0.5 threshold");
    assertEquals(0.5, breaker.slowCallRate());
    assertEquals(0.0, breaker.failureRate(), "slow, but every call succeeded");
    var opened = transitions.getLast();
    assertEquals(Reason.SLOW_CALL_RATE, opened.reason());
    assertEquals(0.5, opened.slowCallRate());
    assertEquals(0.0, opened.failureRate());
  }

  @Test
  void slowFailures_countAsBothSlowAndFailed() {
    var breaker = breaker("search").slidingWindow(2).minimumCalls(2).failureRateThreshold(1.0)
        .slowCallDurationThreshold(SLOW).build();
    var guarded = new GuardedNode("g", breaker);
    GuardedNode.Body slowFailure = () -> {
      clock.advance(SLOW);
      throw new IOException("down, slowly");
    };

    guarded.run(slowFailure);
    assertEquals(1.0, breaker.slowCallRate());
    assertEquals(1.0, breaker.failureRate());
    guarded.run(slowFailure);

    assertEquals(OPEN, breaker.state());
    var opened = transitions.getLast();
    assertEquals(Reason.FAILURE_RATE, opened.reason(), "both reached: the failure rate first");
    assertEquals(1.0, opened.slowCallRate());
  }

  @Test
  void withoutASlowCallDurationThreshold_noCallIsSlow() {
    var breaker = breaker("search").slidingWindow(1).minimumCalls(1).build();
    var guarded = new GuardedNode("g", breaker);

    guarded.run(taking(Duration.ofHours(1)));

    assertEquals(CLOSED, breaker.state());
    assertEquals(0.0, breaker.slowCallRate());
  }

  @Test
  void slowProbe_opensTheBreakerAgain() {
    var breaker = breaker("search").slidingWindow(1).minimumCalls(1).halfOpenProbes(2)
        .slowCallDurationThreshold(SLOW).build();
    var guarded = new GuardedNode("g", breaker);
    guarded.throwing(new IOException("down"), 1);
    clock.advance(OPEN_FOR);

    guarded.run(taking(Duration.ZERO));
    assertEquals(HALF_OPEN, breaker.state());
    assertEquals("ok", value(guarded.run(taking(SLOW))));

    assertEquals(OPEN, breaker.state());
    var reopened = transitions.getLast();
    assertEquals(Reason.PROBE_SLOW, reopened.reason());
    assertEquals(0.5, reopened.slowCallRate(), "1 slow probe of 2");
    assertEquals(0.0, reopened.failureRate());
    assertEquals(0.5, breaker.slowCallRate());
  }

  // ---- batch loaders ----

  @Test
  void loaderBreaker_countsItsBatchCallsByTheSameRules() {
    var calls = new AtomicInteger();
    var breaker = breaker("users").slidingWindow(2).minimumCalls(2).failureRateThreshold(1.0)
        .ignoreOn(NotFoundException.class)
        .recordResultIf(v -> v instanceof Map<?, ?> m && m.isEmpty())
        .build();
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      int call = calls.incrementAndGet();
      if (call <= 3) {
        throw new NotFoundException("users " + keys);
      }
      return Map.of(); // every key missing: the downstream lost its data
    }).circuitBreaker(breaker);
    var g = Graph.builder("loads");
    Node<String> load = g.task("load", () -> {
      try {
        return loader.load(1);
      } catch (LoadException e) {
        return "failed: " + e.getCause();
      }
    });
    var graph = g.build();

    for (int i = 0; i < 3; i++) {
      graph.run(Inputs.empty());
    }
    assertEquals(CLOSED, breaker.state(), "3 ignored batch calls");
    assertEquals(0.0, breaker.failureRate());
    graph.run(Inputs.empty());
    graph.run(Inputs.empty());

    assertEquals(OPEN, breaker.state(), "2 empty results count as failures");
    var rejected = graph.run(Inputs.empty()).get(load);
    assertTrue(rejected.contains("CircuitOpenException"), rejected);
    assertEquals(5, calls.get());
  }
}
