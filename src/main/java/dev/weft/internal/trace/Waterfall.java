package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;
import static dev.weft.internal.trace.ExportText.details;
import static dev.weft.internal.trace.ExportText.html;
import static dev.weft.internal.trace.ExportText.never;

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
 *
 * <p>What ran inside a task follows its row, indented: a fan-out's elements in index order
 * ({@code photos[3]}), a subgraph's tasks in start order ({@code host › profile}), recursively.
 * A task with rows inside heads a {@code <tbody>} of its own with a checkbox that folds them (by
 * CSS {@code :has}; a browser without it shows them all): open when there are at most {@value
 * #OPEN_UP_TO}, else folded down to those on the critical path. The page grows linearly with the
 * rows.
 *
 * <p>A run's batch calls ({@link Calls}) follow the tasks, in a group of their own headed {@code
 * batch calls} (folded like a task's rows): a row per call, {@code users#2} with its round and
 * keys, its bar from start to end coloured by outcome, the tasks that waited for it beside the
 * bar, its keys and waiters on hover. A task that waited for a call has the call's time marked
 * on its own bar (blue hatching), and the call named in its details. A run without calls is
 * drawn as before.
 */
public final class Waterfall {
  private Waterfall() {}

  /** A task with at most this many rows inside starts unfolded. */
  static final int OPEN_UP_TO = 40;

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
      .badge.omitted{color:#57606a;border-color:#8c959f}
      .track .run.omitted{border:0;height:4px;top:7px;\
      background:repeating-linear-gradient(90deg,#8c959f 0 2px,#fff 2px 4px)}
      tr.is-omitted td.name,tr.is-skipped td.name{color:#6e7781}
      tr.sub td{padding-top:1px;padding-bottom:1px;border-bottom-color:#f6f8fa}
      tr.sub td.name,tr.sub td.num{font-size:12px}
      tr.sub .track{height:14px}
      tr.sub .track .run{height:12px}
      tr.sub .track .wait{top:3px;height:8px}
      tr.sub .track .run.omitted{height:4px;top:5px}
      .up{color:#8c959f;font-weight:400}
      .track .note{position:absolute;top:0;line-height:18px;font-size:11px;color:#57606a;\
      margin:0 8px;white-space:nowrap}
      tr.sub .track .note{line-height:14px}
      .fold{cursor:pointer;user-select:none}
      .fold input{position:absolute;opacity:0;pointer-events:none}
      .fold::before{content:"\u25b8";display:inline-block;width:14px;color:#57606a}
      .fold:has(input:checked)::before{content:"\u25be"}
      .fold:has(input:focus-visible){outline:2px solid #0d2b8c;outline-offset:1px}
      .more{color:#57606a;font-weight:400;font-size:11px;margin-left:6px}
      tbody.grp{border-top:1px solid #d0d7de}
      tbody.grp:has(> tr.top input:not(:checked)) > tr.sub:not(.crit){display:none}
      .empty{color:#57606a;padding:12px 8px}
      .track .load{top:5px;height:8px;background:repeating-linear-gradient(90deg,\
      #0d2b8c 0 2px,#c9d6f5 2px 4px);border-radius:1px}
      tr.sub .track .load{top:4px;height:6px}
      .legend i.load{height:8px;vertical-align:0;background:repeating-linear-gradient(90deg,\
      #0d2b8c 0 2px,#c9d6f5 2px 4px)}
      .track .run.call{border:1px solid #0d2b8c}
      .legend i.call{background:#3fa34d;border:1px solid #0d2b8c;box-sizing:border-box}
      tr.calls td{font-weight:600;color:#57606a;padding-top:8px}
      tr.call .more{white-space:nowrap}
      .waiters{color:#57606a}
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
    long total = Math.max(1, Math.max(run.elapsed().toNanos(), run.calls().latest()));
    var counts = new int[2]; // rows inside tasks: elements, subgraph tasks
    for (int v : rows) {
      total = Math.max(total, latest(run.span(v), counts));
    }
    long step = niceStep(total / 8.0);

    var sb = new StringBuilder(4096 + (rows.size() + counts[0] + counts[1]) * 900);
    header(sb, run, rows, counts, total, step);
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
    boolean plain = true; // inside the <tbody> of rows without rows inside
    for (int v : rows) {
      var span = run.span(v);
      if (span.children().isEmpty()) {
        if (!plain) {
          sb.append("<tbody>\n");
          plain = true;
        }
        row(sb, run, span, "", 0, run.critical(v), total, -1);
      } else {
        sb.append(plain ? "</tbody>\n" : "").append("<tbody class=\"grp\">\n");
        plain = false;
        row(sb, run, span, "", 0, run.critical(v), total, inside(span));
        inner(sb, run, span, "", 1, total);
        sb.append("</tbody>\n");
      }
    }
    sb.append(plain ? "</tbody>\n" : "");
    calls(sb, run.calls(), total);
    sb.append("</table>\n<footer>Weft \u00b7 times since the run started \u00b7 ")
        .append("hover a row for its details</footer>\n</body>\n</html>\n");
    return sb.toString();
  }

  /** Appends the head, the style sheet, the title, the counts, the critical path, the legend. */
  private static void header(StringBuilder sb, Timeline run, List<Integer> rows, int[] inside,
      long total, long step) {
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
    sb.append(parts.isEmpty() ? "none" : String.join(", ", parts));
    if (inside[0] + inside[1] > 0) {
      var what = new ArrayList<String>();
      if (inside[0] > 0) {
        what.add(inside[0] + (inside[0] == 1 ? " element" : " elements"));
      }
      if (inside[1] > 0) {
        what.add(inside[1] + (inside[1] == 1 ? " subgraph task" : " subgraph tasks"));
      }
      sb.append("; inside them ").append(String.join(", ", what));
    }
    int calls = run.calls().list().size();
    if (calls > 0) {
      int loaders = run.calls().loaders().size();
      sb.append("; ").append(calls).append(calls == 1 ? " batch call" : " batch calls")
          .append(" of ").append(loaders).append(loaders == 1 ? " loader" : " loaders");
    }
    sb.append("</p>\n");
    if (run.pathLength() > 0) {
      sb.append("<p class=\"path\">critical path, ").append(millis(run.pathNanos()))
          .append(": ");
      int depth = 0;
      boolean first = true;
      for (var at : run.steps()) { // the steps inside a task in parentheses after it
        if (at.depth() > depth) {
          sb.append(" (");
        } else {
          sb.append(")".repeat(depth - at.depth())).append(first ? "" : " \u2192 ");
        }
        depth = at.depth();
        first = false;
        sb.append("<b>").append(html(at.span().label())).append("</b>");
      }
      sb.append(")".repeat(depth)).append("</p>\n");
    }
    sb.append("<div class=\"legend\">")
        .append("<span><i class=\"wait\"></i>waiting (ready \u2192 started)</span>");
    for (var outcome : Outcome.Status.values()) {
      sb.append("<span><i class=\"").append(outcome.label()).append("\"></i>")
          .append(outcome == Outcome.Status.SUCCEEDED ? "ran, " : "").append(outcome.label())
          .append("</span>");
    }
    sb.append("<span><i class=\"crit\"></i>\u25c6 critical path</span>");
    if (!run.calls().isEmpty()) {
      sb.append("<span><i class=\"call\"></i>batch call</span>")
          .append("<span><i class=\"load\"></i>waiting for a batch call</span>");
    }
    sb.append("</div>\n</header>\n");
  }

  /** {@return the latest end in {@code s} and inside it, counting what is inside into {@code n}} */
  private static long latest(Span s, int[] n) {
    long end = s.ended().toNanos();
    for (var c : s.children()) {
      n[c.element() >= 0 ? 0 : 1]++;
      end = Math.max(end, latest(c, n));
    }
    return end;
  }

  /** {@return how many rows there are inside {@code s}} */
  private static int inside(Span s) {
    int n = s.children().size();
    for (var c : s.children()) {
      n += c.children().isEmpty() ? 0 : inside(c);
    }
    return n;
  }

  /** Appends the rows inside {@code parent}, whose label has {@code prefix} before it. */
  private static void inner(StringBuilder sb, Timeline run, Span parent, String prefix, int depth,
      long total) {
    for (var c : parent.children()) {
      var p = Timeline.prefix(prefix, parent, c);
      row(sb, run, c, p, depth, run.critical(c), total, -1);
      if (!c.children().isEmpty()) {
        inner(sb, run, c, p, depth + 1, total);
      }
    }
  }

  /**
   * Appends one row: its name, outcome, attempts and times, and its bar.
   *
   * @param prefix the path before its label, shown dimmed: {@code host › }
   * @param depth 0 for a task of the run, 1 for what ran inside one, and so on
   * @param inside how many rows follow inside it, which it folds; -1 for none
   */
  private static void row(StringBuilder sb, Timeline run, Span s, String prefix, int depth,
      boolean crit, long total, int inside) {
    var outcome = s.outcome().status().label();
    var waited = run.calls().waitedFor(s);
    var details = details(s, prefix, crit);
    if (waited.length > 0) {
      var lines = new StringBuilder(details).append("\nwaited for batch call")
          .append(waited.length == 1 ? " " : "s ");
      for (int i = 0; i < waited.length; i++) {
        var c = run.calls().get(waited[i]);
        lines.append(i == 0 ? "" : ", ").append(c.title()).append(" (")
            .append(millis(c.batch().duration())).append(')');
      }
      details = lines.toString();
    }
    sb.append("<tr class=\"row ").append(depth == 0 ? "top is-" : "sub is-").append(outcome)
        .append(crit ? " crit" : "").append("\" title=\"")
        .append(html(details)).append("\">")
        .append("<td class=\"name\"");
    if (depth > 0) {
      sb.append(" style=\"padding-left:").append(8 + 18 * depth).append("px\"");
    }
    sb.append('>');
    if (inside >= 0) {
      sb.append("<label class=\"fold\"><input type=\"checkbox\"")
          .append(inside <= OPEN_UP_TO ? " checked" : "").append('>');
    }
    sb.append(crit ? "<span class=\"mark\">\u25c6</span>" : "");
    if (!prefix.isEmpty()) {
      sb.append("<span class=\"up\">").append(html(prefix)).append("</span>");
    }
    sb.append(html(s.label()));
    if (inside >= 0) {
      var first = s.children().getFirst();
      int n = s.children().size();
      sb.append("<span class=\"more\">").append(n)
          .append(first.hedge() >= 0 ? (n == 1 ? " attempt" : " attempts")
              : first.element() >= 0 ? (n == 1 ? " element" : " elements")
              : (n == 1 ? " task" : " tasks"))
          .append("</span></label>");
    }
    sb.append("</td>")
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
    for (int i : waited) { // the part of its run the call took
      var b = run.calls().get(i).batch();
      long from = Math.max(started, b.started().toNanos());
      long to = Math.min(s.ended().toNanos(), b.ended().toNanos());
      if (to > from) {
        sb.append("<div class=\"load\" style=\"left:").append(pct(from, total))
            .append(";width:").append(pct(to - from, total)).append("\"></div>");
      }
    }
    if (s.attempts() == 0) { // a bare marker says little: say why it never ran
      boolean right = 100.0 * started / total > 70;
      sb.append("<span class=\"note").append(right ? " left" : "").append("\" style=\"")
          .append(right ? "right:" : "left:").append(right ? pct(total - started, total)
              : pct(started, total)).append("\">").append(html(never(s.outcome())))
          .append("</span>");
    }
    sb.append("</div></td></tr>\n");
  }

  /** Appends the group of the batch calls' rows, if the run made any. */
  private static void calls(StringBuilder sb, Calls calls, long total) {
    if (calls.isEmpty()) {
      return;
    }
    int n = calls.list().size();
    int loaders = calls.loaders().size();
    sb.append("<tbody class=\"grp\">\n<tr class=\"top calls\"><td colspan=\"6\">")
        .append("<label class=\"fold\"><input type=\"checkbox\"")
        .append(n <= OPEN_UP_TO ? " checked" : "").append(">batch calls<span class=\"more\">")
        .append(n).append(n == 1 ? " call" : " calls").append(" of ").append(loaders)
        .append(loaders == 1 ? " loader" : " loaders").append("</span></label></td></tr>\n");
    for (var c : calls.list()) {
      var b = c.batch();
      var outcome = c.outcome();
      sb.append("<tr class=\"row sub call is-").append(outcome).append("\" title=\"")
          .append(html(c.details())).append("\"><td class=\"name\" style=\"padding-left:26px\">")
          .append(html(c.label())).append("<span class=\"more\">round ").append(b.round())
          .append(" \u00b7 ").append(b.keys().size()).append(b.keys().size() == 1 ? " key"
              : " keys").append("</span></td>")
          .append("<td><span class=\"badge ").append(outcome).append("\">").append(outcome)
          .append("</span></td>")
          .append("<td class=\"num\">").append(b.attempts()).append("</td>")
          .append("<td class=\"num\"></td>")
          .append("<td class=\"num\">").append(millis(b.duration())).append("</td>")
          .append("<td class=\"tl\"><div class=\"track\">");
      long started = b.started().toNanos();
      long ended = Math.max(started, b.ended().toNanos());
      sb.append("<div class=\"run call ").append(outcome).append("\" style=\"left:")
          .append(pct(started, total)).append(";width:").append(pct(ended - started, total))
          .append("\"></div>");
      var who = c.waiters().isEmpty() ? "no task waited" : "for " + Calls.list(c.waiters(), 4);
      boolean right = 100.0 * ended / total > 60;
      sb.append("<span class=\"note waiters\" style=\"")
          .append(right ? "right:" : "left:").append(right ? pct(total - started, total)
              : pct(ended, total)).append("\">").append(html(who)).append("</span>");
      sb.append("</div></td></tr>\n");
    }
    sb.append("</tbody>\n");
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
