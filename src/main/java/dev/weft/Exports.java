package dev.weft;

import static dev.weft.ExportText.decimal;
import static dev.weft.ExportText.dot;
import static dev.weft.ExportText.json;
import static dev.weft.ExportText.mermaid;
import static dev.weft.ExportText.millis;

import dev.weft.internal.Failures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Renders graphs and runs as text, with no dependency: Graphviz DOT, Mermaid, Chrome trace-event
 * JSON and a self-contained HTML waterfall ({@link Waterfall}). Pure functions; thread-safe.
 *
 * <p>Nodes are drawn by generated ids ({@code n0}, {@code n1}, ... in declaration order) with the
 * name as an escaped label, so any name, quotes and newlines included, yields a well-formed file.
 * Inputs are drawn as parallelograms, tasks as rounded boxes. Edges are labelled with their {@link
 * dev.weft.internal.EdgeKind#label()}: required edges are solid, optional ones dashed, ordering ones dotted. In a
 * run, tasks are filled by outcome (succeeded green, failed red, skipped grey, cancelled orange;
 * inputs stay neutral) and the critical path, its nodes and the edges between consecutive ones,
 * is drawn thick in dark blue.
 */
final class Exports {
  private Exports() {}

  /** Fill and border colours per outcome, and the critical path's colour. */
  static final String SUCCEEDED = "#c6efce";
  static final String SUCCEEDED_LINE = "#2e7d32";
  static final String FAILED = "#f8b4b4";
  static final String FAILED_LINE = "#c62828";
  static final String SKIPPED = "#dddddd";
  static final String SKIPPED_LINE = "#757575";
  static final String CANCELLED = "#ffd08a";
  static final String CANCELLED_LINE = "#e65100";
  static final String INPUT = "#f5f7fa";
  static final String INPUT_LINE = "#607d8b";
  static final String CRITICAL = "#0d2b8c";

  private static final Pattern THREAD = Pattern.compile("#(\\d+)(?: (.*))?", Pattern.DOTALL);
  // the Chrome track of tasks that never ran; Java thread ids start at 1
  private static final long NOT_RUN_TID = 0;

  /** {@return the graph as Graphviz DOT: inputs and tasks, edges labelled by kind} */
  static String graphDot(Shape shape) {
    return renderDot(shape, null, Set.of());
  }

  /** {@return the graph as a Mermaid flowchart, edges labelled by kind} */
  static String graphMermaid(Shape shape) {
    return renderMermaid(shape, null, Set.of());
  }

  /** {@return a run as DOT: nodes coloured by outcome, the critical path highlighted} */
  static String runDot(Shape shape, Map<String, Span> spans, Set<String> criticalPath) {
    return renderDot(shape, spans, criticalPath);
  }

  /** {@return a run as Mermaid: nodes coloured by outcome, the critical path highlighted} */
  static String runMermaid(Shape shape, Map<String, Span> spans, Set<String> criticalPath) {
    return renderMermaid(shape, spans, criticalPath);
  }

  /**
   * {@return a run as Chrome trace-event JSON (Perfetto, chrome://tracing)} One process per run,
   * one track per thread (named by {@code thread_name} metadata) plus one for tasks that never
   * ran; one complete event ({@code "ph":"X"}) per task from its start to its end, in
   * microseconds since the run started, with its outcome as category and its details as args.
   */
  static String chromeJson(String graph, long runId, List<Span> spans, Set<String> criticalPath) {
    var threads = new LinkedHashMap<Long, String>();
    var events = new ArrayList<String>();
    var odd = new LinkedHashMap<String, Long>(); // threads not written "#id name"
    boolean notRun = false;
    for (var s : spans) {
      long tid = NOT_RUN_TID;
      var m = THREAD.matcher(s.thread());
      if (s.thread().isEmpty()) {
        notRun = true;
      } else if (m.matches() && m.group(1).length() < 18) {
        tid = Long.parseLong(m.group(1));
        var name = m.group(2) == null || m.group(2).isBlank() ? "" : " " + m.group(2);
        threads.putIfAbsent(tid, "thread #" + tid + name);
      } else {
        tid = odd.computeIfAbsent(s.thread(), t -> 2_000_000_000L + odd.size());
        threads.putIfAbsent(tid, s.thread());
      }
      var args = new StringBuilder()
          .append("\"outcome\":").append(json(outcome(s.outcome())))
          .append(",\"attempts\":").append(s.attempts())
          .append(",\"ready_ms\":").append(decimal(s.ready().toNanos(), 6))
          .append(",\"queued_ms\":").append(decimal(s.queued().toNanos(), 6))
          .append(",\"ran_ms\":").append(decimal(s.ran().toNanos(), 6))
          .append(",\"thread\":").append(json(s.thread()))
          .append(",\"critical\":").append(criticalPath.contains(s.node()));
      switch (s.outcome()) {
        case Outcome.Failed<?> f -> args.append(",\"error\":").append(json(error(f.error())));
        case Outcome.Skipped<?> k -> args.append(",\"cause\":").append(json(k.cause()))
            .append(",\"error\":").append(json(error(k.error())));
        case Outcome.Cancelled<?> c -> args.append(",\"error\":").append(json(c.reason()));
        case Outcome.Succeeded<?> ok -> {}
      }
      events.add("{\"name\":" + json(s.node()) + ",\"cat\":" + json(outcome(s.outcome()))
          + ",\"ph\":\"X\",\"ts\":" + decimal(s.started().toNanos(), 3)
          + ",\"dur\":" + decimal(s.ran().toNanos(), 3) + ",\"pid\":" + runId
          + ",\"tid\":" + tid + ",\"args\":{" + args + "}}");
    }
    var sb = new StringBuilder("{\"traceEvents\":[\n");
    sb.append(meta("process_name", runId, 0, "name", json("graph '" + graph + "' run " + runId)));
    threads.forEach((tid, name) -> sb.append(",\n").append(meta("thread_name", runId, tid,
        "name", json(name))));
    if (notRun) {
      sb.append(",\n").append(meta("thread_name", runId, NOT_RUN_TID, "name",
          json("never ran (skipped or cancelled before starting)")));
      sb.append(",\n").append(meta("thread_sort_index", runId, NOT_RUN_TID, "sort_index",
          "1000000"));
    }
    for (var e : events) {
      sb.append(",\n").append(e);
    }
    return sb.append("\n],\"displayTimeUnit\":\"ms\"}\n").toString();
  }

  /** {@return a run as one self-contained HTML page: a waterfall of its nodes} */
  static String html(String graph, long runId, Duration elapsed, List<Span> spans,
      List<Span> criticalPath) {
    return Waterfall.render(graph, runId, elapsed, spans, criticalPath);
  }

  /** {@return the outcome's name in exports: succeeded, failed, skipped, cancelled} */
  static String outcome(Outcome<?> outcome) {
    return switch (outcome) {
      case Outcome.Succeeded<?> s -> "succeeded";
      case Outcome.Failed<?> f -> "failed";
      case Outcome.Skipped<?> s -> "skipped";
      case Outcome.Cancelled<?> c -> "cancelled";
    };
  }

  /** {@return what went wrong, for the details of a span; null if it succeeded} */
  static String problem(Outcome<?> outcome) {
    return switch (outcome) {
      case Outcome.Succeeded<?> s -> null;
      case Outcome.Failed<?> f -> error(f.error());
      case Outcome.Skipped<?> s -> "skipped: '" + s.cause() + "' failed with " + error(s.error());
      case Outcome.Cancelled<?> c -> "cancelled: " + c.reason();
    };
  }

  private static String error(Throwable t) {
    return Failures.describe(t); // never throws, whatever the user's exception does
  }

  /** {@return a run's label under the node's name: its time and attempts, or its outcome} */
  static String runLabel(Span s) {
    if (s.attempts() == 0) {
      return outcome(s.outcome());
    }
    var what = s.outcome() instanceof Outcome.Succeeded<?> ? "" : outcome(s.outcome()) + " · ";
    return what + millis(s.ran()) + " · " + s.attempts()
        + (s.attempts() == 1 ? " attempt" : " attempts");
  }

  private static String meta(String kind, long pid, long tid, String key, String value) {
    return "{\"name\":\"" + kind + "\",\"ph\":\"M\",\"ts\":0,\"pid\":" + pid + ",\"tid\":" + tid
        + ",\"args\":{\"" + key + "\":" + value + "}}";
  }

  private static String[] colours(Span s) {
    return switch (s.outcome()) {
      case Outcome.Succeeded<?> x -> new String[] {SUCCEEDED, SUCCEEDED_LINE};
      case Outcome.Failed<?> x -> new String[] {FAILED, FAILED_LINE};
      case Outcome.Skipped<?> x -> new String[] {SKIPPED, SKIPPED_LINE};
      case Outcome.Cancelled<?> x -> new String[] {CANCELLED, CANCELLED_LINE};
    };
  }

  /**
   * {@return per node of the shape, its predecessor on the critical path, or -1} A link is on the
   * path when it joins a node to that predecessor; one lookup per link keeps exports linear.
   */
  private static int[] pathPredecessors(Shape shape, Set<String> criticalPath) {
    var pred = new int[shape.nodes().size()];
    Arrays.fill(pred, -1);
    if (criticalPath.isEmpty()) {
      return pred;
    }
    var index = new HashMap<String, Integer>(shape.nodes().size() * 2);
    for (int v = 0; v < shape.nodes().size(); v++) {
      index.put(shape.nodes().get(v), v);
    }
    int before = -1;
    for (var name : criticalPath) {
      Integer v = index.get(name);
      if (v == null) {
        before = -1;
        continue;
      }
      pred[v] = before;
      before = v;
    }
    return pred;
  }

  /** {@return whether link {@code l} joins two consecutive nodes of the critical path} */
  private static boolean critical(Shape.Link l, int[] pathPredecessors) {
    return pathPredecessors[l.to()] >= 0 && pathPredecessors[l.to()] == l.from();
  }

  private static String renderDot(Shape shape, Map<String, Span> spans, Set<String> criticalPath) {
    var path = pathPredecessors(shape, criticalPath);
    var sb = new StringBuilder();
    var title = (spans == null ? "graph '" : "run of graph '") + shape.graph() + "'";
    sb.append("digraph \"").append(dot(shape.graph())).append("\" {\n")
        .append("  graph [rankdir=LR, labelloc=t, fontname=\"Helvetica\", label=\"")
        .append(dot(title)).append("\"];\n")
        .append("  node [fontname=\"Helvetica\", fontsize=11];\n")
        .append("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
    for (int v = 0; v < shape.nodes().size(); v++) {
      var name = shape.nodes().get(v);
      sb.append("  n").append(v).append(" [label=\"").append(dot(name));
      var span = spans == null ? null : spans.get(name);
      if (span != null) {
        sb.append("\\n").append(dot(runLabel(span)));
      }
      sb.append('"');
      String[] fill;
      if (shape.inputs().get(v)) {
        sb.append(", shape=parallelogram");
        fill = spans == null ? null : new String[] {INPUT, INPUT_LINE};
      } else {
        sb.append(", shape=box");
        fill = span == null ? null : colours(span);
      }
      var style = shape.inputs().get(v) ? "" : "rounded";
      if (fill != null) {
        style = style.isEmpty() ? "filled" : style + ",filled";
        sb.append(", fillcolor=\"").append(fill[0]).append('"');
      }
      if (!style.isEmpty()) {
        sb.append(", style=\"").append(style).append('"');
      }
      boolean crit = criticalPath.contains(name);
      if (crit || fill != null) {
        sb.append(", color=\"").append(crit ? CRITICAL : fill[1]).append('"');
      }
      if (crit) {
        sb.append(", penwidth=3, fontname=\"Helvetica-Bold\"");
      }
      if (span != null) {
        sb.append(", tooltip=\"").append(dot(Waterfall.details(span, crit)))
            .append('"');
      }
      sb.append("];\n");
    }
    for (var l : shape.links()) {
      var kind = l.kind();
      sb.append("  n").append(l.from()).append(" -> n").append(l.to()).append(" [label=\"")
          .append(kind.label()).append('"');
      switch (kind) {
        case REQUIRED -> {}
        case OR_ELSE, OPTIONAL -> sb.append(", style=dashed");
        case ORDER -> sb.append(", style=dotted");
        case ORDER_OPTIONAL -> sb.append(", style=dotted, arrowhead=empty");
      }
      if (critical(l, path)) {
        sb.append(", penwidth=3, color=\"" + CRITICAL + "\"");
      }
      sb.append("];\n");
    }
    return sb.append("}\n").toString();
  }

  private static String renderMermaid(Shape shape, Map<String, Span> spans,
      Set<String> criticalPath) {
    var path = pathPredecessors(shape, criticalPath);
    var sb = new StringBuilder();
    sb.append("---\ntitle: ").append(json((spans == null ? "graph '" : "run of graph '")
        + shape.graph() + "'")).append("\n---\nflowchart LR\n");
    for (int v = 0; v < shape.nodes().size(); v++) {
      var name = shape.nodes().get(v);
      var span = spans == null ? null : spans.get(name);
      // Mermaid refuses an empty label: an empty name is drawn as a zero-width space
      var label = (name.isEmpty() ? "#8203;" : mermaid(name))
          + (span == null ? "" : "<br>" + mermaid(runLabel(span)));
      sb.append("  n").append(v).append(shape.inputs().get(v)
          ? "[/\"" + label + "\"/]\n" : "(\"" + label + "\")\n");
    }
    var linkStyles = new ArrayList<String>();
    for (int i = 0; i < shape.links().size(); i++) {
      var l = shape.links().get(i);
      boolean crit = critical(l, path);
      var arrow = switch (l.kind()) {
        case REQUIRED -> crit ? "==>" : "-->";
        case OR_ELSE, OPTIONAL, ORDER, ORDER_OPTIONAL -> "-.->";
      };
      var style = new ArrayList<String>();
      if (l.kind().orderingOnly()) {
        style.add("stroke-dasharray:2 4");
      }
      if (crit) {
        style.add("stroke:" + CRITICAL);
        style.add("stroke-width:4px");
      }
      if (!style.isEmpty()) {
        linkStyles.add("  linkStyle " + i + " " + String.join(",", style) + "\n");
      }
      sb.append("  n").append(l.from()).append(' ').append(arrow).append("|\"")
          .append(l.kind().label()).append("\"| n").append(l.to()).append('\n');
    }
    if (spans != null) {
      sb.append("  classDef input fill:" + INPUT + ",stroke:" + INPUT_LINE + "\n")
          .append("  classDef succeeded fill:" + SUCCEEDED + ",stroke:" + SUCCEEDED_LINE + "\n")
          .append("  classDef failed fill:" + FAILED + ",stroke:" + FAILED_LINE + "\n")
          .append("  classDef skipped fill:" + SKIPPED + ",stroke:" + SKIPPED_LINE + "\n")
          .append("  classDef cancelled fill:" + CANCELLED + ",stroke:" + CANCELLED_LINE + "\n");
      var classes = new LinkedHashMap<String, List<String>>();
      for (int v = 0; v < shape.nodes().size(); v++) {
        var span = spans.get(shape.nodes().get(v));
        var cls = shape.inputs().get(v) ? "input" : span == null ? null : outcome(span.outcome());
        if (cls != null) {
          classes.computeIfAbsent(cls, k -> new ArrayList<>()).add("n" + v);
        }
      }
      classes.forEach((cls, ids) -> sb.append("  class ").append(String.join(",", ids))
          .append(' ').append(cls).append('\n'));
      for (int v = 0; v < shape.nodes().size(); v++) {
        if (criticalPath.contains(shape.nodes().get(v))) {
          sb.append("  style n").append(v).append(" stroke:" + CRITICAL + ",stroke-width:4px\n");
        }
      }
    }
    linkStyles.forEach(sb::append);
    return sb.toString();
  }
}
