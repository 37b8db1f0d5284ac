package dev.weft.testing;

import java.util.ArrayList;
import java.util.BitSet;
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
    SKIPPED,
    /** A {@link Behaviour#HANG} task, or a node waiting on one: it ends only by cancellation. */
    NEVER
  }

  /**
   * The expected outcome of one node.
   *
   * @param kind how it ends
   * @param value its value when it succeeds (a {@code Long} or {@code null})
   * @param error what it throws when it fails, as {@link #describe} gives it
   * @param roots when it is skipped, the failed nodes that may be named as the cause: the engine
   *     names whichever failure reached it first, so with several upstream failures any is right
   * @param attempts how many times its task is called: 0 when it does not run, more than 1 when
   *     its retry policy retries it
   */
  public record Expected(Kind kind, Object value, String error, BitSet roots, int attempts) {}

  /** {@return the expected outcome of every node of {@code dag}, by index} */
  public static List<Expected> run(Dag dag) {
    var out = new ArrayList<Expected>(dag.size());
    for (int v = 0; v < dag.size(); v++) {
      out.add(expect(dag, v, out));
    }
    return out;
  }

  private static Expected expect(Dag dag, int v, List<Expected> done) {
    var spec = dag.spec(v);
    if (spec.input()) {
      return new Expected(Kind.SUCCEEDED, spec.salt(), null, null, 0);
    }
    var roots = new BitSet();
    boolean waitsForever = false;
    for (var e : spec.deps()) {
      var up = done.get(e.from());
      waitsForever |= up.kind() == Kind.NEVER;
      if (e.kind().required() && up.kind() == Kind.FAILED) {
        roots.set(e.from());
      } else if (e.kind().required() && up.kind() == Kind.SKIPPED) {
        roots.or(up.roots());
      }
    }
    // skips are eager: a failure skips its dependents even while another dependency hangs
    if (!roots.isEmpty()) {
      return new Expected(Kind.SKIPPED, null, null, roots, 0);
    }
    if (waitsForever) {
      return new Expected(Kind.NEVER, null, null, null, 0);
    }
    var args = new ArrayList<Object>();
    for (var e : spec.valueDeps()) {
      var up = done.get(e.from());
      boolean ok = up.kind() == Kind.SUCCEEDED;
      args.add(switch (e.kind()) {
        case VALUE -> up.value();
        case OR_ELSE -> ok ? up.value() : dag.fallback(v, e);
        case OPTIONAL -> ok ? Optional.ofNullable(up.value()) : Optional.empty();
        default -> throw new AssertionError(e);
      });
    }
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
    return new Expected(Kind.SUCCEEDED,
        b == Behaviour.RETURN_NULL ? null : Dag.mix(spec.salt(), args), null, null, calls);
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
