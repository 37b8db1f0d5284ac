package dev.weft.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every body of a {@link Dag} that a {@link Probe} watches, each under one key: the dag's own
 * nodes first (key = index), then the nodes of its subgraphs, depth first, then
 * {@link #MAX_ELEMENTS} keys per fan-out, one per element. Immutable.
 */
public final class Layout {
  /** The longest list a generated fan-out gets. */
  public static final int MAX_ELEMENTS = 8;

  private final List<Dag.Spec> specs = new ArrayList<>();
  // per key: the fan-out node an element belongs to, else -1; whether a failure there may fail
  // the run fast (the dag's own tasks, and elements of its fan-outs that stop at a failure)
  private final List<Integer> owner = new ArrayList<>();
  private final List<Boolean> outer = new ArrayList<>();
  // per key: the subgraph node whose inner graph holds it (directly), else -1
  private final List<Integer> parent = new ArrayList<>();
  private final Map<Integer, Integer> subBase = new HashMap<>();
  private final Map<Integer, Integer> elementBase = new HashMap<>();

  private Layout(Dag dag) {
    assign(dag, -1);
    int nodes = specs.size();
    for (int k = 0; k < nodes; k++) {
      var s = specs.get(k);
      if (s.fanOut() != null) {
        elementBase.put(k, specs.size());
        for (int i = 0; i < MAX_ELEMENTS; i++) {
          specs.add(Dag.element(s, i));
          owner.add(k);
          outer.add(outer.get(k) && !s.fanOut().collect());
          parent.add(parent.get(k));
        }
      }
    }
  }

  public static Layout of(Dag dag) {
    return new Layout(dag);
  }

  /** Assigns the keys of {@code dag}, inside the subgraph of node {@code by} (-1: none). */
  private int assign(Dag dag, int by) {
    int base = specs.size();
    for (var s : dag.nodes()) {
      specs.add(s);
      owner.add(-1);
      outer.add(by < 0);
      parent.add(by);
    }
    for (int v = 0; v < dag.size(); v++) {
      if (dag.spec(v).sub() != null) {
        subBase.put(base + v, assign(dag.spec(v).sub().inner(), base + v));
      }
    }
    return base;
  }

  /** {@return how many keys there are} */
  public int size() {
    return specs.size();
  }

  public Dag.Spec spec(int key) {
    return specs.get(key);
  }

  /** {@return the key of the first node of the subgraph node {@code key} runs} */
  public int subBase(int key) {
    return subBase.get(key);
  }

  /** {@return the key of element {@code i} of fan-out node {@code key}} */
  public int element(int key, int i) {
    if (i >= MAX_ELEMENTS) {
      throw new IllegalStateException(spec(key).name() + " got more than " + MAX_ELEMENTS
          + " items");
    }
    return elementBase.get(key) + i;
  }

  /** {@return the fan-out node element {@code key} belongs to, or -1 if it is no element} */
  public int owner(int key) {
    return owner.get(key);
  }

  /** {@return the subgraph node whose inner graph holds {@code key} directly, or -1} */
  public int parent(int key) {
    return parent.get(key);
  }

  /**
   * {@return how the run names node {@code key} among its stragglers: {@code n3}, and inside
   * subgraphs by path, {@code n1/n1_n3} (WeftDag names inner nodes after their subgraph node)}
   */
  public String path(int key) {
    int up = parent.get(key);
    return up < 0 ? spec(key).name() : path(up) + "/" + innerName(key);
  }

  // the name WeftDag gives a node: prefixed with its subgraph node's, at every depth
  private String innerName(int key) {
    int up = parent.get(key);
    return up < 0 ? spec(key).name() : innerName(up) + "_" + spec(key).name();
  }

  /** {@return whether {@code key} is a node of the dag itself or an element of one of them} */
  public boolean outer(int key) {
    return outer.get(key);
  }
}
