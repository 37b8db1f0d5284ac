package dev.weft;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of one run went: every task's {@link Span}, the critical path, and pictures of
 * the run. Obtained from {@link RunResult#trace()}.
 *
 * <pre>{@code
 * Trace trace = result.trace();
 * System.out.println(trace.criticalPathText());
 * Files.writeString(dir.resolve("trace.json"), trace.toChromeJson());   // Perfetto
 * Files.writeString(dir.resolve("waterfall.html"), trace.toHtml());     // any browser, offline
 * }</pre>
 *
 * <h2>Critical path</h2>
 * The chain of tasks that made the run as long as it was: it ends with the task that ended last,
 * and before each task comes the dependency that ended last, the one it was waiting for. Each
 * step's {@link Span#queued()} is its wait between becoming ready and starting, and its
 * {@link Span#ran()} its own time; the steps' times add up to the run's length, less the gaps
 * between a dependency's end and its dependent's readiness (nanoseconds of bookkeeping).
 *
 * <p>Immutable and thread-safe; the exports are computed on each call.
 *
 * <p>Nothing here throws: a run with failures, skips or cancellations is drawn with them.
 */
public final class Trace {
  private final Shape shape;
  private final String graph;
  private final long runId;
  private final Duration elapsed;
  private final List<Span> spans;
  private final List<Span> criticalPath;

  Trace(Shape shape, long runId, Duration elapsed, List<Span> spans) {
    this.shape = shape;
    this.graph = shape.graph();
    this.runId = runId;
    this.elapsed = elapsed;
    this.spans = spans;
    this.criticalPath = criticalPath(shape, spans);
  }

  /** {@return the graph's name} */
  public String graph() {
    return graph;
  }

  /** {@return the run's id} */
  public long runId() {
    return runId;
  }

  /** {@return how long the run took} */
  public Duration elapsed() {
    return elapsed;
  }

  /** {@return every task's span, in the order they started} */
  public List<Span> spans() {
    return spans;
  }

  /** {@return the critical path, first task first; empty for a run without tasks} */
  public List<Span> criticalPath() {
    return criticalPath;
  }

  /**
   * {@return the critical path as text, one task a line, e.g.}
   *
   * <pre>
   * critical path of run 7 of graph 'listing-page': 88.9 ms of 89.1 ms
   *   listing       ran  31.2 ms  queued  0.1 ms
   *   similar       ran  50.3 ms  queued  0.1 ms
   *   page          ran   0.9 ms  queued  0.0 ms
   * </pre>
   */
  public String criticalPathText() {
    long sum = 0;
    int width = 4;
    for (var s : criticalPath) {
      sum += s.ended().toNanos() - s.ready().toNanos();
      width = Math.max(width, s.node().length());
    }
    var sb = new StringBuilder();
    sb.append("critical path of run ").append(runId).append(" of graph '").append(graph)
        .append("': ").append(millis(sum)).append(" of ").append(millis(elapsed.toNanos()))
        .append('\n');
    for (var s : criticalPath) {
      sb.append(String.format(Locale.ROOT, "  %-" + width + "s  ran %8s  queued %8s  %s%n",
          s.node(), millis(s.ran().toNanos()), millis(s.queued().toNanos()),
          s.outcome().getClass().getSimpleName()));
    }
    return sb.toString();
  }

  /**
   * {@return the run as Chrome trace-event JSON: one track per thread, one slice per task with
   * its outcome, attempts, wait and thread as arguments} Opens in https://ui.perfetto.dev (drag the
   * file in) and chrome://tracing.
   */
  public String toChromeJson() {
    return Exports.chromeJson(graph, runId, spans, names(criticalPath));
  }

  /**
   * {@return the run as Graphviz DOT: the graph with each node coloured by its outcome and the
   * critical path drawn bold} Render with {@code dot -Tsvg run.dot -o run.svg}.
   */
  public String toDot() {
    return Exports.runDot(shape, byName(), names(criticalPath));
  }

  /** {@return the run as a Mermaid flowchart, coloured like {@link #toDot()}} */
  public String toMermaid() {
    return Exports.runMermaid(shape, byName(), names(criticalPath));
  }

  /**
   * {@return one self-contained HTML page (no scripts or styles from the network) showing a
   * waterfall: a bar per task from ready to end, its wait and its run distinct, the critical path
   * marked, details on hover}
   */
  public String toHtml() {
    return Exports.html(graph, runId, elapsed, spans, criticalPath);
  }

  @Override
  public String toString() {
    return "Trace[graph=" + graph + ", run=" + runId + ", " + spans.size() + " tasks, elapsed="
        + elapsed + "]";
  }

  private Map<String, Span> byName() {
    var map = new LinkedHashMap<String, Span>();
    for (var s : spans) {
      map.put(s.node(), s);
    }
    return map;
  }

  private static LinkedHashSet<String> names(List<Span> path) {
    var set = new LinkedHashSet<String>();
    for (var s : path) {
      set.add(s.node());
    }
    return set;
  }

  private static List<Span> criticalPath(Shape shape, List<Span> spans) {
    if (spans.isEmpty()) {
      return List.of();
    }
    var byName = new HashMap<String, Span>();
    Span last = null;
    for (var s : spans) {
      byName.put(s.node(), s);
      if (last == null || s.ended().compareTo(last.ended()) > 0) {
        last = s;
      }
    }
    var index = new HashMap<String, Integer>();
    for (int i = 0; i < shape.nodes().size(); i++) {
      index.put(shape.nodes().get(i), i);
    }
    var deps = new HashMap<Integer, List<Integer>>();
    for (var link : shape.links()) {
      deps.computeIfAbsent(link.to(), k -> new ArrayList<>()).add(link.from());
    }
    var path = new ArrayList<Span>();
    for (var step = last; step != null; ) {
      path.add(step);
      Span before = null;
      for (int d : deps.getOrDefault(index.get(step.node()), List.of())) {
        var s = byName.get(shape.nodes().get(d)); // null for inputs
        if (s != null && (before == null || s.ended().compareTo(before.ended()) > 0)) {
          before = s;
        }
      }
      step = before;
    }
    Collections.reverse(path);
    return List.copyOf(path);
  }

  private static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }
}
