package dev.weft.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The argument checks the public API shares, so that one kind of mistake reads the same wherever
 * it is made: {@code "timeout must be positive, not PT0S"}, {@code "maxAttempts must be at least
 * 1, not 0"}. Each names the parameter first; a null throws {@link NullPointerException} whose
 * message is the parameter's name. Stateless and thread-safe.
 */
public final class Check {
  private Check() {}

  /**
   * {@return {@code d} in nanoseconds, {@link Long#MAX_VALUE} if it is longer than that}
   *
   * @throws IllegalArgumentException if {@code d} is zero or negative
   */
  public static long positive(Duration d, String name) {
    requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, not " + d);
    }
    return saturatedNanos(d);
  }

  /**
   * {@return {@code d} in nanoseconds, {@link Long#MAX_VALUE} if it is longer than that}
   *
   * @throws IllegalArgumentException if {@code d} is negative
   */
  public static long nonNegative(Duration d, String name) {
    requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, not " + d);
    }
    return saturatedNanos(d);
  }

  /**
   * {@return {@code value}}
   *
   * @throws IllegalArgumentException if {@code value} is less than 1
   */
  public static int atLeastOne(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, not " + value);
    }
    return value;
  }

  private static long saturatedNanos(Duration d) {
    return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
  }
}
