package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Node-level fallbacks: a node that still fails after its policies succeeds with a value or with
 * what a function makes of the failure; skips and cancellation are not failures it can rescue.
 */
class FallbackTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);
  private static final Executor CALLER_RUNS = Runnable::run;

  private static <T> T throwing(Exception e) throws Exception {
    throw e;
  }

  private static RunResult run(Graph graph) {
    return graph.run(Inputs.empty(), o -> o.withExecutor(CALLER_RUNS));
  }

  @Test
  void fallbackValue_makesAFailedNodeSucceed_andFlowsToItsDependents() {
    var g = Graph.builder("promo");
    Node<String> promo = g.task("promo", () -> throwing(new IOException("promo service down")));
    var page = g.task("page", promo, p -> "page with " + p);
    g.fallback(promo, "no promo");
    var graph = g.build();

    var result = run(graph);

    assertEquals(new Outcome.Succeeded<>("promo", "no promo"), result.outcome(promo));
    assertEquals("page with no promo", result.get(page));
    assertTrue(result.succeeded());
    assertEquals(List.of(), result.failures());
  }

  @Test
  void fallbackValue_mayBeNull() {
    var g = Graph.builder("nullable");
    Node<String> promo = g.task("promo", () -> throwing(new IOException("down")));
    g.fallback(promo, null);
    var graph = g.build();

    assertNull(run(graph).get(promo));
  }

  @Test
  void fallbackWith_computesTheValueFromTheFailure() {
    var error = new IOException("promo service down");
    var seen = new AtomicReference<Throwable>();
    var g = Graph.builder("promo");
    Node<String> promo = g.task("promo", () -> throwing(error));
    g.fallbackWith(promo, failure -> {
      seen.set(failure);
      return "fallback for: " + failure.getMessage();
    });
    var graph = g.build();

    var result = run(graph);

    assertSame(error, seen.get());
    assertEquals("fallback for: promo service down", result.get(promo));
  }

  @Test
  void fallback_isNotUsedWhenTheNodeSucceeds() {
    var calls = new AtomicInteger();
    var g = Graph.builder("fine");
    Node<String> ok = g.task("ok", () -> "real");
    g.fallbackWith(ok, failure -> {
      calls.incrementAndGet();
      return "fallback";
    });
    var graph = g.build();

    assertEquals("real", run(graph).get(ok));
    assertEquals(0, calls.get());
  }

  @Test
  void fallback_runsOnceAfterRetriesAreExhausted_notPerAttempt() {
    var attempts = new AtomicInteger();
    var fallbacks = new AtomicInteger();
    var seen = new AtomicReference<Throwable>();
    var g = Graph.builder("retried");
    Node<String> call = g.node("call").retry(RetryPolicy.fixed(3, Duration.ZERO)).call(() -> {
      throw new IOException("attempt " + attempts.incrementAndGet());
    });
    g.fallbackWith(call, failure -> {
      fallbacks.incrementAndGet();
      seen.set(failure);
      return "fallback after " + attempts.get();
    });
    var graph = g.build();

    var result = run(graph);

    assertEquals("fallback after 3", result.get(call));
    assertEquals(1, fallbacks.get());
    assertEquals("attempt 3", seen.get().getMessage(), "the fallback should see the last failure");
    assertEquals(List.of("attempt 1", "attempt 2"),
        Arrays.stream(seen.get().getSuppressed()).map(Throwable::getMessage).toList());
  }

  @Test
  void fallback_rescuesATimeout() throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var g = Graph.builder("slow");
    Node<String> slow = g.node("slow").timeout(Duration.ofMillis(50)).call(() -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    g.fallbackWith(slow, failure -> failure.getClass().getSimpleName());
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    assertTrue(started.await(10, SECONDS), "the task did not start");
    clock.advance(Duration.ofMillis(50));

    assertEquals("NodeTimeoutException", future.get(10, SECONDS).get(slow));
  }

  @Test
  void fallback_rescuesACircuitBreakerRejection() {
    var breaker = CircuitBreaker.builder("pricing").slidingWindow(1).minimumCalls(1).build();
    var g = Graph.builder("guarded");
    Node<String> price = g.node("price").circuitBreaker(breaker).call(() -> {
      throw new IOException("down");
    });
    g.fallbackWith(price, failure -> failure.getClass().getSimpleName());
    var graph = g.build();

    assertEquals("IOException", run(graph).get(price));
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    assertEquals("CircuitOpenException", run(graph).get(price));
  }

  @Test
  void throwingFallback_failsTheNode_withTheOriginalFailureSuppressed() {
    var original = new IOException("promo service down");
    var fallbackError = new IllegalStateException("no cached promo either");
    var g = Graph.builder("promo");
    Node<String> promo = g.task("promo", () -> throwing(original));
    var page = g.task("page", promo, p -> p);
    g.fallbackWith(promo, failure -> throwing(fallbackError));
    var graph = g.build();

    var result = run(graph);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(promo));
    assertSame(fallbackError, failed.error());
    assertEquals(List.of(original), List.of(fallbackError.getSuppressed()));
    assertEquals(new Outcome.Skipped<>("page", "promo", fallbackError), result.outcome(page));
  }

  @Test
  void fallback_doesNotApplyToASkip() {
    var error = new IOException("upstream down");
    var fallbacks = new AtomicInteger();
    var g = Graph.builder("skipped");
    Node<String> upstream = g.task("upstream", () -> throwing(error));
    var dependent = g.task("dependent", upstream, u -> u);
    g.fallbackWith(dependent, failure -> "fallback #" + fallbacks.incrementAndGet());
    var graph = g.build();

    var result = run(graph);

    assertEquals(new Outcome.Skipped<>("dependent", "upstream", error), result.outcome(dependent));
    assertEquals(0, fallbacks.get());
  }

  @Test
  void fallback_doesNotApplyToCancellation_ofARunningOrAnUnstartedNode() throws Exception {
    var fallbacks = new AtomicInteger();
    var started = new CountDownLatch(1);
    var g = Graph.builder("fail-fast")
        .options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Node<String> running = g.task("running", () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    var unstarted = g.task("unstarted", running, r -> r);
    g.task("bomb", () -> {
      started.await();
      throw new IllegalStateException("bomb");
    });
    g.fallbackWith(running, failure -> "fallback #" + fallbacks.incrementAndGet());
    g.fallbackWith(unstarted, failure -> "fallback #" + fallbacks.incrementAndGet());
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty()).get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(running));
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(unstarted));
    assertEquals(0, fallbacks.get());
  }

  @Test
  void nodeRescuedByItsFallback_doesNotFailAFailFastRun() {
    var g = Graph.builder("rescued")
        .options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Node<String> promo = g.task("promo", () -> throwing(new IOException("down")));
    var later = g.task("later", promo, p -> p + ", then later");
    g.fallback(promo, "none");
    var graph = g.build();

    var result = run(graph);

    assertEquals("none, then later", result.get(later));
    assertTrue(result.succeeded());
  }

  @Test
  void fallback_canBeGivenToAForwardDeclaredNodeBeforeItIsDefined() {
    var g = Graph.builder("forward");
    Node<String> promo = g.declare("promo", String.class);
    g.fallback(promo, "none");
    g.node(promo).timeout(Duration.ofSeconds(10)).call(() -> throwing(new IOException("down")));
    var graph = g.build();

    assertEquals("none", run(graph).get(promo));
  }

  // ---- misuse ----

  @Test
  void fallbackOnAnInput_isRefused() {
    var g = Graph.builder("inputs");
    var id = g.input("id", Long.class);

    assertInvalid("'id' is an input", () -> g.fallback(id, 0L));
  }

  @Test
  void secondFallbackForOneNode_isRefused() {
    var g = Graph.builder("twice");
    Node<String> promo = g.task("promo", () -> "x");
    g.fallback(promo, "first");

    assertInvalid("node 'promo' of graph 'twice' already has a fallback",
        () -> g.fallbackWith(promo, failure -> "second"));
  }

  @Test
  void fallbackForANodeOfAnotherGraph_isRefused() {
    var other = Graph.builder("other");
    Node<String> foreign = other.task("foreign", () -> "x");
    var g = Graph.builder("mine");

    assertInvalid("belongs to graph 'other'", () -> g.fallback(foreign, "y"));
  }

  @Test
  void fallbackAfterBuild_isRefused() {
    var g = Graph.builder("built");
    Node<String> promo = g.task("promo", () -> "x");
    g.build();

    var e = assertThrows(IllegalStateException.class, () -> g.fallback(promo, "y"));
    assertTrue(e.getMessage().contains("already built"), e.getMessage());
  }

  @Test
  void nullArguments_areRefusedNamingTheParameter() {
    var g = Graph.builder("nulls");
    Node<String> promo = g.task("promo", () -> "x");

    var node = assertThrows(NullPointerException.class, () -> g.fallback(null, "x"));
    assertEquals("node", node.getMessage());
    var fn = assertThrows(NullPointerException.class, () -> g.fallbackWith(promo, null));
    assertEquals("fn", fn.getMessage());
  }

  /** The spelling of ParSeq's recover(Type, fn) and Failsafe's handle(Type): rethrow the rest. */
  @Test
  void typeFilteredFallbackThatRethrows_failsWithTheOriginalFailure() {
    var original = new IllegalStateException("not an IOException");
    var g = Graph.builder("type-filtered");
    Node<String> quote = g.node("quote").retry(RetryPolicy.fixed(2, Duration.ZERO))
        .call(() -> throwing(original));
    g.fallbackWith(quote, failure -> {
      if (failure instanceof IOException) {
        return "cached quote";
      }
      throw (Exception) failure;
    });
    var graph = g.build();

    var outcome = run(graph).outcome(quote);

    var failed = assertInstanceOf(Outcome.Failed.class, outcome);
    assertSame(original, failed.error(), () -> "the node failed with " + failed.error());
    assertEquals(0, original.getSuppressed().length,
        "the same exception, thrown by both attempts and rethrown, suppresses nothing");
  }

  @Test
  void fallbackThrowingOneSharedException_doesNotGrowIt_runAfterRun() {
    var shared = new IllegalStateException("pricing is off today");
    var g = Graph.builder("shared-exception");
    Node<String> quote = g.task("quote", () -> throwing(new IOException("fresh each run")));
    g.fallbackWith(quote, failure -> {
      throw shared;
    });
    var graph = g.build();

    for (int i = 0; i < 100; i++) {
      assertSame(shared, ((Outcome.Failed<?>) run(graph).outcome(quote)).error());
    }
    assertTrue(shared.getSuppressed().length <= 16,
        "suppressed exceptions kept piling up: " + shared.getSuppressed().length);
  }

  private static void assertInvalid(String message, Executable call) {
    var e = assertThrows(InvalidGraphException.class, call);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
