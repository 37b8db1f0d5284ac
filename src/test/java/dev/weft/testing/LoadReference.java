package dev.weft.testing;

import dev.weft.Outcome;
import dev.weft.testing.ReferenceExecutor.Expected;
import dev.weft.testing.ReferenceExecutor.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The sequential reference of a {@link LoadingDag} run in CONTINUE mode, in Haxl's rounds: every
 * body that can run does, until each has ended or waits for a key not fetched yet; then every
 * waiting key of every loader is fetched at once (one round), and so on until everything ended.
 * A key fetched in an earlier round (a value, a missing value or a failed call) is answered at
 * once, without a round. Fan-outs run their elements in index order, at most {@code
 * maxConcurrency} at once, as lanes do; a subgraph node ends when its whole inner run has; skips
 * and omissions are eager, as the engine's are.
 *
 * <p>What a body computes does not depend on the rounds unless a call fails as a whole (a poison
 * key): then which keys fail depends on which keys share its call, and the reference's values
 * hold only for runs whose rounds are the reference's.
 */
public final class LoadReference {
  private LoadReference() {}

  /** How a fetched key was answered. */
  enum Answer { VALUE, MISSING, CALL_FAILED }

  private record Fetched(Answer answer, Long value) {}

  /**
   * One load of a body as the reference answers it.
   *
   * @param failedKey the first key (in distinct order) that got no value, or null
   * @param callFailed whether that key's call failed (else it was left out)
   * @param values with no failure, the values of the distinct keys in order
   */
  public record Answered(LoadWorld.Load load, Long failedKey, boolean callFailed,
      List<Long> values) {}

  /**
   * What the reference run did.
   *
   * @param nodes the expected outcome of every node of the dag, by index
   * @param bodies how each body that runs ends, by body key ({@link Layout}): SUCCEEDED with its
   *     value, or FAILED with its error as {@link ReferenceExecutor#describe} gives it
   * @param loads each body's loads in order, answered, by body key
   * @param rounds per loader, the keys of each of its rounds, in order
   * @param globalRounds how many rounds there were, all loaders together
   * @param requested per loader, how many keys loads asked for (each load's distinct keys)
   */
  public record Result(List<Expected> nodes, Map<Integer, Expected> bodies,
      Map<Integer, List<Answered>> loads, List<List<Set<Long>>> rounds, int globalRounds,
      long[] requested) {
    /** {@return the keys loader {@code l} fetched, each once} */
    public Set<Long> fetched(int l) {
      var all = new LinkedHashSet<Long>();
      rounds.get(l).forEach(all::addAll);
      return all;
    }
  }

  /** {@return the reference run of {@code dag} in {@code world}, every loader costing rounds} */
  public static Result run(Dag dag, LoadWorld world) {
    return run(dag, world, -1);
  }

  /**
   * {@return the reference run where only loader {@code costly} costs rounds (the others answer
   * every key at once), or every loader if it is -1} With one costly loader, its rounds are a
   * lower bound of the rounds any run of that loader makes, whatever the timing: a key cannot be
   * sent before the values it is computed from, or the element whose lane it waits for, arrived.
   */
  public static Result run(Dag dag, LoadWorld world, int costly) {
    var sim = new Sim(dag, world, costly);
    return sim.run();
  }

  /** {@return the error text of a failed load, as {@link ReferenceExecutor#matches} takes it} */
  static String loadError(int loader, long key, boolean callFailed) {
    return "LoadException: loader '" + LoadWorld.loaderName(loader) + "' "
        + (callFailed ? "failed: *" : "returned no value for key " + key);
  }

  /**
   * {@return whether a value equals the reference's} Lists element by element, outcomes of a
   * collecting fan-out by kind and value, failed ones by {@link ReferenceExecutor#matches}.
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
      return ReferenceExecutor.matches(a.error().getMessage(), b.error());
    }
    if (expected instanceof Outcome.Succeeded<?> a && actual instanceof Outcome.Succeeded<?> b) {
      return same(a.value(), b.value());
    }
    return Objects.equals(expected, actual);
  }

  private interface Activity {
    /** Goes as far as it can. {@return whether anything changed} */
    boolean step();

    /** {@return how it ended, or null while it goes on} */
    Expected result();
  }

  private static Expected succeeded(Object value) {
    return new Expected(Kind.SUCCEEDED, value, null, null, 1, new BitSet(), null, null);
  }

  private static Expected failed(String error) {
    return new Expected(Kind.FAILED, null, error, null, 1, new BitSet(), null, null);
  }

  private static final class Sim {
    final Dag dag;
    final LoadWorld world;
    final Layout layout;
    final int costly;
    final List<Map<Long, Fetched>> cache = new ArrayList<>();
    final List<LinkedHashSet<Long>> pending = new ArrayList<>();
    final List<List<Set<Long>>> rounds = new ArrayList<>();
    final long[] requested;
    int globalRounds;
    final Map<Integer, Expected> bodies = new HashMap<>();
    final Map<Integer, List<Answered>> loads = new HashMap<>();

    Sim(Dag dag, LoadWorld world, int costly) {
      this.dag = dag;
      this.world = world;
      this.layout = Layout.of(dag);
      this.costly = costly;
      for (int l = 0; l < world.loaders(); l++) {
        cache.add(new HashMap<>());
        pending.add(new LinkedHashSet<>());
        rounds.add(new ArrayList<>());
      }
      this.requested = new long[world.loaders()];
    }

    Result run() {
      var top = new Level(dag, 0, null);
      for (int guard = 0; ; guard++) {
        while (top.advance()) {
          // to a fixpoint: every body has ended or waits for an unfetched key
        }
        if (pending.stream().allMatch(Set::isEmpty)) {
          break;
        }
        if (guard > 1_000_000) {
          throw new IllegalStateException("the reference does not end");
        }
        fetchRound();
      }
      if (!top.finished()) {
        throw new IllegalStateException("the reference is stuck: " + Arrays.toString(top.out));
      }
      return new Result(Collections.unmodifiableList(Arrays.asList(top.out)), bodies, loads,
          rounds, globalRounds, requested);
    }

    void fetchRound() {
      globalRounds++;
      for (int l = 0; l < world.loaders(); l++) {
        var keys = new ArrayList<>(pending.get(l));
        if (keys.isEmpty()) {
          continue;
        }
        rounds.get(l).add(Set.copyOf(keys));
        boolean poisoned = world.poisons(l, keys);
        for (var k : keys) {
          cache.get(l).put(k, fetched(l, k, poisoned));
        }
        pending.get(l).clear();
      }
    }

    Fetched fetched(int l, long k, boolean poisoned) {
      return poisoned ? new Fetched(Answer.CALL_FAILED, null)
          : world.fate(l, k) == LoadWorld.Fate.MISSING ? new Fetched(Answer.MISSING, null)
          : new Fetched(Answer.VALUE, world.value(l, k));
    }

    /** The nodes of one dag: the run's own, or a subgraph's inner run. */
    final class Level {
      final Dag d;
      final int base;
      final Expected[] out;
      final Activity[] active;

      Level(Dag d, int base, List<Object> inputs) {
        this.d = d;
        this.base = base;
        this.out = new Expected[d.size()];
        this.active = new Activity[d.size()];
        int input = 0;
        for (int v = 0; v < d.size(); v++) {
          if (d.isInput(v)) {
            out[v] = succeeded(inputs == null ? d.spec(v).salt() : inputs.get(input++));
          }
        }
      }

      boolean finished() {
        for (var e : out) {
          if (e == null) {
            return false;
          }
        }
        return true;
      }

      boolean advance() {
        boolean progress = false;
        for (int v = 0; v < d.size(); v++) {
          if (out[v] != null) {
            continue;
          }
          if (active[v] == null) {
            var ended = start(v);
            if (ended != null) {
              out[v] = ended;
              progress = true;
              continue;
            }
            if (active[v] == null) {
              continue; // not ready yet
            }
            progress = true;
          }
          progress |= active[v].step();
          var r = active[v].result();
          if (r != null) {
            out[v] = r;
            active[v] = null;
            progress = true;
          }
        }
        return progress;
      }

      /** Ends node {@code v} at once (a skip, an omission, a refusal), starts it, or waits. */
      Expected start(int v) {
        var spec = d.spec(v);
        var roots = new BitSet();
        var omits = new BitSet();
        boolean ready = true;
        for (var e : spec.deps()) {
          var up = out[e.from()];
          if (up == null) {
            ready = false;
            continue;
          }
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
        // eager: a required dependency that did not succeed ends it, whatever the others do
        if (!roots.isEmpty()) {
          return new Expected(Kind.SKIPPED, null, null, roots, 0, omits, null, null);
        }
        if (!omits.isEmpty()) {
          return new Expected(Kind.OMITTED, null, null, roots, 0, omits, null, null);
        }
        if (!ready) {
          return null;
        }
        if (spec.when() != null) {
          var e = spec.deps().stream().filter(x -> x.from() == spec.when().from()).findFirst()
              .orElseThrow();
          if (!spec.when().holds(ReferenceExecutor.arg(d, v, e, out[e.from()]))) {
            var self = new BitSet();
            self.set(v);
            return new Expected(Kind.OMITTED, null, null, roots, 0, self, null, null);
          }
        }
        var args = new ArrayList<Object>();
        for (var e : spec.valueDeps()) {
          args.add(ReferenceExecutor.arg(d, v, e, out[e.from()]));
        }
        int key = base + v;
        if (spec.fanOut() != null) {
          var items = args.getFirst();
          if (!(items instanceof List<?> list)) {
            return failed((items == null ? "NullPointerException" : "IllegalArgumentException")
                + ": *");
          }
          if (list.isEmpty()) {
            return succeeded(List.of());
          }
          active[v] = new FanOut(key, spec, list);
          return null;
        }
        if (spec.sub() != null) {
          var inner = spec.sub().inner();
          var bound = args.subList(0, inner.size() - inner.taskCount());
          if (bound.contains(null)) {
            return failed("IllegalArgumentException: *");
          }
          active[v] = new Sub(new Level(inner, layout.subBase(key), new ArrayList<>(bound)));
          return null;
        }
        active[v] = new Body(key, spec, args);
        return null;
      }
    }

    /** A subgraph node's inner run: it ends when every inner node has. */
    final class Sub implements Activity {
      final Level level;

      Sub(Level level) {
        this.level = level;
      }

      @Override
      public boolean step() {
        return level.advance();
      }

      @Override
      public Expected result() {
        if (!level.finished()) {
          return null;
        }
        var last = level.out[level.out.length - 1];
        return last.kind() == Kind.SUCCEEDED ? succeeded(last.value())
            : failed("NodeException: *");
      }
    }

    /** A fan-out's elements, started in index order, at most {@code maxConcurrency} at once. */
    final class FanOut implements Activity {
      final int key;
      final Dag.Spec spec;
      final List<?> items;
      final int limit;
      final Body[] elements;
      final Expected[] ends;
      int started;
      int running;

      FanOut(int key, Dag.Spec spec, List<?> items) {
        this.key = key;
        this.spec = spec;
        this.items = items;
        int mc = spec.fanOut().maxConcurrency();
        this.limit = mc > 0 ? Math.min(mc, items.size()) : items.size();
        this.elements = new Body[items.size()];
        this.ends = new Expected[items.size()];
      }

      @Override
      public boolean step() {
        boolean any = false;
        for (boolean changed = true; changed; ) {
          changed = false;
          while (running < limit && started < items.size()) {
            int i = started++;
            elements[i] = new Body(layout.element(key, i), Dag.element(spec, i),
                Arrays.asList(items.get(i)));
            running++;
            changed = true;
          }
          for (int i = 0; i < started; i++) {
            if (ends[i] == null) {
              changed |= elements[i].step();
              if (elements[i].result() != null) {
                ends[i] = elements[i].result();
                running--;
                changed = true;
              }
            }
          }
          any |= changed;
        }
        return any;
      }

      @Override
      public Expected result() {
        if (running > 0 || started < items.size()) {
          return null;
        }
        boolean collect = spec.fanOut().collect();
        var values = new ArrayList<Object>();
        for (var e : ends) {
          if (collect) {
            values.add(e.kind() == Kind.SUCCEEDED ? new Outcome.Succeeded<>(spec.name(), e.value())
                : new Outcome.Failed<>(spec.name(), new Error(e.error())));
          } else if (e.kind() == Kind.SUCCEEDED) {
            values.add(e.value());
          } else {
            throw new IllegalStateException("an element of a stopping fan-out failed: " + e);
          }
        }
        return succeeded(Collections.unmodifiableList(values));
      }
    }

    /** One body: its load program, then its behaviour. */
    final class Body implements Activity {
      final int key;
      final Dag.Spec spec;
      final Behaviour behaviour;
      final LoadWorld.Exec exec;
      final List<Answered> answered = new ArrayList<>();
      LoadWorld.Load blocked;
      Expected end;

      Body(int key, Dag.Spec spec, List<Object> args) {
        this.key = key;
        this.spec = spec;
        boolean stopping = LoadingDag.stoppingElement(layout, key);
        this.behaviour = LoadingDag.effective(spec.behaviour(), stopping);
        this.exec = world.start(world.program(spec.salt(), !stopping),
            Dag.mix(spec.salt(), args));
        loads.put(key, answered);
      }

      @Override
      public boolean step() {
        if (end != null) {
          return false;
        }
        boolean progress = false;
        while (end == null) {
          if (blocked != null) {
            var load = blocked;
            var known = cache.get(load.loader());
            for (var k : load.distinct()) {
              if (!known.containsKey(k)) {
                return progress;
              }
            }
            blocked = null;
            progress = true;
            Long failedKey = null;
            boolean callFailed = false;
            var values = new ArrayList<Long>();
            for (var k : load.distinct()) {
              var f = known.get(k);
              if (f.answer() != Answer.VALUE && failedKey == null) {
                failedKey = k;
                callFailed = f.answer() == Answer.CALL_FAILED;
              }
              values.add(f.value());
            }
            answered.add(new Answered(load, failedKey, callFailed,
                failedKey == null ? Collections.unmodifiableList(values) : null));
            if (failedKey == null) {
              exec.values(values);
            } else if (exec.failed(failedKey, callFailed)) {
              end = failed(loadError(load.loader(), failedKey, callFailed));
              break;
            }
          }
          var load = exec.next();
          if (load == null) {
            try {
              end = succeeded(LoadingDag.result(spec, behaviour, exec.hash()));
            } catch (RuntimeException e) {
              end = failed(ReferenceExecutor.describe(e));
            }
            break;
          }
          progress = true;
          int l = load.loader();
          requested[l] += load.distinct().size();
          for (var k : load.distinct()) {
            if (!cache.get(l).containsKey(k)) {
              if (costly < 0 || costly == l) {
                pending.get(l).add(k);
              } else {
                cache.get(l).put(k, fetched(l, k, world.fate(l, k) == LoadWorld.Fate.POISON));
              }
            }
          }
          blocked = load;
        }
        bodies.put(key, end);
        return true;
      }

      @Override
      public Expected result() {
        return end;
      }
    }
  }
}
