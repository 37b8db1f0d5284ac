package dev.weft.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * {@return {@code value}}
   *
   * @throws IllegalArgumentException if {@code value} is not in (0, 1] (NaN included)
   */
  public static double rate(double value, String name) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in (0, 1], not " + value);
    }
    return value;
  }

  /**
   * {@return {@code types} in a new list}
   *
   * @throws IllegalArgumentException if {@code types} is empty
   * @throws NullPointerException if {@code types} or one of them is null
   */
  @SafeVarargs
  public static List<Class<? extends Throwable>> types(String name,
      Class<? extends Throwable>... types) {
    requireNonNull(types, name);
    if (types.length == 0) {
      throw new IllegalArgumentException(name + " must name at least one exception type");
    }
    var list = new ArrayList<Class<? extends Throwable>>(types.length);
    for (var type : types) {
      list.add(requireNonNull(type, name + "[]"));
    }
    return list;
  }

  private static long saturatedNanos(Duration d) {
    return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
  }
}
