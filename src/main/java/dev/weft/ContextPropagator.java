package dev.weft;

import static java.util.Objects.requireNonNull;

/**
 * Carries a thread-bound context (an MDC, a tracing context, a request id) from the thread that
 * starts a run to every task of it, which run on other threads. Register with {@link
 * RunOptions#withPropagator}.
 *
 * <p>{@link #capture()} runs once per run, on the thread that calls {@code run}/{@code runAsync};
 * {@link #restore(Object)} runs on a task's thread just before the task, and the {@link Scope} it
 * returns is closed just after, on the same thread, so nothing leaks to the next task run there.
 *
 * <pre>{@code
 * static final ThreadLocal<String> REQUEST_ID = new ThreadLocal<>();
 * var options = RunOptions.defaults()
 *     .withPropagator(ContextPropagator.threadLocal(REQUEST_ID));
 * }</pre>
 *
 * <p>Implementations must be thread-safe. If {@code restore} throws, the task fails with that
 * exception without running; if closing a scope throws, the task's outcome stands and the failure
 * is kept in {@link RunResult#listenerFailures()}.
 *
 * <p>A {@code ScopedValue} cannot be set and restored, only bound around a call: register it with
 * {@link RunOptions#withScopedValue} instead (Java 25).
 */
public interface ContextPropagator {
  /** {@return the current thread's context, to be restored around each task; may be null} */
  Object capture();

  /**
   * Makes {@code captured} current on this thread.
   *
   * @return what undoes it
   */
  Scope restore(Object captured);

  /** Undoes one {@link #restore}. */
  @FunctionalInterface
  interface Scope extends AutoCloseable {
    /** Restores the thread's context as it was before {@link #restore}. */
    @Override
    void close();
  }

  /**
   * {@return a propagator for one {@code ThreadLocal}: the caller's value is set around each task,
   * and the task thread's previous value put back after}
   */
  static <T> ContextPropagator threadLocal(ThreadLocal<T> local) {
    requireNonNull(local, "local");
    return new ContextPropagator() {
      @Override
      public Object capture() {
        return local.get();
      }

      @Override
      @SuppressWarnings("unchecked")
      public Scope restore(Object captured) {
        T before = local.get();
        local.set((T) captured);
        return before == null ? local::remove : () -> local.set(before);
      }

      @Override
      public String toString() {
        return "ContextPropagator.threadLocal(" + local + ")";
      }
    };
  }
}
