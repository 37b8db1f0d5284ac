package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;
import static dev.weft.internal.trace.ExportText.details;
import static dev.weft.internal.trace.ExportText.html;

import dev.weft.Outcome;
import dev.weft.Span;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;

/**
 * The HTML waterfall of a run: one self-contained page (inline CSS, no script, nothing fetched
 * from anywhere) with a row per task in the order they started. Each row has a bar from the
 * moment the task became ready to its end: a hatched segment while it waited for a thread, then a
 * solid one, coloured by outcome, while it ran. Critical-path rows are marked; hovering a row shows
 * its details as a tooltip. Every name and message is HTML-escaped. Pure; thread-safe.
 */
public final class Waterfall {
  private Waterfall() {}

  private static final String STYLE = """
      body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;\
      margin:20px 24px;color:#1f2328;background:#fff}
      h1{font-size:18px;margin:0 0 2px;overflow-wrap:anywhere}
      p{margin:2px 0}
      .meta{color:#57606a}
      .path{margin:6px 0}
      .path b{color:#0d2b8c}
      .legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:10px 0 14px;color:#57606a}
      .legend i{display:inline-block;width:22px;height:12px;margin-right:5px;\
      vertical-align:-2px;border-radius:2px}
      table{border-collapse:collapse;width:100%}
      th{font-weight:600;text-align:left;color:#57606a;border-bottom:1px solid #d0d7de;\
      padding:4px 8px;white-space:nowrap}
      td{padding:3px 8px;border-bottom:1px solid #f0f2f4;white-space:nowrap}
      td.name{min-width:160px;max-width:320px;white-space:normal;overflow-wrap:anywhere;\
      border-left:4px solid transparent}
      td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
      td.tl,th.tl{width:62%;padding-right:16px}
      tr.row:hover td{background:#f3f6fb}
      tr.crit td.name{border-left-color:#0d2b8c;font-weight:600}
      .mark{color:#0d2b8c;margin-right:4px}
      .badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:11px;color:#fff}
      .axis{position:relative;height:16px}
      .axis span{position:absolute;top:0;font-weight:400;font-size:11px;\
      transform:translateX(-50%)}
      .axis span.first{transform:none}
      .axis span.last{transform:translateX(-100%)}
      .track{position:relative;height:18px;background-repeat:repeat-x}
      .track div{position:absolute;box-sizing:border-box}
      .wait{background:repeating-linear-gradient(135deg,#aeb7c2 0 2px,#eef1f5 2px 5px);\
      border:1px solid #aeb7c2;border-right:0}
      .track .wait{top:4px;height:10px}
      .track .run{top:1px;height:16px;min-width:2px;border-radius:2px}
      .track .never{width:4px;border-radius:0}
      tr.crit .run{box-shadow:0 0 0 2px #0d2b8c}
      .succeeded{background:#3fa34d}
      .failed{background:#d93b3b}
      .skipped{background:#8c959f}
      .cancelled{background:#f0882a}
      .omitted{background:#fff;border:1px dashed #9e9e9e}
      i.crit{background:#fff;box-shadow:0 0 0 2px #0d2b8c inset}
      .empty{color:#57606a;padding:12px 8px}
      footer{margin-top:12px;color:#57606a;font-size:12px}
      """;

  /** {@return the run as one HTML page} */
  public static String render(Timeline run) {
    var rows = new ArrayList<Integer>(run.taskCount());
    for (int i = 0; i < run.taskCount(); i++) {
      rows.add(run.started(i));
    }
    rows.sort(Comparator.comparing((Integer v) -> run.span(v).started())
        .thenComparing(v -> run.span(v).ready()));
    long total = Math.max(1, run.elapsed().toNanos());
    for (int v : rows) {
      total = Math.max(total, run.span(v).ended().toNanos());
    }
    long step = niceStep(total / 8.0);

    var sb = new StringBuilder(4096 + rows.size() * 900);
    header(sb, run, rows, total, step);
    sb.append("<table>\n<thead>\n<tr><th>node</th><th>outcome</th><th class=\"num\">attempts")
        .append("</th><th class=\"num\">waited</th><th class=\"num\">ran</th><th class=\"tl\">")
        .append("<div class=\"axis\">");
    for (long i = 0, ticks = total / step; i <= ticks; i++) { // no t += step: it may overflow
      long t = i * step;
      double p = 100.0 * t / total;
      sb.append("<span").append(t == 0 ? " class=\"first\"" : p > 94 ? " class=\"last\"" : "")
          .append(" style=\"left:").append(pct(t, total)).append("\">").append(tick(t, step))
          .append("</span>");
    }
    sb.append("</div></th></tr>\n</thead>\n<tbody>\n");
    if (rows.isEmpty()) {
      sb.append("<tr><td class=\"empty\" colspan=\"6\">this run had no tasks</td></tr>\n");
    }
    for (int v : rows) {
      row(sb, run.span(v), run.critical(v), total);
    }
    sb.append("</tbody>\n</table>\n<footer>Weft \u00b7 times since the run started \u00b7 ")
        .append("hover a row for its details</footer>\n</body>\n</html>\n");
    return sb.toString();
  }

  /** Appends the head, the style sheet, the title, the counts, the critical path, the legend. */
  private static void header(StringBuilder sb, Timeline run, List<Integer> rows, long total,
      long step) {
    var graph = html(run.shape().graph());
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(graph).append(" \u00b7 run ").append(run.runId())
        .append(" \u00b7 waterfall</title>\n<style>\n").append(STYLE)
        .append(".track{background-image:linear-gradient(to right,#e3e6ea 1px,transparent 1px);")
        .append("background-size:").append(pct(step, total)).append(" 100%}\n")
        .append("</style>\n</head>\n<body>\n<header>\n<h1>").append(graph).append("</h1>\n")
        .append("<p class=\"meta\">run ").append(run.runId()).append(" \u00b7 ")
        .append(millis(run.elapsed())).append(" \u00b7 ").append(rows.size())
        .append(rows.size() == 1 ? " task: " : " tasks: ");
    var counts = new EnumMap<Outcome.Status, Integer>(Outcome.Status.class);
    for (int v : rows) {
      counts.merge(run.span(v).outcome().status(), 1, Integer::sum);
    }
    var parts = new ArrayList<String>();
    counts.forEach((outcome, n) -> parts.add(n + " " + outcome.label()));
    sb.append(parts.isEmpty() ? "none" : String.join(", ", parts)).append("</p>\n");
    if (run.pathLength() > 0) {
      sb.append("<p class=\"path\">critical path, ").append(millis(run.pathNanos()))
          .append(": ");
      for (int i = 0; i < run.pathLength(); i++) {
        sb.append(i == 0 ? "" : " \u2192 ").append("<b>")
            .append(html(run.span(run.pathNode(i)).node())).append("</b>");
      }
      sb.append("</p>\n");
    }
    sb.append("<div class=\"legend\">")
        .append("<span><i class=\"wait\"></i>waiting (ready \u2192 started)</span>");
    for (var outcome : Outcome.Status.values()) {
      sb.append("<span><i class=\"").append(outcome.label()).append("\"></i>")
          .append(outcome == Outcome.Status.SUCCEEDED ? "ran, " : "").append(outcome.label())
          .append("</span>");
    }
    sb.append("<span><i class=\"crit\"></i>\u25c6 critical path</span>")
        .append("</div>\n</header>\n");
  }

  /** Appends one task's row: its name, outcome, attempts and times, and its bar. */
  private static void row(StringBuilder sb, Span s, boolean crit, long total) {
    var outcome = s.outcome().status().label();
    sb.append("<tr class=\"row").append(crit ? " crit" : "").append("\" title=\"")
        .append(html(details(s, crit))).append("\">")
        .append("<td class=\"name\">").append(crit ? "<span class=\"mark\">\u25c6</span>" : "")
        .append(html(s.node())).append("</td>")
        .append("<td><span class=\"badge ").append(outcome).append("\">").append(outcome)
        .append("</span></td>")
        .append("<td class=\"num\">").append(s.attempts()).append("</td>")
        .append("<td class=\"num\">").append(millis(s.queued())).append("</td>")
        .append("<td class=\"num\">").append(millis(s.ran())).append("</td>")
        .append("<td class=\"tl\"><div class=\"track\">");
    long ready = s.ready().toNanos();
    long started = s.started().toNanos();
    if (started > ready) {
      sb.append("<div class=\"wait\" style=\"left:").append(pct(ready, total))
          .append(";width:").append(pct(started - ready, total)).append("\"></div>");
    }
    sb.append("<div class=\"run ").append(outcome).append(s.attempts() == 0 ? " never" : "")
        .append("\" style=\"left:").append(pct(started, total)).append(";width:")
        .append(pct(s.ended().toNanos() - started, total)).append("\"></div>");
    sb.append("</div></td></tr>\n");
  }

  /** {@return the smallest 1, 2 or 5 times a power of ten nanoseconds at least {@code x}} */
  static long niceStep(double x) {
    long p = 1;
    while (p <= Long.MAX_VALUE / 10 && p * 10 <= x) {
      p *= 10;
    }
    for (long m : new long[] {1, 2, 5}) {
      if (m * p >= x) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String tick(long t, long step) {
    if (step >= 1_000_000_000L) {
      return t / 1_000_000_000L + " s";
    }
    if (step >= 1_000_000L) {
      return t / 1_000_000L + " ms";
    }
    return step >= 1_000L ? t / 1_000L + " \u00b5s" : t + " ns";
  }

  private static String pct(long part, long total) {
    return String.format(Locale.ROOT, "%.4f%%", 100.0 * part / total);
  }
}
