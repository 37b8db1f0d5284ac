package dev.weft.internal;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A node's (or a graph's) recent latencies, shared by every run of its graph: a rolling,
 * lock-free histogram from which hedging reads its delay (a percentile), and shedding its medians.
 *
 * <p>Buckets are log-linear, as HdrHistogram lays them out with one significant binary digit and
 * three sub-bucket bits: 8 buckets per power of two from 1 us to about 137 s, so a percentile is
 * read to within 1/8 of its value (it reads the bucket's upper bound: never below the truth).
 * Values outside the range fall into the first or the last bucket.
 *
 * <p>Rolling: time is cut into windows of {@code windowNanos}; two windows are kept, the current
 * and the one before, so what is read covers between one and two windows of the past. The first
 * recorder that finds a window stale claims it by CAS on its epoch and clears it. Recording is a
 * clock read the caller already has, and two atomic adds; a sample racing a window's clearing
 * may be lost, which a statistic can afford. Thread-safe.
 */
public final class LatencyHistogram {
  private static final int SUB_BITS = 3;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MIN_SHIFT = 10; // 2^10 ns, about 1 us
  private static final int POWERS = 27; // up to 2^37 ns, about 137 s
  static final int BUCKETS = POWERS * SUB;

  private final long windowNanos;
  // per window (2): its epoch (-1: never used) and its counts, the total last
  private final AtomicLongArray epochs = new AtomicLongArray(new long[] {-1, -1});
  private final AtomicLongArray[] counts = {
      new AtomicLongArray(BUCKETS + 1), new AtomicLongArray(BUCKETS + 1)};

  /** A histogram that forgets what it recorded two windows of {@code windowNanos} ago. */
  public LatencyHistogram(long windowNanos) {
    if (windowNanos <= 0) {
      throw new IllegalArgumentException("windowNanos must be positive, not " + windowNanos);
    }
    this.windowNanos = windowNanos;
  }

  /** {@return the bucket of {@code nanos}} */
  static int bucket(long nanos) {
    if (nanos < (1L << MIN_SHIFT)) {
      return 0;
    }
    int power = 63 - Long.numberOfLeadingZeros(nanos); // >= MIN_SHIFT
    int sub = (int) (nanos >>> (power - SUB_BITS)) & (SUB - 1);
    int b = (power - MIN_SHIFT) * SUB + sub;
    return Math.min(b, BUCKETS - 1);
  }

  /** {@return the largest value that falls into bucket {@code b}} */
  static long upperBound(int b) {
    int power = b / SUB + MIN_SHIFT;
    int sub = b % SUB;
    return ((long) (SUB + sub + 1) << (power - SUB_BITS)) - 1;
  }

  /** Records one latency of {@code nanos}, ending at {@code now} (the caller's clock). */
  public void record(long nanos, long now) {
    var window = window(now);
    window.getAndIncrement(bucket(Math.max(0, nanos)));
    window.getAndIncrement(BUCKETS);
  }

  private AtomicLongArray window(long now) {
    long epoch = Math.floorDiv(now, windowNanos);
    int i = (int) (epoch & 1);
    long seen = epochs.get(i);
    if (seen < epoch && epochs.compareAndSet(i, seen, epoch)) {
      var stale = counts[i];
      for (int b = 0; b <= BUCKETS; b++) {
        stale.set(b, 0);
      }
    }
    return counts[i];
  }

  /** {@return how many samples the readable windows hold at {@code now}} */
  public long count(long now) {
    long total = 0;
    for (var w : readable(now)) {
      total += w == null ? 0 : w.get(BUCKETS);
    }
    return total;
  }

  /**
   * {@return the latency below which a share {@code q} (in (0, 1]) of the recent samples fall,
   * in nanos, read as its bucket's upper bound; -1 when fewer than {@code minSamples} are held}
   */
  public long percentile(double q, long minSamples, long now) {
    var windows = readable(now);
    long total = 0;
    for (var w : windows) {
      total += w == null ? 0 : w.get(BUCKETS);
    }
    if (total < Math.max(1, minSamples)) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      for (var w : windows) {
        seen += w == null ? 0 : w.get(b);
      }
      if (seen >= rank) {
        return upperBound(b);
      }
    }
    return upperBound(BUCKETS - 1); // samples raced in while counting
  }

  private AtomicLongArray[] readable(long now) {
    long epoch = Math.floorDiv(now, windowNanos);
    var out = new AtomicLongArray[2];
    for (int i = 0; i < 2; i++) {
      long e = epochs.get(i);
      out[i] = e == epoch || e == epoch - 1 ? counts[i] : null;
    }
    return out;
  }
}
