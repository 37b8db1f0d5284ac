package dev.weft;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bad policy configuration fails when it is written, naming the parameter. */
class PolicyValidationTest {
  private static final Duration ZERO = Duration.ZERO;
  private static final Duration NEGATIVE = Duration.ofMillis(-1);
  private static final Duration ONE_MS = Duration.ofMillis(1);

  private static void assertIae(String parameter, Executable call) {
    var e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().startsWith(parameter + " "),
        "the message should name '" + parameter + "' first: " + e.getMessage());
  }

  private static void assertNpe(String parameter, Executable call) {
    var e = assertThrows(NullPointerException.class, call);
    assertEquals(parameter, e.getMessage());
  }

  private static NodeBuilder<Object> node() {
    return Graph.builder("g").node("n");
  }

  // ---- timeout and deadline ----

  @Test
  void timeout_mustBePositive() {
    assertIae("timeout", () -> node().timeout(ZERO));
    assertIae("timeout", () -> node().timeout(NEGATIVE));
    assertNpe("timeout", () -> node().timeout(null));
    assertDoesNotThrow(() -> node().timeout(Duration.ofNanos(1)));
  }

  @Test
  void deadline_mayBeExhausted_butNotNull() {
    var options = RunOptions.defaults();

    assertEquals(java.util.Optional.of(ZERO), options.withDeadline(ZERO).deadline());
    assertEquals(java.util.Optional.of(NEGATIVE), options.withDeadline(NEGATIVE).deadline());
    assertNpe("deadline", () -> options.withDeadline(null));
    assertNpe("scheduler", () -> options.withScheduler(null));
  }

  // ---- retry ----

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void maxAttempts_mustBeAtLeastOne(int maxAttempts) {
    assertIae("maxAttempts", () -> RetryPolicy.fixed(maxAttempts, ONE_MS));
    assertIae("maxAttempts", () -> RetryPolicy.exponential(maxAttempts, ONE_MS));
  }

  @Test
  void retryDelays_mustNotBeNegative_andGrowingOnesMustBePositive() {
    assertIae("delay", () -> RetryPolicy.fixed(2, NEGATIVE));
    assertNpe("delay", () -> RetryPolicy.fixed(2, null));
    assertDoesNotThrow(() -> RetryPolicy.fixed(2, ZERO), "a fixed delay of zero retries at once");
    assertIae("initialDelay", () -> RetryPolicy.exponential(2, ZERO));
    assertIae("initialDelay", () -> RetryPolicy.exponential(2, NEGATIVE));
    assertNpe("initialDelay", () -> RetryPolicy.exponential(2, null));
  }

  @Test
  void maxDelayAndMaxDuration_mustBePositive() {
    var policy = RetryPolicy.exponential(3, ONE_MS);

    assertIae("maxDelay", () -> policy.withMaxDelay(ZERO));
    assertIae("maxDelay", () -> policy.withMaxDelay(NEGATIVE));
    assertNpe("maxDelay", () -> policy.withMaxDelay(null));
    assertIae("maxDuration", () -> policy.withMaxDuration(ZERO));
    assertIae("maxDuration", () -> policy.withMaxDuration(NEGATIVE));
    assertNpe("maxDuration", () -> policy.withMaxDuration(null));
  }

  @Test
  @SuppressWarnings("unchecked")
  void retryAndAbortConditions_mustNotBeNullOrEmpty() {
    var policy = RetryPolicy.fixed(3, ZERO);

    assertNpe("predicate", () -> policy.retryIf(null));
    assertNpe("predicate", () -> policy.abortIf(null));
    assertNpe("types", () -> policy.retryOn((Class<? extends Throwable>[]) null));
    assertNpe("types", () -> policy.abortOn((Class<? extends Throwable>[]) null));
    assertNpe("types[]", () -> policy.retryOn(IOException.class, null));
    assertNpe("types[]", () -> policy.abortOn((Class<? extends Throwable>) null));
    assertIae("types", () -> policy.retryOn());
    assertIae("types", () -> policy.abortOn());
  }

  @Test
  void retryPolicyMethods_returnCopies_leavingTheOriginalUnchanged() {
    var original = RetryPolicy.fixed(3, ZERO);
    Predicate<Throwable> never = t -> false;

    var changed = original.retryIf(never).withMaxDuration(ONE_MS);

    assertEquals(3, changed.maxAttempts());
    assertEquals(original.toString(), RetryPolicy.fixed(3, ZERO).toString());
  }

  // ---- circuit breaker ----

  @ParameterizedTest
  @ValueSource(doubles = {0, -0.1, 1.1, Double.NaN, Double.POSITIVE_INFINITY})
  void failureRateThreshold_mustBeInZeroExclusiveToOneInclusive(double threshold) {
    assertIae("failureRateThreshold",
        () -> CircuitBreaker.builder("b").failureRateThreshold(threshold));
  }

  @Test
  void failureRateThreshold_acceptsItsBounds() {
    assertDoesNotThrow(() -> CircuitBreaker.builder("b").failureRateThreshold(1.0).build());
    assertDoesNotThrow(() -> CircuitBreaker.builder("b").failureRateThreshold(Double.MIN_VALUE)
        .build());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void breakerCounts_mustBeAtLeastOne(int count) {
    assertIae("slidingWindow", () -> CircuitBreaker.builder("b").slidingWindow(count));
    assertIae("minimumCalls", () -> CircuitBreaker.builder("b").minimumCalls(count));
    assertIae("halfOpenProbes", () -> CircuitBreaker.builder("b").halfOpenProbes(count));
  }

  @Test
  void minimumCalls_mustNotExceedTheSlidingWindow() {
    var builder = CircuitBreaker.builder("b").slidingWindow(10).minimumCalls(11);

    assertIae("minimumCalls", builder::build);
    assertDoesNotThrow(() -> CircuitBreaker.builder("b").slidingWindow(10).minimumCalls(10)
        .build());
  }

  @Test
  void openDuration_mustBePositive_andBreakerArgumentsNonNull() {
    assertIae("openDuration", () -> CircuitBreaker.builder("b").openDuration(ZERO));
    assertIae("openDuration", () -> CircuitBreaker.builder("b").openDuration(NEGATIVE));
    assertNpe("openDuration", () -> CircuitBreaker.builder("b").openDuration(null));
    assertNpe("scheduler", () -> CircuitBreaker.builder("b").scheduler(null));
    assertNpe("name", () -> CircuitBreaker.builder(null));
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -0.1, 1.1, Double.NaN, Double.POSITIVE_INFINITY})
  void slowCallRateThreshold_mustBeInZeroExclusiveToOneInclusive(double threshold) {
    assertIae("slowCallRateThreshold",
        () -> CircuitBreaker.builder("b").slowCallRateThreshold(threshold));
  }

  @Test
  void slowCallDurationThreshold_andTimeWindow_mustBePositive_theWindowAtLeastOneMillisecond() {
    assertIae("slowCallDurationThreshold",
        () -> CircuitBreaker.builder("b").slowCallDurationThreshold(ZERO));
    assertIae("slowCallDurationThreshold",
        () -> CircuitBreaker.builder("b").slowCallDurationThreshold(NEGATIVE));
    assertNpe("slowCallDurationThreshold",
        () -> CircuitBreaker.builder("b").slowCallDurationThreshold(null));
    assertIae("timeWindow", () -> CircuitBreaker.builder("b").timeWindow(ZERO));
    assertIae("timeWindow", () -> CircuitBreaker.builder("b").timeWindow(ONE_MS.minusNanos(1)));
    assertNpe("timeWindow", () -> CircuitBreaker.builder("b").timeWindow(null));
    assertDoesNotThrow(() -> CircuitBreaker.builder("b").timeWindow(ONE_MS).build());
  }

  @Test
  void slowCallRateThreshold_withoutADurationThreshold_isRefusedAtBuild_namingIt() {
    var builder = CircuitBreaker.builder("b").slowCallRateThreshold(0.5);

    assertIae("slowCallRateThreshold", builder::build);
    assertDoesNotThrow(() -> builder.slowCallDurationThreshold(ONE_MS).build());
  }

  @Test
  void minimumCalls_mayExceedAnyCountInATimeWindow() {
    assertDoesNotThrow(() -> CircuitBreaker.builder("b").slidingWindow(10).minimumCalls(50)
        .timeWindow(Duration.ofSeconds(1)).build());
  }

  @Test
  @SuppressWarnings("unchecked")
  void breakerClassifiersAndListeners_needArguments() {
    var builder = CircuitBreaker.builder("b");
    assertIae("recordOn", () -> builder.recordOn());
    assertIae("ignoreOn", () -> builder.ignoreOn());
    assertNpe("recordOn", () -> builder.recordOn((Class<? extends Throwable>[]) null));
    assertNpe("recordOn[]", () -> builder.recordOn(IOException.class, null));
    assertNpe("ignoreOn[]", () -> builder.ignoreOn((Class<? extends Throwable>) null));
    assertNpe("recordIf", () -> builder.recordIf(null));
    assertNpe("ignoreIf", () -> builder.ignoreIf(null));
    assertNpe("recordResultIf", () -> builder.recordResultIf(null));
    assertNpe("onStateChange", () -> builder.onStateChange(null));
  }

  // ---- bulkhead ----

  @Test
  void bulkhead_needsAPlaceAndANonNegativeWait() {
    assertIae("maxConcurrent", () -> Bulkhead.builder("b").maxConcurrent(0));
    assertIae("maxConcurrent", () -> Bulkhead.builder("b").maxConcurrent(-1));
    assertIae("maxWait", () -> Bulkhead.builder("b").maxWait(NEGATIVE));
    assertNpe("maxWait", () -> Bulkhead.builder("b").maxWait(null));
    assertNpe("name", () -> Bulkhead.builder(null));
    assertEquals(0, Bulkhead.builder("b").maxConcurrent(1).maxWait(ZERO).build().inUse(),
        "a zero wait means: do not wait");
  }

  @Test
  void bulkheadWithoutMaxConcurrent_isRefusedAtBuild_namingIt() {
    var builder = Bulkhead.builder("fraud").maxWait(ONE_MS);

    var e = assertThrows(IllegalStateException.class, builder::build);
    assertEquals("the limit of bulkhead 'fraud' is not set: call maxConcurrent(n) or "
        + "adaptiveLimit(limit) before build()", e.getMessage());
  }

  @Test
  void bulkheadBuilder_buildsIndependentBulkheads_andIsNotChangedByBuild() throws Exception {
    var builder = Bulkhead.builder("fraud").maxConcurrent(1);
    var first = builder.build();
    var second = builder.maxConcurrent(3).build();

    assertTrue(first.tryAcquire(Criticality.DEFAULT), "the first bulkhead has its one place");
    assertEquals(1, first.maxConcurrent(), "a later setter changed a built bulkhead");
    assertEquals(0, second.inUse(), "two builds share their places");
    assertEquals(3, second.maxConcurrent());
    assertEquals(3, builder.build().maxConcurrent(), "build() changed its builder");
    first.release();
  }

  // ---- attaching policies ----

  @Test
  void attachingANullPolicy_isRefusedNamingIt() {
    assertNpe("policy", () -> node().retry(null));
    assertNpe("breaker", () -> node().circuitBreaker(null));
    assertNpe("bulkhead", () -> node().bulkhead(null));
  }
}
