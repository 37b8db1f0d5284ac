package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;

import java.util.Locale;

/**
 * A run's critical path as plain text, one step a line with its time, wait and outcome, in the
 * same words and numbers whatever the default locale; the steps inside a task follow it, named
 * by their path ({@code photos[3]}, {@code host › profile}). A step that waited for batch calls
 * names them after its outcome: {@code waited for users#1, users#3}. Pure functions;
 * thread-safe.
 */
public final class PathText {
  private PathText() {}

  /** {@return the critical path as text; see {@code Trace.criticalPathText()} for an example} */
  public static String render(Timeline run) {
    int width = 4;
    for (var step : run.steps()) {
      width = Math.max(width, step.label().length());
    }
    var sb = new StringBuilder();
    sb.append("critical path of run ").append(run.runId()).append(" of graph '")
        .append(run.shape().graph()).append("': ").append(millis(run.pathNanos())).append(" of ")
        .append(millis(run.elapsed())).append('\n');
    var line = "  %-" + width + "s  ran %8s  queued %8s  %s";
    for (var step : run.steps()) {
      var s = step.span();
      sb.append(String.format(Locale.ROOT, line, step.label(), millis(s.ran()),
          millis(s.queued()), s.outcome().status().label()));
      var waited = run.calls().waitedForText(s);
      if (!waited.isEmpty()) {
        sb.append("  waited for ").append(waited);
      }
      sb.append(System.lineSeparator()); // as %n wrote it
    }
    return sb.toString();
  }
}
