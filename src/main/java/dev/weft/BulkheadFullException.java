package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Durations;

import java.time.Duration;

/**
 * A node was not run because its {@link Bulkhead} had no free place within the time it could
 * wait (the bulkhead's maximum wait, or less when the run's deadline was nearer). Retried by
 * default.
 *
 * <p>Immutable once thrown, so safe to share between threads; its constructor refuses null
 * names with {@code NullPointerException}.
 */
public final class BulkheadFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String bulkhead;
  private final String node;
  private final Duration waited;

  /**
   * Creates the exception.
   *
   * @param bulkhead the bulkhead's name
   * @param node the node that was not run
   * @param limit how many calls the bulkhead lets run at once
   * @param waited how long the node was allowed to wait
   */
  public BulkheadFullException(String bulkhead, String node, int limit, Duration waited) {
    super("bulkhead '" + requireNonNull(bulkhead, "bulkhead") + "' is full (" + limit
        + " running): node '" + requireNonNull(node, "node") + "' was not run after waiting "
        + Durations.text(requireNonNull(waited, "waited")));
    this.bulkhead = requireNonNull(bulkhead, "bulkhead");
    this.node = requireNonNull(node, "node");
    this.waited = requireNonNull(waited, "waited");
  }

  /** {@return the bulkhead's name} */
  public String bulkhead() {
    return bulkhead;
  }

  /** {@return the node that was not run} */
  public String node() {
    return node;
  }

  /** {@return how long the node was allowed to wait} */
  public Duration waited() {
    return waited;
  }
}
