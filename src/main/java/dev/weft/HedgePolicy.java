package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.nonNegative;
import static dev.weft.internal.Check.positive;

import dev.weft.internal.LatencyHistogram;
import java.time.Duration;

/**
 * When a node's call is sent again beside itself, while the first is still running: a hedged
 * request, as Dean and Barroso describe it in "The Tail at Scale" (CACM, 2013). Attach with {@link
 * NodeBuilder#hedge}, only to a node (or a fan-out's elements) whose call is idempotent: hedging
 * is that declaration, since two of its calls may both reach the downstream.
 *
 * <pre>{@code
 * g.node("photos").timeout(Duration.ofMillis(300))
 *     .hedge(HedgePolicy.percentile(0.95).withMaxHedges(1))
 *     .retryBudget(PHOTOS_BUDGET)
 *     .call(listing, photos::fetch);
 * }</pre>
 *
 * <p>After the delay, a second attempt starts beside the first, on a thread of its own; after
 * another delay a third, up to {@link #maxHedges()} extra attempts. An attempt that fails while
 * others may still be sent sends the next at once, as gRPC does. The first attempt to succeed
 * wins: its value is the node's, the others are interrupted, and their outcomes are recorded in
 * the node's span (its children, one per attempt) and in {@link RunEvent.HedgeEnded} events;
 * they never count as the node's failure. The node fails only when every attempt sent has
 * failed, with the first attempt's failure and the others' attached as suppressed.
 *
 * <p>The delay is fixed ({@link #after}) or a percentile of the node's own recent latency ({@link
 * #percentile}, p95 in the paper), read from a small rolling histogram that every run of the
 * graph shares; until it holds {@link #withMinSamples 20 samples}, a percentile policy sends no
 * hedge unless {@link #withInitialDelay} gives one. No hedge starts once the node's timeout (which
 * bounds all its attempts together) or the run's deadline has passed, nor when the node's
 * {@link RetryBudget} is spent.
 *
 * <p>Each attempt knows which it is: {@link TaskContext#hedge()} is 0 for the first and 1, 2, ...
 * for the hedges, so a downstream call can carry a "hedge" flag.
 *
 * <p>A hedge can take over only from a first attempt that answers its interrupt: the first runs on
 * the node's own thread, which goes on once it has stopped. {@code HttpClient.send}, {@code
 * Thread.sleep} and blocking queue calls do; a call that ignores interrupts holds the node until it
 * returns, or until the run's cut-off.
 *
 * <p>Immutable and thread-safe; one policy may serve any number of nodes (each node keeps its own
 * latency history). The {@code withX} methods return copies; invalid values throw at once, naming
 * the parameter.
 */
public final class HedgePolicy {
  private static final long WINDOW_NANOS = Duration.ofSeconds(10).toNanos();

  private final long fixedNanos; // -1 for a percentile policy
  private final double quantile;
  private final int maxHedges;
  private final long minDelayNanos;
  private final long initialDelayNanos; // -1: no hedge until the history is warm
  private final int minSamples;

  private HedgePolicy(long fixedNanos, double quantile, int maxHedges, long minDelayNanos,
      long initialDelayNanos, int minSamples) {
    this.fixedNanos = fixedNanos;
    this.quantile = quantile;
    this.maxHedges = maxHedges;
    this.minDelayNanos = minDelayNanos;
    this.initialDelayNanos = initialDelayNanos;
    this.minSamples = minSamples;
  }

  /** {@return a policy that sends one hedge {@code delay} (positive) after the first attempt} */
  public static HedgePolicy after(Duration delay) {
    return new HedgePolicy(positive(delay, "delay"), 0, 1, 0, -1, 20);
  }

  /**
   * {@return a policy that sends one hedge once the first attempt has run longer than the share
   * {@code quantile} (in (0, 1), 0.95 for p95) of the node's recent attempts}
   */
  public static HedgePolicy percentile(double quantile) {
    if (!(quantile > 0 && quantile < 1)) {
      throw new IllegalArgumentException("quantile must be in (0, 1), not " + quantile);
    }
    return new HedgePolicy(-1, quantile, 1, 0, -1, 20);
  }

  /** {@return a copy that sends at most {@code hedges} (at least 1) extra attempts} */
  public HedgePolicy withMaxHedges(int hedges) {
    return new HedgePolicy(fixedNanos, quantile, atLeastOne(hedges, "maxHedges"), minDelayNanos,
        initialDelayNanos, minSamples);
  }

  /**
   * {@return a copy whose percentile delay is never below {@code delay} (zero or positive): a
   * floor, so that a fast downstream is not hedged after a few microseconds}
   */
  public HedgePolicy withMinDelay(Duration delay) {
    return new HedgePolicy(fixedNanos, quantile, maxHedges, nonNegative(delay, "minDelay"),
        initialDelayNanos, minSamples);
  }

  /**
   * {@return a copy that hedges after {@code delay} (positive) while the node's history holds too
   * few samples for its percentile}
   */
  public HedgePolicy withInitialDelay(Duration delay) {
    return new HedgePolicy(fixedNanos, quantile, maxHedges, minDelayNanos,
        positive(delay, "initialDelay"), minSamples);
  }

  /**
   * {@return a copy that trusts the node's percentile once its history holds {@code samples} (at
   * least 1) attempts}
   */
  public HedgePolicy withMinSamples(int samples) {
    return new HedgePolicy(fixedNanos, quantile, maxHedges, minDelayNanos, initialDelayNanos,
        atLeastOne(samples, "minSamples"));
  }

  /** {@return the most extra attempts sent} */
  public int maxHedges() {
    return maxHedges;
  }

  /**
   * {@return the delay before the next hedge, read from {@code history} at {@code now}; -1 for
   * none}
   */
  long delayNanos(LatencyHistogram history, long now) {
    if (fixedNanos >= 0) {
      return fixedNanos;
    }
    long p = history.percentile(quantile, minSamples, now);
    return p < 0 ? initialDelayNanos : Math.max(minDelayNanos, p);
  }

  /** {@return a history sized for this policy: what hedges of one node read} */
  static LatencyHistogram newHistory() {
    return new LatencyHistogram(WINDOW_NANOS);
  }

  @Override
  public String toString() {
    return "HedgePolicy[" + (fixedNanos >= 0 ? "after " + Duration.ofNanos(fixedNanos)
        : "p" + Math.round(quantile * 1000) / 10.0) + ", maxHedges=" + maxHedges + "]";
  }
}
