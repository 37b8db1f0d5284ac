package dev.weft;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.Executors;
import dev.weft.testing.FakeScheduler;
import dev.weft.testing.LoadReference;
import dev.weft.testing.LoadWorld;
import dev.weft.testing.LoadingDag;
import dev.weft.testing.RandomDags;
import dev.weft.testing.RandomDags.Shape;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.ReferenceExecutor.Expected;
import dev.weft.testing.ReferenceExecutor.Kind;
import dev.weft.testing.SafeText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchLoader} over random seeded graphs whose tasks, fan-out elements and subgraph tasks
 * run load programs ({@link LoadWorld}): single loads and {@code loadMany}s of keys fixed by the
 * program or computed from the task's arguments and earlier loaded values (chains, inside one
 * task and across tasks), from a small key space (duplicates), some keys without a value, some
 * with a null one, some that fail their whole call; a failed load fails its task or is folded
 * into its value. Each run is checked against the sequential reference in Haxl's rounds ({@link
 * LoadReference}); see {@link Cases} for {@code -Dweft.seed}, {@code -Dweft.cases} (cases per
 * property) and {@code -Dweft.baseSeed}.
 *
 * <p>Every case checks that the run completes within {@value #BOUND_SECONDS} s (a hang fails
 * the case, with the waiting loads, never the suite), that no key is fetched twice in a run,
 * that every load got exactly what its key's call gave (its value, or a {@link LoadException}
 * naming loader and key, caused by the call's failure if it failed), that the loaders' figures
 * and batch records agree with the calls the batch functions saw, and that no loader made fewer
 * rounds than the data depth allows. What more holds depends on the setting; see {@link
 * Setting#exact}. Bounded pools and the caller's thread run quiet-only too: the regressions
 * below once hung there.
 */
class LoaderPropertiesTest {
  private static final int CASES = Cases.count(150);
  private static final String CLASS = "LoaderPropertiesTest#";
  /** The longest a run may take before it counts as hung. */
  static final long BOUND_SECONDS = 10;
  /** How often a task is a fan-out, a subgraph or conditional, and an optional edge an outcome. */
  static final double DATA_SHAPES = 0.25;
  /**
   * Task behaviours: after its loads, a task returns its value, null, or throws; one in eleven
   * sleeps 50 us first, blocking where Weft cannot see (with quiescence alone that only delays
   * the round: the sleeping thread counts as active).
   */
  static final List<Behaviour> BAG = RandomDags.bag(Behaviour.RETURN, 8, Behaviour.RETURN_NULL,
      1, Behaviour.THROW_UNCHECKED, 1, Behaviour.SLEEP, 1);

  /** The executors runs use. */
  enum Exec {
    VIRTUAL, PLATFORM_POOL, CALLER_RUNS;

    Executor executor() {
      return switch (this) {
        case VIRTUAL -> Executors.virtual();
        case PLATFORM_POOL -> Executors.platformPool();
        case CALLER_RUNS -> Executors.callerRuns();
      };
    }
  }

  /** What sends keys besides the run going quiet. */
  enum Timer {
    /** A {@link FakeScheduler} that nobody advances: only the run going quiet sends keys. */
    QUIET_ONLY,
    /** The system scheduler and the default maxDelay of 1 ms: the timer may send keys too. */
    MAX_DELAY
  }

  /**
   * Everything about a case besides its graph.
   */
  record Setting(LoadWorld world, Exec exec, Timer timer) {
    /**
     * {@return whether the run must make exactly the reference's rounds, each with exactly the
     * keys of the reference's round} Only when nothing but quiescence sends keys, tasks run
     * concurrently without a bound (virtual threads), and there is one loader without a batch
     * limit. Not on the caller's thread: its tasks run one after another, so a load waits for a
     * round of its own where the reference would batch it with a later task's (more rounds). Not
     * with a timer: it may send keys before the run goes quiet (more rounds). Not with several
     * loaders, or several calls per round (maxBatchSize): a call that answers first lets its
     * tasks ask for keys of a round that is still out, and the run goes quiet again while it is
     * (more rounds than Haxl, which waits for all of a round's calls). Not on a bounded pool:
     * a task queued behind its threads is counted only from its start, so the run may go quiet
     * before it asks (more rounds, never a hang).
     */
    boolean exact() {
      return exec == Exec.VIRTUAL && timer == Timer.QUIET_ONLY && world.loaders() == 1
          && world.maxBatchSize() == 0;
    }

    RunOptions options() {
      var o = RunOptions.defaults().withExecutor(exec.executor())
          .withFailureMode(FailureMode.CONTINUE);
      return timer == Timer.QUIET_ONLY ? o.withScheduler(new FakeScheduler()) : o;
    }

    @Override
    public String toString() {
      return exec + ", " + timer + (exact() ? " (exact rounds)" : "") + ", " + world;
    }
  }

  // figures over all cases, printed after each property
  private static final AtomicLong LOADS = new AtomicLong();
  private static final AtomicLong FAILED_LOADS = new AtomicLong();
  private static final AtomicLong CALLS = new AtomicLong();
  private static final AtomicLong FAILED_CALLS = new AtomicLong();
  private static final AtomicLong ROUNDS = new AtomicLong();
  private static final AtomicLong MAX_ROUNDS = new AtomicLong();
  private static final AtomicLong SAVED = new AtomicLong();
  private static final AtomicLong EXACT = new AtomicLong();
  private static final AtomicLong ELEMENT_LOADS = new AtomicLong();
  private static final AtomicLong INNER_LOADS = new AtomicLong();
  // loaders of runs without exact rounds that made more than the reference's, by why they may
  private static final Map<String, AtomicLong> MORE_ROUNDS =
      new java.util.concurrent.ConcurrentSkipListMap<>();

  /**
   * Quiescence alone sends keys, one loader, virtual threads: the rounds are exactly the
   * reference's, each with exactly its keys, and so which keys a poison key's call fails; every
   * body ends as in the reference, every load gets what the reference gives it.
   */
  @Test
  void quietRuns_makeExactlyTheReferencesRounds_andEveryLoadGetsItsKeysValueOrFailure() {
    run("quietRuns_makeExactlyTheReferencesRounds_andEveryLoadGetsItsKeysValueOrFailure",
        seed -> trial(seed, new Random(seed), 30, null, 1, true, false, false, Exec.VIRTUAL,
            Timer.QUIET_ONLY));
  }

  /**
   * On every executor, quiet-only or with the maxDelay timer, with up to three loaders and
   * sometimes a batch limit: no run hangs, no key is fetched twice, every value is the
   * reference's (no poison: which keys share a call is timing here), and each loader's rounds
   * are at least its data depth and at most its keys.
   */
  @Test
  void onEveryExecutor_noRunHangs_noKeyIsFetchedTwice_andEveryValueIsTheReferences() {
    run("onEveryExecutor_noRunHangs_noKeyIsFetchedTwice_andEveryValueIsTheReferences",
        seed -> {
          var rnd = new Random(seed);
          var exec = Exec.values()[rnd.nextInt(3)];
          var timer = rnd.nextInt(3) == 0 ? Timer.MAX_DELAY : Timer.QUIET_ONLY;
          return trial(seed, rnd, 30, null, 1 + rnd.nextInt(3), false, true, false, exec,
              timer);
        });
  }

  /**
   * Chained loads: long programs whose keys are almost all computed from earlier values, in
   * chains, diamonds and layers of tasks, so that keys depend on values loaded in the same task
   * and in the tasks upstream, round after round. No run hangs, on any executor; with one
   * loader and quiescence alone, the rounds are the reference's.
   */
  @Test
  void chainedLoads_insideOneTaskAndAcrossTasks_neverHang() {
    var shapes = new Shape[] {Shape.CHAIN, Shape.DIAMONDS, Shape.LAYERED, Shape.FAN_IN};
    run("chainedLoads_insideOneTaskAndAcrossTasks_neverHang", seed -> {
      var rnd = new Random(seed);
      var exec = Exec.values()[rnd.nextInt(3)];
      int loaders = rnd.nextInt(3) == 0 ? 2 : 1;
      // poison only where the rounds are exact: elsewhere it would leave no value to check
      boolean poison = exec == Exec.VIRTUAL && loaders == 1;
      return trial(seed, rnd, 16, shapes[rnd.nextInt(shapes.length)], loaders, poison, false,
          true, exec, Timer.QUIET_ONLY);
    });
  }

  // ---- regressions: bugs the harness found (fixed), as deterministic reproductions ----

  /**
   * Was a hang: a run on a bounded pool whose threads all wait on a loader never went quiet while more
   * of its tasks wait in the pool's queue: those count as active from the moment they are handed
   * to the executor (Run.submit), though they cannot run, let alone ask for a key, until a
   * waiting one is answered. So only the maxDelay timer sends the keys: never, with a long
   * maxDelay or a scheduler that does not fire on its own. Here: 2 threads, 3 tasks each loading
   * one key. Fixed: an executor that may queue is counted from each task's start.
   */
  @Test
  void aBoundedPoolWhoseThreadsAllWaitOnKeys_goesQuiet() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2,
        Thread.ofPlatform().name("bug-pool-", 0).daemon(true).factory());
    try {
      var loader = BatchLoader.of("keys", (List<Integer> keys) -> {
        var m = new HashMap<Integer, String>();
        keys.forEach(k -> m.put(k, "v" + k));
        return m;
      });
      var g = Graph.builder("pool");
      var nodes = new ArrayList<Node<String>>();
      for (int i = 0; i < 3; i++) {
        int key = i;
        nodes.add(g.task("t" + i, () -> loader.load(key)));
      }
      var future = g.build().runAsync(Inputs.empty(), o -> RunOptions.defaults()
          .withExecutor(pool).withScheduler(new FakeScheduler()));
      RunResult result;
      try {
        result = future.get(2, TimeUnit.SECONDS);
      } catch (TimeoutException hang) {
        future.cancel(true);
        throw new AssertionError("3 loading tasks on a 2-thread pool, quiescence only: the run"
            + " never went quiet (the third task, queued, counts as active), so its keys were"
            + " never sent", hang);
      }
      for (int i = 0; i < 3; i++) {
        org.junit.jupiter.api.Assertions.assertEquals("v" + i, result.get(nodes.get(i)));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Was a hang: on a synchronous executor (the caller's thread), a subgraph node whose inner
   * task loads hung when only quiescence sends keys. The node's thread is counted by its own loop; the
   * inner run's begin() counts the same thread again ("this thread, while it starts the run"),
   * and with a synchronous executor the inner tasks are handed back to that loop and run inside
   * begin(), under both counts. The load's wait uncounts the thread once: the count stays at 1,
   * the run never goes quiet, and the key is never sent (with the default maxDelay, each round
   * waits for the timer instead).
   */
  @Test
  void onTheCallersThread_aSubgraphWhoseTaskLoads_goesQuiet() throws Exception {
    var loader = keysLoader();
    var ig = Graph.builder("inner");
    var x = ig.task("x", () -> loader.load(1));
    var g = Graph.builder("outer");
    Node<String> sub = g.node("sub").subgraph(Subgraph.of(ig.build(), x));
    var result = runOnTheCallersThread(g.build(), "a subgraph node whose one inner task loads");
    org.junit.jupiter.api.Assertions.assertEquals("v1", result.get(sub));
  }

  /**
   * Was a hang: on a synchronous executor, a fan-out of two or more elements that load hung when only
   * quiescence sends keys. Elements.run counts a second lane (run.enter(1)) and hands it to the
   * executor, which runs it, and with it every element, on the node's own thread, inside
   * execute(): that thread is then counted twice, and an element's load uncounts it once. (One
   * element, or maxConcurrency(1), makes one lane: no hang.)
   */
  @Test
  void onTheCallersThread_aFanOutWhoseElementsLoad_goesQuiet() throws Exception {
    var loader = keysLoader();
    var g = Graph.builder("fan");
    var list = g.task("list", () -> List.of(1, 2));
    Node<List<String>> each = g.forEach("each", list, loader::load);
    var result = runOnTheCallersThread(g.build(), "a fan-out of two elements that load");
    org.junit.jupiter.api.Assertions.assertEquals(List.of("v1", "v2"), result.get(each));
  }

  private static BatchLoader<Integer, String> keysLoader() {
    return BatchLoader.of("keys", (List<Integer> keys) -> {
      var m = new HashMap<Integer, String>();
      keys.forEach(k -> m.put(k, "v" + k));
      return m;
    });
  }

  /**
   * Runs {@code graph} on the caller's-thread executor with a scheduler that never fires, from
   * a thread of its own, for at most 2 s. {@return its result} Fails if it hangs.
   */
  private static RunResult runOnTheCallersThread(Graph graph, String what) throws Exception {
    var done = new CompletableFuture<RunResult>();
    var runner = Thread.ofPlatform().daemon().name("bug-caller").start(() -> {
      try {
        graph.runAsync(Inputs.empty(), o -> RunOptions.defaults()
            .withExecutor(Executors.callerRuns()).withScheduler(new FakeScheduler()))
            .whenComplete((r, t) -> {
              if (t != null) {
                done.completeExceptionally(t);
              } else {
                done.complete(r);
              }
            });
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      return done.get(2, TimeUnit.SECONDS);
    } catch (TimeoutException hang) {
      runner.interrupt(); // its load's wait ends with a CancellationException
      runner.join(java.time.Duration.ofSeconds(5));
      throw new AssertionError(what + ", on the caller's thread, quiescence only: the run never"
          + " went quiet, so the key was never sent", hang);
    }
  }

  /**
   * Was wrong: a call of a loader without policies (no timeout, retry, breaker or bulkhead) was
   * recorded with 0 attempts in {@link RunResult#batches()} (and so in BatchEnded and the JFR
   * event), though it ran once: Batch documents "how many attempts it made (more than 1 with the
   * loader's retry policy)". BatchCall.attempts() is Attempts.count(0), which counts only what a
   * guarded table records.
   */
  @Test
  void aCallOfALoaderWithoutPolicies_recordsOneAttempt() {
    var loader = BatchLoader.of("keys", (List<Integer> keys) -> {
      var m = new HashMap<Integer, String>();
      keys.forEach(k -> m.put(k, "v" + k));
      return m;
    });
    var g = Graph.builder("attempts");
    g.task("t", () -> loader.load(1));
    var result = g.build().run(Inputs.empty(), o -> RunOptions.defaults()
        .withScheduler(new FakeScheduler()));
    var batch = result.batches().getFirst();
    org.junit.jupiter.api.Assertions.assertEquals(Outcome.Status.SUCCEEDED, batch.status());
    org.junit.jupiter.api.Assertions.assertEquals(1, batch.attempts(),
        "a call that ran once made one attempt: " + batch);
  }

  // ---- generation ----

  private static Trial<Setting> trial(long seed, Random rnd, int maxTasks, Shape shape,
      int loaders, boolean poison, boolean batchLimit, boolean chainy, Exec exec, Timer timer) {
    var gen = new RandomDags(rnd, rnd.nextInt(10) == 0 ? 3 * maxTasks : maxTasks, BAG);
    var dag = shape == null ? gen.next() : gen.next(shape);
    dag = RandomDags.withDataShapes(dag, rnd, DATA_SHAPES, BAG);
    var world = LoadWorld.random(rnd, loaders, poison, batchLimit, chainy);
    return new Trial<>(seed, dag, new Setting(world, exec, timer));
  }

  private static void run(String name, java.util.function.Function<Long, Trial<Setting>> gen) {
    Cases.forAll(CLASS + name, CASES, gen, LoaderPropertiesTest::check);
    System.out.println("[weft properties]   loads so far: " + LOADS + " loads (" + ELEMENT_LOADS
        + " in elements, " + INNER_LOADS + " in subgraphs, " + FAILED_LOADS + " failed), "
        + CALLS + " calls (" + FAILED_CALLS + " failed whole), " + SAVED
        + " keys answered without a fetch, " + ROUNDS + " rounds (at most " + MAX_ROUNDS
        + " in a run), " + EXACT + " runs with exact rounds; loaders with more rounds than the"
        + " reference's: " + MORE_ROUNDS);
  }

  // ---- checking ----

  /** Runs {@code dag} once under {@code s} and checks it. {@return the violations, or null} */
  static String check(Dag dag, Setting s) throws Exception {
    var w = new LoadingDag(dag, s.world(), "loads");
    var ref = LoadReference.run(dag, s.world());
    var rec = w.newRecord();
    var run = runBounded(w, rec, s.options());
    if (run.hang() != null) {
      return run.hang();
    }
    var r = run.result();
    var out = new ArrayList<String>(rec.violations());
    out.addAll(completed(w, rec));
    var calls = rec.calls();
    out.addAll(noKeyFetchedTwice(calls));
    out.addAll(everyLoadGotWhatItsCallGave(w, rec, calls));
    out.addAll(figures(w, rec, r, calls));
    // values hold whatever the rounds unless a call failed whole; with poison only exact runs
    boolean valuesHold = s.world().poisonMod() == 0 || s.exact();
    if (valuesHold) {
      out.addAll(matchesReference(w, rec, r, ref));
    }
    out.addAll(rounds(w, r, ref, s));
    count(w, rec, r, calls, s);
    return out.isEmpty() ? null : String.join("\n    ", out.subList(0, Math.min(12,
        out.size())));
  }

  private record Ran(RunResult result, String hang) {}

  /**
   * Starts the run on a thread of its own (with the caller's executor, the run happens inside
   * {@code runAsync}) and waits for it at most {@link #BOUND_SECONDS}; a run still going then is
   * a hang, reported with the loads waiting and the calls made, and cancelled.
   */
  private static Ran runBounded(LoadingDag w, LoadingDag.Record rec, RunOptions options)
      throws InterruptedException {
    var done = new CompletableFuture<RunResult>();
    var future = new AtomicReference<CompletableFuture<RunResult>>();
    var starter = Thread.ofPlatform().daemon().name("loader-case").start(() -> {
      try {
        var f = w.runAsync(options);
        future.set(f);
        f.whenComplete((result, failure) -> {
          if (failure != null) {
            done.completeExceptionally(failure);
          } else {
            done.complete(result);
          }
        });
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      return new Ran(done.get(BOUND_SECONDS, TimeUnit.SECONDS), null);
    } catch (TimeoutException e) {
      var waiting = new TreeMap<String, Object>();
      rec.waiting().forEach((key, load) -> waiting.put(w.layout().spec(key).name(), load));
      var hang = "HANG: the run did not complete within " + BOUND_SECONDS + " s; loads waiting: "
          + waiting + "; calls made: " + rec.calls();
      var f = future.get();
      if (f != null) {
        f.cancel(true);
      }
      starter.interrupt();
      starter.join(java.time.Duration.ofSeconds(5));
      return new Ran(null, hang);
    } catch (java.util.concurrent.ExecutionException e) {
      return new Ran(null, "the run's future failed: " + SafeText.of(e.getCause()));
    }
  }

  /** Once the run completed, no load waits, and every body that started ended, once. */
  private static List<String> completed(LoadingDag w, LoadingDag.Record rec) {
    var out = new ArrayList<String>();
    if (!rec.waiting().isEmpty()) {
      out.add("loads still waiting after the run completed: " + rec.waiting());
    }
    for (int k = 0; k < w.layout().size(); k++) {
      if (rec.bodyCalls(k) > 1) {
        out.add(w.layout().spec(k).name() + " ran " + rec.bodyCalls(k) + " times");
      }
      if (rec.bodyCalls(k) > 0 && !rec.ended(k)) {
        out.add(w.layout().spec(k).name() + " started and never ended");
      }
    }
    return out;
  }

  /** No key of a loader is in two of its calls: each key is fetched at most once per run. */
  private static List<String> noKeyFetchedTwice(List<LoadingDag.Call> calls) {
    var out = new ArrayList<String>();
    var where = new HashMap<List<Object>, Integer>();
    for (var c : calls) {
      var inCall = new HashSet<Long>();
      for (var k : c.keys()) {
        if (!inCall.add(k)) {
          out.add("call " + c.number() + " of " + LoadWorld.loaderName(c.loader())
              + " holds key " + k + " twice: " + c.keys());
        }
        var before = where.put(List.of(c.loader(), k), c.number());
        if (before != null) {
          out.add("key " + k + " of " + LoadWorld.loaderName(c.loader()) + " fetched twice: by"
              + " calls " + before + " and " + c.number());
        }
      }
    }
    return out;
  }

  /**
   * Every load got exactly what the one call that fetched its keys gave: the value; a
   * LoadException naming the loader and the first key without a value (the others'
   * suppressed), caused by the call's own failure if the call failed, by nothing if the key was
   * left out.
   */
  private static List<String> everyLoadGotWhatItsCallGave(LoadingDag w, LoadingDag.Record rec,
      List<LoadingDag.Call> calls) {
    var out = new ArrayList<String>();
    var world = w.world();
    var callOf = new HashMap<List<Object>, LoadingDag.Call>();
    for (var c : calls) {
      for (var k : c.keys()) {
        callOf.putIfAbsent(List.of(c.loader(), k), c);
      }
    }
    for (var seen : rec.seen()) {
      var load = seen.load();
      int l = load.loader();
      var name = w.layout().spec(seen.body()).name() + "'s " + (load.many() ? "loadMany"
          : "load") + " of " + load.keys() + " from " + LoadWorld.loaderName(l);
      var failing = new ArrayList<Long>();
      var values = new ArrayList<Long>();
      boolean fetched = true;
      for (var k : load.distinct()) {
        var c = callOf.get(List.of(l, k));
        if (c == null) {
          out.add(name + ": no call fetched key " + k);
          fetched = false;
          continue;
        }
        if (c.failure() != null || world.fate(l, k) == LoadWorld.Fate.MISSING) {
          failing.add(k);
        }
        values.add(world.value(l, k));
      }
      if (!fetched) {
        continue;
      }
      var e = seen.failure();
      if (failing.isEmpty()) {
        if (e != null) {
          out.add(name + " failed: " + SafeText.of(e));
        } else if (!load.many() && !Objects.equals(values.getFirst(), seen.got())) {
          out.add(name + " got " + seen.got() + ", the call gave " + values.getFirst());
        } else if (load.many()) {
          var expected = new ArrayList<Map.Entry<Long, Long>>();
          for (int i = 0; i < values.size(); i++) {
            expected.add(new java.util.AbstractMap.SimpleImmutableEntry<>(
                load.distinct().get(i), values.get(i)));
          }
          if (!expected.equals(seen.got())) {
            out.add(name + " got " + seen.got() + ", the calls gave " + expected);
          }
        }
        continue;
      }
      if (e == null) {
        out.add(name + " got " + seen.got() + ", yet key " + failing.getFirst()
            + " got no value");
        continue;
      }
      var problems = new ArrayList<String>();
      var all = new ArrayList<Throwable>();
      all.add(e);
      if (load.many()) {
        all.addAll(List.of(e.getSuppressed()));
      }
      if (all.size() != failing.size()) {
        problems.add((all.size() - 1) + " suppressed failures for " + failing.size()
            + " failing keys " + failing);
      }
      for (int i = 0; i < Math.min(all.size(), failing.size()); i++) {
        long k = failing.get(i);
        if (!(all.get(i) instanceof LoadException x)) {
          problems.add("suppressed " + SafeText.of(all.get(i)) + " for key " + k);
          continue;
        }
        var c = callOf.get(List.of(l, k));
        if (!Objects.equals(x.key(), k) || !x.loader().equals(LoadWorld.loaderName(l))) {
          problems.add(SafeText.of(x) + " names loader '" + x.loader() + "' and key " + x.key()
              + ", not " + LoadWorld.loaderName(l) + " and " + k);
        }
        if (c.failure() != null ? x.getCause() != c.failure() : x.getCause() != null) {
          problems.add("the failure for key " + k + " is caused by " + SafeText.of(x.getCause())
              + ", its call " + c.number() + " failed with " + SafeText.of(c.failure()));
        }
      }
      if (!problems.isEmpty()) {
        out.add(name + " failed with " + SafeText.of(e) + ": " + String.join("; ", problems));
      }
    }
    return out;
  }

  /**
   * The loaders' figures and batch records agree with the calls the batch functions saw and the
   * loads the tasks made: one batch per call (its keys, its status, its failure), no call above
   * maxBatchSize, a round's calls all full but the last, keysRequested the loads' distinct keys,
   * keysFetched the calls', duplicatesSaved the difference, rounds the highest round.
   */
  private static List<String> figures(LoadingDag w, LoadingDag.Record rec, RunResult r,
      List<LoadingDag.Call> calls) {
    var out = new ArrayList<String>();
    var world = w.world();
    var stats = new HashMap<String, LoaderStats>();
    for (var st : r.loaders()) {
      if (stats.put(st.loader(), st) != null) {
        out.add("two figures for loader " + st.loader() + ": " + r.loaders());
      }
    }
    var batchesByKey = new HashMap<List<Object>, Batch>();
    for (var b : r.batches()) {
      for (var k : b.keys()) {
        batchesByKey.put(List.of(b.loader(), k), b);
      }
    }
    if (r.batches().size() != calls.size()) {
      out.add(r.batches().size() + " batches recorded for " + calls.size() + " calls: "
          + r.batches());
    }
    for (int l = 0; l < world.loaders(); l++) {
      var name = LoadWorld.loaderName(l);
      long requested = 0;
      for (var seen : rec.seen()) {
        if (seen.load().loader() == l) {
          requested += seen.load().distinct().size();
        }
      }
      int loader = l;
      var mine = calls.stream().filter(c -> c.loader() == loader).toList();
      long fetched = mine.stream().mapToLong(c -> c.keys().size()).sum();
      var st = stats.get(name);
      if (requested == 0) {
        if (st != null && st.keysRequested() > 0 || !mine.isEmpty()) {
          out.add(name + " was never used, yet " + st + ", calls " + mine);
        }
        continue;
      }
      if (st == null) {
        out.add("no figures for " + name + ", which was asked for " + requested + " keys");
        continue;
      }
      int maxRound = 0;
      var perRound = new TreeMap<Integer, List<Batch>>();
      for (var b : r.batches()) {
        if (b.loader().equals(name)) {
          maxRound = Math.max(maxRound, b.round());
          perRound.computeIfAbsent(b.round(), x -> new ArrayList<>()).add(b);
        }
      }
      var expected = new LoaderStats(name, maxRound, mine.size(), requested, fetched,
          requested - fetched);
      if (!expected.equals(st)) {
        out.add(name + "'s figures are " + st + "; its loads and calls make " + expected);
      }
      if (perRound.size() != maxRound) {
        out.add(name + " has batches in rounds " + perRound.keySet() + " of " + maxRound);
      }
      int limit = world.maxBatchSize() > 0 ? world.maxBatchSize() : Integer.MAX_VALUE;
      for (var round : perRound.entrySet()) {
        var sizes = round.getValue().stream().map(b -> b.keys().size()).toList();
        long full = sizes.stream().filter(n -> n == limit).count();
        if (sizes.stream().anyMatch(n -> n > limit || n == 0) || full < sizes.size() - 1) {
          out.add(name + "'s round " + round.getKey() + " was split into calls of " + sizes
              + " keys, with maxBatchSize " + (world.maxBatchSize() > 0 ? limit : "unlimited"));
        }
      }
      for (var c : mine) {
        var b = batchesByKey.get(List.of(name, c.keys().getFirst()));
        if (b == null || !new HashSet<>(b.keys()).equals(new HashSet<>(c.keys()))) {
          out.add("call " + c.number() + " of " + name + " with keys " + c.keys()
              + " is recorded as " + b);
          continue;
        }
        var status = c.failure() == null ? Outcome.Status.SUCCEEDED : Outcome.Status.FAILED;
        if (b.status() != status || b.failure() != c.failure() || b.waiters().isEmpty()
            || b.attempts() != 1) {
          out.add("call " + c.number() + " of " + name + " ended " + status + " with "
              + SafeText.of(c.failure()) + ", recorded as " + b);
        }
      }
    }
    return out;
  }

  /**
   * Every body ran and ended as in the reference (and no other ran), made the reference's loads
   * in the reference's order with its answers, and every node of the graph ended as there.
   */
  private static List<String> matchesReference(LoadingDag w, LoadingDag.Record rec, RunResult r,
      LoadReference.Result ref) {
    var out = new ArrayList<String>();
    var layout = w.layout();
    var seenBy = new HashMap<Integer, List<LoadingDag.Seen>>();
    for (var seen : rec.seen()) {
      seenBy.computeIfAbsent(seen.body(), k -> new ArrayList<>()).add(seen);
    }
    for (int k = 0; k < layout.size(); k++) {
      var name = layout.spec(k).name();
      var e = ref.bodies().get(k);
      if (e == null) {
        if (rec.bodyCalls(k) > 0) {
          out.add(name + " ran; in the reference it does not");
        }
        continue;
      }
      if (rec.bodyCalls(k) == 0) {
        out.add(name + " never ran; the reference: " + e);
        continue;
      }
      var end = rec.end(k);
      if (e.kind() == Kind.SUCCEEDED) {
        if (end instanceof LoadingDag.Threw t) {
          out.add(name + " threw " + SafeText.of(t.error()) + "; the reference returns "
              + e.value());
        } else if (!LoadReference.same(e.value(), end)) {
          out.add(name + " returned " + end + "; the reference: " + e.value());
        }
      } else if (!(end instanceof LoadingDag.Threw t)
          || !ReferenceExecutor.matches(e.error(), t.error())) {
        out.add(name + " ended " + (end instanceof LoadingDag.Threw t ? "throwing "
            + SafeText.of(t.error()) : "returning " + end) + "; the reference fails with "
            + e.error());
      }
      var expected = ref.loads().getOrDefault(k, List.of());
      var actual = seenBy.getOrDefault(k, List.of());
      for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
        var x = i < expected.size() ? expected.get(i) : null;
        var a = i < actual.size() ? actual.get(i) : null;
        if (x == null || a == null || !x.load().equals(a.load())) {
          out.add(name + "'s load " + (i + 1) + " was " + (a == null ? "never made"
              : a.load()) + "; the reference's: " + (x == null ? "none" : x.load()));
          break;
        }
        var failure = a.failure();
        if (x.failedKey() == null ? failure != null
            : failure == null || !Objects.equals(failure.key(), x.failedKey())
                || (failure.getCause() != null) != x.callFailed()) {
          out.add(name + "'s load " + (i + 1) + " of " + x.load().keys() + " got "
              + (failure == null ? a.got() : SafeText.of(failure)) + "; the reference: "
              + (x.failedKey() == null ? x.values() : "key " + x.failedKey() + " fails"
                  + (x.callFailed() ? " with its call" : ", missing")));
        }
      }
    }
    // the keys asked for, and so fetched, are the reference's whatever the rounds
    var stats = new HashMap<String, LoaderStats>();
    r.loaders().forEach(st -> stats.put(st.loader(), st));
    for (int l = 0; l < w.world().loaders(); l++) {
      var name = LoadWorld.loaderName(l);
      var st = stats.get(name);
      long requested = st == null ? 0 : st.keysRequested();
      var fetched = new HashSet<Object>();
      for (var c : rec.calls()) {
        if (c.loader() == l) {
          fetched.addAll(c.keys());
        }
      }
      if (requested != ref.requested()[l] || !fetched.equals(new HashSet<Object>(
          ref.fetched(l)))) {
        out.add(name + " was asked for " + requested + " keys and fetched " + fetched
            + "; the reference asks for " + ref.requested()[l] + " and fetches " + ref.fetched(l));
      }
    }
    var dag = w.dag();
    for (int v = 0; v < dag.size(); v++) {
      if (dag.isInput(v)) {
        continue;
      }
      var e = ref.nodes().get(v);
      var o = r.outcome(w.node(v));
      if (!agrees(e, o)) {
        out.add("node " + dag.spec(v).name() + " ended " + SafeText.of(o) + "; the reference: "
            + e.kind() + (e.kind() == Kind.SUCCEEDED ? " " + e.value()
            : e.kind() == Kind.FAILED ? " " + e.error() : ""));
      }
    }
    return out;
  }

  private static boolean agrees(Expected e, Outcome<?> o) {
    return switch (e.kind()) {
      case SUCCEEDED -> o instanceof Outcome.Succeeded<?> s && LoadReference.same(e.value(),
          s.value());
      case FAILED -> o instanceof Outcome.Failed<?> f && ReferenceExecutor.matches(e.error(),
          f.error());
      // which of a skip and an omission comes first is a race; their values are the same
      case SKIPPED, OMITTED -> o instanceof Outcome.Skipped || o instanceof Outcome.Omitted;
      case NEVER -> false;
    };
  }

  /**
   * Rounds. Exact settings: the loader's rounds are the reference's, round by round with the
   * same keys. Every setting: each loader made at least as many rounds as the reference where
   * only it costs rounds (its data depth: no run can send a key before the values it is
   * computed from arrived), and at most one per key fetched.
   */
  private static List<String> rounds(LoadingDag w, RunResult r, LoadReference.Result ref,
      Setting s) {
    var out = new ArrayList<String>();
    var world = w.world();
    var stats = new HashMap<String, LoaderStats>();
    r.loaders().forEach(st -> stats.put(st.loader(), st));
    for (int l = 0; l < world.loaders(); l++) {
      var name = LoadWorld.loaderName(l);
      var st = stats.get(name);
      int rounds = st == null ? 0 : st.rounds();
      if (s.exact()) {
        var expected = ref.rounds().get(l);
        var actual = new ArrayList<Set<Object>>();
        for (var b : r.batches()) {
          if (b.loader().equals(name)) {
            while (actual.size() < b.round()) {
              actual.add(new HashSet<>());
            }
            actual.get(b.round() - 1).addAll(b.keys());
          }
        }
        if (!new ArrayList<Set<?>>(expected).equals(new ArrayList<Set<?>>(actual))) {
          out.add(name + " made " + rounds + " rounds " + actual + "; the reference makes "
              + expected.size() + ": " + expected);
        }
        continue;
      }
      int depth = world.loaders() == 1 ? ref.rounds().get(l).size()
          : LoadReference.run(w.dag(), world, l).rounds().get(l).size();
      if (rounds > ref.rounds().get(l).size()) {
        var why = s.timer() == Timer.MAX_DELAY ? "timer" : s.exec() == Exec.CALLER_RUNS
            ? "caller's thread" : world.loaders() > 1 ? "several loaders" : "maxBatchSize";
        MORE_ROUNDS.computeIfAbsent(why, x -> new AtomicLong()).incrementAndGet();
      }
      if (rounds < depth) {
        out.add(name + " made " + rounds + " rounds, fewer than its data depth " + depth
            + " allows: " + r.batches());
      }
      if (st != null && rounds > st.keysFetched()) {
        out.add(name + " made " + rounds + " rounds for " + st.keysFetched() + " keys");
      }
    }
    return out;
  }

  private static void count(LoadingDag w, LoadingDag.Record rec, RunResult r,
      List<LoadingDag.Call> calls, Setting s) {
    var layout = w.layout();
    for (var seen : rec.seen()) {
      LOADS.incrementAndGet();
      FAILED_LOADS.addAndGet(seen.failure() != null ? 1 : 0);
      ELEMENT_LOADS.addAndGet(layout.owner(seen.body()) >= 0 ? 1 : 0);
      INNER_LOADS.addAndGet(seen.body() >= w.dag().size() && layout.owner(seen.body()) < 0
          ? 1 : 0);
    }
    CALLS.addAndGet(calls.size());
    FAILED_CALLS.addAndGet(calls.stream().filter(c -> c.failure() != null).count());
    int most = 0;
    for (var st : r.loaders()) {
      ROUNDS.addAndGet(st.rounds());
      SAVED.addAndGet(st.duplicatesSaved());
      most = Math.max(most, st.rounds());
    }
    MAX_ROUNDS.accumulateAndGet(most, Math::max);
    EXACT.addAndGet(s.exact() ? 1 : 0);
  }
}
