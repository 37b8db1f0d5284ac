package dev.weft.internal;

/**
 * The {@code ScopedValue}s a run re-binds around every task body: the Java 25 version of this
 * class, in the jar's {@code META-INF/versions/25} (the base version refuses registration).
 *
 * <p>Following OpenJDK's advice to frameworks, the run never captures bindings it does not own:
 * only the registered keys, read once on the thread that starts the run. A key bound there is
 * bound to the same value around every attempt of every task; a key unbound there stays unbound.
 * The one {@link ScopedValue.Carrier} is built at capture, so each attempt costs one {@code
 * call}, one binding per key. Immutable; used by any of the run's threads.
 */
public final class ScopedBindings {
  private final Object[] keys;
  // the caller's bound keys with their values; null when none of them was bound
  private final ScopedValue.Carrier carrier;

  private ScopedBindings(Object[] keys, ScopedValue.Carrier carrier) {
    this.keys = keys;
    this.carrier = carrier;
  }

  /**
   * Checks that {@code key} can be registered.
   *
   * @throws IllegalArgumentException if it is not a {@code java.lang.ScopedValue}
   */
  public static void check(Object key) {
    if (!(key instanceof ScopedValue<?>)) {
      throw new IllegalArgumentException("RunOptions.withScopedValue takes a java.lang.ScopedValue,"
          + " not an instance of " + key.getClass().getName());
    }
  }

  /** {@return what the current thread binds to {@code keys}, or null when there are no keys} */
  static ScopedBindings capture(Object[] keys) {
    if (keys.length == 0) {
      return null;
    }
    ScopedValue.Carrier carrier = null;
    for (var key : keys) {
      carrier = bind(carrier, (ScopedValue<?>) key);
    }
    return new ScopedBindings(keys, carrier);
  }

  private static <T> ScopedValue.Carrier bind(ScopedValue.Carrier carrier, ScopedValue<T> key) {
    if (!key.isBound()) {
      return carrier;
    }
    T value = key.get();
    return carrier == null ? ScopedValue.where(key, value) : carrier.where(key, value);
  }

  /** {@return the registered keys} */
  Object[] keys() {
    return keys.clone();
  }

  /** Runs {@code op} inside the bindings. */
  Object call(TaskCode op) throws Throwable {
    return carrier == null ? op.run() : carrier.<Object, Throwable>call(op::run);
  }
}
