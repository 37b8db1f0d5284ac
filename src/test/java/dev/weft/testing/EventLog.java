package dev.weft.testing;

import dev.weft.Outcome;
import dev.weft.RunEvent;
import dev.weft.RunListener;
import dev.weft.RunResult;
import dev.weft.Span;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A listener that records every event of one run with the thread it was delivered on and a tick
 * of the {@link Probe}'s logical clock, taken at delivery; then checks the stream against the
 * result and the probe: {@link #check} and {@link #criticalPath}. Thread-safe.
 */
public final class EventLog implements RunListener {
  /** One delivered event. */
  public record Entry(long tick, Thread thread, RunEvent event) {}

  private final Queue<Entry> entries = new ConcurrentLinkedQueue<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  // read on delivery of RunEnded: what the result said before the future completed
  private volatile Boolean deadlineExceededAtEnd;
  private volatile RunResult result;
  private volatile int retriedThenCancelled;

  // subgraphs' runs, which report to the same listeners: their RunEnded is not the run's
  private final java.util.Set<Long> nestedRuns = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Override
  public void onEvent(RunEvent event) {
    entries.add(new Entry(Probe.TICK.incrementAndGet(), Thread.currentThread(), event));
    if (event instanceof RunEvent.RunStarted s && s.nested()) {
      nestedRuns.add(s.runId());
    }
    if (event instanceof RunEvent.RunEnded e && !nestedRuns.contains(e.runId())) {
      deadlineExceededAtEnd = e.result().deadlineExceeded();
      result = e.result();
      ended.countDown();
    }
  }

  /** {@return the result RunEnded carried, waiting up to {@code seconds} for it; or null} */
  public RunResult awaitResult(long seconds) throws InterruptedException {
    return ended.await(seconds, TimeUnit.SECONDS) ? result : null;
  }

  /** {@return what {@code deadlineExceeded()} said when RunEnded was delivered, or null} */
  public Boolean deadlineExceededAtEnd() {
    return deadlineExceededAtEnd;
  }

  /** {@return the entries in tick order} */
  public List<Entry> entries() {
    var list = new ArrayList<>(entries);
    list.sort(Comparator.comparingLong(Entry::tick));
    return list;
  }

  /** {@return how many nodes had a retry announced and were cancelled before it ran} */
  public int retriedThenCancelled() {
    return retriedThenCancelled;
  }

  /**
   * The listener contract, on a finished run whose task bodies all returned: RunStarted first
   * and RunEnded (carrying {@code r}) last; per task exactly one NodeEnded, last of its events,
   * whose span equals the result's; per attempt one NodeStarted, numbered from 1, closed by one
   * NodeRetried or by the NodeEnded (a retry announced and then cancelled may leave the
   * NodeEnded closing nothing); as many NodeStarted as body calls; NodeReady first, before any
   * start, and only after every task dependency's NodeEnded; a skipped node neither ready nor
   * started; NodeStarted names the thread it is delivered on; announced retry delays within the
   * policy; attempts start after their NodeStarted and end before the NodeEnded; a hedged task's
   * attempts as {@link HedgeInvariants#events} says.
   *
   * @param fromFuture whether {@code r} came from the run's future (not from RunEnded itself)
   */
  public List<String> check(WeftDag w, Probe p, RunResult r, boolean fromFuture) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var list = entries();
    if (list.isEmpty()) {
      return List.of("no events at all");
    }
    if (!(list.getFirst().event() instanceof RunEvent.RunStarted s)) {
      out.add("the first event is " + SafeText.of(list.getFirst().event()));
    } else if (s.tasks() != dag.taskCount()) {
      out.add("RunStarted counts " + s.tasks() + " tasks, the graph has " + dag.taskCount());
    }
    // the runs of subgraph nodes cut off at a deadline may end after this one
    var last = list.stream().filter(x -> x.event().runId() == r.runId()
        && !HedgeInvariants.lateAtTheCutOff(x, r.stragglers())).reduce((a, b) -> b)
        .orElse(list.getLast());
    if (!(last.event() instanceof RunEvent.RunEnded e)) {
      out.add("the last event is " + SafeText.of(last.event()));
    } else if (fromFuture && e.result() != r) {
      out.add("RunEnded carries another result than the future's");
    }
    var byNode = new HashMap<String, List<Entry>>();
    var byElement = new HashMap<String, List<Entry>>();
    var byHedge = new HashMap<String, List<Entry>>(); // by task label: n3, n3[2]
    int runStarts = 0;
    int runEnds = 0;
    // the runs of subgraph nodes, by id: their RunStarted names a known parent run
    var nested = new HashMap<Long, int[]>();
    var nestedStragglers = new HashMap<Long, Map<String, Thread>>();
    for (boolean grew = true; grew; ) { // runs of subgraphs inside subgraphs too
      grew = false;
      for (var entry : list) {
        if (entry.event() instanceof RunEvent.RunStarted s && s.nested()
            && !nested.containsKey(s.runId())
            && (s.parentRunId() == r.runId() || nested.containsKey(s.parentRunId()))) {
          nested.put(s.runId(), new int[2]);
          grew = true;
        }
      }
    }
    for (var entry : list) {
      var event = entry.event();
      var inner = nested.get(event.runId());
      if (inner != null) {
        // a subgraph's run: its tasks are checked through its node's span; its own events
        // between its one RunStarted and its one RunEnded
        int starts = inner[0];
        inner[event instanceof RunEvent.RunStarted ? 0 : 1] += event instanceof RunEvent.RunEnded
            || event instanceof RunEvent.RunStarted ? 1 : 0;
        if (event instanceof RunEvent.RunEnded e) {
          nestedStragglers.put(e.runId(), e.result().stragglers());
        }
        boolean late = inner[1] == 1 && HedgeInvariants.lateAtTheCutOff(entry,
            nestedStragglers.getOrDefault(event.runId(), Map.of()));
        if (starts == 0 && !(event instanceof RunEvent.RunStarted) || inner[0] > 1
            || inner[1] > 1 || inner[1] == 1 && !(event instanceof RunEvent.RunEnded) && !late) {
          out.add("nested run " + event.runId() + ": " + SafeText.of(event) + (starts == 0
              ? " before its RunStarted" : " after its RunStarted or RunEnded"));
        }
        continue;
      }
      if (event.runId() != r.runId() || !event.graph().equals(r.graph())) {
        out.add("event of another run: " + SafeText.of(event));
      }
      switch (event) {
        case RunEvent.RunStarted s -> runStarts++;
        case RunEvent.RunEnded e -> runEnds++;
        case RunEvent.NodeReady e -> byNode.computeIfAbsent(e.node(), k -> new ArrayList<>())
            .add(entry);
        case RunEvent.NodeStarted e -> byNode.computeIfAbsent(e.node(), k -> new ArrayList<>())
            .add(entry);
        case RunEvent.NodeRetried e -> byNode.computeIfAbsent(e.node(), k -> new ArrayList<>())
            .add(entry);
        case RunEvent.NodeEnded e -> byNode.computeIfAbsent(e.node(), k -> new ArrayList<>())
            .add(entry);
        case RunEvent.ElementStarted e -> byElement.computeIfAbsent(e.node() + "[" + e.element()
            + "]", k -> new ArrayList<>()).add(entry);
        case RunEvent.ElementRetried e -> byElement.computeIfAbsent(e.node() + "[" + e.element()
            + "]", k -> new ArrayList<>()).add(entry);
        case RunEvent.ElementEnded e -> byElement.computeIfAbsent(e.node() + "[" + e.element()
            + "]", k -> new ArrayList<>()).add(entry);
        case RunEvent.BatchEnded e -> {
          if (runEnds > 0) {
            out.add("BatchEnded after RunEnded: " + SafeText.of(event));
          }
        }
        case RunEvent.HedgeStarted e -> byHedge.computeIfAbsent(label(e.node(), e.element()),
            k -> new ArrayList<>()).add(entry);
        case RunEvent.HedgeEnded e -> byHedge.computeIfAbsent(label(e.node(), e.element()),
            k -> new ArrayList<>()).add(entry);
      }
    }
    if (runStarts != 1 || runEnds != 1) {
      out.add(runStarts + " RunStarted and " + runEnds + " RunEnded events");
    }
    var spans = new HashMap<String, Span>();
    for (var span : r.spans()) {
      spans.put(span.node(), span);
    }
    var endTick = new HashMap<String, Long>();
    var readyTick = new HashMap<String, Long>();
    for (int v = 0; v < dag.size(); v++) {
      var name = dag.spec(v).name();
      var events = byNode.remove(name);
      if (dag.isInput(v)) {
        if (events != null) {
          out.add("input " + name + " has events " + SafeText.of(events));
        }
        continue;
      }
      out.addAll(node(dag, v, events == null ? List.of() : events, p, r, spans.get(name),
          endTick, readyTick));
      var spec = dag.spec(v);
      if (spec.fanOut() != null && spans.get(name) != null) {
        out.addAll(elements(dag, v, events == null ? List.of() : events, byElement, byHedge, p,
            r, spans.get(name)));
      } else if (spec.hasBody() && spec.hedging() != null && spans.get(name) != null) {
        out.addAll(HedgeInvariants.events(name, spec, events == null ? List.of() : events,
            byHedge.remove(name), spans.get(name), r.stragglers().containsKey(name)));
      }
    }
    if (!byHedge.isEmpty()) {
      out.add("hedge events for tasks that are not hedged, or have no span: " + byHedge.keySet());
    }
    if (!byElement.isEmpty()) {
      out.add("element events for unknown elements " + byElement.keySet());
    }
    if (!byNode.isEmpty()) {
      out.add("events for unknown nodes " + byNode.keySet());
    }
    for (int v = 0; v < dag.size(); v++) {
      Long ready = readyTick.get(dag.spec(v).name());
      for (var edge : ready == null ? List.<Dag.Edge>of() : dag.spec(v).deps()) {
        var up = dag.spec(edge.from()).name();
        Long ended = endTick.get(up);
        if (!dag.isInput(edge.from()) && (ended == null || ended > ready)) {
          out.add(dag.spec(v).name() + " was ready at tick " + ready + " before its dependency "
              + up + " ended (NodeEnded at tick " + ended + ")");
        }
      }
    }
    return out;
  }

  /** Checks the events of task {@code v}, in tick order; records its NodeEnded's tick. */
  private List<String> node(Dag dag, int v, List<Entry> events, Probe p, RunResult r, Span span,
      Map<String, Long> endTick, Map<String, Long> readyTick) {
    var out = new ArrayList<String>();
    var spec = dag.spec(v);
    var name = spec.name();
    boolean straggler = r.stragglers().containsKey(name);
    int attempt = 0;
    boolean open = false;
    long firstStart = 0;
    int ends = 0;
    boolean ready = false;
    for (int i = 0; i < events.size(); i++) {
      var entry = events.get(i);
      switch (entry.event()) {
        case RunEvent.NodeReady e -> {
          if (i != 0) {
            out.add(name + ": NodeReady after " + SafeText.of(events.get(i - 1).event()));
          }
          ready = true;
          readyTick.put(name, entry.tick());
        }
        case RunEvent.NodeStarted e -> {
          if (open || e.attempt() != attempt + 1 || ends > 0 || !ready) {
            out.add(name + ": NodeStarted of attempt " + e.attempt() + " after attempt "
                + attempt + (open ? " was left open" : "") + (ends > 0 ? ", after NodeEnded" : "")
                + (ready ? "" : ", without NodeReady before"));
          }
          var t = entry.thread();
          if (!e.thread().equals("#" + t.threadId() + " " + t.getName())) {
            out.add(name + ": NodeStarted names thread " + e.thread() + ", delivered on " + t);
          }
          attempt = e.attempt();
          open = true;
          firstStart = firstStart == 0 ? entry.tick() : firstStart;
        }
        case RunEvent.NodeRetried e -> {
          if (!open || e.attempt() != attempt) {
            out.add(name + ": NodeRetried of attempt " + e.attempt() + " while attempt "
                + attempt + " was " + (open ? "open" : "closed"));
          }
          open = false;
          out.addAll(delay(spec, e));
        }
        case RunEvent.NodeEnded e -> {
          ends++;
          endTick.put(name, entry.tick());
          if (i != events.size() - 1) {
            out.add(name + ": " + SafeText.of(events.get(i + 1).event()) + " after NodeEnded");
          }
          if (span == null || !span.equals(e.span())) {
            out.add(name + ": NodeEnded's span " + SafeText.of(e.span()) + " differs from the "
                + "result's " + SafeText.of(span));
          }
          if (attempt > 0 && !open) {
            if (e.span().outcome() instanceof Outcome.Cancelled) {
              retriedThenCancelled++;
            } else {
              out.add(name + ": NodeEnded closes no attempt (the last was retried) yet it "
                  + "ended " + SafeText.of(e.span().outcome()));
            }
          }
          if (attempt > 0 && !straggler && p.end(v) > entry.tick()) {
            out.add(name + ": NodeEnded at tick " + entry.tick() + " before its body ended at "
                + p.end(v));
          }
        }
        default -> out.add(name + ": unexpected event " + SafeText.of(entry.event()));
      }
    }
    if (ends != 1) {
      out.add(name + " has " + ends + " NodeEnded events");
    }
    // a straggler may be cut off after its attempt was announced and before its body's first
    // line ran (its thread was slow to get there, under load): one call fewer than announced
    if (spec.hasBody() ? !callsAgree(spec, attempt, p.calls(v), straggler, span)
        : attempt > 1 || attempt == 1 && !ready) {
      out.add(name + ": " + attempt + " attempts announced, " + p.calls(v) + " body calls");
    }
    if (firstStart != 0 && p.start(v) != 0 && firstStart > p.start(v)) {
      out.add(name + ": body started at tick " + p.start(v) + " before NodeStarted at "
          + firstStart);
    }
    if (span != null && span.outcome() instanceof Outcome.Skipped && (ready || attempt > 0)) {
      out.add(name + " was skipped, yet was ready or started");
    }
    if (span != null && (span.ready().compareTo(span.started()) > 0
        || span.started().compareTo(span.ended()) > 0)) {
      out.add(name + "'s span is out of order: " + SafeText.of(span));
    }
    return out;
  }

  /**
   * The element events of fan-out {@code v}: per element of its span, per attempt one
   * ElementStarted numbered from 1 on the thread it names, closed by one ElementRetried (within
   * the policy) or by the element's one ElementEnded, last, whose span is the result's; as many
   * ElementStarted as body calls; all after the node's NodeStarted and before its NodeEnded; none
   * for elements beyond the list.
   */
  private static List<String> elements(Dag dag, int v, List<Entry> nodeEvents,
      Map<String, List<Entry>> byElement, Map<String, List<Entry>> byHedge, Probe p,
      RunResult r, Span span) {
    var out = new ArrayList<String>();
    var spec = dag.spec(v);
    long started = nodeEvents.stream().filter(e -> e.event() instanceof RunEvent.NodeStarted)
        .mapToLong(Entry::tick).min().orElse(Long.MAX_VALUE);
    long ended = nodeEvents.stream().filter(e -> e.event() instanceof RunEvent.NodeEnded)
        .mapToLong(Entry::tick).max().orElse(Long.MIN_VALUE);
    for (int i = 0; i < span.children().size(); i++) {
      var label = spec.name() + "[" + i + "]";
      var events = byElement.remove(label);
      events = events == null ? List.of() : events;
      int attempt = 0;
      boolean open = false;
      int ends = 0;
      for (int k = 0; k < events.size(); k++) {
        var entry = events.get(k);
        if (entry.tick() < started || entry.tick() > ended) {
          out.add(label + ": " + SafeText.of(entry.event()) + " at tick " + entry.tick()
              + " outside its node's NodeStarted (" + started + ") and NodeEnded (" + ended
              + ")");
        }
        switch (entry.event()) {
          case RunEvent.ElementStarted e -> {
            if (open || e.attempt() != attempt + 1 || ends > 0) {
              out.add(label + ": ElementStarted of attempt " + e.attempt() + " after attempt "
                  + attempt + (open ? " was left open" : "") + (ends > 0 ? ", after its end"
                  : ""));
            }
            var t = entry.thread();
            if (e.threadId() != t.threadId() || !e.threadName().equals(t.getName())) {
              out.add(label + ": ElementStarted names thread #" + e.threadId() + " "
                  + e.threadName() + ", delivered on " + t);
            }
            attempt = e.attempt();
            open = true;
          }
          case RunEvent.ElementRetried e -> {
            if (!open || e.attempt() != attempt) {
              out.add(label + ": ElementRetried of attempt " + e.attempt() + " while attempt "
                  + attempt + " was " + (open ? "open" : "closed"));
            }
            open = false;
            out.addAll(delay(Dag.element(spec, i), e.attempt(), e.error(), e.delay()));
          }
          case RunEvent.ElementEnded e -> {
            ends++;
            if (k != events.size() - 1) {
              out.add(label + ": " + SafeText.of(events.get(k + 1).event()) + " after its end");
            }
            if (!e.span().equals(span.children().get(i))) {
              out.add(label + ": ElementEnded's span " + SafeText.of(e.span()) + " differs "
                  + "from the result's " + SafeText.of(span.children().get(i)));
            }
            // stopped by its fan-out between two attempts, it ends Cancelled (fixed: it ended
            // with the failure it was going to retry)
            if (attempt > 0 && !open && !(e.span().outcome() instanceof Outcome.Cancelled)) {
              out.add(label + ": ElementEnded closes no attempt yet it ended "
                  + SafeText.of(e.span().outcome()));
            }
          }
          default -> out.add(label + ": unexpected event " + SafeText.of(entry.event()));
        }
      }
      if (ends != 1) {
        out.add(label + " has " + ends + " ElementEnded events");
      }
      int calls = p.calls(p.layout().element(v, i));
      var element = Dag.element(spec, i);
      boolean cut = r.stragglers().containsKey(label);
      if (element.hedging() == null ? attempt != calls && !cut
          : !callsAgree(element, attempt, calls, cut, span.children().get(i))) {
        out.add(label + ": " + attempt + " attempts announced, " + calls + " body calls");
      }
      if (element.hedging() != null) {
        out.addAll(HedgeInvariants.events(label, element, events, byHedge.remove(label),
            span.children().get(i), cut));
      }
    }
    return out;
  }

  /**
   * {@return whether {@code attempt} announced attempts agree with {@code calls} body calls} A
   * straggler may be cut off after its attempt was announced and before its body's first line
   * ran (its thread was slow to get there, under load): one call fewer than announced. A hedged
   * task calls its body once to {@code 1 + maxHedges} times per attempt, and fewer when it was
   * stopped before an attempt's first call.
   */
  private static boolean callsAgree(Dag.Spec spec, int attempt, int calls, boolean straggler,
      Span span) {
    var h = spec.hedging();
    if (h == null) {
      return attempt == calls || straggler && attempt == calls + 1;
    }
    boolean stopped = straggler || span == null || span.outcome() instanceof Outcome.Cancelled;
    return calls <= attempt * h.perAttempt() && (stopped || calls >= attempt);
  }

  private static String label(String node, int element) {
    return element < 0 ? node : node + "[" + element + "]";
  }

  private static List<String> delay(Dag.Spec spec, RunEvent.NodeRetried e) {
    return delay(spec, e.attempt(), e.error(), e.delay());
  }

  private static List<String> delay(Dag.Spec spec, int attempt, Throwable error,
      java.time.Duration delay) {
    var retry = spec.retry();
    var e = "attempt " + attempt + " on " + SafeText.of(error);
    if (retry == null) {
      return List.of(spec.name() + " was retried without a retry policy: " + e);
    }
    long nanos = delay.toNanos();
    if (attempt >= retry.maxAttempts() || !retry.retries(error)
        || nanos < retry.minDelayNanos(attempt) || nanos > retry.maxDelayNanos(attempt)) {
      return List.of(spec.name() + ": retry after attempt " + attempt + " of " + retry
          + " on " + SafeText.of(error) + " with a delay of " + nanos + " ns");
    }
    return List.of();
  }

  /**
   * The critical path: a chain of real dependency edges, from a task that depends on inputs only
   * to a task that ended last, each step coming from a dependency that ended last among the
   * task's dependencies, made of the result's spans.
   */
  public static List<String> criticalPath(Dag dag, RunResult r) {
    var out = new ArrayList<String>();
    var spans = new HashMap<String, Span>();
    for (var s : r.spans()) {
      spans.put(s.node(), s);
    }
    // The path descends into fan-outs and subgraphs: what ran inside a step follows it. Those
    // inner steps must lie inside the step before them; the graph's own steps are checked here.
    var path = new ArrayList<Span>();
    for (var step : r.trace().criticalPath()) {
      if (step.equals(spans.get(step.node()))) {
        path.add(step);
      } else if (path.isEmpty() || !inside(path.getLast(), step)) {
        out.add("critical path step " + SafeText.of(step) + " is neither the result's span nor "
            + "inside the step before it");
      }
    }
    if (spans.isEmpty() || path.isEmpty()) {
      return spans.isEmpty() == path.isEmpty() ? out
          : List.of("critical path " + names(path) + " for " + spans.size() + " spans");
    }
    var index = dag.indexByName();
    var lastEnd = spans.values().stream().map(Span::ended).max(Comparator.naturalOrder())
        .orElseThrow();
    if (!path.getLast().ended().equals(lastEnd)) {
      out.add("critical path " + names(path) + " ends at " + path.getLast().ended()
          + ", the last task ended at " + lastEnd);
    }
    for (int i = 0; i < path.size(); i++) {
      var step = path.get(i);
      Integer v = index.get(step.node());
      if (v == null || !step.equals(spans.get(step.node()))) {
        out.add("critical path step " + SafeText.of(step) + " is not the result's span");
        continue;
      }
      Span latest = null;
      boolean fromPrevious = i == 0;
      for (var e : dag.spec(v).deps()) {
        var up = spans.get(dag.spec(e.from()).name());
        if (up != null && (latest == null || up.ended().compareTo(latest.ended()) > 0)) {
          latest = up;
        }
        fromPrevious |= i > 0 && dag.spec(e.from()).name().equals(path.get(i - 1).node());
      }
      if (!fromPrevious) {
        out.add("critical path " + names(path) + ": " + path.get(i - 1).node() + " -> "
            + step.node() + " is no edge of the graph");
      } else if (i == 0 && latest != null) {
        out.add("critical path " + names(path) + " starts at " + step.node()
            + ", which depends on task " + latest.node());
      } else if (i > 0 && !path.get(i - 1).ended().equals(latest.ended())) {
        out.add("critical path " + names(path) + " reaches " + step.node() + " from "
            + path.get(i - 1).node() + ", not from its last-ended dependency " + latest.node());
      }
    }
    return out;
  }

  /** {@return whether {@code inner} is among what ran inside {@code outer}, at any depth} */
  private static boolean inside(Span outer, Span inner) {
    for (var child : outer.children()) {
      if (child.equals(inner) || inside(child, inner)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> names(List<Span> path) {
    return path.stream().map(Span::node).toList();
  }
}
