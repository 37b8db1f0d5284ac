package dev.weft.examples.service;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A downstream's latency and error rate when {@link Mode#HEALTHY}: latency is log-normal with
 * median {@code p50} and 99th percentile {@code p99}, so it has a long tail (the 99.9th percentile
 * is about {@code p99 * (p99 / p50)^0.33}); {@code errorRate} is the share of calls that answer
 * 500.
 *
 * <p>With {@code mu = ln p50} and {@code sigma = (ln p99 - ln p50) / 2.326} (2.326 is the standard
 * normal's 99th percentile), a sample is {@code exp(mu + sigma * z)} for a standard normal
 * {@code z}.
 *
 * @param p50 the median latency, positive
 * @param p99 the 99th percentile, at least {@code p50}
 * @param errorRate the share of 500s, in [0, 1]
 */
public record Profile(Duration p50, Duration p99, double errorRate) {
  /** The standard normal distribution's 99th percentile. */
  private static final double Z99 = 2.326;

  /** No sample is longer than this many times {@code p99}: one unlucky draw cannot hang a run. */
  private static final int CAP = 20;

  public Profile {
    Objects.requireNonNull(p50, "p50");
    Objects.requireNonNull(p99, "p99");
    if (p50.isNegative() || p50.isZero()) {
      throw new IllegalArgumentException("p50 must be positive: " + p50);
    }
    if (p99.compareTo(p50) < 0) {
      throw new IllegalArgumentException("p99 " + p99 + " is below p50 " + p50);
    }
    if (!(errorRate >= 0 && errorRate <= 1)) {
      throw new IllegalArgumentException("errorRate must be in [0, 1]: " + errorRate);
    }
  }

  /** {@return a profile with median {@code p50Ms}, 99th percentile {@code p99Ms} (milliseconds)} */
  public static Profile ofMillis(long p50Ms, long p99Ms, double errorRate) {
    return new Profile(Duration.ofMillis(p50Ms), Duration.ofMillis(p99Ms), errorRate);
  }

  /** {@return the log-normal's sigma} */
  public double sigma() {
    return (Math.log(p99.toNanos()) - Math.log(p50.toNanos())) / Z99;
  }

  /** {@return one latency drawn from the distribution with {@code random}} */
  public Duration sample(RandomGenerator random) {
    double nanos = Math.exp(Math.log(p50.toNanos()) + sigma() * random.nextGaussian());
    return Duration.ofNanos((long) Math.min(nanos, (double) p99.toNanos() * CAP));
  }
}
