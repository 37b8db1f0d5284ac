package dev.weft.internal;

/**
 * Whether a ready task is to run at all: decided on the thread that made it ready, from the
 * values of its ended dependencies. Created by the public builder from the user's predicate.
 */
@FunctionalInterface
public interface Condition {
  /** {@return whether vertex {@code node} of {@code run} runs} Throwing fails the node. */
  boolean test(Run<?> run, int node) throws Throwable;
}
