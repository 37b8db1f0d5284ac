package dev.weft.internal.trace;

import static dev.weft.internal.trace.ExportText.decimal;
import static dev.weft.internal.trace.ExportText.json;

import dev.weft.Outcome;
import dev.weft.Span;
import dev.weft.internal.Failures;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run as Chrome trace-event JSON (Perfetto, chrome://tracing). One process per run, one track
 * per thread, keyed by {@link dev.weft.Span#threadId()} and named by {@code thread_name} metadata
 * from {@link dev.weft.Span#threadName()}, plus one for tasks that never ran; one complete event
 * ({@code "ph":"X"}) per task from its start to its end, in microseconds since the run started,
 * with its outcome as category and its details as args. What ran inside a task follows it as
 * events of its own, named by path ({@code photos[3]}, {@code host › profile}) on the threads
 * they ran on, with the args {@code node}, {@code parent} (the path of the span they ran in) and,
 * for an element, {@code element} (its index). Pure functions; thread-safe.
 */
public final class ChromeJson {
  private ChromeJson() {}

  // the track of tasks that never ran, which Span also gives thread id 0; Java's start at 1
  private static final long NOT_RUN_TID = 0;

  /** {@return the run as Chrome trace-event JSON, its tasks in the order they started} */
  public static String render(Timeline run) {
    var threads = new LinkedHashMap<Long, String>();
    var events = new StringBuilder();
    boolean notRun = false;
    for (int i = 0; i < run.taskCount(); i++) {
      int v = run.started(i);
      var s = run.span(v);
      notRun |= event(events, threads, run, s, s.label(), null, run.critical(v));
      notRun |= inside(events, threads, run, s, "");
    }
    long pid = run.runId();
    var sb = new StringBuilder("{\"traceEvents\":[\n");
    sb.append(meta("process_name", pid, 0, "name",
        json("graph '" + run.shape().graph() + "' run " + pid)));
    threads.forEach((tid, name) -> sb.append(",\n").append(meta("thread_name", pid, tid,
        "name", json(name))));
    if (notRun) {
      sb.append(",\n").append(meta("thread_name", pid, NOT_RUN_TID, "name",
          json("never ran (skipped or cancelled before starting)")));
      sb.append(",\n").append(meta("thread_sort_index", pid, NOT_RUN_TID, "sort_index",
          "1000000"));
    }
    return sb.append(events).append("\n],\"displayTimeUnit\":\"ms\"}\n").toString();
  }

  /**
   * Appends the events of what ran inside {@code parent}, whose label has {@code prefix} before
   * it, recursively. {@return whether one of them never ran}
   */
  private static boolean inside(StringBuilder events, Map<Long, String> threads, Timeline run,
      Span parent, String prefix) {
    boolean notRun = false;
    for (var c : parent.children()) {
      var p = Timeline.prefix(prefix, parent, c);
      notRun |= event(events, threads, run, c, p + c.label(), prefix + parent.label(),
          run.critical(c));
      notRun |= inside(events, threads, run, c, p);
    }
    return notRun;
  }

  /**
   * Appends the complete event of one span named {@code name}, inside the span labelled {@code
   * parent} (null for a task of the run), and registers its thread. {@return whether it never
   * ran}
   */
  private static boolean event(StringBuilder events, Map<Long, String> threads, Timeline run,
      Span s, String name, String parent, boolean critical) {
    long tid = s.threadId();
    if (tid != NOT_RUN_TID) {
      threads.putIfAbsent(tid, "thread #" + tid
          + (s.threadName().isBlank() ? "" : " " + s.threadName()));
    }
    var outcome = s.outcome().status().label();
    var args = new StringBuilder()
        .append("\"outcome\":").append(json(outcome))
        .append(",\"attempts\":").append(s.attempts())
        .append(",\"ready_ms\":").append(decimal(s.ready().toNanos(), 6))
        .append(",\"queued_ms\":").append(decimal(s.queued().toNanos(), 6))
        .append(",\"ran_ms\":").append(decimal(s.ran().toNanos(), 6))
        .append(",\"thread\":").append(json(s.thread()))
        .append(",\"critical\":").append(critical);
    if (parent != null) {
      args.append(",\"node\":").append(json(s.node()))
          .append(",\"parent\":").append(json(parent));
    }
    if (s.element() >= 0) {
      args.append(",\"element\":").append(s.element());
    }
    switch (s.outcome()) {
      case Outcome.Failed<?> f -> args.append(",\"error\":")
          .append(json(Failures.describe(f.error())));
      case Outcome.Skipped<?> k -> args.append(",\"cause\":").append(json(k.cause()))
          .append(",\"error\":").append(json(Failures.describe(k.error())));
      case Outcome.Cancelled<?> c -> args.append(",\"error\":").append(json(c.reason()));
      case Outcome.Omitted<?> o -> args.append(",\"cause\":").append(json(o.cause()));
      case Outcome.Succeeded<?> ok -> {}
    }
    events.append(",\n{\"name\":").append(json(name)).append(",\"cat\":")
        .append(json(outcome)).append(",\"ph\":\"X\",\"ts\":")
        .append(decimal(s.started().toNanos(), 3)).append(",\"dur\":")
        .append(decimal(s.ran().toNanos(), 3)).append(",\"pid\":").append(run.runId())
        .append(",\"tid\":").append(tid).append(",\"args\":{").append(args).append("}}");
    return tid == NOT_RUN_TID;
  }

  private static String meta(String kind, long pid, long tid, String key, String value) {
    return "{\"name\":\"" + kind + "\",\"ph\":\"M\",\"ts\":0,\"pid\":" + pid + ",\"tid\":" + tid
        + ",\"args\":{\"" + key + "\":" + value + "}}";
  }
}
