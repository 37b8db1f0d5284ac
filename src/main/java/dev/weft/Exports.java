package dev.weft;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders graphs and runs as text, with no dependency: Graphviz DOT, Mermaid, Chrome trace-event
 * JSON and a self-contained HTML waterfall. Pure functions; thread-safe.
 */
final class Exports {
  private Exports() {}

  /** {@return the graph as Graphviz DOT: inputs and tasks, edges labelled by kind} */
  static String graphDot(Shape shape) {
    throw new UnsupportedOperationException("not yet");
  }

  /** {@return the graph as a Mermaid flowchart, edges labelled by kind} */
  static String graphMermaid(Shape shape) {
    throw new UnsupportedOperationException("not yet");
  }

  /** {@return a run as DOT: nodes coloured by outcome, the critical path highlighted} */
  static String runDot(Shape shape, Map<String, Span> spans, Set<String> criticalPath) {
    throw new UnsupportedOperationException("not yet");
  }

  /** {@return a run as Mermaid: nodes coloured by outcome, the critical path highlighted} */
  static String runMermaid(Shape shape, Map<String, Span> spans, Set<String> criticalPath) {
    throw new UnsupportedOperationException("not yet");
  }

  /** {@return a run as Chrome trace-event JSON (Perfetto, chrome://tracing)} */
  static String chromeJson(String graph, long runId, List<Span> spans, Set<String> criticalPath) {
    throw new UnsupportedOperationException("not yet");
  }

  /** {@return a run as one self-contained HTML page: a waterfall of its nodes} */
  static String html(String graph, long runId, Duration elapsed, List<Span> spans,
      List<Span> criticalPath) {
    throw new UnsupportedOperationException("not yet");
  }
}
