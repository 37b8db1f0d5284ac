package dev.weft.testing;

import dev.weft.Outcome;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The specification of a run in {@link dev.weft.FailureMode#CONTINUE} mode, as a trivial
 * sequential executor: one thread, nodes in topological order, no timing. What it computes is what
 * the engine must produce, whatever its executor.
 */
public final class ReferenceExecutor {
  private ReferenceExecutor() {}

  /** How a node ends in the reference run. */
  public enum Kind {
    SUCCEEDED,
    FAILED,
    /** Skipped naming one of {@code roots}; or omitted naming one of {@code omits}, if any. */
    SKIPPED,
    /** Omitted naming one of {@code omits}: its condition, or a required ancestor's, failed. */
    OMITTED,
    /** A {@link Behaviour#HANG} task, or a node waiting on one: it ends only by cancellation. */
    NEVER
  }

  /**
   * The expected outcome of one node.
   *
   * @param kind how it ends
   * @param value its value when it succeeds (a {@code Long}, a list or {@code null})
   * @param error what it throws when it fails, as {@link #describe} gives it; ending with
   *     {@code *} when only its start is known (a failure the engine makes, whose message
   *     it words)
   * @param roots when it is skipped, the failed nodes that may be named as the cause: the engine
   *     names whichever failure reached it first, so with several upstream failures any is right
   * @param attempts how many times its task is called: 0 when it does not run, more than 1 when
   *     its retry policy retries it
   * @param omits when it is omitted (or skipped, and may be omitted instead, which comes first
   *     being a race), the nodes that may be named as the cause
   * @param elements of a fan-out whose elements run, each element's expectation; else null
   * @param inner of a subgraph node whose inner graph runs, the inner nodes'; else null
   */
  public record Expected(Kind kind, Object value, String error, BitSet roots, int attempts,
      BitSet omits, List<Expected> elements, List<Expected> inner) {
    Expected(Kind kind, Object value, String error, BitSet roots, int attempts) {
      this(kind, value, error, roots, attempts, new BitSet(), null, null);
    }
  }

  /** {@return the expected outcome of every node of {@code dag}, by index} */
  public static List<Expected> run(Dag dag) {
    return run(dag, null);
  }

  /**
   * {@return the expected outcome of every node of {@code dag}, its inputs bound to {@code
   * inputs} in order (null: to their salts)}
   */
  public static List<Expected> run(Dag dag, List<Object> inputs) {
    var out = new ArrayList<Expected>(dag.size());
    int input = 0;
    for (int v = 0; v < dag.size(); v++) {
      if (dag.isInput(v)) {
        out.add(new Expected(Kind.SUCCEEDED, inputs == null ? dag.spec(v).salt()
            : inputs.get(input++), null, null, 0));
      } else {
        out.add(expect(dag, v, out));
      }
    }
    return out;
  }

  private static Expected expect(Dag dag, int v, List<Expected> done) {
    var spec = dag.spec(v);
    var roots = new BitSet();
    var omits = new BitSet();
    boolean waitsForever = false;
    for (var e : spec.deps()) {
      var up = done.get(e.from());
      waitsForever |= up.kind() == Kind.NEVER;
      if (e.kind().required()) {
        switch (up.kind()) {
          case FAILED -> roots.set(e.from());
          case SKIPPED -> {
            roots.or(up.roots());
            omits.or(up.omits());
          }
          case OMITTED -> omits.or(up.omits());
          default -> {}
        }
      }
    }
    // skips and omissions are eager: they reach dependents even while another dependency hangs
    if (!roots.isEmpty()) {
      return new Expected(Kind.SKIPPED, null, null, roots, 0, omits, null, null);
    }
    if (!omits.isEmpty()) {
      return new Expected(Kind.OMITTED, null, null, roots, 0, omits, null, null);
    }
    if (waitsForever) {
      return new Expected(Kind.NEVER, null, null, null, 0);
    }
    if (spec.when() != null) {
      var e = spec.deps().stream().filter(d -> d.from() == spec.when().from()).findFirst()
          .orElseThrow();
      if (!spec.when().holds(conditionArg(dag, v, e, done.get(e.from())))) {
        var self = new BitSet();
        self.set(v);
        return new Expected(Kind.OMITTED, null, null, roots, 0, self, null, null);
      }
    }
    var args = new ArrayList<Object>();
    for (var e : spec.valueDeps()) {
      args.add(arg(dag, v, e, done.get(e.from())));
    }
    if (spec.fanOut() != null) {
      return fanOut(spec, args.getFirst());
    }
    if (spec.sub() != null) {
      return sub(spec.sub().inner(), args);
    }
    return body(spec, args);
  }

  /** {@return what edge {@code e} of node {@code v} passes, from its upstream's expectation} */
  static Object arg(Dag dag, int v, Dag.Edge e, Expected up) {
    boolean ok = up.kind() == Kind.SUCCEEDED;
    return switch (e.kind()) {
      case VALUE, AFTER -> up.value();
      case OR_ELSE -> ok ? up.value() : dag.fallback(v, e);
      case OPTIONAL -> ok ? Optional.ofNullable(up.value()) : Optional.empty();
      // the codes of outcomes do not tell errors, causes and reasons apart
      case OUTCOME -> switch (up.kind()) {
        case SUCCEEDED -> new Outcome.Succeeded<>(dag.spec(e.from()).name(), up.value());
        case FAILED -> new Outcome.Failed<>(dag.spec(e.from()).name(), new Error());
        default -> new Outcome.Omitted<>(dag.spec(e.from()).name(), "?");
      };
      case AFTER_OPTIONAL -> (dag.spec(v).salt() & 1) == 0
          ? (ok ? Optional.ofNullable(up.value()) : Optional.empty()) : ok ? up.value() : null;
    };
  }

  private static Object conditionArg(Dag dag, int v, Dag.Edge e, Expected up) {
    return arg(dag, v, e, up);
  }

  /** One call sequence of a body: a task's, or an element's. */
  private static Expected body(Dag.Spec spec, List<Object> args) {
    var b = spec.behaviour();
    if (b == Behaviour.HANG) {
      return new Expected(Kind.NEVER, null, null, null, 1);
    }
    var failure = b.fails() ? b.failure(spec.name())
        : b == Behaviour.FLAKY && spec.flakes() > 0 ? Behaviour.flakyFailure(spec) : null;
    int calls = 1;
    while (failure != null && !spec.lastCall(calls, failure)) {
      calls++; // retried
      if (b == Behaviour.FLAKY && calls > spec.flakes()) {
        failure = null;
      }
    }
    if (failure != null) {
      return new Expected(Kind.FAILED, null, describe(failure), null, calls);
    }
    var value = Dag.mix(spec.salt(), args);
    return new Expected(Kind.SUCCEEDED, b == Behaviour.RETURN_NULL ? null
        : spec.listLength() >= 0 ? Dag.listOf(value, spec.listLength()) : value, null, null,
        calls);
  }

  private static Expected fanOut(Dag.Spec spec, Object items) {
    if (!(items instanceof List<?> list)) {
      return new Expected(Kind.FAILED, null, (items == null ? "NullPointerException"
          : "IllegalArgumentException") + ": *", null, 0);
    }
    var f = spec.fanOut();
    var elements = new ArrayList<Expected>();
    var values = new ArrayList<Object>();
    Kind kind = Kind.SUCCEEDED;
    for (int i = 0; i < list.size(); i++) {
      var e = body(Dag.element(spec, i), java.util.Arrays.asList(list.get(i)));
      elements.add(e);
      if (kind != Kind.SUCCEEDED) {
        continue; // stopped by the first failure, or waiting for ever
      }
      switch (e.kind()) {
        case SUCCEEDED -> values.add(f.collect() ? new Outcome.Succeeded<>(spec.name(), e.value())
            : e.value());
        case FAILED -> {
          if (f.collect()) {
            values.add(new Outcome.Failed<>(spec.name(), new Error(e.error())));
          } else {
            kind = Kind.FAILED;
          }
        }
        default -> kind = Kind.NEVER;
      }
    }
    return switch (kind) {
      case SUCCEEDED -> new Expected(kind, Collections.unmodifiableList(values), null, null, 0,
          new BitSet(), elements, null);
      case FAILED -> new Expected(kind, null, "FanOutException: *", null, 0, new BitSet(),
          elements, null);
      default -> new Expected(Kind.NEVER, null, null, null, 0, new BitSet(), elements, null);
    };
  }

  private static Expected sub(Dag inner, List<Object> args) {
    int inputs = inner.size() - inner.taskCount();
    var bound = args.subList(0, inputs);
    if (bound.contains(null)) {
      return new Expected(Kind.FAILED, null, "IllegalArgumentException: *", null, 0);
    }
    var expected = run(inner, bound);
    var out = expected.getLast();
    if (expected.stream().anyMatch(e -> e.kind() == Kind.NEVER)) {
      return new Expected(Kind.NEVER, null, null, null, 0, new BitSet(), null, expected);
    }
    return out.kind() == Kind.SUCCEEDED
        ? new Expected(Kind.SUCCEEDED, out.value(), null, null, 0, new BitSet(), null, expected)
        : new Expected(Kind.FAILED, null, "NodeException: *", null, 0, new BitSet(), null,
            expected);
  }

  /** {@return whether {@code actual} is the failure {@code expected} describes} */
  public static boolean matches(String expected, Throwable actual) {
    var text = describe(actual);
    return expected.endsWith("*") ? text.startsWith(expected.substring(0, expected.length() - 1))
        : text.equals(expected);
  }

  /**
   * {@return whether a node's value equals the reference's} Lists element by element, and the
   * outcomes of a collecting fan-out by kind and value, failures by {@link #describe}.
   */
  public static boolean same(Object expected, Object actual) {
    if (expected instanceof List<?> a && actual instanceof List<?> b) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!same(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (expected instanceof Outcome.Failed<?> a && actual instanceof Outcome.Failed<?> b) {
      return a.error().getMessage().equals(describe(b.error())); // inside, names are prefixed
    }
    if (expected instanceof Outcome.Succeeded<?> a && actual instanceof Outcome.Succeeded<?> b) {
      return same(a.value(), b.value());
    }
    return java.util.Objects.equals(expected, actual);
  }

  /** {@return whether some task fails in the reference run and no optional edge absorbs it} */
  public static boolean hasUnabsorbedFailure(Dag dag, List<Expected> expected) {
    for (int v = 0; v < dag.size(); v++) {
      if (expected.get(v).kind() == Kind.FAILED && !dag.absorbs(v)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@return a throwable's class and message, the form failures are compared in} An {@link
   * Behaviour.OpaqueFailure}, whose message cannot be read, by its class and node instead.
   */
  public static String describe(Throwable t) {
    if (t instanceof Behaviour.OpaqueFailure o) {
      return "OpaqueFailure in " + o.node();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
