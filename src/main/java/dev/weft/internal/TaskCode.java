package dev.weft.internal;

/**
 * User code of a task (its body, its fallback), as {@link ScopedBindings} runs it inside a run's
 * bindings. A type of its own, outside the class the multi-release jar overlays, so the overlay
 * holds that one class.
 */
@FunctionalInterface
public interface TaskCode {
  /** {@return what the code returns} */
  Object run() throws Throwable;
}
