package dev.weft;

import java.time.Duration;

/** Durations as people read them in messages: {@code 80 ms}, {@code 1.5 s}, {@code 250 µs}. */
final class Durations {
  private Durations() {}

  static String text(Duration d) {
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
}
