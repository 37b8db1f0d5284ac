package dev.weft;

import dev.weft.internal.EdgeKind;

/** A dependency with a fallback: {@code orElse} or {@code optional}. */
final class Edge<T> implements Dep<T> {
  final Node<?> node;
  final EdgeKind kind;
  final Object fallback;

  Edge(Node<?> node, EdgeKind kind, Object fallback) {
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
    return switch (kind) {
      case OPTIONAL -> node.name() + ".optional()";
      case OUTCOME -> node.name() + ".outcome()";
      default -> node.name() + ".orElse(" + fallback + ")";
    };
  }

  static EdgeKind kindOf(Dep<?> dep) {
    return dep instanceof Edge<?> e ? e.kind : EdgeKind.REQUIRED;
  }
}
