package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Durations;
import java.time.Duration;

/**
 * A run was refused at its start because its deadline is shorter than its graph's recent median
 * run time ({@link GraphBuilder#refuseUnreachableDeadlines}): nothing was started, no downstream
 * was called. The caller answers at once (a 503, a cached page) instead of late.
 *
 * <p>Immutable once thrown, so safe to share between threads; its constructor refuses nulls with
 * {@code NullPointerException}.
 */
public final class DeadlineUnreachableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String graph;
  private final Duration deadline;
  private final Duration median;

  /**
   * Creates the exception.
   *
   * @param graph the graph's name
   * @param deadline the run's deadline
   * @param median the graph's recent median run time
   */
  public DeadlineUnreachableException(String graph, Duration deadline, Duration median) {
    super("run of graph '" + requireNonNull(graph, "graph") + "' refused: its deadline of "
        + Durations.text(requireNonNull(deadline, "deadline")) + " is shorter than the graph's "
        + "recent median run time of " + Durations.text(requireNonNull(median, "median"))
        + "; it cannot make it");
    this.graph = graph;
    this.deadline = deadline;
    this.median = median;
  }

  /** {@return the graph's name} */
  public String graph() {
    return graph;
  }

  /** {@return the deadline the run asked for} */
  public Duration deadline() {
    return deadline;
  }

  /** {@return the graph's recent median run time} */
  public Duration median() {
    return median;
  }
}
