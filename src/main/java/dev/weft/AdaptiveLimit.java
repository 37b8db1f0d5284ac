package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.positive;
import static java.util.Objects.requireNonNull;

import dev.weft.internal.Durations;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * How a {@link Bulkhead}'s limit follows the latency it measures, instead of being fixed: the
 * limit rises while the downstream answers as fast as when it is idle, and falls when its
 * latency rises or its calls time out. Pass one to {@link Bulkhead.Builder#adaptiveLimit}:
 *
 * <pre>{@code
 * static final Bulkhead REVIEWS = Bulkhead.builder("reviews")
 *     .adaptiveLimit(AdaptiveLimit.of(20, 5, 400))   // initial, min, max
 *     .maxWait(Duration.ofMillis(10))
 *     .build();
 * }</pre>
 *
 * <h2>The algorithm</h2>
 * It follows the gradient limit of Netflix's concurrency-limits ({@code Gradient2Limit}, and the
 * article "Performance Under Load", Netflix Technology Blog, 2018), with the slow start and loss
 * back-off of TCP as that library's {@code VegasLimit} and {@code AIMDLimit} apply them (TCP
 * Vegas: Brakmo and Peterson, 1995), and BBR's probe of the idle round trip ({@code ProbeRTT};
 * Cardwell et al., "BBR: Congestion-Based Congestion Control", ACM Queue, 2016). Each guarded
 * attempt gives one sample: how long it ran (on the run's {@link Scheduler} clock, so it works on
 * a fake clock too) and whether it succeeded, failed, or was <em>dropped</em>: it timed out, or
 * failed with what {@link #dropIf} names (a downstream's "too many requests"). Samples are
 * gathered in windows of at least {@link #withWindow 100 ms and 20 samples}; at the end of each
 * window:
 * <ol>
 *   <li><b>Drops.</b> If at least 1% of the window's attempts (and at least one) were dropped,
 *       the limit is multiplied by the {@link #withBackoff back-off} (0.9), as AIMD and Vegas
 *       do on a loss.
 *   <li><b>Baseline.</b> Otherwise the window's mean latency {@code rtt} of successful attempts
 *       is set against the <em>baseline</em>, the latency of the idle downstream: the first
 *       window's at first, then following lower windows down (a fifth of the way each window).
 *       It follows a window up only when that window used less than half the limit (its latency
 *       was not made by a queue at the limit), or when latency stayed up although the limit has
 *       been halved since it rose (by less than a quarter: the downstream got slower, not
 *       busier): then the baseline is reset to the latency now, and the limit starts afresh in
 *       slow start.
 *   <li><b>Within tolerance</b> ({@code rtt <= baseline * tolerance}, {@link #withTolerance}
 *       1.1): the limit grows, but only if the window used it, its busiest moment at least 90% of
 *       the limit in use. In <em>slow start</em>, from the first window until latency first
 *       rises, it doubles; after that it grows by {@code smoothing * sqrt(limit)} (the
 *       square-root queue allowance of concurrency-limits' first gradient limit).
 *   <li><b>Latency rose</b>: with {@code gradient = max(0.5, baseline * tolerance / rtt)}, the
 *       limit becomes {@code limit * (1 - smoothing + smoothing * gradient)} ({@link
 *       #withSmoothing smoothing} 0.2); the window that ends slow start applies the gradient
 *       unsmoothed, as TCP cuts its window when slow start overshoots.
 *   <li><b>Probe.</b> Every 100 windows that used the limit, it is lowered to {@code 1 /
 *       tolerance²} of itself (between half and 90%) for two windows: the queue the limit keeps
 *       at the downstream drains in the first, the second measures the idle latency, and the
 *       baseline moves half-way down to it if it is lower; then the limit is back where it was.
 *       A probe that finds markedly lower latency is repeated 10 windows later. Without it a
 *       downstream that got faster would leave the baseline above its new idle latency, held
 *       there by the limiter's own queue.
 * </ol>
 * The limit stays between its minimum and maximum. A window that used less than half the limit
 * changes only the baseline: a quiet period never inflates the limit.
 *
 * <h2>Why it does not drift upward</h2>
 * Gradient2 computes {@code gradient * limit + queueSize} whatever the gradient, and its baseline
 * is an exponential average of all latencies. Under a steady overload the two settle where
 * {@code gradient = 1 - queueSize / limit}, just below 1: latency sits a little above the
 * baseline, the baseline averages it in, the gradient returns to 1 and the limit grows by the
 * queue term again, so limit and latency creep up without end (concurrency-limits issues #35
 * and #134). Here three things break that loop: the queue term (the growth) is added only when
 * latency is within tolerance, never while it is above; the baseline never follows latency up
 * from windows that used the limit, so a queue the limiter itself built cannot become the new
 * normal (only a latency that does not respond to halving the limit can); and a limit that is
 * not used does not grow. Under steady load the limit therefore settles where the downstream's
 * latency is {@code tolerance} times its idle latency, and stays there (see BENCHMARKS.md,
 * "Adaptive limit": ten simulated minutes without drift).
 *
 * <h2>Limits of the method</h2>
 * A downstream kept slow by other clients looks to this limiter like one that got slower: once
 * halving its own limit does not help, the limiter accepts the latency as the new baseline and
 * competes for the downstream again. Latency noise larger than the tolerance (few samples per
 * window, a very variable downstream) makes the limit dip without need; raise the tolerance or
 * the window for such downstreams. Every run that shares an adaptive bulkhead should read time
 * from the same clock.
 *
 * <p>Immutable and thread-safe: one value may configure any number of bulkheads, each of which
 * keeps its own limit. The {@code withX} methods and {@link #dropIf} return copies; invalid
 * values throw {@link IllegalArgumentException} naming the parameter at once.
 */
public final class AdaptiveLimit {
  private final int initial;
  private final int min;
  private final int max;
  private final double tolerance;
  private final double smoothing;
  private final double backoff;
  private final long windowNanos;
  private final int windowSamples;
  private final Predicate<? super Throwable> dropIf;

  private AdaptiveLimit(int initial, int min, int max, double tolerance, double smoothing,
      double backoff, long windowNanos, int windowSamples, Predicate<? super Throwable> dropIf) {
    this.initial = initial;
    this.min = min;
    this.max = max;
    this.tolerance = tolerance;
    this.smoothing = smoothing;
    this.backoff = backoff;
    this.windowNanos = windowNanos;
    this.windowSamples = windowSamples;
    this.dropIf = dropIf;
  }

  /**
   * {@return an adaptive limit starting at {@code initial}, never below {@code min} nor above
   * {@code max}, with the defaults above: tolerance 1.1, smoothing 0.2, back-off 0.9, windows of
   * 100 ms and 20 samples, only timeouts counted as drops}
   *
   * @param initial the limit before any sample; between {@code min} and {@code max}
   * @param min the lowest limit; at least 1
   * @param max the highest limit; at least {@code min}
   * @throws IllegalArgumentException naming the parameter that is out of range
   */
  public static AdaptiveLimit of(int initial, int min, int max) {
    atLeastOne(min, "min");
    if (max < min) {
      throw new IllegalArgumentException("max must be at least min (" + min + "), not " + max);
    }
    if (initial < min || initial > max) {
      throw new IllegalArgumentException("initial must be between min (" + min + ") and max ("
          + max + "), not " + initial);
    }
    return new AdaptiveLimit(initial, min, max, 1.1, 0.2, 0.9,
        Duration.ofMillis(100).toNanos(), 20, t -> false);
  }

  /**
   * {@return a copy that counts latency up to {@code tolerance} times the baseline (at least 1.0;
   * by default 1.1) as no queueing: the limit grows below it and shrinks above it}
   */
  public AdaptiveLimit withTolerance(double tolerance) {
    if (!(tolerance >= 1.0) || Double.isInfinite(tolerance)) {
      throw new IllegalArgumentException("tolerance must be at least 1.0 and finite, not "
          + tolerance);
    }
    return new AdaptiveLimit(initial, min, max, tolerance, smoothing, backoff, windowNanos,
        windowSamples, dropIf);
  }

  /**
   * {@return a copy that moves the limit by {@code smoothing} (above 0, at most 1; by default
   * 0.2) of the way to what one window's latency suggests}
   */
  public AdaptiveLimit withSmoothing(double smoothing) {
    if (!(smoothing > 0 && smoothing <= 1)) {
      throw new IllegalArgumentException("smoothing must be above 0 and at most 1, not "
          + smoothing);
    }
    return new AdaptiveLimit(initial, min, max, tolerance, smoothing, backoff, windowNanos,
        windowSamples, dropIf);
  }

  /**
   * {@return a copy that multiplies the limit by {@code backoff} (above 0, below 1; by default
   * 0.9) after a window with drops}
   */
  public AdaptiveLimit withBackoff(double backoff) {
    if (!(backoff > 0 && backoff < 1)) {
      throw new IllegalArgumentException("backoff must be above 0 and below 1, not " + backoff);
    }
    return new AdaptiveLimit(initial, min, max, tolerance, smoothing, backoff, windowNanos,
        windowSamples, dropIf);
  }

  /**
   * {@return a copy whose windows last at least {@code minTime} (positive; by default 100 ms)
   * and hold at least {@code minSamples} successful or dropped attempts (at least 1; by default
   * 20)} Longer windows give a steadier latency and a slower limit.
   */
  public AdaptiveLimit withWindow(Duration minTime, int minSamples) {
    return new AdaptiveLimit(initial, min, max, tolerance, smoothing, backoff,
        positive(minTime, "minTime"), atLeastOne(minSamples, "minSamples"), dropIf);
  }

  /**
   * {@return a copy that also counts an attempt that failed with a throwable matching {@code
   * predicate} as dropped, as it counts a timeout} For a downstream's own overload answers
   * ({@code t -> t instanceof TooManyRequestsException}). Other failures are not samples: they
   * neither raise nor lower the limit. A predicate that throws counts the failure as not dropped,
   * what it threw attached to the failure as suppressed.
   */
  public AdaptiveLimit dropIf(Predicate<? super Throwable> predicate) {
    requireNonNull(predicate, "predicate");
    Predicate<? super Throwable> before = dropIf;
    return new AdaptiveLimit(initial, min, max, tolerance, smoothing, backoff, windowNanos,
        windowSamples, t -> before.test(t) || predicate.test(t));
  }

  /** {@return the limit before any sample} */
  public int initial() {
    return initial;
  }

  /** {@return the lowest limit} */
  public int min() {
    return min;
  }

  /** {@return the highest limit} */
  public int max() {
    return max;
  }

  /** {@return the latency, as a multiple of the baseline, counted as no queueing} */
  public double tolerance() {
    return tolerance;
  }

  /** {@return how far one window moves the limit toward what it suggests} */
  public double smoothing() {
    return smoothing;
  }

  /** {@return what a window with drops multiplies the limit by} */
  public double backoff() {
    return backoff;
  }

  /** {@return the shortest window} */
  public Duration windowTime() {
    return Duration.ofNanos(windowNanos);
  }

  /** {@return the fewest successful or dropped attempts in a window} */
  public int windowSamples() {
    return windowSamples;
  }

  long windowNanos() {
    return windowNanos;
  }

  /** {@return whether {@code failure} counts as a drop} What the predicate throws, it throws. */
  boolean drops(Throwable failure) {
    return dropIf.test(failure);
  }

  @Override
  public String toString() {
    return "AdaptiveLimit[initial=" + initial + ", min=" + min + ", max=" + max + ", tolerance="
        + tolerance + ", smoothing=" + smoothing + ", backoff=" + backoff + ", window="
        + Durations.text(Duration.ofNanos(windowNanos)) + " and " + windowSamples + " samples]";
  }
}
