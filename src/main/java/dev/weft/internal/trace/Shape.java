package dev.weft.internal.trace;

import dev.weft.internal.EdgeKind;
import dev.weft.internal.Plan;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The structure of a graph, for exports and the critical path: nodes by index in declaration
 * order, per node the indices of its dependencies with the kind of each edge, and for a node that
 * runs another graph (a subgraph node, or a fan-out whose elements run one) that graph's shape,
 * so the critical path can descend into its spans' children. Built once per
 * graph from its {@link Plan}; immutable and thread-safe (every field is final and nothing handed
 * in or out is shared), so {@code Graph} may cache it racily: every thread builds the same value.
 */
public final class Shape {
  private final String graph;
  private final String[] names;
  private final boolean[] inputs;
  private final int[][] dependencies;
  private final EdgeKind[][] kinds;
  private final Shape[] inner; // per node, the shape of the graph it runs, or null
  private final Map<String, Integer> index; // node name to index

  /**
   * A shape from its parts, which are copied.
   *
   * @param graph the graph's name
   * @param names node names, in declaration order
   * @param inputs per node, whether it is an input
   * @param dependencies per node, the indices of its dependencies in declaration order
   * @param kinds per node, the kind of each of its dependency edges
   * @throws IllegalArgumentException if the arrays disagree in length or an index is out of range
   */
  public Shape(String graph, List<String> names, boolean[] inputs, int[][] dependencies,
      EdgeKind[][] kinds) {
    this(graph, names, inputs, dependencies, kinds, new Shape[names.size()]);
  }

  private Shape(String graph, List<String> names, boolean[] inputs, int[][] dependencies,
      EdgeKind[][] kinds, Shape[] inner) {
    this.graph = Objects.requireNonNull(graph, "graph");
    this.names = names.toArray(String[]::new);
    int n = this.names.length;
    if (inputs.length != n || dependencies.length != n || kinds.length != n) {
      throw new IllegalArgumentException("shape of graph '" + graph + "': " + n + " names, "
          + inputs.length + " input flags, " + dependencies.length + " dependency lists and "
          + kinds.length + " kind lists");
    }
    this.inputs = inputs.clone();
    this.dependencies = new int[n][];
    this.kinds = new EdgeKind[n][];
    for (int v = 0; v < n; v++) {
      this.dependencies[v] = dependencies[v].clone();
      this.kinds[v] = kinds[v].clone();
      if (this.kinds[v].length != this.dependencies[v].length) {
        throw new IllegalArgumentException("node " + v + " has " + this.dependencies[v].length
            + " dependencies and " + this.kinds[v].length + " edge kinds");
      }
      for (int d : this.dependencies[v]) {
        if (d < 0 || d >= n) {
          throw new IllegalArgumentException("node " + v + " depends on node " + d + " of " + n);
        }
      }
    }
    this.inner = inner;
    this.index = new HashMap<>(n * 2);
    for (int v = 0; v < n; v++) {
      index.put(this.names[v], v);
    }
  }

  /** {@return the shape of a plan's graph, which runs no other graph} */
  public static Shape of(Plan plan) {
    return of(plan, v -> null);
  }

  /**
   * {@return the shape of a plan's graph}
   *
   * @param inner per node, the shape of the graph it runs, or null
   */
  public static Shape of(Plan plan, IntFunction<Shape> inner) {
    int n = plan.size();
    var names = new String[n];
    var inputs = new boolean[n];
    var dependencies = new int[n][];
    var kinds = new EdgeKind[n][];
    var shapes = new Shape[n];
    for (int v = 0; v < n; v++) {
      shapes[v] = inner.apply(v);
      names[v] = plan.name(v);
      inputs[v] = plan.isInput(v);
      dependencies[v] = plan.dependencies(v);
      kinds[v] = plan.dependencyKinds(v);
    }
    return new Shape(plan.graph(), List.of(names), inputs, dependencies, kinds, shapes);
  }

  /** {@return the graph's name} */
  public String graph() {
    return graph;
  }

  /** {@return how many nodes the graph has, inputs included} */
  public int size() {
    return names.length;
  }

  /** {@return the name of node {@code v}} */
  public String name(int v) {
    return names[v];
  }

  /** {@return whether node {@code v} is an input} */
  public boolean isInput(int v) {
    return inputs[v];
  }

  /** {@return how many dependencies node {@code v} has} */
  public int dependencyCount(int v) {
    return dependencies[v].length;
  }

  /** {@return the index of node {@code v}'s {@code k}-th dependency} */
  public int dependency(int v, int k) {
    return dependencies[v][k];
  }

  /** {@return the kind of node {@code v}'s {@code k}-th dependency edge} */
  public EdgeKind kind(int v, int k) {
    return kinds[v][k];
  }

  /** {@return the shape of the graph node {@code v} runs, as a subgraph or per element; or null} */
  public Shape inner(int v) {
    return inner[v];
  }

  /** {@return the index of the node named {@code name}; -1 if there is none} */
  public int indexOf(String name) {
    return index.getOrDefault(name, -1);
  }
}
