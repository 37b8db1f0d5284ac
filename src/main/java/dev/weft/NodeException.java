package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Failures;

/**
 * A node's value was asked for but the node did not succeed. The message names the node and,
 * when it was skipped, the node whose failure caused it; the cause is the failure's exception.
 *
 * <p>Immutable once thrown, so safe to share between threads.
 */
public final class NodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Outcome<?> outcome;

  /**
   * Creates the exception for an outcome other than {@link Outcome.Succeeded}.
   *
   * @param outcome how the node ended
   */
  public NodeException(Outcome<?> outcome) {
    super(message(requireNonNull(outcome, "outcome")), cause(outcome));
    this.outcome = outcome;
  }

  /** {@return the name of the node} */
  public String node() {
    return outcome.node();
  }

  /** {@return how the node ended} */
  public Outcome<?> outcome() {
    return outcome;
  }

  private static String message(Outcome<?> outcome) {
    return switch (outcome) {
      case Outcome.Failed<?> f -> "node '" + f.node() + "' failed: "
          + Failures.describe(f.error());
      case Outcome.Skipped<?> s -> "node '" + s.node() + "' was skipped because '" + s.cause()
          + "' failed: " + Failures.describe(s.error());
      case Outcome.Cancelled<?> c -> "node '" + c.node() + "' was cancelled: " + c.reason();
      case Outcome.Omitted<?> o -> o.cause().equals(o.node())
          ? "node '" + o.node() + "' was omitted: its condition did not hold"
          : "node '" + o.node() + "' was omitted because '" + o.cause() + "' was: its condition "
              + "did not hold";
      case Outcome.Succeeded<?> s -> "node '" + s.node() + "' succeeded";
    };
  }

  private static Throwable cause(Outcome<?> outcome) {
    return switch (outcome) {
      case Outcome.Failed<?> f -> f.error();
      case Outcome.Skipped<?> s -> s.error();
      default -> null;
    };
  }
}
