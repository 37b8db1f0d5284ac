package dev.weft;

import dev.weft.internal.Edges;

/** A dependency with a fallback: {@code orElse} or {@code optional}. */
final class Edge<T> implements Dep<T> {
  final Node<?> node;
  final byte kind;
  final Object fallback;

  Edge(Node<?> node, byte kind, Object fallback) {
    this.node = node;
    this.kind = kind;
    this.fallback = fallback;
  }

  @Override
  public Node<?> node() {
    return node;
  }

  @Override
  public String toString() {
    return kind == Edges.OPTIONAL ? node.name() + ".optional()"
        : node.name() + ".orElse(" + fallback + ")";
  }

  static byte kindOf(Dep<?> dep) {
    return dep instanceof Edge<?> e ? e.kind : Edges.REQUIRED;
  }
}
