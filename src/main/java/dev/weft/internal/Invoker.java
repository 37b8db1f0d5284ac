package dev.weft.internal;

/**
 * The compiled body of one task: reads its arguments from the run and returns its value.
 * Implementations are created by the public builder from the user's lambda.
 */
@FunctionalInterface
public interface Invoker {
  /** Runs the task for vertex {@code node} of {@code run}; any throwable becomes the outcome. */
  Object invoke(Run<?> run, int node) throws Throwable;
}
