package dev.weft;

import static dev.weft.ExportText.html;
import static dev.weft.ExportText.millis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * The HTML waterfall of a run: one self-contained page (inline CSS, no script, nothing fetched
 * from anywhere) with a row per task in the order they started. Each row has a bar from the
 * moment the task became ready to its end: a hatched segment while it waited for a thread, then a
 * solid one, coloured by outcome, while it ran. Critical-path rows are marked; hovering a row shows
 * its details as a tooltip. Every name and message is HTML-escaped. Pure; thread-safe.
 */
final class Waterfall {
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
      i.crit{background:#fff;box-shadow:0 0 0 2px #0d2b8c inset}
      .empty{color:#57606a;padding:12px 8px}
      footer{margin-top:12px;color:#57606a;font-size:12px}
      """;

  static String render(String graph, long runId, Duration elapsed, List<Span> spans,
      List<Span> criticalPath) {
    var rows = new ArrayList<>(spans);
    rows.sort(Comparator.comparing(Span::started).thenComparing(Span::ready));
    long total = Math.max(1, elapsed.toNanos());
    for (var s : rows) {
      total = Math.max(total, s.ended().toNanos());
    }
    long step = niceStep(total / 8.0);
    var critical = new HashSet<String>();
    long pathNanos = 0;
    for (var s : criticalPath) {
      critical.add(s.node());
      pathNanos += s.ended().toNanos() - s.ready().toNanos();
    }
    var counts = new LinkedHashMap<String, Integer>();
    for (var outcome : List.of("succeeded", "failed", "skipped", "cancelled")) {
      counts.put(outcome, 0);
    }
    for (var s : rows) {
      counts.merge(Exports.outcome(s.outcome()), 1, Integer::sum);
    }

    var sb = new StringBuilder(4096 + rows.size() * 900);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(html(graph)).append(" \u00b7 run ").append(runId)
        .append(" \u00b7 waterfall</title>\n<style>\n").append(STYLE)
        .append(".track{background-image:linear-gradient(to right,#e3e6ea 1px,transparent 1px);")
        .append("background-size:").append(pct(step, total)).append(" 100%}\n")
        .append("</style>\n</head>\n<body>\n<header>\n<h1>").append(html(graph)).append("</h1>\n")
        .append("<p class=\"meta\">run ").append(runId).append(" \u00b7 ")
        .append(millis(elapsed)).append(" \u00b7 ").append(rows.size())
        .append(rows.size() == 1 ? " task: " : " tasks: ");
    var parts = new ArrayList<String>();
    counts.forEach((outcome, n) -> {
      if (n > 0) {
        parts.add(n + " " + outcome);
      }
    });
    sb.append(parts.isEmpty() ? "none" : String.join(", ", parts)).append("</p>\n");
    if (!criticalPath.isEmpty()) {
      sb.append("<p class=\"path\">critical path, ").append(millis(pathNanos)).append(": ");
      for (int i = 0; i < criticalPath.size(); i++) {
        sb.append(i == 0 ? "" : " \u2192 ").append("<b>")
            .append(html(criticalPath.get(i).node())).append("</b>");
      }
      sb.append("</p>\n");
    }
    sb.append("<div class=\"legend\">")
        .append("<span><i class=\"wait\"></i>waiting (ready \u2192 started)</span>")
        .append("<span><i class=\"succeeded\"></i>ran, succeeded</span>")
        .append("<span><i class=\"failed\"></i>failed</span>")
        .append("<span><i class=\"skipped\"></i>skipped</span>")
        .append("<span><i class=\"cancelled\"></i>cancelled</span>")
        .append("<span><i class=\"crit\"></i>\u25c6 critical path</span>")
        .append("</div>\n</header>\n");

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
    for (var s : rows) {
      boolean crit = critical.contains(s.node());
      var outcome = Exports.outcome(s.outcome());
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
    sb.append("</tbody>\n</table>\n<footer>Weft \u00b7 times since the run started \u00b7 ")
        .append("hover a row for its details</footer>\n</body>\n</html>\n");
    return sb.toString();
  }

  /** {@return a span's details as plain lines, for tooltips} */
  static String details(Span s, boolean critical) {
    var sb = new StringBuilder(s.node());
    if (critical) {
      sb.append(" (critical path)");
    }
    sb.append("\noutcome: ").append(Exports.outcome(s.outcome())).append(", ")
        .append(s.attempts()).append(s.attempts() == 1 ? " attempt" : " attempts")
        .append("\nready ").append(millis(s.ready())).append(", started ")
        .append(millis(s.started())).append(", ended ").append(millis(s.ended()))
        .append("\nwaited ").append(millis(s.queued())).append(", ran ").append(millis(s.ran()))
        .append("\nthread: ").append(s.thread().isEmpty() ? "none (never ran)" : s.thread());
    var problem = Exports.problem(s.outcome());
    if (problem != null) {
      sb.append("\nerror: ").append(problem);
    }
    return sb.toString();
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
