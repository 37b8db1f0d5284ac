package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;
import static dev.weft.internal.trace.ExportText.details;
import static dev.weft.internal.trace.ExportText.dot;
import static dev.weft.internal.trace.ExportText.runLabel;
import static dev.weft.internal.trace.Palette.CRITICAL;

import dev.weft.internal.EdgeKind;

/**
 * Graphs and runs as Graphviz DOT. Nodes are drawn by generated ids ({@code n0}, {@code n1}, ...
 * in declaration order) with the name as an escaped label, so any name, quotes and newlines
 * included, yields a well-formed file. Inputs are parallelograms, tasks rounded boxes. Edges are
 * labelled with their {@link EdgeKind#label()}: required edges solid, optional ones dashed,
 * ordering ones dotted. In a run, tasks are filled by outcome ({@link Palette}; inputs stay
 * neutral), each has its details as a tooltip, and the critical path, its nodes and the edges
 * between consecutive ones, is drawn thick in dark blue.
 *
 * <p>A run's batch loaders ({@link Calls#loaders()}) are drawn after the nodes as cylinders
 * ({@code l0}, {@code l1}, ... in the order of their first call), labelled with the loader's name
 * and its calls, rounds, keys and time, each call listed in the tooltip; a dashed edge labelled
 * {@code loads} goes from a loader to every node whose task (or something inside it) waited for
 * one of its calls. A run without calls is drawn as before. Pure functions; thread-safe.
 */
public final class Dot {
  private Dot() {}

  /** A loader's tooltip lists at most this many of its calls. */
  static final int CALLS_SHOWN = 30;

  /** {@return the graph as DOT: inputs and tasks, edges labelled by kind} */
  public static String graph(Shape shape) {
    return render(shape, null);
  }

  /** {@return a run as DOT: nodes coloured by outcome, the critical path highlighted} */
  public static String run(Timeline run) {
    return render(run.shape(), run);
  }

  private static String render(Shape shape, Timeline run) {
    var sb = new StringBuilder();
    var title = (run == null ? "graph '" : "run of graph '") + shape.graph() + "'";
    sb.append("digraph \"").append(dot(shape.graph())).append("\" {\n")
        .append("  graph [rankdir=LR, labelloc=t, fontname=\"Helvetica\", label=\"")
        .append(dot(title)).append("\"];\n")
        .append("  node [fontname=\"Helvetica\", fontsize=11];\n")
        .append("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
    for (int v = 0; v < shape.size(); v++) {
      node(sb, shape, run, v);
    }
    for (int v = 0; v < shape.size(); v++) {
      for (int k = 0; k < shape.dependencyCount(v); k++) {
        int from = shape.dependency(v, k);
        var kind = shape.kind(v, k);
        sb.append("  n").append(from).append(" -> n").append(v).append(" [label=\"")
            .append(kind.label()).append('"');
        switch (kind) {
          case REQUIRED -> {}
          case OR_ELSE, OPTIONAL, OUTCOME -> sb.append(", style=dashed");
          case ORDER -> sb.append(", style=dotted");
          case ORDER_OPTIONAL -> sb.append(", style=dotted, arrowhead=empty");
        }
        if (run != null && run.critical(from, v)) {
          sb.append(", penwidth=3, color=\"" + CRITICAL + "\"");
        }
        sb.append("];\n");
      }
    }
    if (run != null) {
      loaders(sb, run);
    }
    return sb.append("}\n").toString();
  }

  /** Appends the run's loaders and their edges to the nodes that waited for them. */
  private static void loaders(StringBuilder sb, Timeline run) {
    var loaders = run.calls().loaders();
    for (int i = 0; i < loaders.size(); i++) {
      var l = loaders.get(i);
      var tooltip = new StringBuilder("loader ").append(l.name());
      int shown = 0;
      for (var c : run.calls().list()) {
        if (c.batch().loader().equals(l.name()) && shown++ < CALLS_SHOWN) {
          tooltip.append('\n').append(c.title()).append(": ").append(c.outcome()).append(", ")
              .append(millis(c.batch().duration()));
        }
      }
      if (shown > CALLS_SHOWN) {
        tooltip.append("\n(+").append(shown - CALLS_SHOWN).append(" more)");
      }
      sb.append("  l").append(i).append(" [label=\"").append(dot(l.name())).append("\\n")
          .append(dot(l.summary())).append("\", shape=cylinder, style=\"filled\", fillcolor=\"")
          .append(Palette.LOADER).append("\", color=\"")
          .append(l.failed() == 0 ? Palette.LOADER_LINE : Palette.FAILED_LINE)
          .append("\", tooltip=\"").append(dot(tooltip.toString())).append("\"];\n");
    }
    for (int i = 0; i < loaders.size(); i++) {
      for (int v : loaders.get(i).vertices()) {
        sb.append("  l").append(i).append(" -> n").append(v)
            .append(" [label=\"loads\", style=dashed, color=\"").append(Palette.LOADER_LINE)
            .append("\"];\n");
      }
    }
  }

  private static void node(StringBuilder sb, Shape shape, Timeline run, int v) {
    boolean input = shape.isInput(v);
    var span = run == null ? null : run.span(v);
    sb.append("  n").append(v).append(" [label=\"").append(dot(shape.name(v)));
    if (span != null) {
      sb.append("\\n").append(dot(runLabel(span)));
    }
    sb.append('"');
    String fill = null;
    String line = null;
    if (input) {
      sb.append(", shape=parallelogram");
      if (run != null) {
        fill = Palette.INPUT;
        line = Palette.INPUT_LINE;
      }
    } else {
      sb.append(", shape=box");
      if (span != null) {
        fill = Palette.fill(span.outcome().status());
        line = Palette.line(span.outcome().status());
      }
    }
    var style = input ? "" : "rounded";
    if (fill != null) {
      style = style.isEmpty() ? "filled" : style + ",filled";
      sb.append(", fillcolor=\"").append(fill).append('"');
    }
    if (!style.isEmpty()) {
      sb.append(", style=\"").append(style).append('"');
    }
    boolean crit = run != null && run.critical(v);
    if (crit || fill != null) {
      sb.append(", color=\"").append(crit ? CRITICAL : line).append('"');
    }
    if (crit) {
      sb.append(", penwidth=3, fontname=\"Helvetica-Bold\"");
    }
    if (span != null) {
      sb.append(", tooltip=\"").append(dot(details(span, crit))).append('"');
    }
    sb.append("];\n");
  }
}
