package dev.weft;

import static java.util.Objects.requireNonNull;

/**
 * A node was not run because its {@link CircuitBreaker} was open (or half-open with all its probes
 * taken). Not retried by default.
 *
 * <p>Immutable once thrown, so safe to share between threads; its constructor refuses null
 * names with {@code NullPointerException}.
 */
public final class CircuitOpenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String breaker;
  private final String node;

  /**
   * Creates the exception.
   *
   * @param breaker the breaker's name
   * @param node the node that was not run
   */
  public CircuitOpenException(String breaker, String node) {
    super("circuit breaker '" + requireNonNull(breaker, "breaker") + "' is open: node '"
        + requireNonNull(node, "node") + "' was not run");
    this.breaker = requireNonNull(breaker, "breaker");
    this.node = requireNonNull(node, "node");
  }

  /** {@return the breaker's name} */
  public String breaker() {
    return breaker;
  }

  /** {@return the node that was not run} */
  public String node() {
    return node;
  }
}
