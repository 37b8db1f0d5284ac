package dev.weft;

import dev.weft.internal.Edges;
import dev.weft.internal.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * The structure of a graph, for exports and the critical path: nodes in declaration order and
 * edges from dependency to dependent. Immutable.
 *
 * @param graph the graph's name
 * @param nodes node names, in declaration order
 * @param inputs per node, whether it is an input
 * @param links every dependency edge
 */
record Shape(String graph, List<String> nodes, List<Boolean> inputs, List<Link> links) {
  /** Edge kinds as exports label them. */
  enum Kind {
    /** The dependent needs the value; a failure skips it. */
    REQUIRED,
    /** The dependent reads it with {@code orElse} or {@code optional()}. */
    OPTIONAL,
    /** {@code after(x)}: ordering only, a failure skips the dependent. */
    ORDERING,
    /** {@code after(x.optional())}: ordering only, whatever the outcome. */
    ORDERING_OPTIONAL;

    /** {@return the label exports print: required, optional, ordering, ordering-optional} */
    String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * One edge.
   *
   * @param from index of the dependency in {@link #nodes}
   * @param to index of the dependent
   * @param kind what the edge means
   */
  record Link(int from, int to, Kind kind) {}

  static Shape of(Plan plan) {
    var nodes = new ArrayList<String>(plan.size());
    var inputs = new ArrayList<Boolean>(plan.size());
    var links = new ArrayList<Link>();
    for (int v = 0; v < plan.size(); v++) {
      nodes.add(plan.name(v));
      inputs.add(plan.isInput(v));
      int[] deps = plan.dependencies(v);
      byte[] kinds = plan.dependencyKinds(v);
      for (int k = 0; k < deps.length; k++) {
        links.add(new Link(deps[k], v, switch (kinds[k]) {
          case Edges.REQUIRED -> Kind.REQUIRED;
          case Edges.ORDER -> Kind.ORDERING;
          case Edges.ORDER_OPTIONAL -> Kind.ORDERING_OPTIONAL;
          default -> Kind.OPTIONAL;
        }));
      }
    }
    return new Shape(plan.graph(), List.copyOf(nodes), List.copyOf(inputs), List.copyOf(links));
  }
}
