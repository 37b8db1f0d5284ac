package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Failures;

/**
 * What a fan-out node ({@link NodeBuilder#forEach}) fails with when one of its elements failed,
 * after that element's own retries and fallback: it names the node and the element's index, and
 * its cause is what the element threw. The other elements were stopped: those running were
 * interrupted, and none started after it.
 *
 * <p>Immutable, like any exception once thrown; safe to hand between threads.
 */
public final class FanOutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String node;
  private final int element;

  /**
   * Makes the exception.
   *
   * @param node the fan-out node's name
   * @param element the index of the element that failed first
   * @param cause what it threw
   */
  public FanOutException(String node, int element, Throwable cause) {
    super("element " + element + " of node '" + requireNonNull(node, "node") + "' failed: "
        + Failures.describe(requireNonNull(cause, "cause")), cause);
    this.node = node;
    this.element = element;
  }

  /** {@return the fan-out node's name} */
  public String node() {
    return node;
  }

  /** {@return the index, in the node's list, of the element that failed} */
  public int element() {
    return element;
  }
}
