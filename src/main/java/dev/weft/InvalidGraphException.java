package dev.weft;

import java.util.List;

/**
 * A graph was declared wrongly: a duplicate name, a node of another graph, a node declared but
 * never defined, or a cycle. Thrown by {@link GraphBuilder} as early as the mistake can be seen;
 * {@link #nodes()} names the nodes involved (for a cycle, its path, first node repeated last).
 *
 * <p>Immutable once thrown, so safe to share between threads.
 */
public final class InvalidGraphException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String graph;
  private final List<String> nodes;

  /**
   * Creates the exception.
   *
   * @param graph the graph's name
   * @param nodes the nodes involved
   * @param message what is wrong
   */
  public InvalidGraphException(String graph, List<String> nodes, String message) {
    super(message);
    this.graph = graph;
    this.nodes = List.copyOf(nodes);
  }

  /** {@return the name of the graph} */
  public String graph() {
    return graph;
  }

  /** {@return the nodes involved; for a cycle its path, e.g. {@code [a, b, c, a]}} */
  public List<String> nodes() {
    return nodes;
  }
}
