package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.nonNegative;
import static dev.weft.internal.Check.positive;
import static java.util.Objects.requireNonNull;

import dev.weft.internal.Check;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * When and how often a failed node is tried again. Attach with {@link NodeBuilder#retry}.
 *
 * <pre>{@code
 * RetryPolicy pricing = RetryPolicy.exponential(3, Duration.ofMillis(5))
 *     .withMaxDelay(Duration.ofMillis(50))
 *     .withMaxDuration(Duration.ofMillis(200))
 *     .retryOn(IOException.class, NodeTimeoutException.class);
 * }</pre>
 *
 * <p>A node is tried at most {@link #maxAttempts()} times in all. After attempt {@code n} fails
 * with a retryable failure, the next starts after a delay: {@code delay} every time for {@link
 * #fixed}; {@code min(maxDelay, initialDelay * 2^(n-1))} for {@link #exponential}, with full
 * jitter (a uniformly random delay between 0 and that value) unless {@link #withJitter} turns it
 * off. No retry starts if its delay would end after the policy's {@link #withMaxDuration max
 * duration} (counted from the first attempt's start) or after the run's deadline: the node then
 * fails with the last failure, the earlier ones attached as suppressed exceptions.
 *
 * <p>Retryable by default: every {@code Exception} except {@link CircuitOpenException} (retrying
 * into an open breaker only repeats the rejection) and a {@link BulkheadFullException} that shed
 * a less critical run (its retry would add load where load is being shed); never an {@code
 * Error}, nor an attempt interrupted because the run was cancelled. {@link #retryOn}/{@link
 * #retryIf} replace that choice; {@link #abortOn}/{@link #abortIf} name failures that are never
 * retried, and win.
 *
 * <p>Immutable and thread-safe; one policy may serve any number of nodes. The {@code withX} and
 * {@code retryX}/{@code abortX} methods return copies. Invalid values (durations that are not
 * positive, fewer than one attempt, nulls) throw at once, naming the parameter.
 */
public final class RetryPolicy {
  private static final Predicate<Throwable> DEFAULT_RETRY =
      t -> t instanceof Exception && !(t instanceof CircuitOpenException)
          && !(t instanceof BulkheadFullException full && full.shed());

  private final int maxAttempts;
  private final long initialDelayNanos;
  private final long maxDelayNanos;
  private final boolean exponential;
  private final boolean jitter;
  private final long maxDurationNanos;
  private final Predicate<? super Throwable> retryIf;
  private final Predicate<? super Throwable> abortIf;

  private RetryPolicy(int maxAttempts, long initialDelayNanos, long maxDelayNanos,
      boolean exponential, boolean jitter, long maxDurationNanos,
      Predicate<? super Throwable> retryIf, Predicate<? super Throwable> abortIf) {
    this.maxAttempts = maxAttempts;
    this.initialDelayNanos = initialDelayNanos;
    this.maxDelayNanos = maxDelayNanos;
    this.exponential = exponential;
    this.jitter = jitter;
    this.maxDurationNanos = maxDurationNanos;
    this.retryIf = retryIf;
    this.abortIf = abortIf;
  }

  /**
   * {@return a policy of up to {@code maxAttempts} attempts, {@code delay} apart, without jitter}
   *
   * @param maxAttempts attempts in all, the first included; at least 1
   * @param delay the pause before each retry; zero or positive
   */
  public static RetryPolicy fixed(int maxAttempts, Duration delay) {
    long nanos = nonNegative(delay, "delay");
    return new RetryPolicy(atLeastOne(maxAttempts, "maxAttempts"), nanos, nanos, false, false,
        Long.MAX_VALUE, DEFAULT_RETRY, t -> false);
  }

  /**
   * {@return a policy of up to {@code maxAttempts} attempts with delays doubling from {@code
   * initialDelay}, capped at 30 s unless {@link #withMaxDelay} says otherwise, with full jitter}
   *
   * @param maxAttempts attempts in all, the first included; at least 1
   * @param initialDelay the cap of the first retry's delay; positive
   */
  public static RetryPolicy exponential(int maxAttempts, Duration initialDelay) {
    long nanos = positive(initialDelay, "initialDelay");
    return new RetryPolicy(atLeastOne(maxAttempts, "maxAttempts"), nanos,
        Math.max(nanos, Duration.ofSeconds(30).toNanos()), true, true, Long.MAX_VALUE,
        DEFAULT_RETRY, t -> false);
  }

  /** {@return a copy whose delays never exceed {@code maxDelay} (positive)} */
  public RetryPolicy withMaxDelay(Duration maxDelay) {
    long nanos = positive(maxDelay, "maxDelay");
    return new RetryPolicy(maxAttempts, Math.min(initialDelayNanos, nanos), nanos, exponential,
        jitter, maxDurationNanos, retryIf, abortIf);
  }

  /**
   * {@return a copy that starts no retry whose delay would end more than {@code maxDuration}
   * (positive) after the first attempt started}
   */
  public RetryPolicy withMaxDuration(Duration maxDuration) {
    return new RetryPolicy(maxAttempts, initialDelayNanos, maxDelayNanos, exponential, jitter,
        positive(maxDuration, "maxDuration"), retryIf, abortIf);
  }

  /**
   * {@return a copy with full jitter on (each delay uniformly random between 0 and its nominal
   * value, which spreads out retries of many callers) or off}
   */
  public RetryPolicy withJitter(boolean jitter) {
    return new RetryPolicy(maxAttempts, initialDelayNanos, maxDelayNanos, exponential, jitter,
        maxDurationNanos, retryIf, abortIf);
  }

  /** {@return a copy that retries only failures that are instances of one of {@code types}} */
  @SafeVarargs
  public final RetryPolicy retryOn(Class<? extends Throwable>... types) {
    var list = Check.types("types", types);
    return retryIf(t -> list.stream().anyMatch(c -> c.isInstance(t)));
  }

  /** {@return a copy that retries only failures matching {@code predicate}} */
  public RetryPolicy retryIf(Predicate<? super Throwable> predicate) {
    return new RetryPolicy(maxAttempts, initialDelayNanos, maxDelayNanos, exponential, jitter,
        maxDurationNanos, requireNonNull(predicate, "predicate"), abortIf);
  }

  /** {@return a copy that never retries failures that are instances of one of {@code types}} */
  @SafeVarargs
  public final RetryPolicy abortOn(Class<? extends Throwable>... types) {
    var list = Check.types("types", types);
    return abortIf(t -> list.stream().anyMatch(c -> c.isInstance(t)));
  }

  /** {@return a copy that never retries failures matching {@code predicate}} */
  public RetryPolicy abortIf(Predicate<? super Throwable> predicate) {
    requireNonNull(predicate, "predicate");
    Predicate<? super Throwable> before = abortIf;
    return new RetryPolicy(maxAttempts, initialDelayNanos, maxDelayNanos, exponential, jitter,
        maxDurationNanos, retryIf, t -> before.test(t) || predicate.test(t));
  }

  /** {@return the number of attempts in all, the first included} */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** {@return whether {@code failure} may be retried} */
  boolean retries(Throwable failure) {
    return !abortIf.test(failure) && retryIf.test(failure);
  }

  /** {@return the delay before the attempt after attempt {@code failed} (1-based) failed} */
  long delayNanos(int failed) {
    long nominal = initialDelayNanos;
    if (exponential) {
      int doublings = Math.min(failed - 1, 62);
      nominal = initialDelayNanos > (maxDelayNanos >> doublings) ? maxDelayNanos
          : Math.min(maxDelayNanos, initialDelayNanos << doublings);
    }
    if (!jitter || nominal == 0) {
      return nominal;
    }
    var random = ThreadLocalRandom.current();
    return nominal == Long.MAX_VALUE ? random.nextLong(nominal) : random.nextLong(nominal + 1);
  }

  long maxDurationNanos() {
    return maxDurationNanos;
  }

  @Override
  public String toString() {
    return "RetryPolicy[" + (exponential ? "exponential" : "fixed") + ", maxAttempts="
        + maxAttempts + ", delay=" + Duration.ofNanos(initialDelayNanos)
        + (exponential ? "..." + Duration.ofNanos(maxDelayNanos) : "") + (jitter ? ", jitter" : "")
        + (maxDurationNanos == Long.MAX_VALUE ? "" : ", maxDuration="
        + Duration.ofNanos(maxDurationNanos)) + "]";
  }
}
