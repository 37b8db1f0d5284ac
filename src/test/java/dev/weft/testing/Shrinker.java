package dev.weft.testing;

import dev.weft.testing.Dag.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Supplier;

/**
 * Shrinks a failing {@link Dag} greedily: it tries dropping blocks of nodes (halves, quarters,
 * ... single nodes), then single edges, then simpler behaviours, plain edges, plain arities,
 * fewer retries and hedges, and topological declaration, keeping the first change under which
 * the property still fails and starting over, until no change keeps it failing or the budget is
 * spent.
 *
 * <p>Concurrency failures may not reproduce every time, so each candidate gets several attempts.
 */
public final class Shrinker {
  private Shrinker() {}

  /** A property of a graph: {@return what is wrong, or null when it holds} */
  @FunctionalInterface
  public interface Check {
    String violation(Dag dag) throws Exception;
  }

  /**
   * The smallest failing graph found.
   *
   * @param dag the graph
   * @param violation what the property reported for it
   * @param steps how many changes were kept
   * @param checks how many times the property was evaluated
   */
  public record Result(Dag dag, String violation, int steps, int checks) {}

  /**
   * @param dag a graph on which {@code check} failed
   * @param violation what it reported
   * @param attempts how often to evaluate each candidate before deciding it passes
   * @param budget the time to spend at most
   */
  public static Result shrink(Dag dag, String violation, Check check, int attempts,
      Duration budget) {
    long deadline = System.nanoTime() + budget.toNanos();
    int steps = 0;
    int checks = 0;
    boolean improved = true;
    while (improved && System.nanoTime() < deadline) {
      improved = false;
      for (var candidate : candidates(dag)) {
        if (System.nanoTime() >= deadline) {
          break;
        }
        var next = candidate.get();
        String found = null;
        for (int a = 0; a < attempts && found == null; a++) {
          checks++;
          found = evaluate(check, next);
        }
        if (found != null) {
          dag = next;
          violation = found;
          steps++;
          improved = true;
          break;
        }
      }
    }
    return new Result(dag, violation, steps, checks);
  }

  /** {@return the violation, with anything the property threw counted as one} */
  static String evaluate(Check check, Dag dag) {
    try {
      return check.violation(dag);
    } catch (Throwable t) {
      if (t instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return "the check threw " + SafeText.of(t);
    }
  }

  /**
   * {@return the changes to a data-shaped node: no condition; a plain task; a shorter list;
   * simpler elements, no limit, forEach for forEachOutcome; a smaller inner graph}
   */
  private static List<Supplier<Dag>> shapeCandidates(Dag dag, int v) {
    var list = new ArrayList<Supplier<Dag>>();
    var s = dag.spec(v);
    if (s.when() != null) {
      list.add(() -> dag.with(v, (Dag.When) null));
    }
    if (s.form() != null) {
      list.add(() -> dag.with(v, (Dag.Form) null));
    }
    if (s.listLength() > 0) {
      list.add(() -> dag.with(v, new Dag.ListOf(s.listLength() / 2)));
      list.add(() -> dag.with(v, new Dag.ListOf(s.listLength() - 1)));
    }
    var f = s.fanOut();
    if (f != null) {
      if (f.collect()) {
        list.add(() -> dag.with(v, new Dag.FanOut(false, f.elements(), f.maxConcurrency())));
      }
      if (f.maxConcurrency() > 0) {
        list.add(() -> dag.with(v, new Dag.FanOut(f.collect(), f.elements(), 0)));
      }
      for (int i = 0; i < f.elements().size(); i++) {
        for (var b : f.elements().get(i).simpler()) {
          var elements = new ArrayList<>(f.elements());
          elements.set(i, b);
          list.add(() -> dag.with(v, new Dag.FanOut(f.collect(), elements, f.maxConcurrency())));
        }
      }
    }
    if (s.sub() != null) {
      for (var inner : candidates(s.sub().inner())) {
        list.add(() -> dag.with(v, new Dag.Sub(inner.get())));
      }
    }
    return list;
  }

  /** {@return the changes to try, biggest first} */
  private static List<Supplier<Dag>> candidates(Dag dag) {
    var list = new ArrayList<Supplier<Dag>>();
    int n = dag.size();
    for (int size = Math.max(1, n / 2); ; size /= 2) {
      for (int from = 0; from < n; from += size) {
        var drop = new BitSet();
        drop.set(from, Math.min(n, from + size));
        if (drop.cardinality() < n) {
          list.add(() -> dag.without(drop));
        }
      }
      if (size == 1) {
        break;
      }
    }
    for (int v = 0; v < n; v++) {
      for (int k = 0; k < dag.spec(v).deps().size(); k++) {
        int node = v;
        int edge = k;
        list.add(() -> dag.withoutEdge(node, edge));
      }
    }
    for (int v = 0; v < n; v++) {
      if (dag.isInput(v)) {
        continue;
      }
      int node = v;
      for (var b : dag.spec(v).behaviour().simpler()) {
        list.add(() -> dag.with(node, b));
      }
      for (int k = 0; k < dag.spec(v).deps().size(); k++) {
        int edge = k;
        if (dag.spec(v).deps().get(k).kind() != Kind.VALUE) {
          list.add(() -> dag.withKind(node, edge, Kind.VALUE));
        }
      }
      if (dag.spec(v).viaContext()) {
        list.add(() -> dag.withPlainArity(node));
      }
      var s = dag.spec(v);
      if (s.retry() != null) {
        list.add(() -> dag.with(node, s.flakes(), null));
        var r = s.retry();
        if (r.maxAttempts() > 1) {
          list.add(() -> dag.with(node, s.flakes(), new Dag.Retry(r.maxAttempts() - 1,
              r.backoff(), r.delayNanos(), r.abortUnchecked())));
        }
      }
      if (s.flakes() > 1) {
        list.add(() -> dag.with(node, s.flakes() - 1, s.retry()));
      }
      var h = s.hedging();
      if (h != null) {
        list.add(() -> dag.with(node, (Dag.Hedge) null));
        if (h.maxHedges() > 1) {
          list.add(() -> dag.with(node, new Dag.Hedge(h.delayNanos(), h.maxHedges() - 1)));
        }
      }
      list.addAll(shapeCandidates(dag, node));
    }
    if (dag.forward()) {
      list.add(dag::withoutForwardDeclarations);
    }
    return list;
  }
}
