package dev.weft.internal.trace;

import static dev.weft.internal.trace.ExportText.decimal;
import static dev.weft.internal.trace.ExportText.json;

import dev.weft.Outcome;
import dev.weft.Span;
import dev.weft.internal.Failures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run as Chrome trace-event JSON (Perfetto, chrome://tracing). One process per run, one track
 * per thread, keyed by {@link dev.weft.Span#threadId()} and named by {@code thread_name} metadata
 * from {@link dev.weft.Span#threadName()}, plus one for tasks that never ran; one complete event
 * ({@code "ph":"X"}) per task from its start to its end, in microseconds since the run started,
 * with its outcome as category and its details as args. What ran inside a task follows it as
 * events of its own, named by path ({@code photos[3]}, {@code host › profile}) on the threads
 * they ran on, with the args {@code node}, {@code parent} (the path of the span they ran in) and,
 * for an element, {@code element} (its index).
 *
 * <p>A run's batch calls ({@link Calls}) follow on tracks of their own after the threads, one per
 * loader ({@code loader users}; a second, third... when its calls overlap), so that no call nests
 * inside another: one complete event per call named {@code users#2 round 1, 12 keys}, category
 * {@code loader}, with the args {@code loader}, {@code call}, {@code round}, {@code keys} (how
 * many), {@code first_keys} (the first {@value Calls#KEYS_SHOWN} as text), {@code outcome},
 * {@code attempts}, {@code shared}, {@code waiters} (the tasks that waited, by path) and, if it
 * failed, {@code error}. A task that waited for calls has {@code waited_for}, their names. A run
 * without calls is written as before. Pure functions; thread-safe.
 */
public final class ChromeJson {
  private ChromeJson() {}

  // the track of tasks that never ran, which Span also gives thread id 0; Java's start at 1
  private static final long NOT_RUN_TID = 0;
  // the sort index of the loaders' tracks: after the threads, before the tasks that never ran
  private static final long LOADER_SORT = 999_000;

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
    var tracks = calls(events, threads, run);
    long pid = run.runId();
    var sb = new StringBuilder("{\"traceEvents\":[\n");
    sb.append(meta("process_name", pid, 0, "name",
        json("graph '" + run.shape().graph() + "' run " + pid)));
    threads.forEach((tid, name) -> sb.append(",\n").append(meta("thread_name", pid, tid,
        "name", json(name))));
    long sort = LOADER_SORT;
    for (var track : tracks.entrySet()) {
      sb.append(",\n").append(meta("thread_name", pid, track.getKey(), "name",
          json(track.getValue())));
      sb.append(",\n").append(meta("thread_sort_index", pid, track.getKey(), "sort_index",
          Long.toString(sort++)));
    }
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
    if (s.hedge() >= 0) {
      args.append(",\"hedge\":").append(s.hedge());
    }
    var waited = run.calls().waitedFor(s);
    if (waited.length > 0) {
      args.append(",\"waited_for\":[");
      for (int i = 0; i < waited.length; i++) {
        args.append(i == 0 ? "" : ",").append(json(run.calls().get(waited[i]).label()));
      }
      args.append(']');
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

  /**
   * Appends the events of the run's batch calls, each on the first of its loader's tracks that is
   * free when it starts. {@return the tracks' names by thread id, in loader order, with ids after
   * every thread's}
   */
  private static Map<Long, String> calls(StringBuilder events, Map<Long, String> threads,
      Timeline run) {
    var tracks = new LinkedHashMap<Long, String>();
    var calls = run.calls();
    if (calls.isEmpty()) {
      return tracks;
    }
    var free = new LinkedHashMap<String, List<Long>>(); // per loader, per track: free from
    for (var l : calls.loaders()) {
      free.put(l.name(), new ArrayList<>(1));
    }
    var lane = new int[calls.list().size()];
    for (int i = 0; i < lane.length; i++) {
      var b = calls.get(i).batch();
      var mine = free.get(b.loader());
      int k = 0;
      while (k < mine.size() && mine.get(k) > b.started().toNanos()) {
        k++;
      }
      if (k == mine.size()) {
        mine.add(0L);
      }
      mine.set(k, Math.max(b.started().toNanos(), b.ended().toNanos()));
      lane[i] = k;
    }
    long next = NOT_RUN_TID; // Java's thread ids are positive
    for (long tid : threads.keySet()) {
      next = Math.max(next, tid);
    }
    var first = new LinkedHashMap<String, Long>(); // per loader, the id of its first track
    for (var entry : free.entrySet()) {
      first.put(entry.getKey(), next + 1);
      for (int k = 0; k < entry.getValue().size(); k++) {
        tracks.put(++next, "loader " + entry.getKey() + (k == 0 ? "" : " (" + (k + 1) + ")"));
      }
    }
    for (int i = 0; i < lane.length; i++) {
      var c = calls.get(i);
      var b = c.batch();
      var args = new StringBuilder()
          .append("\"loader\":").append(json(b.loader()))
          .append(",\"call\":").append(json(c.label()))
          .append(",\"round\":").append(b.round())
          .append(",\"keys\":").append(b.keys().size())
          .append(",\"first_keys\":[");
      for (int k = 0; k < Math.min(Calls.KEYS_SHOWN, b.keys().size()); k++) {
        args.append(k == 0 ? "" : ",").append(json(Calls.keyText(b.keys().get(k))));
      }
      args.append("],\"outcome\":").append(json(c.outcome()))
          .append(",\"attempts\":").append(b.attempts())
          .append(",\"ran_ms\":").append(decimal(b.duration().toNanos(), 6))
          .append(",\"shared\":").append(b.shared())
          .append(",\"waiters\":[");
      for (int k = 0; k < c.waiters().size(); k++) {
        args.append(k == 0 ? "" : ",").append(json(c.waiters().get(k)));
      }
      args.append(']');
      if (b.failure() != null) {
        args.append(",\"error\":").append(json(Failures.describe(b.failure())));
      }
      events.append(",\n{\"name\":").append(json(c.title()))
          .append(",\"cat\":\"loader\",\"ph\":\"X\",\"ts\":")
          .append(decimal(b.started().toNanos(), 3)).append(",\"dur\":")
          .append(decimal(Math.max(0, b.duration().toNanos()), 3)).append(",\"pid\":")
          .append(run.runId()).append(",\"tid\":").append(first.get(b.loader()) + lane[i])
          .append(",\"args\":{").append(args).append("}}");
    }
    return tracks;
  }

  private static String meta(String kind, long pid, long tid, String key, String value) {
    return "{\"name\":\"" + kind + "\",\"ph\":\"M\",\"ts\":0,\"pid\":" + pid + ",\"tid\":" + tid
        + ",\"args\":{\"" + key + "\":" + value + "}}";
  }
}
