package dev.weft.internal;

import dev.weft.Bulkhead.LimitChange;
import dev.weft.Bulkhead.LimitChange.Cause;
import java.time.Duration;

/**
 * The estimator behind an adaptive bulkhead: it gathers the attempts' samples in windows and, at
 * the end of each, moves the limit as {@link dev.weft.AdaptiveLimit}'s documentation describes
 * (that is the specification; this class is its arithmetic). Pure: it reads no clock (samples
 * carry their times) and touches no place; the bulkhead applies the limit it returns.
 *
 * <p>Not thread-safe: its bulkhead calls it under one lock, for a few arithmetic operations per
 * sample.
 */
public final class GradientLimit {
  /** How far one window moves the baseline toward its latency, when it may. */
  private static final double BASELINE_GAIN = 0.2;
  /** The share of the limit a window's busiest moment must reach for the limit to grow. */
  private static final double IN_USE = 0.9;
  /** Below this share of the limit in use, a window is app-limited: it only teaches the baseline. */
  private static final double APP_LIMITED = 0.5;
  /** The share of a window's attempts that must be dropped for the drop back-off. */
  private static final double DROP_SHARE = 0.01;
  /** How far latency must fall, once the limit is halved, to show the limit was the cause. */
  private static final double RESPONDED = 0.9;

  private final String name;
  private final int min;
  private final int max;
  private final double tolerance;
  private final double smoothing;
  private final double backoff;
  private final long windowNanos;
  private final int windowSamples;

  private double estimate;
  private boolean slowStart = true;
  private double baseline = Double.NaN; // nanoseconds; NaN until the first window with a latency
  // since latency last rose above tolerance: the limit and the latency then; NaN when it has not
  private double episodeLimit = Double.NaN;
  private double episodeRtt;

  // the window being gathered
  private boolean open;
  private long windowStart;
  private int samples;
  private double rttSum;
  private int drops;
  private int peakInUse;

  /** An estimator for the bulkhead {@code name}, with an adaptive limit's settings. */
  public GradientLimit(String name, int initial, int min, int max, double tolerance,
      double smoothing, double backoff, long windowNanos, int windowSamples) {
    this.name = name;
    this.estimate = initial;
    this.min = min;
    this.max = max;
    this.tolerance = tolerance;
    this.smoothing = smoothing;
    this.backoff = backoff;
    this.windowNanos = windowNanos;
    this.windowSamples = windowSamples;
  }

  /** {@return the limit now} */
  public int limit() {
    return (int) estimate;
  }

  /**
   * Counts an attempt that succeeded after running from {@code start} to {@code end} (nanos of
   * the run's clock), with {@code inUse} places taken as it ended, its own included. {@return
   * the change of the limit if this sample closed a window that changed it, or null}
   */
  public LimitChange succeeded(long start, long end, int inUse) {
    begin(end, inUse);
    samples++;
    rttSum += Math.max(0, end - start);
    return closeIfDue(end);
  }

  /** Counts an attempt that timed out or was rejected downstream; as {@link #succeeded}. */
  public LimitChange dropped(long end, int inUse) {
    begin(end, inUse);
    drops++;
    return closeIfDue(end);
  }

  /** Counts an attempt that failed otherwise: it shows how many places were in use, no more. */
  public void failed(long end, int inUse) {
    begin(end, inUse);
  }

  private void begin(long end, int inUse) {
    // a clock far behind the window's (another origin) starts a new window rather than wait
    if (!open || end < windowStart - windowNanos) {
      open = true;
      windowStart = end;
      samples = 0;
      rttSum = 0;
      drops = 0;
      peakInUse = 0;
    }
    peakInUse = Math.max(peakInUse, inUse);
  }

  private LimitChange closeIfDue(long end) {
    if (end - windowStart < windowNanos || samples + drops < windowSamples) {
      return null;
    }
    open = false;
    int old = limit();
    double rtt = samples > 0 ? rttSum / samples : Double.NaN;
    Cause cause = decide(old, rtt);
    int now = limit();
    if (now == old) {
      return null;
    }
    return new LimitChange(name, old, now, cause, nanos(rtt), nanos(baseline), samples, drops,
        peakInUse);
  }

  /** Moves the estimate for the window that just closed. {@return why, if it moved} */
  private Cause decide(int old, double rtt) {
    if (drops > 0 && drops >= DROP_SHARE * (samples + drops)) {
      slowStart = false;
      estimate = Math.max(min, estimate * backoff);
      return Cause.DROPS;
    }
    if (samples == 0) {
      return null;
    }
    boolean appLimited = peakInUse < APP_LIMITED * old;
    if (Double.isNaN(baseline)) {
      baseline = rtt;
    } else if (appLimited || rtt < baseline) {
      baseline += BASELINE_GAIN * (rtt - baseline);
    }
    if (appLimited) {
      return null; // a limit nobody uses neither grows nor shrinks
    }
    double tolerated = baseline * tolerance;
    boolean used = peakInUse >= Math.ceil(IN_USE * old);
    if (rtt <= tolerated) {
      episodeLimit = Double.NaN;
      return used ? grow(slowStart ? Cause.SLOW_START : Cause.GROWTH) : null;
    }
    if (Double.isNaN(episodeLimit)) {
      episodeLimit = estimate;
      episodeRtt = rtt;
    } else if ((estimate <= episodeLimit / 2 || estimate <= min)
        && rtt >= RESPONDED * episodeRtt) {
      // The limit was halved and latency did not come down: not our queue, a slower downstream.
      baseline = rtt;
      episodeLimit = Double.NaN;
      slowStart = true;
      return used ? grow(Cause.REBASE) : null;
    }
    double gradient = Math.max(0.5, tolerated / rtt);
    estimate = Math.max(min, slowStart ? estimate * gradient
        : estimate * (1 - smoothing + smoothing * gradient));
    slowStart = false;
    return Cause.LATENCY;
  }

  private Cause grow(Cause cause) {
    estimate = Math.min(max, slowStart ? estimate * 2
        : estimate + smoothing * Math.sqrt(estimate));
    return cause;
  }

  private static Duration nanos(double nanos) {
    return Double.isNaN(nanos) ? Duration.ZERO : Duration.ofNanos(Math.round(nanos));
  }
}
