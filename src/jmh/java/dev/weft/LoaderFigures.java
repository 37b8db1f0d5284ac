package dev.weft;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Issue 12's figures that are counts and real-clock times rather than JMH scores; not a
 * benchmark. Run from the project directory:
 *
 * <pre>{@code
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.LoaderFigures -Dexample.args="levels 200"
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.LoaderFigures -Dexample.args="levels 200 1000"
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.LoaderFigures -Dexample.args="sleeper 20"
 * }</pre>
 *
 * <ul>
 *   <li>{@code levels RUNS}: a 50-node graph making 200 keyed loads over 3 levels of data
 *       dependency, 80 of them (40%) duplicate keys, with the default {@code maxDelay} (1 ms), or
 *       the one given in ms as a third argument.
 *       Prints the first run's {@code RunResult.loaders()} and recorded calls, then over {@code
 *       RUNS} runs (after {@code RUNS} warm-up runs) how many calls each loader made per run and
 *       the keys any run fetched twice.
 *   <li>{@code sleeper RUNS}: one task blocked 50 ms in {@code Thread.sleep} (which Weft cannot
 *       see, so the run never goes quiet while it sleeps) beside ten tasks loading one key each:
 *       when the one call started, relative to the run's start ({@code
 *       RunResult.batches().get(0).started()}), and how long after the first load task started,
 *       min/median/max over {@code RUNS} runs after {@code RUNS} warm-up runs, with the number of
 *       calls per run (only the timer sends keys while the sleeper sleeps: loads asked after it
 *       fired go in a later call); beside it the same ten loads without the sleeper (the run goes
 *       quiet at once).
 *   <li>{@code timeline RUNS MAXDELAY_MS TASKS}: where the time of a depth-1 run goes ({@code
 *       LoaderBenchmark}'s {@code load} graph: {@code TASKS} tasks loading a key each): medians
 *       over {@code RUNS} runs, after as many warm-up runs, of when the first and last task
 *       started, the call started and ended, the last task ended, and the run's elapsed time.
 * </ul>
 */
public final class LoaderFigures {
  private LoaderFigures() {}

  /** A downstream that records the keys of every call. */
  static final class Recorder {
    final List<List<Object>> calls = Collections.synchronizedList(new ArrayList<>());

    <K> Map<K, String> fetch(String what, List<K> keys) {
      calls.add(List.copyOf(keys));
      var values = new HashMap<K, String>();
      for (var k : keys) {
        values.put(k, what + ":" + k);
      }
      return values;
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "levels";
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    var maxDelay = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 1);
    System.out.println("JDK " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
        + " cores");
    switch (mode) {
      case "levels" -> levels(runs, maxDelay);
      case "sleeper" -> sleeper(runs);
      case "timeline" -> timeline(runs, args.length > 3 ? Integer.parseInt(args[3]) : 1,
          maxDelay);
      default -> throw new IllegalArgumentException(
          "usage: LoaderFigures levels|sleeper|timeline RUNS [MAXDELAY_MS [TASKS]]");
    }
  }

  // ---- 50 nodes, 200 loads, 3 levels, 40% duplicates ----

  static final int USERS = 24; // level-1 tasks, one user each, keys i % 15: 15 distinct
  static final int POSTS_PER_USER = 3; // level 2: 24 tasks x 3 posts = 72 loads, 45 distinct
  static final int LEVEL3 = 104; // level 3: 104 elements, 70 distinct user keys, 10 seen at level 1
  static final int NODES = 2 * USERS + 2; // and the authors task and the fan-out

  /** The graph and its recorders. */
  record Levels(Graph graph, Recorder users, Recorder posts, Node<List<String>> last) {}

  /**
   * 50 nodes: 24 tasks loading a user each (level 1); 24 tasks each loading the 3 posts of its
   * task's user with loadMany (level 2, keys computed from the level-1 value); a task collecting
   * the 72 post values; a fan-out of 104 elements, each loading one user named in the collected
   * values (level 3). Two loaders, users (levels 1 and 3) and posts (level 2).
   */
  static Levels levelsGraph(Duration maxDelay) {
    var usersDown = new Recorder();
    var postsDown = new Recorder();
    var users = BatchLoader.<Integer, String>of("users", keys -> usersDown.fetch("user", keys))
        .maxDelay(maxDelay);
    var posts = BatchLoader.<Integer, String>of("posts", keys -> postsDown.fetch("post", keys))
        .maxDelay(maxDelay);
    var g = Graph.builder("levels");
    var level2 = new ArrayList<Dep<?>>();
    for (int i = 0; i < USERS; i++) {
      int key = i % 15;
      Node<String> user = g.task("user" + i, () -> users.load(key));
      level2.add(g.task("posts" + i, user, u -> {
        int id = Integer.parseInt(u.substring("user:".length()));
        var keys = new ArrayList<Integer>();
        for (int p = 0; p < POSTS_PER_USER; p++) {
          keys.add(id * 10 + p);
        }
        return List.copyOf(posts.loadMany(keys).values());
      }));
    }
    // Level 3's keys come from the posts' values: post:<q> was written by user q / 10. Element j
    // loads author j % 70: the first 10 are the writers of the first posts (users 0-9, fetched at
    // level 1 already), the other 60 new users numbered 1000 + j % 70.
    Node<List<Integer>> authors = g.task("authors", level2, ctx -> {
      var writers = new java.util.TreeSet<Integer>();
      for (var dep : level2) {
        @SuppressWarnings("unchecked")
        var values = (List<String>) ctx.get(dep);
        for (var v : values) {
          writers.add(Integer.parseInt(v.substring("post:".length())) / 10);
        }
      }
      var known = new ArrayList<>(writers); // users 0-14
      var keys = new ArrayList<Integer>(LEVEL3);
      for (int j = 0; j < LEVEL3; j++) {
        int m = j % 70;
        keys.add(m < 10 ? known.get(m) : 1000 + m);
      }
      return keys;
    });
    Node<List<String>> last = g.forEach("authorOf", authors, users::load);
    return new Levels(g.build(), usersDown, postsDown, last);
  }

  static void levels(int runs, Duration maxDelay) {
    var first = levelsGraph(maxDelay);
    System.out.println("graph '" + first.graph().name() + "': " + NODES + " nodes, maxDelay "
        + maxDelay.toMillis() + " ms");
    var result = first.graph().run(Inputs.empty()).throwIfFailed();
    System.out.println("first run (cold JVM), RunResult.loaders():");
    long requested = 0;
    long fetched = 0;
    long saved = 0;
    for (var s : result.loaders()) {
      System.out.println("  " + s);
      requested += s.keysRequested();
      fetched += s.keysFetched();
      saved += s.duplicatesSaved();
    }
    System.out.printf("  total: %d keys requested, %d fetched, %d duplicates saved (%.0f%%)%n",
        requested, fetched, saved, 100.0 * saved / requested);
    System.out.println("first run (cold JVM), recorded calls:");
    for (var b : result.batches()) {
      System.out.printf("  %s round %d: %d keys, started %s, took %s%n", b.loader(), b.round(),
          b.keys().size(), micros(b.started()), micros(b.duration()));
    }
    printTwice("users", first.users());
    printTwice("posts", first.posts());
    // then many runs, a fresh recorder each, after as many for warm-up
    for (int r = 0; r < runs; r++) {
      levelsGraph(maxDelay).graph().run(Inputs.empty()).throwIfFailed();
    }
    var callsPerLoader = new TreeMap<String, int[]>(); // loader -> histogram of calls per run
    int fetchedTwice = 0;
    int failed = 0;
    for (int r = 0; r < runs; r++) {
      var l = levelsGraph(maxDelay);
      var res = l.graph().run(Inputs.empty());
      if (!res.succeeded()) {
        failed++;
        continue;
      }
      fetchedTwice += twice(l.users()).size() + twice(l.posts()).size();
      for (var s : res.loaders()) {
        callsPerLoader.computeIfAbsent(s.loader(), k -> new int[10])[Math.min(9, s.batches())]++;
      }
      for (var s : res.loaders()) {
        var rec = s.loader().equals("users") ? l.users() : l.posts();
        if (rec.calls.size() != s.batches()) {
          throw new IllegalStateException("stats and recorder disagree: " + s + ", " + rec.calls);
        }
      }
    }
    System.out.println(runs + " runs after " + runs + " warm-up runs (" + failed + " failed):");
    for (var e : callsPerLoader.entrySet()) {
      var hist = new StringBuilder();
      int max = 0;
      for (int c = 0; c < e.getValue().length; c++) {
        if (e.getValue()[c] > 0) {
          hist.append(hist.isEmpty() ? "" : ", ").append(e.getValue()[c]).append(" runs with ")
              .append(c).append(c == 1 ? " call" : " calls");
          max = c;
        }
      }
      System.out.println("  " + e.getKey() + ": at most " + max + " calls per run (" + hist + ")");
    }
    System.out.println("  keys fetched twice within a run, all runs together: " + fetchedTwice);
  }

  private static List<Object> twice(Recorder r) {
    var seen = new HashSet<Object>();
    var twice = new ArrayList<Object>();
    synchronized (r.calls) {
      for (var call : r.calls) {
        for (var k : call) {
          if (!seen.add(k)) {
            twice.add(k);
          }
        }
      }
    }
    return twice;
  }

  private static void printTwice(String name, Recorder r) {
    int keys = 0;
    synchronized (r.calls) {
      for (var call : r.calls) {
        keys += call.size();
      }
    }
    System.out.println("  " + name + " downstream saw " + r.calls.size() + " calls, " + keys
        + " keys, fetched twice: " + twice(r));
  }

  // ---- one task asleep 50 ms beside ten loads ----

  static void sleeper(int runs) {
    var loader = BatchLoader.<Integer, String>of("table",
        keys -> new Recorder().fetch("v", keys));
    var with = sleeperGraph(loader, true);
    var without = sleeperGraph(loader, false);
    for (int r = 0; r < runs; r++) { // warm-up
      with.run(Inputs.empty()).throwIfFailed();
      without.run(Inputs.empty()).throwIfFailed();
    }
    var withAt = new double[runs];
    var withAfterFirst = new double[runs];
    var withLast = new double[runs];
    var withRun = new double[runs];
    var withoutAt = new double[runs];
    var withoutAfterFirst = new double[runs];
    var calls = new int[runs];
    for (int r = 0; r < runs; r++) {
      var res = with.run(Inputs.empty()).throwIfFailed();
      var batches = res.batches();
      calls[r] = batches.size();
      withAt[r] = micros(batches.get(0).started());
      withLast[r] = micros(batches.get(batches.size() - 1).started());
      var firstLoad = res.spans().stream().filter(sp -> sp.node().startsWith("load"))
          .mapToDouble(sp -> micros(sp.started())).min().orElseThrow();
      withAfterFirst[r] = withAt[r] - firstLoad;
      withRun[r] = micros(res.elapsed());
      var res2 = without.run(Inputs.empty()).throwIfFailed();
      withoutAt[r] = micros(res2.batches().get(0).started());
      withoutAfterFirst[r] = withoutAt[r] - res2.spans().stream()
          .mapToDouble(sp -> micros(sp.started())).min().orElseThrow();
    }
    System.out.println("maxDelay 1 ms (the default), " + runs + " runs after " + runs
        + " warm-up runs; times since each run's start, in µs:");
    System.out.println("  first call started, sleeper beside: " + summary(withAt));
    System.out.println("  ... after the first load asked:     " + summary(withAfterFirst));
    System.out.println("  last call started, sleeper beside:  " + summary(withLast));
    System.out.println("  run elapsed, sleeper beside:        " + summary(withRun));
    System.out.println("  first call started, no sleeper:     " + summary(withoutAt));
    System.out.println("  ... after the first load asked:     " + summary(withoutAfterFirst));
    System.out.println("  first call started, every run:      " + Arrays.toString(round(withAt)));
    System.out.println("  calls per run, sleeper beside:      " + Arrays.toString(calls));
  }

  static Graph sleeperGraph(BatchLoader<Integer, String> loader, boolean sleeper) {
    var g = Graph.builder(sleeper ? "sleeper" : "no-sleeper");
    if (sleeper) {
      g.task("sleeper", () -> {
        Thread.sleep(50);
        return "slept";
      });
    }
    for (int i = 0; i < 10; i++) {
      int key = i;
      g.task("load" + i, () -> loader.load(key));
    }
    return g.build();
  }

  // ---- where a depth-1 run's time goes ----

  static void timeline(int runs, int tasks, Duration maxDelay) {
    var loader = BatchLoader.of("table", LoaderBenchmark::lookup).maxDelay(maxDelay);
    var g = Graph.builder("timeline");
    for (int i = 0; i < tasks; i++) {
      int key = i;
      g.task("t" + i, () -> loader.load(key));
    }
    var graph = g.build();
    for (int r = 0; r < runs; r++) {
      graph.run(Inputs.empty()).throwIfFailed();
    }
    String[] names = {"first task started", "last task started", "call started", "call ended",
        "last task ended", "run elapsed"};
    var at = new double[names.length][runs];
    int timerSent = 0;
    for (int r = 0; r < runs; r++) {
      var res = graph.run(Inputs.empty()).throwIfFailed();
      var spans = res.spans();
      var batch = res.batches().get(0);
      at[0][r] = micros(spans.get(0).started());
      at[1][r] = micros(spans.get(spans.size() - 1).started());
      at[2][r] = micros(batch.started());
      at[3][r] = micros(batch.ended());
      at[4][r] = spans.stream().mapToDouble(sp -> micros(sp.ended())).max().orElseThrow();
      at[5][r] = micros(res.elapsed());
      if (res.batches().size() > 1 || batch.started().minus(spans.get(0).started())
          .compareTo(maxDelay) >= 0) {
        timerSent++;
      }
    }
    System.out.println(tasks + " tasks, maxDelay " + maxDelay.toMillis() + " ms, " + runs
        + " runs after " + runs + " warm-up runs; µs since each run's start:");
    for (int i = 0; i < names.length; i++) {
      System.out.printf("  %-20s %s%n", names[i], summary(at[i]));
    }
    System.out.println("  runs with more than one call or a call maxDelay after the first task"
        + " started: " + timerSent);
  }

  static double micros(Duration d) {
    return d.toNanos() / 1000.0;
  }

  private static long[] round(double[] values) {
    var r = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      r[i] = Math.round(values[i]);
    }
    return r;
  }

  private static String summary(double[] values) {
    var s = values.clone();
    Arrays.sort(s);
    double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return String.format("min %.0f, median %.0f, max %.0f", s[0], median, s[s.length - 1]);
  }
}
