package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;
import static dev.weft.internal.trace.ExportText.never;

import dev.weft.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A run as a plain-text waterfall, for logs and terminals: a row per task in the order they
 * started, what ran inside it indented under it, then a row per batch call; each row with its
 * outcome, its time, and a bar on a common time axis. In the bars {@code .} is waiting for a
 * thread, {@code #} running, {@code ~} the part of a task's run a batch call it waited for took,
 * {@code =} a batch call, {@code |} a task that never ran; {@code *} marks the critical path. A
 * task that waited for calls names them after its bar, a call the tasks that waited for it.
 * Names are shown as they are, but for control characters (a space) and unpaired surrogates
 * (U+FFFD), so every row is one line. The same words and numbers whatever the default locale.
 * Pure functions; thread-safe.
 */
public final class TextWaterfall {
  private TextWaterfall() {}

  /** How many characters the bars span. */
  static final int WIDTH = 40;
  /** Names longer than this are cut. */
  static final int NAME_WIDTH = 48;
  /** A call's row names at most this many of the tasks that waited for it. */
  static final int WAITERS_SHOWN = 6;

  private record Row(String name, boolean critical, String outcome, String time, char[] bar,
      String note) {}

  /** {@return the run as a text waterfall} */
  public static String render(Timeline run) {
    var tasks = new ArrayList<Integer>(run.taskCount());
    for (int i = 0; i < run.taskCount(); i++) {
      tasks.add(run.started(i));
    }
    tasks.sort(Comparator.comparing((Integer v) -> run.span(v).started())
        .thenComparing(v -> run.span(v).ready()));
    long total = Math.max(1, Math.max(run.elapsed().toNanos(), run.calls().latest()));
    for (int v : tasks) {
      total = Math.max(total, latest(run.span(v)));
    }
    var rows = new ArrayList<Row>();
    for (int v : tasks) {
      var s = run.span(v);
      rows.add(task(run, s, s.label(), run.critical(v), 0, total));
      inner(rows, run, s, "", 1, total);
    }
    var calls = run.calls();
    var callRows = new ArrayList<Row>();
    for (var c : calls.list()) {
      var b = c.batch();
      var bar = blank();
      long started = b.started().toNanos();
      fill(bar, started, Math.max(started + 1, b.ended().toNanos()), total, '=');
      callRows.add(new Row("  " + plain(c.title()), false, c.outcome(), millis(b.duration()),
          bar, c.waiters().isEmpty() ? "no task waited"
              : "for " + plain(Calls.list(c.waiters(), WAITERS_SHOWN))));
    }
    int width = "task".length();
    for (var r : rows) {
      width = Math.max(width, r.name().length());
    }
    for (var r : callRows) {
      width = Math.max(width, r.name().length());
    }
    width = Math.min(width, NAME_WIDTH);

    var sb = new StringBuilder(256 + (rows.size() + callRows.size()) * (width + WIDTH + 40));
    sb.append("waterfall of run ").append(run.runId()).append(" of graph '")
        .append(plain(run.shape().graph())).append("': ").append(millis(run.elapsed()))
        .append(", ").append(tasks.size()).append(tasks.size() == 1 ? " task" : " tasks");
    if (!calls.isEmpty()) {
      int n = calls.list().size();
      int loaders = calls.loaders().size();
      sb.append(", ").append(n).append(n == 1 ? " batch call" : " batch calls").append(" of ")
          .append(loaders).append(loaders == 1 ? " loader" : " loaders");
    }
    sb.append('\n');
    var start = "0 ms";
    var end = millis(total);
    var axis = start + " ".repeat(Math.max(1, WIDTH - start.length() - end.length())) + end;
    sb.append("  ").append(pad("task", width)).append("  ").append(pad("outcome", 9))
        .append("  ").append(" ".repeat(9)).append("   ").append(axis).append('\n');
    for (var r : rows) {
      line(sb, r, width);
    }
    if (!callRows.isEmpty()) {
      sb.append("  batch calls\n");
      for (var r : callRows) {
        line(sb, r, width);
      }
    }
    sb.append("  # ran  . waited for a thread");
    if (!calls.isEmpty()) {
      sb.append("  ~ waited for a batch call  = batch call");
    }
    sb.append("  | never ran  * critical path\n");
    return sb.toString();
  }

  /** Appends the rows inside {@code parent}, whose label has {@code prefix} before it. */
  private static void inner(List<Row> rows, Timeline run, Span parent, String prefix, int depth,
      long total) {
    for (var c : parent.children()) {
      var p = Timeline.prefix(prefix, parent, c);
      rows.add(task(run, c, p + c.label(), run.critical(c), depth, total));
      inner(rows, run, c, p, depth + 1, total);
    }
  }

  private static Row task(Timeline run, Span s, String label, boolean critical, int depth,
      long total) {
    var bar = blank();
    long ready = s.ready().toNanos();
    long started = s.started().toNanos();
    long ended = s.ended().toNanos();
    String note = "";
    if (s.attempts() == 0) {
      bar[cell(started, total)] = '|';
      note = never(s.outcome());
    } else {
      fill(bar, ready, started, total, '.');
      fill(bar, started, Math.max(started + 1, ended), total, '#');
    }
    var waited = run.calls().waitedFor(s);
    for (int i : waited) {
      var b = run.calls().get(i).batch();
      long from = Math.max(started, b.started().toNanos());
      long to = Math.min(ended, b.ended().toNanos());
      if (to > from) {
        fill(bar, from, to, total, '~');
      }
    }
    if (waited.length > 0) {
      note = (note.isEmpty() ? "" : note + "; ") + "waited for "
          + plain(run.calls().waitedForText(s));
    }
    return new Row("  ".repeat(depth) + plain(label), critical, s.outcome().status().label(),
        s.attempts() == 0 ? "" : millis(s.ran()), bar, note);
  }

  private static void line(StringBuilder sb, Row r, int width) {
    sb.append(r.critical() ? "* " : "  ").append(pad(r.name(), width)).append("  ")
        .append(pad(r.outcome(), 9)).append("  ")
        .append(" ".repeat(Math.max(0, 9 - r.time().length()))).append(r.time()).append("  |")
        .append(r.bar()).append('|');
    if (!r.note().isEmpty()) {
      sb.append("  ").append(r.note());
    }
    sb.append('\n');
  }

  private static char[] blank() {
    var bar = new char[WIDTH];
    Arrays.fill(bar, ' ');
    return bar;
  }

  /** Fills the cells of the bar that {@code [from, to)} touches, if it is not empty. */
  private static void fill(char[] bar, long from, long to, long total, char c) {
    if (to <= from) {
      return;
    }
    int first = cell(from, total);
    int last = Math.max(first, Math.min(WIDTH - 1,
        (int) Math.ceil((double) to * WIDTH / total) - 1));
    Arrays.fill(bar, first, last + 1, c);
  }

  private static int cell(long t, long total) {
    return (int) Math.max(0, Math.min(WIDTH - 1, (long) ((double) t * WIDTH / total)));
  }

  /** {@return the latest end in {@code s} and inside it} */
  private static long latest(Span s) {
    long end = s.ended().toNanos();
    for (var c : s.children()) {
      end = Math.max(end, latest(c));
    }
    return end;
  }

  /** {@return {@code s} padded with spaces to {@code width}, or cut to it with an ellipsis} */
  private static String pad(String s, int width) {
    if (s.length() > width) {
      int cut = width - 1;
      if (cut > 0 && Character.isHighSurrogate(s.charAt(cut - 1))) {
        cut--;
      }
      return s.substring(0, cut) + "\u2026" + " ".repeat(width - 1 - cut);
    }
    return s + " ".repeat(width - s.length());
  }

  /** {@return {@code s} on one line: control characters as spaces, lone surrogates as U+FFFD} */
  static String plain(String s) {
    var sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7f && c < 0xa0 || c == '\u2028' || c == '\u2029') {
        sb.append(' ');
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          sb.append(c).append(s.charAt(++i));
        } else {
          sb.append('\ufffd');
        }
      } else if (Character.isLowSurrogate(c)) {
        sb.append('\ufffd');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
