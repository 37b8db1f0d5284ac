package dev.weft;

import static java.util.Objects.requireNonNull;

/**
 * A retry (or a hedge) was not sent because its node's {@link RetryBudget} was spent. Attached as
 * a suppressed exception to the failure a node ends with when the budget refused its retry, so
 * the failure says why no retry followed; the node's own failure keeps its type, for fallbacks
 * and predicates.
 *
 * <p>Immutable once thrown, so safe to share between threads; its constructor refuses nulls with
 * {@code NullPointerException}.
 */
public final class BudgetExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String budget;
  private final String node;

  /**
   * Creates the exception.
   *
   * @param budget the budget's name
   * @param node the node whose extra call was not sent
   * @param what what was not sent, for the message: {@code "retry 2"}, {@code "hedge 1"}
   * @param terms what the budget allows, for the message
   */
  public BudgetExhaustedException(String budget, String node, String what, String terms) {
    super("retry budget '" + requireNonNull(budget, "budget") + "' is spent ("
        + requireNonNull(terms, "terms") + "): " + requireNonNull(what, "what")
        + " of node '" + requireNonNull(node, "node") + "' was not sent", null, false, false);
    this.budget = budget;
    this.node = node;
  }

  /** {@return the budget's name} */
  public String budget() {
    return budget;
  }

  /** {@return the node whose retry or hedge was not sent} */
  public String node() {
    return node;
  }
}
