package dev.weft;

/**
 * One dependency of a task, as the task consumes it: a {@link Node} itself (its value is
 * required), {@link Node#orElse(Object) node.orElse(fallback)} or {@link Node#optional()
 * node.optional()} (the task runs even when the upstream node did not succeed).
 *
 * <p>Immutable and thread-safe.
 *
 * <p>Making one never fails; using one of another graph fails with {@link InvalidGraphException}.
 *
 * @param <T> the type of value the task receives for this dependency
 */
public sealed interface Dep<T> permits Node, Edge {
  /** {@return the upstream node this dependency reads} */
  Node<?> node();
}
