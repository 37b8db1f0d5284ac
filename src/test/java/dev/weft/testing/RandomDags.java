package dev.weft.testing;

import dev.weft.testing.Dag.Edge;
import dev.weft.testing.Dag.Kind;
import dev.weft.testing.Dag.Spec;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A seeded generator of {@link Dag}s in the shapes that stress a scheduler: long chains, wide
 * fan-outs and fan-ins, chains of diamonds, layered graphs, forests with many roots and sinks, and
 * sparse random graphs; with inputs, optional ({@code orElse}, {@code optional()}) and
 * ordering-only ({@code after}) edges, the occasional duplicate edge, forward declarations, and
 * per-task behaviours drawn from a bag. The same seed always gives the same graph.
 */
public final class RandomDags {
  /** The structural families the generator draws from. */
  public enum Shape { CHAIN, FAN_OUT, FAN_IN, DIAMONDS, LAYERED, FOREST, SPARSE }

  /**
   * Only values flow; nothing fails or blocks for long. Some tasks leave their interrupt set
   * ({@link Behaviour#RESTORE_INTERRUPT}, {@link Behaviour#RETURN_ON_INTERRUPT}).
   */
  public static final List<Behaviour> SUCCEEDING = bag(
      Behaviour.RETURN, 8, Behaviour.RETURN_NULL, 1, Behaviour.SLEEP, 1, Behaviour.BLOCK, 1,
      Behaviour.IGNORE_INTERRUPT, 1, Behaviour.RESTORE_INTERRUPT, 1,
      Behaviour.RETURN_ON_INTERRUPT, 1);

  /**
   * {@link #SUCCEEDING} plus about one task in eight throwing (checked, unchecked, opaque or
   * Error).
   */
  public static final List<Behaviour> FAILING = bag(
      Behaviour.RETURN, 16, Behaviour.RETURN_NULL, 2, Behaviour.SLEEP, 2, Behaviour.BLOCK, 2,
      Behaviour.IGNORE_INTERRUPT, 2, Behaviour.RESTORE_INTERRUPT, 1,
      Behaviour.RETURN_ON_INTERRUPT, 1, Behaviour.THROW_CHECKED, 1, Behaviour.THROW_UNCHECKED, 1,
      Behaviour.THROW_ERROR, 1, Behaviour.THROW_OPAQUE, 1);

  /** Cheap behaviours only, for shapes where a structural property is checked. */
  public static final List<Behaviour> CHEAP = bag(Behaviour.RETURN, 6, Behaviour.RETURN_NULL, 1);

  private final Random rnd;
  private final int maxTasks;
  private final List<Behaviour> behaviours;

  /**
   * @param rnd the source of every choice
   * @param maxTasks a soft bound on the number of tasks (shapes stay within about this size)
   * @param behaviours the bag task behaviours are drawn from, uniformly
   */
  public RandomDags(Random rnd, int maxTasks, List<Behaviour> behaviours) {
    this.rnd = rnd;
    this.maxTasks = Math.max(2, maxTasks);
    this.behaviours = List.copyOf(behaviours);
  }

  /** {@return a bag: each behaviour followed by how many times it is in it} */
  public static List<Behaviour> bag(Object... behaviourThenCount) {
    var bag = new ArrayList<Behaviour>();
    for (int i = 0; i < behaviourThenCount.length; i += 2) {
      bag.addAll(Collections.nCopies((Integer) behaviourThenCount[i + 1],
          (Behaviour) behaviourThenCount[i]));
    }
    return List.copyOf(bag);
  }

  /** {@return a graph of a random shape} */
  public Dag next() {
    return next(Shape.values()[rnd.nextInt(Shape.values().length)]);
  }

  /** {@return a graph of the given shape} */
  public Dag next(Shape shape) {
    var deps = switch (shape) {
      case CHAIN -> chain(2 + rnd.nextInt(maxTasks - 1));
      case FAN_OUT -> fanOut();
      case FAN_IN -> fanIn();
      case DIAMONDS -> diamonds();
      case LAYERED -> layered();
      case FOREST -> forest();
      case SPARSE -> sparse();
    };
    addExtraEdges(deps);
    return decorate(deps);
  }

  private List<List<Integer>> chain(int n) {
    var deps = empty(n);
    for (int i = 1; i < n; i++) {
      deps.get(i).add(i - 1);
    }
    return deps;
  }

  private List<List<Integer>> fanOut() {
    int sources = 1 + rnd.nextInt(2);
    int width = 2 + rnd.nextInt(Math.max(1, maxTasks - sources - 1));
    boolean join = rnd.nextInt(10) < 7;
    var deps = empty(sources + width + (join ? 1 : 0));
    for (int b = sources; b < sources + width; b++) {
      deps.get(b).add(rnd.nextInt(sources));
      if (sources > 1 && rnd.nextBoolean()) {
        deps.get(b).add(sources - 1);
      }
    }
    if (join) {
      for (int b = sources; b < sources + width; b++) {
        if (rnd.nextInt(10) < 8) {
          deps.getLast().add(b);
        }
      }
    }
    return deps;
  }

  private List<List<Integer>> fanIn() {
    int roots = 2 + rnd.nextInt(Math.max(1, maxTasks - 4));
    int sinks = 1 + rnd.nextInt(3);
    var deps = empty(roots + sinks);
    for (int s = roots; s < roots + sinks; s++) {
      for (int r = 0; r < roots; r++) {
        if (s == roots || rnd.nextInt(3) == 0) {
          deps.get(s).add(r);
        }
      }
    }
    return deps;
  }

  private List<List<Integer>> diamonds() {
    int count = 1 + rnd.nextInt(Math.max(1, Math.min(10, maxTasks / 4)));
    var deps = empty(1);
    int top = 0;
    for (int d = 0; d < count; d++) {
      int width = 2 + rnd.nextInt(3);
      int bottom = deps.size() + width;
      for (int m = 0; m < width; m++) {
        deps.add(new ArrayList<>(List.of(top)));
      }
      deps.add(new ArrayList<>());
      for (int m = bottom - width; m < bottom; m++) {
        deps.get(bottom).add(m);
      }
      top = bottom;
    }
    return deps;
  }

  private List<List<Integer>> layered() {
    int layers = 2 + rnd.nextInt(7);
    int maxWidth = Math.max(1, Math.min(12, maxTasks / layers));
    var deps = new ArrayList<List<Integer>>();
    int prevStart = 0;
    int prevEnd = 0;
    for (int l = 0; l < layers; l++) {
      int start = deps.size();
      int width = 1 + rnd.nextInt(maxWidth);
      for (int w = 0; w < width; w++) {
        var d = new ArrayList<Integer>();
        if (l > 0) {
          int fanIn = 1 + rnd.nextInt(3);
          for (int k = 0; k < fanIn; k++) {
            // mostly the previous layer, sometimes any earlier node
            d.add(rnd.nextInt(4) == 0 ? rnd.nextInt(start)
                : prevStart + rnd.nextInt(prevEnd - prevStart));
          }
        }
        deps.add(dedupe(d));
      }
      prevStart = start;
      prevEnd = deps.size();
    }
    return deps;
  }

  private List<List<Integer>> forest() {
    int components = 2 + rnd.nextInt(7);
    var deps = new ArrayList<List<Integer>>();
    for (int c = 0; c < components; c++) {
      int start = deps.size();
      int size = 1 + rnd.nextInt(Math.max(1, Math.min(8, maxTasks / components)));
      for (int i = 0; i < size; i++) {
        var d = new ArrayList<Integer>();
        if (i > 0) {
          // a random tree: each node below one earlier node of its component
          d.add(start + rnd.nextInt(i));
        }
        deps.add(d);
      }
    }
    return deps;
  }

  private List<List<Integer>> sparse() {
    int n = 1 + rnd.nextInt(Math.min(40, maxTasks));
    double p = 0.02 + rnd.nextDouble() * 0.25;
    var deps = empty(n);
    for (int j = 1; j < n; j++) {
      for (int i = 0; i < j && deps.get(j).size() < 8; i++) {
        if (rnd.nextDouble() < p) {
          deps.get(j).add(i);
        }
      }
    }
    return deps;
  }

  private void addExtraEdges(List<List<Integer>> deps) {
    int n = deps.size();
    int extra = n < 3 ? 0 : rnd.nextInt(n / 3 + 1);
    for (int k = 0; k < extra; k++) {
      int j = 1 + rnd.nextInt(n - 1);
      deps.get(j).add(rnd.nextInt(j));
    }
  }

  /** Turns index lists into a Dag: inputs first, then tasks with kinds, behaviours, salts. */
  private Dag decorate(List<List<Integer>> taskDeps) {
    int inputs = rnd.nextInt(4);
    int n = taskDeps.size();
    var nodes = new ArrayList<Spec>(inputs + n);
    for (int i = 0; i < inputs; i++) {
      nodes.add(new Spec("in" + i, true, Behaviour.RETURN, List.of(), rnd.nextInt(1000), false,
          0));
    }
    for (int t = 0; t < n; t++) {
      var edges = new ArrayList<Edge>();
      var seen = new BitSet();
      for (int d : taskDeps.get(t)) {
        // the occasional duplicate edge (same upstream twice, maybe read two ways) stays
        if (seen.get(d) && rnd.nextInt(10) != 0) {
          continue;
        }
        seen.set(d);
        edges.add(new Edge(inputs + d, kind()));
      }
      if (inputs > 0 && rnd.nextInt(4) == 0) {
        edges.add(rnd.nextInt(edges.size() + 1), new Edge(rnd.nextInt(inputs), kind()));
      }
      var behaviour = behaviours.get(rnd.nextInt(behaviours.size()));
      boolean viaContext = rnd.nextInt(5) == 0;
      var spec = new Spec("n" + t, false, behaviour, edges, rnd.nextLong(), viaContext,
          rnd.nextLong());
      // only bags with FLAKY draw more, so the graphs of other bags stay as they were
      nodes.add(behaviour == Behaviour.FLAKY ? spec.with(1 + rnd.nextInt(4), null) : spec);
    }
    return new Dag(nodes, rnd.nextInt(4) == 0);
  }

  private Kind kind() {
    int r = rnd.nextInt(100);
    return r < 55 ? Kind.VALUE : r < 67 ? Kind.OR_ELSE : r < 79 ? Kind.OPTIONAL
        : r < 90 ? Kind.AFTER : Kind.AFTER_OPTIONAL;
  }

  /**
   * {@return {@code dag} with data-shaped nodes: each task becomes, with probability {@code
   * share}, a fan-out over the list its first value dependency returns (that task then returns
   * a list of 0 to 8 values, an empty one one time in five; the fan-out collects outcomes one
   * time in three, is limited to 1 to 3 at once one time in three, and its elements behave as
   * drawn from {@code bag}, with a hang one time in twelve), a subgraph node (a random graph of
   * up to 6 tasks whose inputs are bound to its value dependencies, itself with data shapes, so
   * nested two deep at most), or a conditional node (over one of its edges, false one time in two
   * to four); and optional edges become {@code outcome()} edges with the same probability}
   * Drawn after everything else, so the graph's structure is the one {@code rnd} gave before.
   */
  public static Dag withDataShapes(Dag dag, Random rnd, double share, List<Behaviour> bag) {
    return withDataShapes(dag, rnd, share, bag, 0);
  }

  private static Dag withDataShapes(Dag dag, Random rnd, double share, List<Behaviour> bag,
      int depth) {
    for (int v = 0; v < dag.size(); v++) {
      var s = dag.spec(v);
      if (s.input()) {
        continue;
      }
      for (int k = 0; k < s.deps().size(); k++) {
        var kind = s.deps().get(k).kind();
        if ((kind == Kind.OPTIONAL || kind == Kind.OR_ELSE) && rnd.nextDouble() < share) {
          dag = dag.withKind(v, k, Kind.OUTCOME);
        }
      }
      if (rnd.nextDouble() >= share) {
        continue;
      }
      s = dag.spec(v);
      int r = rnd.nextInt(10);
      if (r < 4) {
        dag = fanOut(dag, v, rnd, bag);
      } else if (r < 7 && depth < 2) {
        dag = sub(dag, v, rnd, share, bag, depth);
      } else if (!s.deps().isEmpty()) {
        int from = s.deps().get(rnd.nextInt(s.deps().size())).from();
        dag = dag.with(v, new Dag.When(from, 2 + rnd.nextInt(3), rnd.nextLong()));
      }
    }
    return dag;
  }

  private static Dag fanOut(Dag dag, int v, Random rnd, List<Behaviour> bag) {
    var s = dag.spec(v);
    int k = -1;
    for (int i = 0; i < s.deps().size() && k < 0; i++) {
      var e = s.deps().get(i);
      if (e.kind() == Kind.VALUE && !dag.isInput(e.from())) {
        k = i;
      }
    }
    if (k < 0 || dag.spec(s.deps().get(k).from()).sub() != null) {
      return dag;
    }
    int u = s.deps().get(k).from();
    if (dag.spec(u).form() == null) {
      int length = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(Layout.MAX_ELEMENTS);
      dag = dag.with(u, new Dag.ListOf(length));
    }
    // the list first, then the rest as they were
    var deps = new ArrayList<>(s.deps());
    deps.addFirst(deps.remove(k));
    var elements = new ArrayList<Behaviour>();
    for (int i = 0; i < Layout.MAX_ELEMENTS; i++) {
      elements.add(rnd.nextInt(12) == 0 ? Behaviour.HANG : bag.get(rnd.nextInt(bag.size())));
    }
    var f = new Dag.FanOut(rnd.nextInt(3) == 0, elements,
        rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(3) : 0);
    boolean flaky = elements.contains(Behaviour.FLAKY);
    var out = new ArrayList<>(dag.nodes());
    out.set(v, new Spec(s.name(), false, flaky ? Behaviour.FLAKY : Behaviour.RETURN, deps,
        s.salt(), s.viaContext(), s.rank(), flaky ? 1 + rnd.nextInt(3) : 0, s.retry(), f,
        s.when(), s.hedge()));
    return new Dag(out, dag.forward());
  }

  private static Dag sub(Dag dag, int v, Random rnd, double share, List<Behaviour> bag,
      int depth) {
    var s = dag.spec(v);
    var inner = new RandomDags(rnd, 6, bag).next();
    int bindable = s.valueDeps().size();
    var extra = new BitSet();
    for (int u = 0, inputs = 0; u < inner.size(); u++) {
      if (inner.isInput(u) && inputs++ >= bindable) {
        extra.set(u);
      }
    }
    inner = withDataShapes(inner.without(extra), rnd, share, bag, depth + 1);
    // no retries: each attempt would run the inner graph again, calling its tasks more often
    return dag.with(v, s.behaviour().fails() ? Behaviour.RETURN : s.behaviour())
        .with(v, 0, null).with(v, new Dag.Sub(inner));
  }

  /**
   * {@return up to {@code k} tasks of {@code dag} no two of which are ancestor and descendant:
   * an antichain, greedily from a random order}
   */
  public BitSet antichain(Dag dag, int k) {
    var up = dag.ancestors();
    var order = new ArrayList<Integer>();
    for (int v = 0; v < dag.size(); v++) {
      if (!dag.isInput(v)) {
        order.add(v);
      }
    }
    Collections.shuffle(order, rnd);
    var chosen = new BitSet();
    for (int v : order) {
      if (chosen.cardinality() == k) {
        break;
      }
      boolean free = true;
      for (int u = chosen.nextSetBit(0); u >= 0 && free; u = chosen.nextSetBit(u + 1)) {
        free = !Dag.comparable(up, u, v);
      }
      if (free) {
        chosen.set(v);
      }
    }
    return chosen;
  }

  /**
   * {@return {@code dag} with random retry policies: on most FLAKY tasks and on {@code share} of
   * the others; up to 5 attempts, fixed (possibly zero), exponential or jittered delays up to
   * {@code maxDelayNanos}, sometimes aborting on unchecked exceptions}
   */
  public static Dag withRetries(Dag dag, Random rnd, double share, long maxDelayNanos) {
    for (int v = 0; v < dag.size(); v++) {
      var s = dag.spec(v);
      if (s.input() || rnd.nextDouble() >= (s.behaviour() == Behaviour.FLAKY ? 0.85 : share)) {
        continue;
      }
      if (s.sub() != null) {
        continue; // each attempt would run the inner graph again: more calls than its tasks allow
      }
      var backoff = Dag.Retry.Backoff.values()[rnd.nextInt(3)];
      long delay = backoff == Dag.Retry.Backoff.FIXED && rnd.nextInt(3) == 0 ? 0
          : 1 + rnd.nextLong(maxDelayNanos);
      dag = dag.with(v, s.flakes(), new Dag.Retry(1 + rnd.nextInt(5), backoff, delay,
          rnd.nextInt(4) == 0));
    }
    return dag;
  }

  /**
   * {@return {@code dag} with hedged nodes: each task with a body of its own and each fan-out
   * (whose elements are then hedged each on its own), here and inside subgraphs, is hedged with
   * probability {@code share}, after a real delay of 1 ns (at once, in effect) one time in four,
   * else of up to {@code maxDelayNanos}, sending 1 to 3 hedges} Subgraph nodes are never hedged
   * (Weft refuses it). Drawn after everything else, so the graph is the one {@code rnd} gave
   * before.
   */
  public static Dag withHedges(Dag dag, Random rnd, double share, long maxDelayNanos) {
    for (int v = 0; v < dag.size(); v++) {
      var s = dag.spec(v);
      if (s.input()) {
        continue;
      }
      if (s.sub() != null) {
        dag = dag.with(v, new Dag.Sub(withHedges(s.sub().inner(), rnd, share, maxDelayNanos)));
      } else if (rnd.nextDouble() < share) {
        long delay = rnd.nextInt(4) == 0 ? 1 : 1 + rnd.nextLong(maxDelayNanos);
        dag = dag.with(v, new Dag.Hedge(delay, 1 + rnd.nextInt(3)));
      }
    }
    return dag;
  }

  /** Makes hangs fit the setting: only a cancellation or a certain failure releases them. */
  public static Dag fit(Dag dag, Runs.Setting s, Random rnd) {
    if (!s.mode().cancelsFromOutside()) {
      dag = withoutNestedHangs(dag);
    }
    if (s.mode().cancelsFromOutside() || dag.count(Behaviour.HANG) == 0) {
      return dag;
    }
    for (int v = 0; v < dag.size(); v++) {
      if (!dag.isInput(v) && dag.spec(v).behaviour() == Behaviour.HANG) {
        dag = dag.with(v, Behaviour.BLOCK);
      }
    }
    return s.mode() == Runs.Mode.FAIL_FAST ? withHangs(dag, rnd, s.exec()) : dag;
  }

  /**
   * {@return {@code dag} whose hangs inside nodes wait for nothing but a cancellation from
   * outside: in subgraphs they block instead, and so do elements that no earlier failing element
   * of a fan-out that stops at its first failure releases}
   */
  public static Dag withoutNestedHangs(Dag dag) {
    for (int v = 0; v < dag.size(); v++) {
      var s = dag.spec(v);
      if (s.sub() != null) {
        var inner = withoutNestedHangs(s.sub().inner());
        for (int u = 0; u < inner.size(); u++) {
          if (inner.spec(u).hasBody() && inner.spec(u).behaviour() == Behaviour.HANG) {
            inner = inner.with(u, Behaviour.BLOCK);
          }
        }
        dag = dag.with(v, new Dag.Sub(inner));
      }
      var f = s.fanOut();
      if (f != null) {
        var elements = new ArrayList<>(f.elements());
        boolean released = false;
        for (int i = 0; i < elements.size(); i++) {
          if (elements.get(i) == Behaviour.HANG && !released) {
            elements.set(i, Behaviour.BLOCK);
          }
          released |= !f.collect() && elements.get(i).fails();
        }
        dag = dag.with(v, new Dag.FanOut(f.collect(), elements, f.maxConcurrency()));
      }
    }
    return dag;
  }

  /** {@return {@code dag} with at least one task that fails in the reference run} */
  public static Dag withAFailure(Dag dag, Random rnd) {
    var expected = ReferenceExecutor.run(dag);
    for (var e : expected) {
      if (e.kind() == ReferenceExecutor.Kind.FAILED) {
        return dag;
      }
    }
    var tasks = new ArrayList<Integer>();
    for (int v = 0; v < dag.size(); v++) {
      if (!dag.isInput(v)) {
        tasks.add(v);
      }
    }
    var failing = new Behaviour[] {Behaviour.THROW_CHECKED, Behaviour.THROW_UNCHECKED,
        Behaviour.THROW_ERROR, Behaviour.THROW_OPAQUE};
    return dag.with(tasks.get(rnd.nextInt(tasks.size())), failing[rnd.nextInt(failing.length)]);
  }

  /**
   * Turns some waiting tasks into hangs where fail-fast will release them: when the reference
   * has an unabsorbed failure that does not wait on them, and within what the executor can block.
   */
  public static Dag withHangs(Dag dag, Random rnd, Runs.Exec exec) {
    var expected = ReferenceExecutor.run(dag);
    var up = dag.ancestors();
    var failures = new ArrayList<Integer>();
    for (int v = 0; v < dag.size(); v++) {
      if (expected.get(v).kind() == ReferenceExecutor.Kind.FAILED && !dag.absorbs(v)) {
        failures.add(v);
      }
    }
    int hangs = 0;
    for (int v = 0; v < dag.size() && !failures.isEmpty(); v++) {
      int node = v;
      if (hangs < exec.blockers() && !dag.isInput(v) && rnd.nextInt(3) > 0
          && dag.spec(v).behaviour() == Behaviour.BLOCK
          && failures.stream().noneMatch(f -> up[f].get(node))) {
        dag = dag.with(v, Behaviour.HANG);
        hangs++;
      }
    }
    return dag;
  }

  private static List<List<Integer>> empty(int n) {
    var deps = new ArrayList<List<Integer>>(n);
    for (int i = 0; i < n; i++) {
      deps.add(new ArrayList<>());
    }
    return deps;
  }

  private static List<Integer> dedupe(List<Integer> list) {
    return new ArrayList<>(list.stream().distinct().toList());
  }
}
