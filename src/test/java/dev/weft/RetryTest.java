package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Retries: how many attempts, how long apart, which failures, within which time; and how each
 * attempt shows in the result.
 */
class RetryTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private static <T> T raise(Throwable t) throws Exception {
    if (t instanceof Exception e) {
      throw e;
    }
    throw (Error) t;
  }

  /** A single always-failing node: how many attempts it made, and what it failed with. */
  private record Tried(int attempts, Outcome<?> outcome) {}

  private static Tried tryAlwaysFailing(RetryPolicy policy, Throwable failure) {
    var attempts = new AtomicInteger();
    var g = Graph.builder("always-failing");
    Node<String> call = g.node("call").retry(policy).call(() -> {
      attempts.incrementAndGet();
      return raise(failure);
    });
    var graph = g.build();
    var result = graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run));
    return new Tried(attempts.get(), result.outcome(call));
  }

  private static int attemptsFor(RetryPolicy policy, Throwable failure) {
    return tryAlwaysFailing(policy, failure).attempts();
  }

  private static final RetryPolicy THREE = RetryPolicy.fixed(3, Duration.ZERO);

  // ---- how many attempts ----

  @Test
  void failingNode_isTriedMaxAttemptsTimes_thenFailsWithTheLastFailure() {
    var counter = new AtomicInteger();
    var g = Graph.builder("counted");
    Node<String> call = g.node("call").retry(RetryPolicy.fixed(4, Duration.ZERO)).call(() -> {
      throw new IOException("attempt " + counter.incrementAndGet());
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run));

    assertEquals(4, counter.get());
    var error = assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error();
    assertEquals("attempt 4", error.getMessage());
    assertEquals(List.of("attempt 1", "attempt 2", "attempt 3"),
        Arrays.stream(error.getSuppressed()).map(Throwable::getMessage).toList(),
        "earlier failures should be attached as suppressed, in order");
    assertEquals(4, result.spans().get(0).attempts());
  }

  @Test
  void nodeThatSucceedsOnALaterAttempt_succeeds_andStopsRetrying() {
    var counter = new AtomicInteger();
    var g = Graph.builder("flaky");
    Node<Integer> call = g.node("call").retry(RetryPolicy.fixed(5, Duration.ZERO)).call(() -> {
      if (counter.incrementAndGet() < 3) {
        throw new IOException("not yet");
      }
      return counter.get();
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run));

    assertEquals(3, result.get(call));
    assertEquals(3, counter.get());
  }

  @Test
  void attemptNumbers_showInTaskContextAndSpan() {
    var seen = new CopyOnWriteArrayList<Integer>();
    var plainSeen = new AtomicInteger();
    var g = Graph.builder("numbered");
    Node<Integer> retried = g.node("retried").retry(THREE).call(List.of(), ctx -> {
      seen.add(ctx.attempt());
      if (seen.size() < 3) {
        throw new IOException("again");
      }
      return ctx.attempt();
    });
    g.node("plain").call(List.of(), ctx -> {
      plainSeen.set(ctx.attempt());
      return 0;
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run));

    assertEquals(3, result.get(retried));
    assertEquals(List.of(1, 2, 3), seen);
    assertEquals(1, plainSeen.get());
    for (var span : result.spans()) {
      assertEquals(span.node().equals("retried") ? 3 : 1, span.attempts(), span.toString());
    }
  }

  @Test
  void timedOutAttempts_areRetried_andEachTimeoutNamesItsAttempt() throws Exception {
    var clock = new FakeScheduler();
    var started = new Semaphore(0);
    var g = Graph.builder("slow");
    Node<String> call = g.node("call")
        .timeout(Duration.ofMillis(50))
        .retry(RetryPolicy.fixed(3, Duration.ZERO))
        .call(() -> {
          started.release();
          NEVER.await();
          return "unreachable";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    for (int attempt = 1; attempt <= 3; attempt++) {
      assertTrue(started.tryAcquire(10, SECONDS), "attempt " + attempt + " did not start");
      clock.advance(Duration.ofMillis(50));
    }
    var result = future.get(10, SECONDS);

    var last = assertInstanceOf(NodeTimeoutException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error());
    assertEquals(3, last.attempt());
    var earlier = Arrays.stream(last.getSuppressed())
        .map(e -> assertInstanceOf(NodeTimeoutException.class, e).attempt()).toList();
    assertEquals(List.of(1, 2), earlier);
    assertEquals(3, result.spans().get(0).attempts());
  }

  // ---- backoff ----

  @Test
  void fixedBackoff_waitsTheSameDelayBeforeEveryRetry() throws Exception {
    assertEquals(List.of(ms(10), ms(10), ms(10)),
        backoffOnFakeClock(RetryPolicy.fixed(4, ms(10)), List.of(ms(10), ms(10), ms(10))));
  }

  @Test
  void exponentialBackoffWithoutJitter_doublesFromTheInitialDelay_cappedByMaxDelay()
      throws Exception {
    var policy = RetryPolicy.exponential(6, ms(10)).withJitter(false).withMaxDelay(ms(50));
    var expected = List.of(ms(10), ms(20), ms(40), ms(50), ms(50));

    assertEquals(expected, backoffOnFakeClock(policy, expected));
  }

  /** Runs an always-failing node, advancing the fake clock through each expected sleep. */
  private static List<Duration> backoffOnFakeClock(RetryPolicy policy, List<Duration> expected)
      throws Exception {
    var clock = new FakeScheduler();
    var attempts = new AtomicInteger();
    var g = Graph.builder("backoff");
    g.node("call").retry(policy).call(() -> {
      throw new IOException("attempt " + attempts.incrementAndGet());
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    for (int i = 0; i < expected.size(); i++) {
      clock.awaitSleeps(i + 1);
      clock.advance(expected.get(i));
    }
    assertEquals(1, future.get(10, SECONDS).failures().size());
    assertEquals(policy.maxAttempts(), attempts.get());
    return clock.sleeps();
  }

  @Test
  void fullJitter_keepsEveryDelayBetweenZeroAndItsNominalValue() {
    var nominal = new long[] {8, 16, 32, 40, 40};
    var policy = RetryPolicy.exponential(nominal.length + 1, ms(8)).withMaxDelay(ms(40));
    var clock = new SteppingClock();
    var g = Graph.builder("jittered");
    g.node("call").retry(policy).call(() -> {
      throw new IOException("down");
    });
    var graph = g.build();
    var options = graph.options().withScheduler(clock).withExecutor(Runnable::run);
    int runs = 300;

    for (int run = 0; run < runs; run++) {
      graph.run(Inputs.empty(), o -> options);
    }

    var sleeps = clock.sleeps();
    assertEquals(runs * nominal.length, sleeps.size());
    var belowHalf = new int[nominal.length];
    var aboveHalf = new int[nominal.length];
    for (int i = 0; i < sleeps.size(); i++) {
      int retry = i % nominal.length;
      long max = ms(nominal[retry]).toNanos();
      long delay = sleeps.get(i);
      assertTrue(delay >= 0 && delay <= max,
          "retry " + (retry + 1) + " slept " + delay + " ns, outside [0, " + max + "]");
      belowHalf[retry] += delay < max / 2 ? 1 : 0;
      aboveHalf[retry] += delay > max / 2 ? 1 : 0;
    }
    for (int retry = 0; retry < nominal.length; retry++) {
      assertTrue(belowHalf[retry] > 0 && aboveHalf[retry] > 0,
          "retry " + (retry + 1) + "'s delays are not spread over [0, nominal]: " + belowHalf[retry]
              + " below half, " + aboveHalf[retry] + " above, of " + runs);
    }
  }

  // ---- limits in time ----

  @Test
  void maxDuration_startsNoRetryThatWouldEndAfterIt_countingFromTheFirstAttempt() {
    var clock = new SteppingClock();
    var starts = new ArrayList<Long>();
    var g = Graph.builder("bounded");
    Node<String> call = g.node("call")
        .retry(RetryPolicy.fixed(10, ms(30)).withMaxDuration(ms(100)))
        .call(() -> {
          starts.add(clock.nanoTime());
          clock.pass(ms(20)); // each attempt takes 20 ms
          throw new IOException("down");
        });
    var graph = g.build();

    var result = graph.run(Inputs.empty(),
        o -> o.withScheduler(clock).withExecutor(Runnable::run));

    // attempts start at 0, 50 and 100 ms; a fourth would start at 150 ms, past 100 ms
    assertEquals(List.of(0L, ms(50).toNanos(), ms(100).toNanos()), starts);
    assertEquals(List.of(ms(30).toNanos(), ms(30).toNanos()), clock.sleeps());
    assertInstanceOf(IOException.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error());
  }

  @Test
  void retries_neverSleepPastTheRunsDeadline() throws Exception {
    var clock = new FakeScheduler();
    var attempts = new AtomicInteger();
    var g = Graph.builder("deadline");
    Node<String> call = g.node("call").retry(RetryPolicy.fixed(10, ms(40))).call(() -> {
      throw new IOException("attempt " + attempts.incrementAndGet());
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(ms(100)));
    clock.awaitSleeps(1);
    clock.advance(ms(40));
    clock.awaitSleeps(2);
    clock.advance(ms(40)); // now 80 ms: another 40 ms delay would end past the deadline
    var result = future.get(10, SECONDS);

    assertEquals(List.of(ms(40), ms(40)), clock.sleeps());
    assertEquals(3, attempts.get());
    var error = assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error();
    assertEquals("attempt 3", error.getMessage());
    assertFalse(result.deadlineExceeded(), "the run ended before its deadline");
  }

  @Test
  void retryWhoseDelayCannotFitBeforeTheDeadline_isNotAttempted_theNodeFailsAtOnce()
      throws Exception {
    var clock = new FakeScheduler();
    var attempts = new AtomicInteger();
    var g = Graph.builder("no-time");
    Node<String> call = g.node("call").retry(RetryPolicy.fixed(3, ms(200))).call(() -> {
      throw new IOException("attempt " + attempts.incrementAndGet());
    });
    var graph = g.build();

    // the clock never moves: the run must end without waiting for anything
    var result = graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(ms(100))).get(10, SECONDS);

    assertEquals(List.of(), clock.sleeps());
    assertEquals(1, attempts.get());
    assertInstanceOf(Outcome.Failed.class, result.outcome(call));
  }

  @Test
  void retries_areNotStoppedByAVeryDistantDeadline() throws Exception {
    var attempts = new AtomicInteger();
    var g = Graph.builder("distant");
    Node<String> call = g.node("call").retry(THREE).call(() -> {
      throw new IOException("attempt " + attempts.incrementAndGet());
    });
    var graph = g.build();

    // durations past Long.MAX_VALUE nanoseconds are accepted (saturated), so this means "never"
    var result = graph.runAsync(Inputs.empty(), o -> o.withScheduler(new FakeScheduler())
        .withDeadline(Duration.ofSeconds(Long.MAX_VALUE))).get(10, SECONDS);

    assertEquals(3, attempts.get(), "a deadline centuries away stopped the retries");
    assertInstanceOf(Outcome.Failed.class, result.outcome(call));
  }

  @Test
  void jitteredDelayTooLongForTheDeadline_endsWithTheTasksOwnFailure() throws Exception {
    var error = new IOException("down");
    var g = Graph.builder("huge-delay");
    Node<String> call = g.node("call")
        .retry(RetryPolicy.exponential(3, Duration.ofSeconds(Long.MAX_VALUE)))
        .call(() -> {
          throw error;
        });
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> o.withScheduler(new FakeScheduler())
        .withDeadline(Duration.ofSeconds(1))).get(10, SECONDS);

    assertSame(error, assertInstanceOf(Outcome.Failed.class, result.outcome(call)).error(),
        "the retry cannot fit before the deadline, so the node should fail with the task's error");
  }

  // ---- which failures ----

  @Test
  void retryOn_retriesOnlyInstancesOfTheGivenTypes() {
    var policy = THREE.retryOn(IOException.class, IllegalStateException.class);

    assertEquals(3, attemptsFor(policy, new IOException()));
    assertEquals(3, attemptsFor(policy, new FileNotFoundException()), "subclasses match");
    assertEquals(3, attemptsFor(policy, new IllegalStateException()));
    assertEquals(1, attemptsFor(policy, new IllegalArgumentException()));
  }

  @Test
  void retryIf_retriesOnlyFailuresMatchingThePredicate() {
    var policy = THREE.retryIf(t -> t.getMessage().startsWith("transient"));

    assertEquals(3, attemptsFor(policy, new IOException("transient: reset")));
    assertEquals(1, attemptsFor(policy, new IOException("permanent: 404")));
  }

  @Test
  void abortOn_stopsRetryingTheGivenTypes_andAccumulates() {
    var policy = THREE.abortOn(IllegalArgumentException.class)
        .abortOn(UnsupportedOperationException.class);

    assertEquals(1, attemptsFor(policy, new IllegalArgumentException()));
    assertEquals(1, attemptsFor(policy, new UnsupportedOperationException()));
    assertEquals(3, attemptsFor(policy, new IOException()));
  }

  @Test
  void abortIf_winsOverRetryOn() {
    var policy = THREE.retryOn(IOException.class).abortIf(t -> "fatal".equals(t.getMessage()));

    assertEquals(1, attemptsFor(policy, new IOException("fatal")));
    assertEquals(3, attemptsFor(policy, new IOException("flaky")));
    assertEquals(1, attemptsFor(THREE.abortIf(t -> true).retryOn(IOException.class),
        new IOException("flaky")), "abortIf should win whatever order they are given in");
  }

  @Test
  void errors_areNotRetriedByDefault_unlessRetryOnNamesThem() {
    var error = new Error("fatal");

    var tried = tryAlwaysFailing(THREE, error);

    assertEquals(1, tried.attempts());
    assertSame(error, assertInstanceOf(Outcome.Failed.class, tried.outcome()).error());
    assertEquals(3, attemptsFor(THREE.retryOn(Error.class), error));
  }

  @Test
  void circuitOpenException_isNotRetriedByDefault() {
    var breaker = CircuitBreaker.builder("down").slidingWindow(1).minimumCalls(1).build();
    var bodyRuns = new AtomicInteger();
    var g = Graph.builder("guarded");
    Node<String> call = g.node("call").retry(THREE).circuitBreaker(breaker).call(() -> {
      bodyRuns.incrementAndGet();
      throw new IOException("down");
    });
    var graph = g.build();
    var options = graph.options().withExecutor(Runnable::run);

    var first = graph.run(Inputs.empty(), o -> options); // its first failure opens the breaker
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    var second = graph.run(Inputs.empty(), o -> options);

    assertEquals(1, bodyRuns.get());
    var firstError = assertInstanceOf(Outcome.Failed.class, first.outcome(call)).error();
    assertInstanceOf(CircuitOpenException.class, firstError,
        "the first run's second attempt should be rejected, and not retried");
    assertEquals(2, first.spans().get(0).attempts());
    assertInstanceOf(CircuitOpenException.class,
        assertInstanceOf(Outcome.Failed.class, second.outcome(call)).error());
    assertEquals(1, second.spans().get(0).attempts());
  }

  // ---- cancellation ----

  @Test
  void cancellationDuringABackoffSleep_endsTheNodeCancelled_withoutAnotherAttempt()
      throws Exception {
    var clock = new FakeScheduler();
    var attempts = new AtomicInteger();
    var failNow = new CountDownLatch(1);
    var g = Graph.builder("fail-fast");
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(5, Duration.ofSeconds(1)))
        .call(() -> {
          throw new IOException("attempt " + attempts.incrementAndGet());
        });
    g.task("bomb", () -> {
      failNow.await();
      throw new IllegalStateException("bomb");
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock)
        .withFailureMode(FailureMode.FAIL_FAST));
    clock.awaitSleepers(1);
    failNow.countDown(); // the bomb fails, cancelling the run while flaky sleeps
    var result = future.get(10, SECONDS);

    var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(flaky));
    assertTrue(cancelled.reason().contains("'bomb'"), cancelled.reason());
    assertEquals(1, attempts.get());
    assertEquals(List.of(Duration.ofSeconds(1)), clock.sleeps());
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  /**
   * A clock that moves only when a retry sleeps (the sleep returns at once) or a task calls
   * {@link #pass}; it has no timers, so runs on it may have neither timeouts nor deadlines.
   */
  private static final class SteppingClock implements Scheduler {
    private final AtomicLong now = new AtomicLong();
    private final List<Long> sleeps = new CopyOnWriteArrayList<>();

    @Override
    public long nanoTime() {
      return now.get();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException("this clock has no timers");
    }

    @Override
    public void sleep(long delay, TimeUnit unit) {
      long nanos = unit.toNanos(delay);
      sleeps.add(nanos);
      now.addAndGet(nanos);
    }

    void pass(Duration d) {
      now.addAndGet(d.toNanos());
    }

    List<Long> sleeps() {
      return List.copyOf(sleeps);
    }
  }
}
