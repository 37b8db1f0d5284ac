package dev.weft.testing;

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
    var dag = w.dag();
    var out = new ArrayList<String>();
    var index = dag.indexByName();
    for (int v = 0; v < dag.size(); v++) {
      long start = p.start(v);
      if (start == 0) {
        continue;
      }
      for (var e : dag.spec(v).deps()) {
        int u = e.from();
        if (dag.isInput(u)) {
          continue;
        }
        String how = "";
        if (p.calls(u) == 0 && r != null && r.outcome(w.node(u)) instanceof Outcome.Skipped<?> s
            && index.containsKey(s.cause())) {
          how = ", skipped because of " + s.cause();
          u = index.get(s.cause());
        }
        if (p.calls(u) == 0) {
          continue;
        }
        long end = p.end(u);
        if (end == 0 || end > start) {
          out.add(name(dag, v) + " started at tick " + start + " before its dependency "
              + name(dag, e.from()) + how + " ended (" + (end == 0 ? "never" : "tick " + end)
              + ")");
        }
      }
    }
    return out;
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
      int calls = p.calls(v);
      var thrown = p.thrown(v);
      if (calls > dag.spec(v).maxCalls()) {
        out.add(name + "'s body ran " + calls + " times, " + (dag.spec(v).retry() == null
            ? "without a retry policy" : "with " + dag.spec(v).retry()));
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
      switch (o) {
        case Outcome.Succeeded<?> s -> {
          if (calls == 0 || !p.hasReturned(v)) {
            out.add(name + " succeeded with " + s.value() + " but its body "
                + (calls == 0 ? "never ran" : "did not return"));
          } else if (s.value() != p.returned(v)) {
            out.add(name + " succeeded with " + s.value() + " but its body returned "
                + p.returned(v));
          }
          out.addAll(ranOnlyIfRequiredSucceeded(dag, v, outcomes));
        }
        case Outcome.Failed<?> f -> {
          failed.add(name);
          if (calls == 0 && !(f.error() instanceof Runs.InjectedRejection)) {
            out.add(name + " failed with " + SafeText.of(f.error()) + " but its body never ran");
          } else if (calls > 0 && f.error() != thrown) {
            out.add(name + " failed with " + SafeText.of(f.error()) + " but its body threw "
                + SafeText.of(thrown));
          }
          if (calls > 0) {
            out.addAll(ranOnlyIfRequiredSucceeded(dag, v, outcomes));
          }
        }
        case Outcome.Skipped<?> s -> {
          Integer cause = byName.get(s.cause());
          if (calls > 0) {
            out.add(name + " was skipped but its body ran");
          }
          if (cause == null || !requiredUp[v].get(cause)) {
            out.add(name + " was skipped naming '" + s.cause() + "', which is not an ancestor "
                + "through required edges");
          } else if (!(outcomes.get(cause) instanceof Outcome.Failed<?> cf)
              || cf.error() != s.error()) {
            out.add(name + " was skipped naming '" + s.cause() + "' with "
                + SafeText.of(s.error()) + ", but that node ended "
                + SafeText.of(outcomes.get(cause)));
          }
        }
        case Outcome.Cancelled<?> c -> {
          if (!mayCancel) {
            out.add(name + " was cancelled, yet the run had no reason to cancel");
          }
          if (calls > 0 && thrown == null) {
            out.add(name + " was cancelled although its body returned " + p.returned(v));
          }
        }
        case Outcome.Omitted<?> m -> {
          // the harness's graphs have no conditions yet: an omitted node is a bug
          out.add(name + " was omitted, yet it has no condition: " + SafeText.of(m));
        }
      }
      if (thrown != null && !(o instanceof Outcome.Failed) && !(o instanceof Outcome.Cancelled)) {
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
      if (v != null && span.attempts() != p.calls(v)
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
    if (running > ran.stragglers()) {
      problems.add(running + " task bodies still running when the run completed");
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
    for (Span span : r.spans()) {
      attempts.put(span.node(), span.attempts());
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
        if (dag.spec(u).behaviour() == Behaviour.HANG
            && attempts.getOrDefault(name, 0) > 0) {
          started.add(name);
        }
        stack.push(u);
      }
    }
    return started;
  }

  /** Outcomes equal the reference's, for the nodes it expects to end. */
  public static List<String> matchesReference(WeftDag w, RunResult r, List<Expected> expected) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var index = dag.indexByName();
    for (int v = 0; v < dag.size(); v++) {
      var e = expected.get(v);
      var o = r.outcome(w.node(v));
      boolean ok = switch (e.kind()) {
        case SUCCEEDED -> o instanceof Outcome.Succeeded<?> s && Objects.equals(s.value(),
            e.value());
        case FAILED -> o instanceof Outcome.Failed<?> f
            && ReferenceExecutor.describe(f.error()).equals(e.error());
        case SKIPPED -> o instanceof Outcome.Skipped<?> s && index.containsKey(s.cause())
            && e.roots().get(index.get(s.cause()));
        case NEVER -> true;
      };
      if (!ok) {
        out.add(name(dag, v) + " ended " + SafeText.of(o) + " but the reference expects "
            + describe(dag, e));
      }
    }
    return out;
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
      if (spec.input() || !(r.outcome(w.node(v)) instanceof Outcome.Succeeded<?> s)) {
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
          default -> throw new AssertionError(e);
        });
      }
      var value = spec.behaviour() == Behaviour.RETURN_NULL ? null : Dag.mix(spec.salt(), args);
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
        case Outcome.Failed<?> f -> "failed " + ReferenceExecutor.describe(f.error());
        case Outcome.Skipped<?> s -> "skipped"; // the named cause may differ between runs
        case Outcome.Cancelled<?> c -> "cancelled";
        case Outcome.Omitted<?> m -> "omitted " + m.cause();
      });
    }
    return map;
  }

  static String describe(Dag dag, Expected e) {
    return switch (e.kind()) {
      case SUCCEEDED -> "Succeeded " + e.value();
      case FAILED -> "Failed " + e.error();
      case SKIPPED -> "Skipped naming one of " + e.roots().stream().mapToObj(u -> name(dag, u))
          .toList();
      case NEVER -> "never ending";
    };
  }

  static String name(Dag dag, int v) {
    return dag.spec(v).name();
  }
}
