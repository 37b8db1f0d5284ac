package dev.weft;

import dev.weft.internal.EdgeKind;
import java.util.Optional;

/**
 * A typed handle to one node of a graph: an {@link Input} or a task. Pass it to later tasks as a
 * dependency, and to {@link RunResult#get(Node)} to read its value after a run.
 *
 * <p>Using a node as a dependency makes its value required: if it fails, the dependent is skipped.
 * {@link #orElse(Object)}, {@link #optional()} and {@link #outcome()} make the edge optional instead.
 *
 * <p>Immutable and thread-safe; compared by identity. A node belongs to the builder that created
 * it; using it with another graph fails with {@link InvalidGraphException}.
 *
 * @param <T> the type of the node's value
 */
public sealed class Node<T> implements Dep<T> permits Input {
  final GraphBuilder owner;
  final int index;
  private final String name;

  Node(GraphBuilder owner, int index, String name) {
    this.owner = owner;
    this.index = index;
    this.name = name;
  }

  /** {@return the node's name, unique within its graph} */
  public final String name() {
    return name;
  }

  /** {@return this node} */
  @Override
  public final Node<T> node() {
    return this;
  }

  /**
   * {@return a dependency on this node that yields {@code fallback} when the node fails, is
   * skipped or is cancelled, so the dependent still runs} The fallback may be {@code null}.
   */
  public final Dep<T> orElse(T fallback) {
    return new Edge<>(this, EdgeKind.OR_ELSE, fallback);
  }

  /**
   * {@return a dependency on this node that yields its value wrapped in an {@code Optional}, empty
   * when the node did not succeed (or succeeded with {@code null}), so the dependent still runs}
   */
  public final Dep<Optional<T>> optional() {
    return new Edge<>(this, EdgeKind.OPTIONAL, null);
  }

  /**
   * {@return a dependency on this node that yields its whole {@link Outcome}, so the dependent
   * runs whatever the node did and sees the value or why there is none: the error of a failure,
   * the cause of a skip or of an omission} As Dagger Producers' {@code Produced<T>}: the dependent
   * can report, retry elsewhere or degrade knowing what went wrong, where {@link #optional()}
   * only says that nothing came. A failure read only through such edges (and optional ones)
   * does not make a {@link FailureMode#FAIL_FAST} run cancel. A cancellation, though, stops the
   * whole run: a dependent that has not started by then is cancelled too, so it never sees an
   * {@link Outcome.Cancelled}.
   *
   * <pre>{@code
   * Node<Section> reviews = g.task("reviewsSection", reviewList.outcome(), outcome ->
   *     switch (outcome) {
   *       case Outcome.Succeeded<List<Review>> s -> Section.of(s.value());
   *       case Outcome.Failed<?> f -> Section.unavailable(f.error().getMessage());
   *       default -> Section.EMPTY;
   *     });
   * }</pre>
   */
  public final Dep<Outcome<T>> outcome() {
    return new Edge<>(this, EdgeKind.OUTCOME, null);
  }

  @Override
  public String toString() {
    return name;
  }
}
