package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Failures;

/**
 * How one node of a run ended. Every node of every run ends with exactly one outcome:
 *
 * <pre>{@code
 * switch (result.outcome(reviews)) {
 *   case Outcome.Succeeded<List<Review>> s -> show(s.value());
 *   case Outcome.Failed<?> f -> log.warn("reviews failed", f.error());
 *   case Outcome.Skipped<?> s -> log.info("reviews skipped: " + s.cause() + " failed");
 *   case Outcome.Cancelled<?> c -> {}
 *   case Outcome.Omitted<?> o -> {}                  // its condition did not hold: not a failure
 * }
 * }</pre>
 *
 * <p>Outcomes are immutable values; thread-safe as far as the values they hold are.
 *
 * @param <T> the type of the node's value
 */
public sealed interface Outcome<T> {
  /** {@return the name of the node} */
  String node();

  /** {@return which of the five outcomes this is, for counting, filtering and labels} */
  Status status();

  /** The five ways a node ends, as a value: {@code outcome.status()}. */
  enum Status {
    /** {@link Succeeded}. */
    SUCCEEDED,
    /** {@link Failed}. */
    FAILED,
    /** {@link Skipped}. */
    SKIPPED,
    /** {@link Cancelled}. */
    CANCELLED,
    /** {@link Omitted}. */
    OMITTED;

    /**
     * {@return the name exports, events and JFR use: succeeded, failed, skipped, cancelled,
     * omitted}
     */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The task returned a value, possibly {@code null}. Inputs always succeed.
   *
   * @param node the node's name
   * @param value the value the task returned
   */
  record Succeeded<T>(String node, T value) implements Outcome<T> {
    public Succeeded {
      requireNonNull(node, "node");
    }

    @Override
    public Status status() {
      return Status.SUCCEEDED;
    }
  }

  /**
   * The task threw (an exception or an {@code Error}), or the executor refused to run it.
   *
   * @param node the node's name
   * @param error what it threw
   */
  record Failed<T>(String node, Throwable error) implements Outcome<T> {
    public Failed {
      requireNonNull(node, "node");
      requireNonNull(error, "error");
    }

    @Override
    public Status status() {
      return Status.FAILED;
    }

    /** {@return as a record shows itself, even if the error's own {@code toString} throws} */
    @Override
    public String toString() {
      return "Failed[node=" + node + ", error=" + Failures.describe(error) + "]";
    }
  }

  /**
   * The task did not run because a dependency it required did not succeed.
   *
   * @param node the node's name
   * @param cause the name of the node whose failure caused the skip (the root, not the nearest
   *     skipped dependency)
   * @param error what {@code cause} threw
   */
  record Skipped<T>(String node, String cause, Throwable error) implements Outcome<T> {
    public Skipped {
      requireNonNull(node, "node");
      requireNonNull(cause, "cause");
      requireNonNull(error, "error");
    }

    @Override
    public Status status() {
      return Status.SKIPPED;
    }

    /** {@return as a record shows itself, even if the error's own {@code toString} throws} */
    @Override
    public String toString() {
      return "Skipped[node=" + node + ", cause=" + cause + ", error=" + Failures.describe(error)
          + "]";
    }
  }

  /**
   * The run was cancelled (by the caller, by {@link FailureMode#FAIL_FAST} or by its deadline)
   * before the task started, or while it ran and it ended by throwing after being interrupted, or
   * it was cut off as a straggler at the deadline.
   *
   * @param node the node's name
   * @param reason why the run was cancelled, e.g. {@code the run's deadline of 200 ms passed}
   */
  record Cancelled<T>(String node, String reason) implements Outcome<T> {
    public Cancelled {
      requireNonNull(node, "node");
      requireNonNull(reason, "reason");
    }

    @Override
    public Status status() {
      return Status.CANCELLED;
    }
  }

  /**
   * The node did not run because its {@link NodeBuilder#when condition} did not hold, or because
   * a dependency it required was omitted so. Not a failure: an omitted node is not among {@link
   * RunResult#failures()}, does not make a {@link FailureMode#FAIL_FAST} run cancel, and its
   * dependents on optional edges run with their fallback.
   *
   * @param node the node's name
   * @param cause the name of the node whose condition did not hold: this node itself, or the
   *     first omitted node up its required dependencies
   */
  record Omitted<T>(String node, String cause) implements Outcome<T> {
    public Omitted {
      requireNonNull(node, "node");
      requireNonNull(cause, "cause");
    }

    @Override
    public Status status() {
      return Status.OMITTED;
    }
  }
}
