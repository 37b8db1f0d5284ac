package dev.weft.testing;

import dev.weft.FanOutException;
import dev.weft.NodeException;
import dev.weft.Outcome;
import dev.weft.RunResult;
import dev.weft.Span;
import dev.weft.testing.ReferenceExecutor.Expected;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The checks every property applies to a finished run, each returning what it found wrong as
 * readable lines naming nodes and ticks (empty when all is well).
 */
public final class Invariants {
  private Invariants() {}

  /**
   * Readiness: a task starts only after each of its dependencies ended, on the logical clock. A
   * dependency that ran ended when its body did; one that was skipped ended once the failure it
   * names did (Weft skips eagerly, so a skipped node may end before its other dependencies, and an
   * optional dependent of it may start while those still run: readiness is not transitive).
   *
   * @param r the run's result, or null if the caller cancelled it (skips are then not checked)
   */
  public static List<String> readiness(WeftDag w, Probe p, RunResult r) {
    var out = new ArrayList<String>();
    ready(w, w.dag(), 0, p, r, out);
    return out;
  }

  /**
   * Readiness of the nodes of {@code d}, whose first probe key is {@code base}: of their bodies,
   * of their elements (after their node's dependencies), and inside their subgraphs. A skip is
   * followed to the failure it names in the dag itself only ({@code r} is null inside).
   */
  private static void ready(WeftDag w, Dag d, int base, Probe p, RunResult r,
      List<String> out) {
    var layout = p.layout();
    var index = d.indexByName();
    for (int v = 0; v < d.size(); v++) {
      var spec = d.spec(v);
      int key = base + v;
      if (spec.sub() != null) {
        ready(w, spec.sub().inner(), layout.subBase(key), p, null, out);
      }
      var starts = new ArrayList<Map.Entry<String, Long>>();
      if (spec.hasBody()) {
        starts.add(Map.entry(spec.name(), p.start(key)));
      } else if (spec.fanOut() != null) {
        for (int i = 0; i < Layout.MAX_ELEMENTS; i++) {
          starts.add(Map.entry(spec.name() + "[" + i + "]", p.start(layout.element(key, i))));
        }
      }
      for (var s : starts) {
        long start = s.getValue();
        if (start == 0) {
          continue;
        }
        for (var e : spec.deps()) {
          int u = e.from();
          if (d.isInput(u)) {
            continue;
          }
          String how = "";
          if (r != null && bodyEnd(d, base, u, p) < 0
              && r.outcome(w.node(u)) instanceof Outcome.Skipped<?> sk
              && index.containsKey(sk.cause())) {
            how = ", skipped because of " + sk.cause();
            u = index.get(sk.cause());
          }
          long end = bodyEnd(d, base, u, p);
          if (end < 0) {
            continue;
          }
          if (end == 0 || end > start) {
            out.add(s.getKey() + " started at tick " + start + " before its dependency "
                + d.spec(e.from()).name() + how + " ended (" + (end == 0 ? "never"
                : "tick " + end) + ")");
          }
        }
      }
    }
  }

  /**
   * {@return when node {@code u} of {@code d} ended on the logical clock, as far as its bodies
   * tell: its body's last call, its last element; 0 if one of them has not ended, -1 if none ran
   * (or it runs a subgraph)}
   */
  static long bodyEnd(Dag d, int base, int u, Probe p) {
    var spec = d.spec(u);
    int key = base + u;
    if (spec.hasBody()) {
      // a hedged task's calls run beside each other: it ended once none runs
      return p.calls(key) == 0 ? -1 : p.hedged(key) && p.active(key) > 0 ? 0 : p.end(key);
    }
    if (spec.fanOut() == null) {
      return -1;
    }
    long end = -1;
    for (int i = 0; i < Layout.MAX_ELEMENTS; i++) {
      int ek = p.layout().element(key, i);
      if (p.calls(ek) > 0) {
        if (p.end(ek) == 0 || p.hedged(ek) && p.active(ek) > 0) {
          return 0;
        }
        end = Math.max(end, p.end(ek));
      }
    }
    return end;
  }

  /** {@return whether a body of node {@code v} of the dag ran: its own, or an element's} */
  public static boolean ran(Probe p, int v) {
    var spec = p.dag().spec(v);
    if (spec.fanOut() != null) {
      for (int i = 0; i < Layout.MAX_ELEMENTS; i++) {
        if (p.calls(p.layout().element(v, i)) > 0) {
          return true;
        }
      }
      return false;
    }
    if (spec.sub() != null) {
      int base = p.layout().subBase(v);
      for (int u = 0; u < spec.sub().inner().size(); u++) {
        if (p.calls(base + u) > 0) {
          return true;
        }
      }
      return false;
    }
    return p.calls(v) > 0;
  }

  /**
   * Exactly one outcome per node, consistent with what its body did: a succeeded task returned
   * exactly that value in its last call, a failed one threw exactly that throwable in its last
   * call (or the executor refused it), a skipped one never ran and names a failed required
   * ancestor, a cancelled one happens only when cancellation is allowed; no task is called more
   * often than its retry policy allows, and its span counts exactly its calls; no failure is
   * lost; {@code failures()}, {@code spans()} and {@code succeeded()} agree with the outcomes, and
   * so do {@code get} and {@code throwIfFailed}, whatever the failures' messages do. Stragglers
   * cut off at the deadline are cancelled whatever their body does later.
   *
   * @param cancellable whether this run may cancel (fail-fast); cancellation then also requires an
   *     unabsorbed failure in the result, unless the run's deadline passed
   */
  public static List<String> outcomes(WeftDag w, Probe p, RunResult r, boolean cancellable) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var byName = dag.indexByName();
    var requiredUp = requiredAncestors(dag);
    var outcomes = new ArrayList<Outcome<Object>>();
    for (int v = 0; v < dag.size(); v++) {
      try {
        outcomes.add(Objects.requireNonNull(r.outcome(w.node(v))));
      } catch (RuntimeException e) {
        out.add(name(dag, v) + " has no outcome: " + SafeText.of(e));
        outcomes.add(null);
      }
    }
    boolean mayCancel = r.deadlineExceeded();
    var stragglers = r.stragglers().keySet();
    for (int v = 0; v < dag.size(); v++) {
      mayCancel |= cancellable && outcomes.get(v) instanceof Outcome.Failed && !dag.absorbs(v);
    }
    var failed = new HashSet<String>();
    boolean allSucceeded = true;
    for (int v = 0; v < dag.size(); v++) {
      var o = outcomes.get(v);
      if (o == null) {
        continue;
      }
      var name = name(dag, v);
      allSucceeded &= o instanceof Outcome.Succeeded;
      if (!name.equals(o.node())) {
        out.add(name + "'s outcome names node '" + o.node() + "'");
      }
      if (dag.isInput(v)) {
        if (!(o instanceof Outcome.Succeeded<?> s
            && Objects.equals(s.value(), dag.spec(v).salt()))) {
          out.add("input " + name + " ended " + SafeText.of(o));
        }
        continue;
      }
      var spec = dag.spec(v);
      if (!spec.hasBody()) {
        out.addAll(shaped(w, p, r, v, o, outcomes, mayCancel, requiredUp, byName));
        out.addAll(getAgrees(w, r, v, o));
        if (o instanceof Outcome.Failed) {
          failed.add(name);
        }
        continue;
      }
      int calls = p.calls(v);
      var thrown = p.thrown(v);
      boolean hedged = p.hedged(v);
      if (calls > spec.maxCalls()) {
        out.add(name + "'s body ran " + calls + " times, " + (spec.retry() == null
            ? "without a retry policy" : "with " + spec.retry()) + (hedged ? " and "
            + spec.hedging() : ""));
      }
      if (stragglers.contains(name)) {
        // calls may be 0: on a loaded machine its thread can be cut off after it claimed the
        // task and before the body's first line ran
        if (!(o instanceof Outcome.Cancelled)) {
          out.add(name + " is a straggler, yet ended " + SafeText.of(o) + " after " + calls
              + " calls");
        }
        continue;
      }
      boolean knownCancel = o instanceof Outcome.Failed<?> kf
          && HedgeInvariants.cancelledAsFailure(p, v, kf.error());
      switch (o) {
        case Outcome.Succeeded<?> s -> {
          if (calls == 0 || !p.hasReturned(v)) {
            out.add(name + " succeeded with " + s.value() + " but its body "
                + (calls == 0 ? "never ran" : "did not return"));
          } else if (hedged ? !p.returnedItself(v, s.value()) : s.value() != p.returned(v)) {
            out.add(name + " succeeded with " + s.value() + " but its body returned "
                + p.returned(v));
          }
          out.addAll(ranOnlyIfRequiredSucceeded(dag, v, outcomes));
          out.addAll(conditionHeld(p, v, name));
        }
        case Outcome.Failed<?> f when knownCancel -> {
          failed.add(name); // known: a cancellation reported as a failure (HedgeInvariants)
          if (!mayCancel) {
            out.add(name + " failed with " + SafeText.of(f.error()) + ", yet the run had no "
                + "reason to cancel");
          }
        }
        case Outcome.Failed<?> f -> {
          failed.add(name);
          if (calls == 0 && !(f.error() instanceof Runs.InjectedRejection)) {
            out.add(name + " failed with " + SafeText.of(f.error()) + " but its body never ran");
          } else if (calls > 0 && (hedged ? !p.threwItself(v, f.error())
              : f.error() != thrown)) {
            out.add(name + " failed with " + SafeText.of(f.error()) + " but its body threw "
                + SafeText.of(thrown));
          }
          if (calls > 0) {
            out.addAll(ranOnlyIfRequiredSucceeded(dag, v, outcomes));
            out.addAll(conditionHeld(p, v, name));
          }
        }
        case Outcome.Skipped<?> s -> {
          if (calls > 0) {
            out.add(name + " was skipped but its body ran");
          }
          out.addAll(skipNamesAFailure(dag, v, s, outcomes, requiredUp, byName));
        }
        case Outcome.Cancelled<?> c -> {
          if (!mayCancel) {
            out.add(name + " was cancelled, yet the run had no reason to cancel");
          }
          // a hedged task's winner may have returned when its task was stopped from above
          if (calls > 0 && thrown == null && !hedged) {
            out.add(name + " was cancelled although its body returned " + p.returned(v));
          }
        }
        case Outcome.Omitted<?> m -> {
          if (calls > 0) {
            out.add(name + " was omitted but its body ran");
          }
          out.addAll(omissionNamesACondition(p, v, m, outcomes, requiredUp, byName));
        }
      }
      // a hedged task's attempt may fail while another wins
      if (thrown != null && !(o instanceof Outcome.Failed) && !(o instanceof Outcome.Cancelled)
          && !hedged) {
        out.add("lost failure: " + name + "'s body threw " + SafeText.of(thrown)
            + " but it ended " + SafeText.of(o));
      }
      out.addAll(getAgrees(w, r, v, o));
    }
    out.addAll(throwIfFailedAgrees(r));
    var listed = new HashSet<String>();
    for (var f : r.failures()) {
      if (!listed.add(f.node()) || !failed.contains(f.node())) {
        out.add("failures() lists " + f.node() + " wrongly: " + SafeText.of(r.failures()));
      }
    }
    if (!listed.equals(failed)) {
      out.add("failures() lists " + listed + " but the failed nodes are " + failed);
    }
    if (r.succeeded() != allSucceeded) {
      out.add("succeeded() is " + r.succeeded() + " but not every node ended so");
    }
    var spanNames = new HashSet<String>();
    for (Span span : r.spans()) {
      if (!spanNames.add(span.node())) {
        out.add("two spans for " + span.node());
      }
      Integer v = byName.get(span.node());
      // a straggler may have begun an attempt whose body it had not yet reached when cut off
      int unreached = v != null && stragglers.contains(span.node()) ? 1 : 0;
      // a hedged task's calls are counted against its attempts by HedgeInvariants
      if (v != null && dag.spec(v).hasBody() && !p.hedged(v) && span.attempts() != p.calls(v)
          && span.attempts() - p.calls(v) != unreached) {
        out.add(span.node() + "'s span counts " + span.attempts() + " attempts, its body was "
            + "called " + p.calls(v) + " times" + (stragglers.contains(span.node())
            ? " (a straggler, cut off at the deadline)" : ""));
      }
    }
    if (spanNames.size() != dag.taskCount()) {
      out.add(spanNames.size() + " spans for " + dag.taskCount() + " tasks");
    }
    return out;
  }

  /** A fan-out or subgraph node: its outcome against its elements' or inner nodes'. */
  private static List<String> shaped(WeftDag w, Probe p, RunResult r, int v, Outcome<Object> o,
      List<Outcome<Object>> outcomes, boolean mayCancel, BitSet[] requiredUp,
      Map<String, Integer> byName) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var spec = dag.spec(v);
    var name = spec.name();
    var span = r.spans().stream().filter(x -> x.node().equals(name)).findFirst().orElse(null);
    if (span == null) {
      return List.of(name + " has no span");
    }
    boolean ran = ran(p, v);
    var children = span.children();
    if (spec.fanOut() != null) {
      out.addAll(elements(p, r, v, span));
    }
    switch (o) {
      case Outcome.Succeeded<?> s -> {
        out.addAll(ranOnlyIfRequiredSucceeded(dag, v, outcomes));
        if (spec.when() != null && (!p.conditionTested(v) || p.conditionFailed(v))) {
          out.add(name + " succeeded, yet its condition was " + (p.conditionTested(v)
              ? "false" : "never tested"));
        }
        if (spec.fanOut() != null) {
          if (!(s.value() instanceof List<?> list) || list.size() != children.size()) {
            out.add(name + " succeeded with " + SafeText.of(s.value()) + " for "
                + children.size() + " elements");
          } else {
            for (int i = 0; i < list.size(); i++) {
              var element = children.get(i).outcome();
              Object expected = spec.fanOut().collect() ? element
                  : element instanceof Outcome.Succeeded<?> es ? es.value() : element;
              if ((!Objects.equals(list.get(i), expected)
                  || !spec.fanOut().collect() && list.get(i) != expected)
                  && !HedgeInvariants.thrownAsAValue(list.get(i), element)) {
                out.add(name + "'s value at " + i + " is " + SafeText.of(list.get(i))
                    + ", its element ended " + SafeText.of(element));
              }
            }
          }
        } else {
          var output = innerOutput(spec);
          var inner = children.stream().filter(c -> c.node().equals(output)).findFirst();
          if (inner.isEmpty() || !(inner.get().outcome() instanceof Outcome.Succeeded<?> is)
              || is.value() != s.value()) {
            out.add(name + " succeeded with " + SafeText.of(s.value()) + ", its subgraph's "
                + "output " + output + " ended " + inner.map(c -> SafeText.of(c.outcome()))
                .orElse("without a span"));
          }
        }
      }
      case Outcome.Failed<?> f -> {
        out.addAll(ranOnlyIfRequiredSucceeded(dag, v, outcomes));
        var error = f.error();
        if (spec.fanOut() != null && error instanceof FanOutException fe) {
          int i = fe.element();
          if (!fe.node().equals(name) || i < 0 || i >= children.size()
              || !(children.get(i).outcome() instanceof Outcome.Failed<?> ef)
              || ef.error() != fe.getCause()
              || !threw(p, p.layout().element(v, i), fe.getCause())
              && !HedgeInvariants.cancelledAsFailure(p, p.layout().element(v, i), fe.getCause())) {
            out.add(name + " failed with " + SafeText.of(fe) + ", which is not what its element "
                + i + " threw (" + (i >= 0 && i < children.size()
                ? SafeText.of(children.get(i).outcome()) : "no such element") + ")");
          }
        } else if (spec.sub() != null && error instanceof NodeException ne) {
          if (!ne.node().equals(innerOutput(spec))) {
            out.add(name + " failed with " + SafeText.of(ne) + ", naming another node than its "
                + "subgraph's output " + innerOutput(spec));
          }
        } else if (ran && !(error instanceof Runs.InjectedRejection)) {
          out.add(name + " failed with " + SafeText.of(error) + " after its "
              + (spec.fanOut() != null ? "elements" : "subgraph's tasks") + " ran");
        }
      }
      case Outcome.Skipped<?> s -> {
        if (ran) {
          out.add(name + " was skipped but ran");
        }
        out.addAll(skipNamesAFailure(dag, v, s, outcomes, requiredUp, byName));
      }
      case Outcome.Omitted<?> m -> {
        if (ran) {
          out.add(name + " was omitted but ran");
        }
        out.addAll(omissionNamesACondition(p, v, m, outcomes, requiredUp, byName));
      }
      case Outcome.Cancelled<?> c -> {
        if (!mayCancel) {
          out.add(name + " was cancelled, yet the run had no reason to cancel");
        }
      }
    }
    return out;
  }

  /**
   * The elements of fan-out {@code v}: exactly one outcome each, in index order, consistent with
   * what its body did (a value it returned, a throwable it threw last, a cancellation, a cut-off
   * as {@code node[i]}); never called more often than the node's policy allows, their spans
   * counting their calls; none called beyond the list.
   */
  private static List<String> elements(Probe p, RunResult r, int v, Span span) {
    var out = new ArrayList<String>();
    var spec = p.dag().spec(v);
    var children = span.children();
    for (int i = 0; i < Layout.MAX_ELEMENTS; i++) {
      int ek = p.layout().element(v, i);
      var label = spec.name() + "[" + i + "]";
      int calls = p.calls(ek);
      if (i >= children.size()) {
        if (calls > 0) {
          out.add(label + " ran, yet " + spec.name() + " has " + children.size() + " element "
              + "spans");
        }
        continue;
      }
      var child = children.get(i);
      if (child.element() != i || !child.node().equals(spec.name())) {
        out.add(label + "'s span is " + child.label());
      }
      boolean hedged = p.hedged(ek);
      if (calls > Dag.element(spec, i).maxCalls()) {
        out.add(label + "'s body ran " + calls + " times, with " + spec.retry()
            + (hedged ? " and " + spec.hedging() : ""));
      }
      boolean cut = r.stragglers().containsKey(label);
      if (cut && !(child.outcome() instanceof Outcome.Cancelled)) {
        out.add(label + " is a straggler, yet ended " + SafeText.of(child.outcome()));
      }
      // a hedged element's calls are counted against its attempts by HedgeInvariants
      if (!cut && !hedged && child.attempts() != calls) {
        out.add(label + "'s span counts " + child.attempts() + " attempts, its body was called "
            + calls + " times");
      }
      if (cut) {
        continue;
      }
      switch (child.outcome()) {
        case Outcome.Succeeded<?> s -> {
          if (calls == 0 || !p.hasReturned(ek) || (hedged ? !p.returnedItself(ek, s.value())
              : p.returned(ek) != s.value())) {
            out.add(label + " succeeded with " + SafeText.of(s.value()) + " but its body "
                + (calls == 0 ? "never ran" : "returned " + SafeText.of(p.returned(ek))));
          }
          if (p.thrown(ek) != null && !hedged) {
            out.add("lost failure: " + label + " threw " + SafeText.of(p.thrown(ek))
                + " but succeeded");
          }
        }
        case Outcome.Failed<?> f -> {
          if (calls == 0 ? !(f.error() instanceof Runs.InjectedRejection)
              : !threw(p, ek, f.error()) && !HedgeInvariants.cancelledAsFailure(p, ek, f.error())) {
            out.add(label + " failed with " + SafeText.of(f.error()) + " but its body threw "
                + SafeText.of(p.thrown(ek)));
          }
        }
        case Outcome.Cancelled<?> c -> {
          if (calls > 0 && p.thrown(ek) == null && !hedged) {
            out.add(label + " was cancelled although its body returned "
                + SafeText.of(p.returned(ek)));
          }
        }
        default -> out.add(label + " ended " + SafeText.of(child.outcome()));
      }
    }
    return out;
  }

  /** {@return whether a call of task {@code key} threw {@code failure}: its last, unless hedged} */
  private static boolean threw(Probe p, int key, Throwable failure) {
    return p.hedged(key) ? p.threwItself(key, failure) : p.thrown(key) == failure;
  }

  private static String innerOutput(Dag.Spec spec) {
    var inner = spec.sub().inner();
    return spec.name() + "_" + inner.spec(inner.size() - 1).name();
  }

  private static List<String> skipNamesAFailure(Dag dag, int v, Outcome.Skipped<?> s,
      List<Outcome<Object>> outcomes, BitSet[] requiredUp, Map<String, Integer> byName) {
    var name = name(dag, v);
    Integer cause = byName.get(s.cause());
    if (cause == null || !requiredUp[v].get(cause)) {
      return List.of(name + " was skipped naming '" + s.cause() + "', which is not an ancestor "
          + "through required edges");
    } else if (!(outcomes.get(cause) instanceof Outcome.Failed<?> cf)
        || cf.error() != s.error()) {
      return List.of(name + " was skipped naming '" + s.cause() + "' with "
          + SafeText.of(s.error()) + ", but that node ended " + SafeText.of(outcomes.get(cause)));
    }
    return List.of();
  }

  /**
   * An omitted node names itself, and its condition was tested and failed; or a required
   * ancestor that names itself so.
   */
  private static List<String> omissionNamesACondition(Probe p, int v, Outcome.Omitted<?> m,
      List<Outcome<Object>> outcomes, BitSet[] requiredUp, Map<String, Integer> byName) {
    var dag = p.dag();
    var name = name(dag, v);
    Integer cause = byName.get(m.cause());
    if (cause != null && cause == v) {
      return dag.spec(v).when() != null && p.conditionFailed(v) ? List.of()
          : List.of(name + " was omitted naming itself, yet its condition "
          + (dag.spec(v).when() == null ? "does not exist" : p.conditionTested(v) ? "held"
          : "was never tested"));
    }
    if (cause == null || !requiredUp[v].get(cause)) {
      return List.of(name + " was omitted naming '" + m.cause() + "', which is not an ancestor "
          + "through required edges");
    }
    if (!(outcomes.get(cause) instanceof Outcome.Omitted<?> om) || !om.cause().equals(m.cause())) {
      return List.of(name + " was omitted naming '" + m.cause() + "', which ended "
          + SafeText.of(outcomes.get(cause)));
    }
    return List.of();
  }

  /** A task that ran had its condition, if any, tested and hold. */
  private static List<String> conditionHeld(Probe p, int v, String name) {
    if (p.dag().spec(v).when() == null || p.conditionTested(v) && !p.conditionFailed(v)) {
      return List.of();
    }
    return List.of(name + " ran, yet its condition was " + (p.conditionTested(v) ? "false"
        : "never tested"));
  }

  /**
   * {@code get} returns a succeeded node's value and throws for any other node a {@link
   * NodeException} naming it, with its outcome, and with its failure as the cause; also when that
   * failure's {@code getMessage} and {@code toString} throw ({@link Behaviour#THROW_OPAQUE}).
   */
  private static List<String> getAgrees(WeftDag w, RunResult r, int v, Outcome<Object> o) {
    var name = name(w.dag(), v);
    Object value;
    try {
      value = r.get(w.node(v));
    } catch (NodeException e) {
      var cause = switch (o) {
        case Outcome.Failed<?> f -> f.error();
        case Outcome.Skipped<?> s -> s.error();
        default -> null;
      };
      if (o instanceof Outcome.Succeeded || !name.equals(e.node()) || !o.equals(e.outcome())
          || e.getCause() != cause) {
        return List.of("get(" + name + ") threw a NodeException naming " + e.node() + " with "
            + SafeText.of(e.outcome()) + " and cause " + SafeText.of(e.getCause())
            + "; the node ended " + SafeText.of(o));
      }
      return List.of();
    } catch (RuntimeException e) {
      return List.of("get(" + name + ") threw " + SafeText.of(e) + " instead of a NodeException"
          + " naming the node; it ended " + SafeText.of(o));
    }
    if (!(o instanceof Outcome.Succeeded<?> s) || s.value() != value) {
      return List.of("get(" + name + ") returned " + value + "; the node ended "
          + SafeText.of(o));
    }
    return List.of();
  }

  /** {@code throwIfFailed} throws the NodeException of the first failure, or returns the result. */
  private static List<String> throwIfFailedAgrees(RunResult r) {
    var failures = r.failures();
    try {
      r.throwIfFailed();
      return failures.isEmpty() ? List.of()
          : List.of("throwIfFailed() returned, yet " + failures.size() + " nodes failed");
    } catch (NodeException e) {
      if (failures.isEmpty() || !failures.getFirst().equals(e.outcome())
          || e.getSuppressed().length != failures.size() - 1) {
        return List.of("throwIfFailed() threw a NodeException for " + SafeText.of(e.outcome())
            + " with " + e.getSuppressed().length + " suppressed; the failures: "
            + SafeText.of(failures));
      }
      return List.of();
    } catch (RuntimeException e) {
      return List.of("throwIfFailed() threw " + SafeText.of(e) + " instead of a NodeException; "
          + "the failures: " + SafeText.of(failures));
    }
  }

  /** {@return whether every task body, stragglers included, ended within the harness's bound} */
  private static boolean awaitIdle(Probe probe) {
    try {
      return probe.awaitIdle(java.util.concurrent.TimeUnit.SECONDS.toMillis(Probe.BOUND_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * The checks every run gets: it completed, no wait inside a task timed out, readiness, no body
   * running once it completed but the stragglers a cancellation cut off (which must end in
   * bounded time), one consistent outcome per node.
   */
  public static List<String> afterRun(WeftDag w, Probe probe, Runs.Ran ran, boolean failFast) {
    var problems = new ArrayList<String>();
    if (ran.problem() != null) {
      problems.add(ran.problem());
    }
    problems.addAll(probe.violations());
    problems.addAll(readiness(w, probe, ran.result()));
    int running = probe.running();
    if (running > ran.stragglers() && !innerStragglersMissing(probe, ran)) {
      problems.add(running + " task bodies still running when the run completed: "
          + probe.runningTasks() + "; the stragglers: " + (ran.result() != null
          ? ran.result().stragglers().keySet() : ran.stragglers()));
    } else if (running > 0 && !awaitIdle(probe)) {
      problems.add("stragglers cut off by a cancellation still ran after " + Probe.BOUND_SECONDS
          + " s");
    }
    if (ran.result() != null) {
      problems.addAll(outcomes(w, probe, ran.result(), failFast));
    }
    return problems;
  }

  /**
   * {@return whether the bodies still running beyond the stragglers reported are all inside
   * subgraph nodes (at any depth) reported as stragglers themselves, whose own stragglers are
   * missing: the known race between a subgraph's own cut-off and its run's (see {@link
   * HedgeInvariants#STRICT})} The other bodies must not outnumber the stragglers reported.
   */
  private static boolean innerStragglersMissing(Probe probe, Runs.Ran ran) {
    if (HedgeInvariants.STRICT || ran.result() == null) {
      return false;
    }
    var layout = probe.layout();
    var names = ran.result().stragglers().keySet();
    int others = 0;
    for (int key = 0; key < layout.size(); key++) {
      boolean excused = false;
      for (int up = layout.parent(key); up >= 0 && !excused; up = layout.parent(up)) {
        excused = names.contains(layout.path(up));
      }
      others += excused ? 0 : probe.active(key);
    }
    return others <= ran.stragglers();
  }

  /**
   * The listener's events and the critical path ({@link EventLog}), of the run's result or, if
   * the caller cancelled it, of the result RunEnded carried.
   */
  public static List<String> events(WeftDag w, Probe probe, Runs.Ran ran, EventLog log)
      throws InterruptedException {
    var r = ran.result() != null ? ran.result() : log.awaitResult(Probe.BOUND_SECONDS);
    if (r == null) {
      return List.of("no RunEnded event within " + Probe.BOUND_SECONDS + " s");
    }
    var out = log.check(w, probe, r, ran.result() != null);
    out.addAll(EventLog.criticalPath(w.dag(), r));
    return out;
  }

  /** {@return the violations, at most 12 of them, as one message; null if none} */
  public static String report(List<String> problems) {
    return problems.isEmpty() ? null : String.join("\n    ", problems.subList(0,
        Math.min(12, problems.size())));
  }

  private static List<String> ranOnlyIfRequiredSucceeded(Dag dag, int v,
      List<Outcome<Object>> outcomes) {
    var out = new ArrayList<String>();
    for (var e : dag.spec(v).deps()) {
      if (e.kind().required() && !(outcomes.get(e.from()) instanceof Outcome.Succeeded)) {
        out.add(name(dag, v) + " ran although its required dependency " + name(dag, e.from())
            + " ended " + SafeText.of(outcomes.get(e.from())));
      }
    }
    return out;
  }

  /** {@return per node, its ancestors through required edges only} */
  static BitSet[] requiredAncestors(Dag dag) {
    var up = new BitSet[dag.size()];
    for (int v = 0; v < dag.size(); v++) {
      up[v] = new BitSet();
      for (var e : dag.spec(v).deps()) {
        if (e.kind().required()) {
          up[v].set(e.from());
          up[v].or(up[e.from()]);
        }
      }
    }
    return up;
  }

  /**
   * {@return the tasks that hang until cancelled, upstream of {@code v} through tasks the
   * reference expects never to end, that really started in this run} The reference assumes every
   * such hang starts; a run can differ (a deadline cuts a retry short, so the hang's required
   * dependency fails and the hang is skipped), and then tasks after it may rightly run.
   */
  private static List<String> startedHangsUpstream(Dag dag, int v, List<Expected> expected,
      RunResult r) {
    var attempts = new HashMap<String, Integer>();
    var ended = new HashMap<String, Outcome<?>>();
    for (Span span : r.spans()) {
      attempts.put(span.node(), span.attempts());
      ended.put(span.node(), span.outcome());
    }
    var started = new ArrayList<String>();
    var seen = new BitSet();
    var stack = new ArrayDeque<Integer>();
    stack.push(v);
    while (!stack.isEmpty()) {
      int x = stack.pop();
      for (var e : dag.spec(x).deps()) {
        int u = e.from();
        if (expected.get(u).kind() != ReferenceExecutor.Kind.NEVER || seen.get(u)) {
          continue;
        }
        seen.set(u);
        var name = dag.spec(u).name();
        var actual = ended.get(name);
        if (actual instanceof Outcome.Skipped || actual instanceof Outcome.Omitted
            || actual instanceof Outcome.Failed) {
          // it ended without waiting for the hang: a skip is eager (another required dependency
          // failed, e.g. a fan-out whose flaky element failed and stopped its hanging sibling)
          continue;
        }
        if (dag.spec(u).behaviour() == Behaviour.HANG
            && attempts.getOrDefault(name, 0) > 0) {
          started.add(name);
        }
        stack.push(u);
      }
    }
    return started;
  }

  /**
   * Outcomes equal the reference's, for the nodes it expects to end; so do the elements of
   * fan-outs that succeeded, in order, and the tasks inside subgraphs, at any depth.
   */
  public static List<String> matchesReference(WeftDag w, RunResult r, List<Expected> expected) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var spans = new HashMap<String, Span>();
    for (var span : r.spans()) {
      spans.put(span.node(), span);
    }
    for (int v = 0; v < dag.size(); v++) {
      var o = r.outcome(w.node(v));
      out.addAll(matches(dag, v, "", expected.get(v), o, spans.get(dag.spec(v).name())));
    }
    return out;
  }

  private static List<String> matches(Dag dag, int v, String prefix, Expected e, Outcome<?> o,
      Span span) {
    var out = new ArrayList<String>();
    var index = dag.indexByName();
    boolean ok = switch (e.kind()) {
      case SUCCEEDED -> o instanceof Outcome.Succeeded<?> s
          && ReferenceExecutor.same(e.value(), s.value());
      case FAILED -> o instanceof Outcome.Failed<?> f
          && ReferenceExecutor.matches(e.error(), f.error());
      case SKIPPED -> o instanceof Outcome.Skipped<?> s
          && causeIn(e.roots(), index, prefix, s.cause())
          || o instanceof Outcome.Omitted<?> m && causeIn(e.omits(), index, prefix, m.cause());
      case OMITTED -> o instanceof Outcome.Omitted<?> m
          && causeIn(e.omits(), index, prefix, m.cause());
      case NEVER -> true;
    };
    var name = prefix + dag.spec(v).name();
    if (!ok) {
      out.add(name + " ended " + SafeText.of(o) + " but the reference expects "
          + describe(dag, e));
      return out;
    }
    if (span == null) {
      return out;
    }
    if (e.elements() != null && e.kind() == ReferenceExecutor.Kind.SUCCEEDED) {
      for (int i = 0; i < e.elements().size() && i < span.children().size(); i++) {
        var x = e.elements().get(i);
        var c = span.children().get(i).outcome();
        boolean same = switch (x.kind()) {
          case SUCCEEDED -> c instanceof Outcome.Succeeded<?> s
              && ReferenceExecutor.same(x.value(), s.value());
          case FAILED -> c instanceof Outcome.Failed<?> f
              && ReferenceExecutor.matches(x.error(), f.error());
          default -> true;
        };
        if (!same) {
          out.add(name + "[" + i + "] ended " + SafeText.of(c) + " but the reference expects "
              + describe(dag, x));
        }
      }
    }
    if (e.inner() != null && dag.spec(v).sub() != null
        && e.kind() != ReferenceExecutor.Kind.NEVER) {
      var inner = dag.spec(v).sub().inner();
      var innerPrefix = name + "_";
      var children = new HashMap<String, Span>();
      for (var c : span.children()) {
        children.put(c.node(), c);
      }
      for (int u = 0; u < inner.size(); u++) {
        var c = children.get(innerPrefix + inner.spec(u).name());
        if (c != null) {
          out.addAll(matches(inner, u, innerPrefix, e.inner().get(u), c.outcome(), c));
        } else if (!inner.isInput(u)) {
          out.add(name + "'s subgraph task " + inner.spec(u).name() + " has no span");
        }
      }
    }
    return out;
  }

  /** {@return whether {@code cause}, named with {@code prefix}, is one of {@code allowed}} */
  private static boolean causeIn(BitSet allowed, Map<String, Integer> index, String prefix,
      String cause) {
    if (!cause.startsWith(prefix)) {
      return false;
    }
    Integer u = index.get(cause.substring(prefix.length()));
    return u != null && allowed.get(u);
  }

  /**
   * Every succeeded task's value follows from what its dependencies actually ended with in this
   * run (a value, an {@code orElse} fallback, an {@code Optional}): the check for runs whose
   * outcomes may legitimately differ from the reference's, as when a deadline cuts retries short.
   * A task waiting on a hang ({@link ReferenceExecutor.Kind#NEVER}) can only be cancelled.
   */
  public static List<String> valuesFollowFromDependencies(WeftDag w, RunResult r,
      List<Expected> expected) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    for (int v = 0; v < dag.size(); v++) {
      var spec = dag.spec(v);
      if (!spec.hasBody() || !(r.outcome(w.node(v)) instanceof Outcome.Succeeded<?> s)) {
        continue;
      }
      if (expected.get(v).kind() == ReferenceExecutor.Kind.NEVER) {
        var hung = startedHangsUpstream(dag, v, expected, r);
        if (!hung.isEmpty()) {
          out.add(spec.name() + " succeeded with " + s.value() + ", yet it waits on " + hung
              + ", which started and hangs until cancelled");
        }
      }
      var args = new ArrayList<Object>();
      for (var e : spec.valueDeps()) {
        var up = r.outcome(w.node(e.from()));
        boolean ok = up instanceof Outcome.Succeeded;
        Object value = ok ? ((Outcome.Succeeded<?>) up).value() : null;
        args.add(switch (e.kind()) {
          case VALUE -> value;
          case OR_ELSE -> ok ? value : dag.fallback(v, e);
          case OPTIONAL -> ok ? java.util.Optional.ofNullable(value)
              : java.util.Optional.empty();
          case OUTCOME -> up;
          default -> throw new AssertionError(e);
        });
      }
      var mixed = Dag.mix(spec.salt(), args);
      Object value = spec.behaviour() == Behaviour.RETURN_NULL ? null
          : spec.listLength() >= 0 ? Dag.listOf(mixed, spec.listLength()) : mixed;
      if (!Objects.equals(value, s.value())) {
        out.add(spec.name() + " succeeded with " + s.value() + ", its dependencies' outcomes "
            + "give " + value);
      }
    }
    return out;
  }

  /** {@return the outcome of every node in a form comparable across runs and executors} */
  public static Map<String, String> normalized(WeftDag w, RunResult r) {
    var map = new java.util.LinkedHashMap<String, String>();
    for (int v = 0; v < w.dag().size(); v++) {
      map.put(name(w.dag(), v), switch (r.outcome(w.node(v))) {
        case Outcome.Succeeded<?> s -> "succeeded " + s.value();
        // which element failed first, and so the message, may differ between runs
        case Outcome.Failed<?> f when f.error() instanceof FanOutException -> "failed fan-out";
        case Outcome.Failed<?> f when f.error() instanceof NodeException e ->
            "failed subgraph output " + e.node();
        case Outcome.Failed<?> f -> "failed " + ReferenceExecutor.describe(f.error());
        case Outcome.Skipped<?> s -> "skipped"; // the named cause may differ between runs
        case Outcome.Cancelled<?> c -> "cancelled";
        case Outcome.Omitted<?> m -> "skipped"; // omitted or skipped: whichever came first
      });
    }
    return map;
  }

  static String describe(Dag dag, Expected e) {
    return switch (e.kind()) {
      case SUCCEEDED -> "Succeeded " + e.value();
      case FAILED -> "Failed " + e.error();
      case SKIPPED -> "Skipped naming one of " + e.roots().stream().mapToObj(u -> name(dag, u))
          .toList() + (e.omits().isEmpty() ? "" : ", or Omitted naming one of "
          + e.omits().stream().mapToObj(u -> name(dag, u)).toList());
      case OMITTED -> "Omitted naming one of " + e.omits().stream().mapToObj(u -> name(dag, u))
          .toList();
      case NEVER -> "never ending";
    };
  }

  static String name(Dag dag, int v) {
    return dag.spec(v).name();
  }
}
