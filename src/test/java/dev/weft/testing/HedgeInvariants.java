package dev.weft.testing;

import dev.weft.Outcome;
import dev.weft.RunEvent;
import dev.weft.RunResult;
import dev.weft.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * The checks of hedged tasks ({@link Dag.Hedge}: a node's own, a fan-out's elements, the nodes
 * inside subgraphs) on a finished run, on top of {@link Invariants}, which compares their outcomes
 * with what their calls returned and threw. A hedged task's calls run beside each other, so they
 * are counted as a range: at least one per attempt (unless the task was stopped), at most {@code
 * 1 + maxHedges} per attempt, and each hedge index at most once per attempt. Its span's children
 * are the attempts of its last attempt set, in the order they were sent, each named by its hedge
 * index and inside the task's span; a task that succeeded has a child that succeeded with its very
 * value (the winner), and every other child that succeeded returned an equal one (it finished
 * before its interrupt took effect); a task that failed has only failed or cancelled children,
 * one of which failed with its very failure; a task that never started has none. Every straggler
 * a hedge left is one of a task that is itself a straggler. Its events ({@link #events}, from
 * {@link EventLog#check}) pair every attempt sent within the task's own attempt, and carry the
 * spans its result shows. Once the run is over, the hedges' threads end ({@link #threadsEnd}).
 * Each check returns readable lines (empty when all is well).
 */
public final class HedgeInvariants {
  /**
   * Whether the harness fails on the library issues {@code HedgeRegressionTest} pinned down: on
   * by default, since all are fixed (the whole suite passes strict, and the hedge properties did
   * at 5,000 cases); {@code -Dweft.hedges.lenient=true} lets them pass again, to bisect older
   * commits or to look past one while another is found. Each check it relaxes says so. By that
   * test's methods:
   *
   * <ul>
   *   <li>{@code aFailedAttempt_sendsTheNextHedge...}: an attempt set closes before sending all
   *       its hedges, so the task makes fewer calls, and may fail where it would have recovered;
   *   <li>{@code aHedgedNodeStoppedByItsRunsCancellation...}: a hedged task whose attempts its
   *       run's cancellation stopped before the task ends Failed with a CancellationException;
   *   <li>{@code aHedgedAttemptsSpan_isTheSame...}: a cancelled attempt's reason in its
   *       HedgeEnded differs from the result's;
   *   <li>{@code aHedgedNodeWhoseHedgeWon...}, {@code aNodeWhoseBodyReturnsDespite...}: a hedged
   *       task with an attempt that succeeded ends Cancelled when its run's cancellation reached
   *       it, where an unhedged one succeeds;
   *   <li>{@code anAttemptThatEndsWhileTheCutOff...}: such an attempt ended after its task
   *       (also when the cut-off's thread was preempted between cutting the task and its
   *       attempts: the task now ends after them);
   *   <li>{@code aFanOutWithACancelledElement...}: a fan-out succeeds with what a cancelled
   *       element threw as its value (also without hedges);
   * </ul>
   */
  public static final boolean STRICT = !Boolean.getBoolean("weft.hedges.lenient");

  private HedgeInvariants() {}

  /**
   * {@return whether {@code error}, what hedged task {@code key} failed with, is the known
   * cancellation reported as a failure (see {@link #STRICT}), to be taken as a cancellation}
   */
  public static boolean cancelledAsFailure(Probe p, int key, Throwable error) {
    return false; // fixed: a hedged task stopped by its run's cancellation ends cancelled
  }

  /**
   * {@return whether {@code value}, in a fan-out's list where its element's value belongs, is
   * the known throwable of an element that ended Cancelled (see {@link #STRICT})}
   */
  static boolean thrownAsAValue(Object value, Outcome<?> element) {
    return false; // fixed: a fan-out with a cancelled element is cancelled, not a list
  }

  /**
   * {@return whether {@code entry} is a HedgeEnded of a task the cut-off ended, {@code
   * stragglers}, which may come late: the cut-off does not wait for an attempt's thread still
   * delivering it to a listener (RunListener's documented exception)}
   */
  static boolean lateAtTheCutOff(EventLog.Entry entry, Map<String, Thread> stragglers) {
    return entry.event() instanceof RunEvent.HedgeEnded h
        && stragglers.containsKey(h.element() < 0 ? h.node() : h.node() + "[" + h.element() + "]");
  }

  /** {@return whether two spans of one hedged attempt agree: equal (its reason fixed too)} */
  static boolean sameAttempt(Span a, Span b) {
    return b != null && a.equals(b);
  }


  /** {@return what is wrong with the spans and calls of the hedged tasks of the run} */
  public static List<String> afterRun(WeftDag w, Probe p, RunResult r) {
    var out = new ArrayList<String>();
    var spans = new HashMap<String, Span>();
    for (var span : r.spans()) {
      spans.put(span.node(), span);
    }
    tasks(w.dag(), 0, "", "", spans, p, r.stragglers(), out);
    out.addAll(stragglers(w.dag(), r.stragglers()));
    return out;
  }

  /**
   * Checks the hedged tasks of {@code d}, whose first probe key is {@code base}, named with
   * {@code prefix}, against their spans by name: the dag's own, or a subgraph node's children.
   * Their stragglers are named {@code path} and their name ({@code n1/n1_n3}).
   */
  private static void tasks(Dag d, int base, String prefix, String path, Map<String, Span> spans,
      Probe p, Map<String, Thread> stragglers, List<String> out) {
    var layout = p.layout();
    for (int v = 0; v < d.size(); v++) {
      var spec = d.spec(v);
      int key = base + v;
      var span = spans.get(prefix + spec.name());
      if (spec.input() || span == null) {
        continue; // a subgraph's run cut off while going shows no spans inside it
      }
      if (spec.sub() != null) {
        var inner = new HashMap<String, Span>();
        for (var c : span.children()) {
          inner.put(c.node(), c);
        }
        tasks(spec.sub().inner(), layout.subBase(key), prefix + spec.name() + "_",
            path + prefix + spec.name() + "/", inner, p, stragglers, out);
        continue;
      }
      if (spec.hedging() == null) {
        continue;
      }
      if (spec.fanOut() != null) {
        for (int i = 0; i < span.children().size(); i++) {
          var label = prefix + spec.name() + "[" + i + "]";
          task(label, Dag.element(spec, i), layout.element(key, i), span.children().get(i),
              cut(path, label, stragglers), p, out);
        }
      } else {
        var label = prefix + spec.name();
        task(label, spec, key, span, cut(path, label, stragglers), p, out);
      }
    }
  }

  /**
   * {@return whether task {@code label}, inside the subgraphs {@code path} names, was cut off}
   * Named by its path whichever cut-off cut it, its run's or a subgraph's own (fixed: one that a
   * subgraph's own cut-off ended just before the run's looked inside went unnamed).
   */
  private static boolean cut(String path, String label, Map<String, Thread> stragglers) {
    return stragglers.containsKey(path + label);
  }

  /** Checks one hedged task, {@code label}, under probe key {@code key}, against its span. */
  private static void task(String label, Dag.Spec spec, int key, Span span, boolean cut,
      Probe p, List<String> out) {
    var h = spec.hedging();
    int per = h.perAttempt();
    var outcome = span.outcome();
    var children = span.children();
    int calls = p.calls(key);
    int attempts = span.attempts();
    var what = label + " (" + spec.behaviour() + ", " + h + (spec.retry() == null ? ""
        : ", " + spec.retry()) + ")";
    if (children.size() > per) {
      out.add(what + " shows " + children.size() + " attempts in one set: " + labels(children));
    }
    if (attempts > spec.maxAttempts()) {
      out.add(what + " made " + attempts + " attempts");
    }
    if (!children.isEmpty() && attempts == 0) {
      out.add(what + " shows hedged attempts " + labels(children) + " but never started");
    }
    for (int k = 0; k < children.size(); k++) {
      var c = children.get(k);
      if (c.hedge() != k || !c.node().equals(span.node()) || c.element() != span.element()
          || !c.children().isEmpty() || !c.outcome().node().equals(span.outcome().node())) {
        out.add(what + "'s attempt span " + k + " is " + c.label() + " of " + c.node()
            + " with " + c.children().size() + " children, its outcome naming "
            + c.outcome().node());
      }
      // known (STRICT): an attempt that ends by itself while the cut-off ends its task
      boolean late = c.ended().compareTo(span.ended()) > 0 && (STRICT || !cut);
      if (c.ready().compareTo(c.started()) > 0 || c.started().compareTo(c.ended()) > 0
          || c.started().compareTo(span.started()) < 0 || late) {
        out.add(what + "'s attempt " + c.label() + " (ready " + c.ready() + ", started "
            + c.started() + ", ended " + c.ended() + ") is out of order or outside its task ("
            + span.started() + " to " + span.ended() + ")");
      }
      if (c.threadName().isEmpty() && !(c.outcome() instanceof Outcome.Cancelled)) {
        out.add(what + "'s attempt " + c.label() + " never ran on a thread, yet ended "
            + SafeText.of(c.outcome()));
      }
      if (!c.threadName().isEmpty() && !cut && p.hedgeCalls(key, k) == 0) {
        out.add(what + "'s attempt " + c.label() + " ran on " + c.thread() + ", yet its body "
            + "was never called as hedge " + k);
      }
    }
    if (!cut) {
      if (calls > attempts * per) {
        out.add(what + "'s body ran " + calls + " times in " + attempts + " attempts");
      }
      boolean ended = outcome instanceof Outcome.Succeeded || outcome instanceof Outcome.Failed;
      if (ended && calls < attempts) {
        out.add(what + " ended " + SafeText.of(outcome) + " after " + attempts + " attempts "
            + "with only " + calls + " body calls");
      }
      for (int k = 0; k < per; k++) {
        if (p.hedgeCalls(key, k) > attempts) {
          out.add(what + "'s hedge " + k + " ran " + p.hedgeCalls(key, k) + " times in "
              + attempts + " attempts");
        }
      }
    }
    switch (outcome) {
      case Outcome.Succeeded<?> s -> {
        boolean winner = false;
        for (var c : children) {
          if (c.outcome() instanceof Outcome.Succeeded<?> cs) {
            winner |= cs.value() == s.value();
            if (!Objects.equals(cs.value(), s.value())) {
              out.add(what + " succeeded with " + SafeText.of(s.value()) + ", its attempt "
                  + c.label() + " with " + SafeText.of(cs.value()));
            }
          }
        }
        if (!winner && !cut) {
          out.add(what + " succeeded with " + SafeText.of(s.value()) + ", yet none of its "
              + "attempts did: " + outcomes(children));
        }
      }
      case Outcome.Failed<?> f -> {
        boolean own = false;
        for (var c : children) {
          if (c.outcome() instanceof Outcome.Failed<?> cf) {
            own |= cf.error() == f.error();
          } else if (!(c.outcome() instanceof Outcome.Cancelled)) {
            out.add(what + " failed, yet its attempt " + c.label() + " ended "
                + SafeText.of(c.outcome()));
          }
        }
        if (!own && !children.isEmpty() && !cancelledAsFailure(p, key, f.error())) {
          out.add(what + " failed with " + SafeText.of(f.error()) + ", which none of its "
              + "attempts failed with: " + outcomes(children));
        }
      }
      case Outcome.Skipped<?> s -> noAttempts(what, children, outcome, out);
      case Outcome.Omitted<?> m -> noAttempts(what, children, outcome, out);
      case Outcome.Cancelled<?> c -> {
        var won = children.stream().filter(x -> x.outcome() instanceof Outcome.Succeeded)
            .findFirst();
        if (STRICT && !cut && won.isPresent()) {
          out.add(what + " was cancelled (" + c.reason() + "), yet its attempt "
              + won.get().label() + " succeeded: " + outcomes(children));
        }
      }
    }
  }

  /** {@return whether {@code span}, a hedged task's, was cancelled although an attempt won} */
  public static boolean cancelledWithAWinner(Span span) {
    return span.outcome() instanceof Outcome.Cancelled && span.hedge() < 0
        && span.children().stream().anyMatch(c -> c.hedge() >= 0
        && c.outcome() instanceof Outcome.Succeeded);
  }

  private static void noAttempts(String what, List<Span> children, Outcome<?> o,
      List<String> out) {
    if (!children.isEmpty()) {
      out.add(what + " ended " + SafeText.of(o) + ", yet shows attempts " + labels(children));
    }
  }

  /**
   * Every straggler a hedge left ({@code n3 (hedge 1)}, {@code n3[2] (hedge 2)}) is a hedge its
   * policy allows, of a hedged task that is itself a straggler: its own thread waits for its
   * attempts.
   */
  static List<String> stragglers(Dag dag, Map<String, Thread> stragglers) {
    var out = new ArrayList<String>();
    var index = dag.indexByName();
    for (var label : stragglers.keySet()) {
      int at = label.indexOf(" (hedge ");
      if (at < 0 || label.contains("/")) {
        continue; // a task's own, or one inside a subgraph, named by its path
      }
      var task = label.substring(0, at);
      var node = task.contains("[") ? task.substring(0, task.indexOf('[')) : task;
      Integer v = index.get(node);
      int k = Integer.parseInt(label.substring(at + 8, label.length() - 1));
      var h = v == null ? null : dag.spec(v).hedging();
      if (h == null || k < 1 || k > h.maxHedges() || !stragglers.containsKey(task)) {
        out.add("straggler " + label + " is no hedge of a straggling hedged task: "
            + stragglers.keySet());
      }
    }
    return out;
  }

  /**
   * The hedge events of hedged task {@code label} (a node's own, or an element), among its own
   * {@code task} events: per attempt of the task (from its NodeStarted or ElementStarted to the
   * NodeRetried, ElementRetried or end that closes it), each hedged attempt sent has one
   * HedgeStarted, on the thread it names, then one HedgeEnded (only that, if it was stopped
   * before it started, unless {@link #STRICT}: {@link #neverStarted}), whose span is that
   * attempt's
   * ({@link Span#hedge()} its index); no more than {@code 1 + maxHedges}, numbered from 0 without
   * gaps; all inside the task's attempt; and the task's span shows as its children exactly the
   * spans the HedgeEnded events of its last attempt set carried. Of a task the cut-off ended
   * ({@code cut}), an attempt's HedgeEnded may come late (RunListener's documented exception).
   */
  static List<String> events(String label, Dag.Spec spec, List<EventLog.Entry> task,
      List<EventLog.Entry> hedgeEvents, Span span, boolean cut) {
    var out = new ArrayList<String>();
    boolean late = cut;
    int max = spec.hedging().maxHedges();
    var all = new ArrayList<>(task);
    all.addAll(hedgeEvents == null ? List.of() : hedgeEvents);
    all.sort(java.util.Comparator.comparingLong(EventLog.Entry::tick));
    boolean open = false;
    int attempt = 0;
    var started = new java.util.TreeSet<Integer>();
    var ended = new java.util.TreeMap<Integer, Span>();
    Map<Integer, Span> last = Map.of();
    for (var entry : all) {
      switch (entry.event()) {
        case RunEvent.NodeStarted e -> {
          open = true;
          attempt++;
          started.clear();
          ended = new java.util.TreeMap<>();
        }
        case RunEvent.ElementStarted e -> {
          open = true;
          attempt++;
          started.clear();
          ended = new java.util.TreeMap<>();
        }
        case RunEvent.NodeRetried e -> {
          out.addAll(closeSet(label, attempt, "its NodeRetried", started, ended));
          last = ended.isEmpty() ? last : ended;
          open = false;
        }
        case RunEvent.ElementRetried e -> {
          out.addAll(closeSet(label, attempt, "its ElementRetried", started, ended));
          last = ended.isEmpty() ? last : ended;
          open = false;
        }
        case RunEvent.NodeEnded e -> {
          out.addAll(late ? List.of() : closeSet(label, attempt, "its NodeEnded", started, ended));
          last = ended.isEmpty() ? last : ended;
          open = false;
        }
        case RunEvent.ElementEnded e -> {
          out.addAll(late ? List.of()
              : closeSet(label, attempt, "its ElementEnded", started, ended));
          last = ended.isEmpty() ? last : ended;
          open = false;
        }
        case RunEvent.HedgeStarted e -> {
          int k = e.hedge();
          if (!open || k < 0 || k > max || !started.add(k) || ended.containsKey(k)) {
            out.add(label + ": HedgeStarted of attempt " + k + " (maxHedges " + max + ") "
                + (open ? "twice, or after its HedgeEnded, in attempt " + attempt
                : "outside the task's attempts") + " at tick " + entry.tick());
          }
          var t = entry.thread();
          if (e.threadId() != t.threadId() || !e.threadName().equals(t.getName())) {
            out.add(label + ": HedgeStarted of attempt " + k + " names thread #" + e.threadId()
                + " " + e.threadName() + ", delivered on " + t);
          }
        }
        case RunEvent.HedgeEnded e -> {
          int k = e.hedge();
          var hs = e.span();
          if (!open && late) {
            continue; // after its task's end
          }
          if (!open || !started.contains(k) && !neverStarted(hs) // the contract: RunEvent
              || ended.put(k, hs) != null) {
            out.add(label + ": HedgeEnded of attempt " + k + " " + (!open
                ? "outside the task's attempts" : !started.contains(k)
                ? "without its HedgeStarted" : "twice") + " in attempt " + attempt + " at tick "
                + entry.tick() + ": " + SafeText.of(hs));
          }
          if (hs.hedge() != k || !hs.label().equals(label + (k == 0 ? " (first)"
              : " (hedge " + k + ")"))) {
            out.add(label + ": HedgeEnded of attempt " + k + " carries the span of "
                + hs.label());
          }
        }
        default -> {}
      }
    }
    var children = span.children();
    boolean same = late ? children.size() >= last.size() : children.size() == last.size();
    for (int k : last.keySet()) {
      same &= k < children.size() && sameAttempt(children.get(k), last.get(k));
    }
    if (!same) {
      out.add(label + "'s span shows the attempts " + SafeText.of(children) + ", the HedgeEnded "
          + "events of its last attempt carried " + SafeText.of(last.values()));
    }
    return out;
  }

  /**
   * {@return whether a hedged attempt's span shows it stopped before it started: cancelled, on no
   * thread, in no time} Such an attempt (sent, then stopped by a winner or the cut-off before its
   * thread took it; or a first attempt a hedge sent at once beat) has a HedgeEnded and no
   * HedgeStarted, as a node cancelled before it started has a NodeEnded only: the contract
   * {@link dev.weft.RunEvent.HedgeEnded} states.
   */
  private static boolean neverStarted(Span span) {
    return span.outcome() instanceof Outcome.Cancelled && span.threadName().isEmpty()
        && span.threadId() == 0 && span.started().equals(span.ended());
  }

  /** Closes one attempt set of a hedged task: every attempt sent, from 0 on, ended. */
  private static List<String> closeSet(String label, int attempt, String closer,
      java.util.SortedSet<Integer> started, java.util.SortedMap<Integer, Span> ended) {
    var out = new ArrayList<String>();
    for (int k : started) {
      if (!ended.containsKey(k)) {
        out.add(label + ": hedged attempt " + k + " of attempt " + attempt + " started, yet "
            + closer + " came before its HedgeEnded");
      }
    }
    if (!ended.isEmpty() && ended.lastKey() != ended.size() - 1) {
      out.add(label + ": attempt " + attempt + " ended the hedged attempts " + ended.keySet()
          + ", with gaps");
    }
    return out;
  }

  /**
   * {@return what is wrong with the threads hedges ran on: each must terminate within a bounded
   * wait once no task body runs} Hedges run on virtual threads of the engine's own, which no
   * executor sees.
   */
  public static List<String> threadsEnd(Probe p) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Probe.BOUND_SECONDS);
    var alive = new ArrayList<String>();
    for (var t : p.hedgeThreads()) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !t.join(Duration.ofNanos(Math.max(1, left)))) {
        alive.add(t.toString());
      }
    }
    return alive.isEmpty() ? List.of() : List.of(alive.size() + " hedge threads still alive "
        + Probe.BOUND_SECONDS + " s after the run completed: " + alive);
  }

  private static List<String> labels(List<Span> spans) {
    return spans.stream().map(Span::label).toList();
  }

  private static List<String> outcomes(List<Span> spans) {
    return spans.stream().map(c -> c.label() + " " + SafeText.of(c.outcome())).toList();
  }
}
