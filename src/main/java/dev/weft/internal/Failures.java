package dev.weft.internal;

/**
 * What Weft does with throwables it did not write: it describes them and links them without
 * ever failing itself. A user's exception may override {@code getMessage()} or {@code
 * toString()} to throw, or be thrown twice; a message, an export or a suppression list built from
 * it must still come out. Stateless and thread-safe.
 */
public final class Failures {
  private Failures() {}

  /**
   * {@return {@code t} as {@link Throwable#toString()} gives it, e.g. {@code
   * java.io.IOException: feed service is down}} If that throws or yields null, the class name
   * with a note of what went wrong, so the text is never missing.
   */
  public static String describe(Throwable t) {
    if (t == null) {
      return "null";
    }
    try {
      var text = t.toString();
      if (text != null) {
        return text;
      }
    } catch (Throwable broken) {
      return t.getClass().getName() + " (its toString() threw " + broken.getClass().getName()
          + ")";
    }
    return t.getClass().getName();
  }

  /**
   * Attaches {@code extra} to {@code target} as suppressed, unless it is {@code target} itself
   * (which {@link Throwable#addSuppressed} refuses), null, or attached already: the same
   * exception thrown by several attempts, or rethrown by a fallback, is listed once. A target
   * holding {@value #MAX_SUPPRESSED} already gets no more: a task or fallback that throws one
   * shared instance in every run would otherwise grow it, and with it every earlier result.
   */
  public static void suppress(Throwable target, Throwable extra) {
    if (extra == null || extra == target) {
      return;
    }
    var already = target.getSuppressed();
    if (already.length >= MAX_SUPPRESSED) {
      return; // a shared exception thrown run after run must not grow without bound
    }
    for (var s : already) {
      if (s == extra) {
        return;
      }
    }
    target.addSuppressed(extra);
  }

  /** How many suppressed exceptions Weft attaches to one throwable at most. */
  static final int MAX_SUPPRESSED = 16;
}
