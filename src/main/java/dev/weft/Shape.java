package dev.weft;

import dev.weft.internal.EdgeKind;
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
  /**
   * One edge.
   *
   * @param from index of the dependency in {@link #nodes}
   * @param to index of the dependent
   * @param kind what the edge means
   */
  record Link(int from, int to, EdgeKind kind) {}

  static Shape of(Plan plan) {
    var nodes = new ArrayList<String>(plan.size());
    var inputs = new ArrayList<Boolean>(plan.size());
    var links = new ArrayList<Link>();
    for (int v = 0; v < plan.size(); v++) {
      nodes.add(plan.name(v));
      inputs.add(plan.isInput(v));
      int[] deps = plan.dependencies(v);
      var kinds = plan.dependencyKinds(v);
      for (int k = 0; k < deps.length; k++) {
        links.add(new Link(deps[k], v, kinds[k]));
      }
    }
    return new Shape(plan.graph(), List.copyOf(nodes), List.copyOf(inputs), List.copyOf(links));
  }
}
