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
  /** Below this share of the limit in use a window is app-limited: it teaches the baseline only. */
  private static final double APP_LIMITED = 0.5;
  /** The share of a window's attempts that must be dropped for the drop back-off. */
  private static final double DROP_SHARE = 0.01;
  /** How far latency must fall, once the limit is halved, to show the limit was the cause. */
  private static final double RESPONDED = 0.75;
  /** How many windows that used the limit pass between two probes. */
  private static final int PROBE_EVERY = 100;
  /** After a probe that found the idle latency lower, how many windows pass to the next. */
  private static final int PROBE_AGAIN = 10;
  /** How far a probe window moves the baseline down toward its latency. */
  private static final double PROBE_GAIN = 0.5;

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
  // windows that used the limit since the last probe; the probe's windows still to close (2, 1,
  // or 0 for none), and the limit to come back to after it
  private int sinceProbe;
  private int probing;
  private double beforeProbe;

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
    begin(start, end, inUse);
    samples++;
    rttSum += Math.max(0, end - start);
    return closeIfDue(end);
  }

  /** Counts an attempt that timed out or was rejected downstream; as {@link #succeeded}. */
  public LimitChange dropped(long start, long end, int inUse) {
    begin(start, end, inUse);
    drops++;
    return closeIfDue(end);
  }

  /** Counts an attempt that failed otherwise: it shows how many places were in use, no more. */
  public void failed(long start, long end, int inUse) {
    begin(start, end, inUse);
  }

  /** Opens a window at the first sample's start, if none is open; notes the places in use. */
  private void begin(long start, long end, int inUse) {
    // a clock far behind the window's (another origin) starts a new window rather than wait
    if (!open || end < windowStart - windowNanos) {
      open = true;
      windowStart = Math.min(start, end);
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
    if (probing > 0) {
      return probed(rtt);
    }
    var cause = rules(old, rtt);
    if (peakInUse >= APP_LIMITED * old && !slowStart && ++sinceProbe >= PROBE_EVERY) {
      // Below the limit latency reads to the idle downstream, the queue at the limit drained:
      // a baseline that holds some of that queue (a downstream got faster) comes down.
      sinceProbe = 0;
      probing = 2;
      beforeProbe = estimate;
      double depth = Math.min(0.9, Math.max(0.5, 1 / (tolerance * tolerance)));
      estimate = Math.max(min, estimate * depth);
      return Cause.PROBE;
    }
    return cause;
  }

  /**
   * Closes one of the probe's two windows: the first lets the queue drain, the second measures;
   * then the limit comes back to where it was (times the back-off, if the probe saw drops).
   */
  private Cause probed(double rtt) {
    if (--probing > 0) {
      return null;
    }
    boolean dropped = drops > 0 && drops >= DROP_SHARE * (samples + drops);
    if (!dropped && samples > 0 && rtt < baseline) {
      // Found markedly lower (by more than half the tolerance), the baseline may be lower still:
      // probe again soon. Half-way only, so that one window's noise moves it little.
      if (rtt * (1 + (tolerance - 1) / 2) < baseline) {
        sinceProbe = PROBE_EVERY - PROBE_AGAIN;
      }
      baseline += PROBE_GAIN * (rtt - baseline);
    }
    estimate = dropped ? Math.max(min, beforeProbe * backoff) : beforeProbe;
    return Cause.PROBE;
  }

  /** The rules of a window outside probes. {@return why the estimate moved, if it did} */
  private Cause rules(int old, double rtt) {
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
      // The limit was halved and latency hardly came down: not our queue, a slower downstream.
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
