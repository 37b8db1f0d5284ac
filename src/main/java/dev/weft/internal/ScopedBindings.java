package dev.weft.internal;

/**
 * The {@code ScopedValue}s a run re-binds around every task body: the base version, for Java 21
 * to 24, which cannot name {@code java.lang.ScopedValue}. Registration fails here; the Java 25
 * version of this class, in the jar's {@code META-INF/versions/25}, does the work. Both versions
 * have the same API.
 */
public final class ScopedBindings {
  private ScopedBindings() {}

  /**
   * Checks that {@code key} can be registered.
   *
   * @throws UnsupportedOperationException always: this runtime loaded Weft's Java 21 classes
   */
  public static void check(Object key) {
    int feature = Runtime.version().feature();
    throw new UnsupportedOperationException("RunOptions.withScopedValue needs Java 25 or later"
        + " and Weft's multi-release jar; this is Java " + feature
        + (feature >= 25 ? ", with Weft's classes loaded from outside the multi-release jar" : ""));
  }

  /** {@return null: nothing can have been registered} */
  static ScopedBindings capture(Object[] keys) {
    return null;
  }

  /** {@return the registered keys} */
  Object[] keys() {
    return new Object[0];
  }

  /** Runs {@code op} inside the bindings. */
  Object call(TaskCode op) throws Throwable {
    return op.run();
  }
}
