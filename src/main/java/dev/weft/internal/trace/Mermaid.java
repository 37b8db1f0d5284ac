package dev.weft.internal.trace;

import static dev.weft.internal.trace.ExportText.json;
import static dev.weft.internal.trace.ExportText.mermaid;
import static dev.weft.internal.trace.ExportText.runLabel;
import static dev.weft.internal.trace.Palette.CRITICAL;

import dev.weft.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Graphs and runs as Mermaid flowcharts, drawn like {@link Dot}: generated ids with escaped labels,
 * inputs as parallelograms, edges labelled by kind (optional and ordering ones dashed, ordering
 * ones dotted); in a run, one class per outcome and the critical path thickened. A run's batch
 * loaders are drawn after the nodes as cylinders ({@code l0}, {@code l1}, ..., class {@code
 * loader}) labelled with their calls, with a dashed {@code loads} edge to every node that waited
 * for one, as in {@link Dot}; a run without calls is drawn as before. Pure functions;
 * thread-safe.
 */
public final class Mermaid {
  private Mermaid() {}

  /** {@return the graph as a Mermaid flowchart, edges labelled by kind} */
  public static String graph(Shape shape) {
    return render(shape, null);
  }

  /** {@return a run as Mermaid: nodes coloured by outcome, the critical path highlighted} */
  public static String run(Timeline run) {
    return render(run.shape(), run);
  }

  private static String render(Shape shape, Timeline run) {
    var sb = new StringBuilder();
    sb.append("---\ntitle: ").append(json((run == null ? "graph '" : "run of graph '")
        + shape.graph() + "'")).append("\n---\nflowchart LR\n");
    for (int v = 0; v < shape.size(); v++) {
      var name = shape.name(v);
      var span = run == null ? null : run.span(v);
      // Mermaid refuses an empty label: an empty name is drawn as a zero-width space
      var label = (name.isEmpty() ? "#8203;" : mermaid(name))
          + (span == null ? "" : "<br>" + mermaid(runLabel(span)));
      sb.append("  n").append(v).append(shape.isInput(v)
          ? "[/\"" + label + "\"/]\n" : "(\"" + label + "\")\n");
    }
    var linkStyles = new ArrayList<String>();
    int link = 0;
    for (int v = 0; v < shape.size(); v++) {
      for (int k = 0; k < shape.dependencyCount(v); k++, link++) {
        int from = shape.dependency(v, k);
        var kind = shape.kind(v, k);
        boolean crit = run != null && run.critical(from, v);
        var arrow = switch (kind) {
          case REQUIRED -> crit ? "==>" : "-->";
          case OR_ELSE, OPTIONAL, OUTCOME, ORDER, ORDER_OPTIONAL -> "-.->";
        };
        var style = new ArrayList<String>();
        if (kind.orderingOnly()) {
          style.add("stroke-dasharray:2 4");
        }
        if (crit) {
          style.add("stroke:" + CRITICAL);
          style.add("stroke-width:4px");
        }
        if (!style.isEmpty()) {
          linkStyles.add("  linkStyle " + link + " " + String.join(",", style) + "\n");
        }
        sb.append("  n").append(from).append(' ').append(arrow).append("|\"")
            .append(kind.label()).append("\"| n").append(v).append('\n');
      }
    }
    var loaders = run == null ? List.<Calls.Loader>of() : run.calls().loaders();
    for (int i = 0; i < loaders.size(); i++) {
      var l = loaders.get(i);
      var name = l.name().isEmpty() ? "#8203;" : mermaid(l.name());
      sb.append("  l").append(i).append("[(\"").append(name).append("<br>")
          .append(mermaid(l.summary())).append("\")]\n");
    }
    for (int i = 0; i < loaders.size(); i++) {
      for (int v : loaders.get(i).vertices()) {
        sb.append("  l").append(i).append(" -.->|\"loads\"| n").append(v).append('\n');
        linkStyles.add("  linkStyle " + link++ + " stroke:" + Palette.LOADER_LINE + "\n");
      }
    }
    if (run != null) {
      classes(sb, run);
    }
    linkStyles.forEach(sb::append);
    return sb.toString();
  }

  /** Appends a run's class definitions, each node's class, and the critical nodes' style. */
  private static void classes(StringBuilder sb, Timeline run) {
    sb.append(classDef("input", Palette.INPUT, Palette.INPUT_LINE));
    for (var status : Outcome.Status.values()) {
      sb.append(classDef(status.label(), Palette.fill(status), Palette.line(status)));
    }
    var shape = run.shape();
    var classes = new LinkedHashMap<String, List<String>>();
    for (int v = 0; v < shape.size(); v++) {
      var span = run.span(v);
      var cls = shape.isInput(v) ? "input" : span == null ? null : span.outcome().status().label();
      if (cls != null) {
        classes.computeIfAbsent(cls, c -> new ArrayList<>()).add("n" + v);
      }
    }
    var loaders = run.calls().loaders();
    if (!loaders.isEmpty()) {
      sb.append(classDef("loader", Palette.LOADER, Palette.LOADER_LINE));
      for (int i = 0; i < loaders.size(); i++) {
        classes.computeIfAbsent("loader", c -> new ArrayList<>()).add("l" + i);
      }
    }
    classes.forEach((cls, ids) -> sb.append("  class ").append(String.join(",", ids))
        .append(' ').append(cls).append('\n'));
    for (int v = 0; v < shape.size(); v++) {
      if (run.critical(v)) {
        sb.append("  style n").append(v).append(" stroke:" + CRITICAL + ",stroke-width:4px\n");
      }
    }
  }

  private static String classDef(String name, String fill, String line) {
    return "  classDef " + name + " fill:" + fill + ",stroke:" + line + "\n";
  }
}
