package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Durations;

import java.time.Duration;

/**
 * An attempt of a node ran longer than its {@link NodeBuilder#timeout timeout}: its thread was
 * interrupted and the attempt failed with this exception. The cause is what the task threw when
 * interrupted, if anything. Retried by default.
 *
 * <p>Immutable once thrown, so safe to share between threads; its constructor refuses null
 * names with {@code NullPointerException}.
 */
public final class NodeTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String node;
  private final Duration timeout;
  private final int attempt;

  /**
   * Creates the exception.
   *
   * @param node the node's name
   * @param timeout the per-attempt timeout that fired
   * @param attempt the attempt that timed out, from 1
   * @param cause what the task threw when interrupted, or {@code null}
   */
  public NodeTimeoutException(String node, Duration timeout, int attempt, Throwable cause) {
    super("node '" + requireNonNull(node, "node") + "' timed out after "
        + Durations.text(requireNonNull(timeout, "timeout")) + " (attempt "
        + attempt + ")", cause);
    this.node = requireNonNull(node, "node");
    this.timeout = requireNonNull(timeout, "timeout");
    this.attempt = attempt;
  }

  /** {@return the node's name} */
  public String node() {
    return node;
  }

  /** {@return the timeout that fired} */
  public Duration timeout() {
    return timeout;
  }

  /** {@return the attempt that timed out, from 1} */
  public int attempt() {
    return attempt;
  }
}
