package dev.weft.internal;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations as text, in the two forms Weft prints them: exact in messages ({@code 80 ms},
 * {@code 1.5 s}, {@code 250 µs}) and in milliseconds in traces ({@code 31.2 ms}, {@code 0.042
 * ms}). The one home of both; pure functions, independent of the default locale.
 */
public final class Durations {
  private Durations() {}

  /** {@return {@code d} as messages show it: {@code 80 ms}, {@code 1.5 s}, {@code 250 µs}} */
  public static String text(Duration d) {
    long nanos = d.toNanos();
    if (nanos % 1_000_000_000L == 0) {
      return nanos / 1_000_000_000L + " s";
    }
    if (nanos >= 1_000_000_000L) {
      return nanos / 1e9 + " s";
    }
    if (nanos % 1_000_000L == 0) {
      return nanos / 1_000_000L + " ms";
    }
    if (nanos >= 1_000_000L) {
      return nanos / 1e6 + " ms";
    }
    return nanos % 1_000 == 0 ? nanos / 1_000 + " µs" : nanos + " ns";
  }

  /** {@return nanoseconds as traces show them: {@code 31.2 ms}, {@code 0.042 ms}} */
  public static String millis(long nanos) {
    return String.format(Locale.ROOT, Math.abs(nanos) >= 1_000_000 ? "%.1f ms" : "%.3f ms",
        nanos / 1e6);
  }

  /** {@return {@link #millis(long)} of a duration} */
  public static String millis(Duration d) {
    return millis(d.toNanos());
  }
}
