package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * When and how often tasks run: readiness, exactly-once, real concurrency, values, and what a
 * task's return or throw becomes. Order is observed on a logical clock, never on wall time.
 */
class SchedulingTest {
  private static final String ALL = "dev.weft.testing.Executors#all";
  private static final String CONCURRENT = "dev.weft.testing.Executors#concurrent";

  @ParameterizedTest
  @MethodSource(ALL)
  void diamond_passesValuesAlongEdges_andStartsTheJoinAfterBothBranchesEnded(Executor executor) {
    var clock = new AtomicLong();
    var ticks = new AtomicLongArray(6); // b start, b end, c start, c end, d start, d end
    var g = Graph.builder("diamond");
    var x = g.input("x", Integer.class);
    var a = g.task("a", x, v -> v + 1);
    var b = g.task("b", a, v -> {
      ticks.set(0, clock.incrementAndGet());
      var s = "b" + v;
      ticks.set(1, clock.incrementAndGet());
      return s;
    });
    var c = g.task("c", a, v -> {
      ticks.set(2, clock.incrementAndGet());
      var s = "c" + v * 10;
      ticks.set(3, clock.incrementAndGet());
      return s;
    });
    var d = g.task("d", b, c, (l, r) -> {
      ticks.set(4, clock.incrementAndGet());
      var s = l + "|" + r;
      ticks.set(5, clock.incrementAndGet());
      return s;
    });
    var graph = g.build();

    var result = graph.run(Inputs.of(x, 5), o -> o.withExecutor(executor));

    assertEquals(6, result.get(a));
    assertEquals("b6", result.get(b));
    assertEquals("c60", result.get(c));
    assertEquals("b6|c60", result.get(d));
    assertTrue(ticks.get(4) > ticks.get(1), "d started before b ended: " + ticks);
    assertTrue(ticks.get(4) > ticks.get(3), "d started before c ended: " + ticks);
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void randomLayeredGraphs_startEveryTaskOnlyAfterAllItsDependenciesEnded(Executor executor) {
    for (long seed = 1; seed <= 40; seed++) {
      var layered = new LayeredGraph(seed, 8, 12);
      var trace = new Trace(layered.size());

      var result = layered.graph.run(Inputs.of(layered.trace, trace),
          o -> o.withExecutor(executor));

      for (int i = 0; i < layered.size(); i++) {
        var where = "seed " + seed + ", task t" + i;
        assertEquals(layered.expected[i], result.get(layered.nodes.get(i)), where);
        for (int dep : layered.deps.get(i)) {
          assertTrue(trace.started.get(i) > trace.ended.get(dep), where + " started at tick "
              + trace.started.get(i) + " but its dependency t" + dep + " ended at tick "
              + trace.ended.get(dep));
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void everyTask_runsExactlyOncePerRun(Executor executor) {
    var layered = new LayeredGraph(99, 12, 30);
    var options = layered.graph.options().withExecutor(executor);
    for (int run = 0; run < 20; run++) {
      var trace = new Trace(layered.size());

      var result = layered.graph.run(Inputs.of(layered.trace, trace), o -> options);

      assertTrue(result.succeeded(), result::toString);
      for (int i = 0; i < layered.size(); i++) {
        assertEquals(1, trace.calls.get(i), "run " + run + ": invocations of t" + i);
      }
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void tenThousandWideFanOut_joinsEveryBranchValue(Executor executor) {
    int width = 10_000;
    var branchesRun = new AtomicInteger();
    var g = Graph.builder("fan-out");
    var seed = g.input("seed", Long.class);
    var source = g.task("source", seed, s -> s * 2);
    var branches = new ArrayList<Node<Long>>(width);
    for (int i = 0; i < width; i++) {
      long k = i;
      branches.add(g.task("branch-" + i, source, s -> {
        branchesRun.incrementAndGet();
        return s + k;
      }));
    }
    var join = g.task("join", branches, ctx -> {
      int seenAtStart = branchesRun.get();
      long sum = 0;
      for (var branch : branches) {
        sum += ctx.get(branch);
      }
      return List.of((long) seenAtStart, sum);
    });
    var graph = g.build();

    var result = graph.run(Inputs.of(seed, 3L), o -> o.withExecutor(executor));

    long expectedSum = 6L * width + (long) width * (width - 1) / 2;
    assertEquals(List.of((long) width, expectedSum), result.get(join),
        "[branches ended when the join started, sum of branch values]");
    assertEquals(width, branchesRun.get());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void hundredThousandLongChain_buildsAndRuns(Executor executor) throws Exception {
    int length = 100_000;
    var g = Graph.builder("chain");
    var start = g.input("start", Long.class);
    var last = g.task("link-0", start, v -> v + 1);
    for (int i = 1; i < length; i++) {
      last = g.task("link-" + i, last, v -> v + 1);
    }
    var graph = g.build();

    var result = graph.runAsync(Inputs.of(start, 7L), o -> o.withExecutor(executor))
        .get(30, SECONDS);

    assertEquals(7L + length, result.get(last));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void manyConcurrentRunsOfOneGraph_eachComputeFromTheirOwnInput(Executor executor)
      throws Exception {
    var g = Graph.builder("shared");
    var x = g.input("x", Long.class);
    var doubled = g.task("doubled", x, v -> v * 2);
    var squared = g.task("squared", x, v -> v * v);
    var label = g.task("label", x, v -> "run-" + v);
    var combined = g.task("combined", doubled, squared, label, (d, s, l) -> l + ":" + (d + s));
    var graph = g.build();
    var options = graph.options().withExecutor(executor);
    int callers = 32;
    int runsEach = 50;
    var go = new CountDownLatch(1);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
    try {
      var futures = new ArrayList<Future<Integer>>();
      for (int c = 0; c < callers; c++) {
        long base = c * 1_000L;
        futures.add(pool.submit(() -> {
          assertTrue(go.await(10, SECONDS), "start signal never came");
          int checked = 0;
          for (int r = 0; r < runsEach; r++) {
            long v = base + r;
            var result = graph.run(Inputs.of(x, v), o -> options);
            assertEquals("run-" + v + ":" + (2 * v + v * v), result.get(combined));
            checked++;
          }
          return checked;
        }));
      }
      go.countDown();
      for (var future : futures) {
        assertEquals(runsEach, future.get(20, SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @MethodSource(CONCURRENT)
  void independentTasks_runAtTheSameTime(Executor executor) throws Exception {
    // The platform pool has 4 threads, so 4 tasks are the most that can be running at once.
    assertAllRunAtOnce(4, RunOptions.defaults().withExecutor(executor));
  }

  @Test
  void defaultExecutor_runsAThousandBlockingTasksAtTheSameTime() throws Exception {
    assertAllRunAtOnce(1_000, RunOptions.defaults());
  }

  /** Each task counts down a shared latch, then waits for it: only all running at once opens it. */
  private static void assertAllRunAtOnce(int k, RunOptions options) throws Exception {
    var allStarted = new CountDownLatch(k);
    var g = Graph.builder("overlap");
    var waiters = new ArrayList<Node<Boolean>>();
    for (int i = 0; i < k; i++) {
      waiters.add(g.task("waiter-" + i, () -> {
        allStarted.countDown();
        return allStarted.await(10, SECONDS);
      }));
    }
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> options).get(30, SECONDS);

    for (var waiter : waiters) {
      assertTrue(result.get(waiter), waiter.name() + " waited 10s for the other " + (k - 1)
          + " tasks to start; they did not all run at the same time");
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void runAsync_completesTheFutureWithTheResult(Executor executor) throws Exception {
    var g = Graph.builder("async");
    var x = g.input("x", Long.class);
    var y = g.task("y", x, v -> v + 1);
    var graph = g.build();

    var future = graph.runAsync(Inputs.of(x, 41L), o -> o.withExecutor(executor));

    var result = future.get(10, SECONDS);
    assertEquals(42L, result.get(y));
    assertEquals("async", result.graph());
  }

  @ParameterizedTest
  @MethodSource(CONCURRENT)
  void runAsync_returnsBeforeTheTasksEnd(Executor executor) throws Exception {
    var release = new CountDownLatch(1);
    var g = Graph.builder("async-gate");
    var gate = g.task("gate", () -> release.await(10, SECONDS));
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor));

    assertFalse(future.isDone(), "the future completed while its task was still blocked");
    release.countDown();
    assertTrue(future.get(10, SECONDS).get(gate), "the task was not released by the test");
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void taskReturningNull_succeedsWithNull(Executor executor) {
    var g = Graph.builder("nulls");
    Node<String> nothing = g.task("nothing", () -> null);
    var seen = g.task("seen", nothing, v -> v == null ? "got null" : "got " + v);
    var maybe = g.task("maybe", nothing.optional(), o -> o);
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));

    assertEquals(new Outcome.Succeeded<>("nothing", null), result.outcome(nothing));
    assertNull(result.get(nothing));
    assertEquals("got null", result.get(seen));
    assertEquals(Optional.empty(), result.get(maybe));
    assertTrue(result.succeeded(), result::toString);
  }

  static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message);
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void checkedExceptions_failTheirNodeWithThatExactException(Executor executor) {
    var io = new IOException("disk on fire");
    var timeout = new TimeoutException("upstream too slow");
    var custom = new Unavailable("service down");
    var g = Graph.builder("checked");
    var x = g.input("x", Integer.class);
    Node<String> noDeps = g.task("no-deps", () -> {
      throw io;
    });
    Node<String> oneDep = g.task("one-dep", x, v -> {
      throw timeout;
    });
    Node<String> anyDeps = g.task("any-deps", List.of(x), ctx -> {
      throw custom;
    });
    var graph = g.build();

    var result = graph.run(Inputs.of(x, 1), o -> o.withExecutor(executor));

    assertSame(io, assertInstanceOf(Outcome.Failed.class, result.outcome(noDeps)).error());
    assertSame(timeout, assertInstanceOf(Outcome.Failed.class, result.outcome(oneDep)).error());
    assertSame(custom, assertInstanceOf(Outcome.Failed.class, result.outcome(anyDeps)).error());
    assertEquals("one-dep", result.outcome(oneDep).node());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void errors_failTheirNode_andTheRunStillCompletes(Executor executor) throws Exception {
    var assertion = new AssertionError("broken invariant");
    var oom = new OutOfMemoryError("pretend the heap is full");
    var g = Graph.builder("errors");
    Node<String> asserting = g.task("asserting", () -> {
      throw assertion;
    });
    var overflowing = g.task("overflowing", () -> recurse(0));
    Node<String> exhausted = g.task("exhausted", () -> {
      throw oom;
    });
    var fine = g.task("fine", () -> "ok");
    var after = g.task("after", asserting.optional(), overflowing.optional(),
        exhausted.optional(), fine, (a, o, e, f) -> a.isEmpty() && o.isEmpty() && e.isEmpty()
            ? "all three empty, " + f : "unexpected");
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor))
        .get(10, SECONDS);

    assertSame(assertion,
        assertInstanceOf(Outcome.Failed.class, result.outcome(asserting)).error());
    assertInstanceOf(StackOverflowError.class,
        assertInstanceOf(Outcome.Failed.class, result.outcome(overflowing)).error());
    assertSame(oom, assertInstanceOf(Outcome.Failed.class, result.outcome(exhausted)).error());
    assertEquals("ok", result.get(fine));
    assertEquals("all three empty, ok", result.get(after));
  }

  private static int recurse(int depth) {
    return recurse(depth + 1) + 1;
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void spans_oneEachTask_readyBeforeStartedBeforeEnded_dependentsReadyAfterDepsEnded(
      Executor executor) {
    for (long seed = 1; seed <= 20; seed++) {
      var layered = new LayeredGraph(seed, 8, 12);

      var result = layered.graph.run(Inputs.of(layered.trace, new Trace(layered.size())),
          o -> o.withExecutor(executor));

      var spans = result.spans();
      var byName = new HashMap<String, Span>();
      for (var span : spans) {
        assertSame(span, byName.computeIfAbsent(span.node(), n -> span),
            "seed " + seed + ": two spans for " + span.node());
        assertOrdered(span, "seed " + seed);
      }
      assertEquals(layered.size(), spans.size(), "seed " + seed + ": one span per task");
      for (int i = 0; i < layered.size(); i++) {
        var span = byName.get("t" + i);
        assertInstanceOf(Outcome.Succeeded.class, span.outcome());
        for (int dep : layered.deps.get(i)) {
          assertReadyAfter(span, byName.get("t" + dep), "seed " + seed);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void spans_aWideJoinBecomesReadyOnlyAfterItsLastDependencyEnded(Executor executor) {
    int width = 64;
    var g = Graph.builder("wide-join");
    var source = g.task("source", () -> 1L);
    var branches = new ArrayList<Node<Long>>();
    for (int i = 0; i < width; i++) {
      long k = i;
      branches.add(g.task("branch-" + i, source, s -> s + k));
    }
    var join = g.task("join", branches, ctx -> {
      long sum = 0;
      for (var branch : branches) {
        sum += ctx.get(branch);
      }
      return sum;
    });
    var graph = g.build();
    var options = graph.options().withExecutor(executor);
    for (int run = 0; run < 5_000; run++) {
      var result = graph.run(Inputs.empty(), o -> options);

      assertEquals(width + (long) width * (width - 1) / 2, result.get(join));
      Map<String, Span> byName = new HashMap<>();
      for (var span : result.spans()) {
        byName.put(span.node(), span);
        assertOrdered(span, "run " + run);
      }
      assertEquals(width + 2, byName.size());
      for (var branch : branches) {
        assertReadyAfter(byName.get("join"), byName.get(branch.name()), "run " + run);
      }
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void spans_theDependentOfANodeTheExecutorRefusedBecomesReadyOnlyAfterTheRefusal(
      Executor executor) throws Exception {
    var calls = new AtomicInteger();
    Executor refusesSecond = task -> {
      if (calls.incrementAndGet() == 2) {
        throw new RejectedExecutionException("second task refused");
      }
      executor.execute(task);
    };
    var g = Graph.builder("refused-span");
    var root = g.task("root", () -> 1);
    var a = g.task("a", root, v -> v + 1);
    var b = g.task("b", root, v -> v + 2);
    g.task("after-a", a.optional(), o -> o.orElse(-1));
    g.task("after-b", b.optional(), o -> o.orElse(-1));
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> o.withExecutor(refusesSecond))
        .get(10, SECONDS);

    assertEquals(1, result.failures().size(), () -> "one of a, b is refused: " + result);
    var byName = new HashMap<String, Span>();
    for (var span : result.spans()) {
      byName.put(span.node(), span);
      assertOrdered(span, executor.toString());
    }
    assertReadyAfter(byName.get("a"), byName.get("root"), executor.toString());
    assertReadyAfter(byName.get("b"), byName.get("root"), executor.toString());
    assertReadyAfter(byName.get("after-a"), byName.get("a"), executor.toString());
    assertReadyAfter(byName.get("after-b"), byName.get("b"), executor.toString());
  }

  private static void assertOrdered(Span span, String where) {
    assertTrue(span.ready().compareTo(span.started()) <= 0,
        () -> where + ": " + span.node() + " started before it was ready: " + span);
    assertTrue(span.started().compareTo(span.ended()) <= 0,
        () -> where + ": " + span.node() + " ended before it started: " + span);
    assertFalse(span.ready().isNegative(), () -> where + ": negative ready time: " + span);
  }

  private static void assertReadyAfter(Span dependent, Span dependency, String where) {
    assertTrue(dependent.ready().compareTo(dependency.ended()) >= 0,
        () -> where + ": " + dependent.node() + " was ready at " + nanos(dependent.ready())
            + "ns, before its dependency " + dependency.node() + " ended at "
            + nanos(dependency.ended()) + "ns");
  }

  private static long nanos(Duration d) {
    return d.toNanos();
  }

  /** A per-run record of each task's invocations and its start and end on a logical clock. */
  static final class Trace {
    final AtomicLong clock = new AtomicLong();
    final AtomicLongArray started;
    final AtomicLongArray ended;
    final AtomicIntegerArray calls;

    Trace(int tasks) {
      started = new AtomicLongArray(tasks);
      ended = new AtomicLongArray(tasks);
      calls = new AtomicIntegerArray(tasks);
    }

    void start(int task) {
      calls.incrementAndGet(task);
      started.set(task, clock.incrementAndGet());
    }

    void end(int task) {
      ended.set(task, clock.incrementAndGet());
    }
  }

  /**
   * A seeded random layered DAG. Each task {@code t<i>} reads 0 to 3 tasks of earlier layers (any
   * distance back) and returns 1 + their sum, recording itself in the run's {@link Trace} input.
   */
  static final class LayeredGraph {
    final Graph graph;
    final Input<Trace> trace;
    final List<Node<Long>> nodes = new ArrayList<>();
    final List<int[]> deps = new ArrayList<>();
    final long[] expected;

    LayeredGraph(long seed, int layers, int maxWidth) {
      var random = new Random(seed);
      var g = Graph.builder("layered-" + seed);
      var in = g.input("trace", Trace.class);
      var values = new ArrayList<Long>();
      for (int layer = 0; layer < layers; layer++) {
        int earlier = nodes.size();
        int width = 1 + random.nextInt(maxWidth);
        for (int w = 0; w < width; w++) {
          int index = nodes.size();
          int fanIn = Math.min(earlier, random.nextInt(4));
          var ups = random.ints(0, Math.max(earlier, 1)).distinct().limit(fanIn).toArray();
          var upNodes = new ArrayList<Node<Long>>();
          var declared = new ArrayList<Dep<?>>(List.of(in));
          long value = 1;
          for (int up : ups) {
            upNodes.add(nodes.get(up));
            value += values.get(up);
          }
          declared.addAll(upNodes);
          nodes.add(g.task("t" + index, declared, ctx -> {
            var t = ctx.get(in);
            t.start(index);
            long sum = 1;
            for (var up : upNodes) {
              sum += ctx.get(up);
            }
            Thread.yield();
            t.end(index);
            return sum;
          }));
          deps.add(ups);
          values.add(value);
        }
      }
      trace = in;
      graph = g.build();
      expected = values.stream().mapToLong(Long::longValue).toArray();
    }

    int size() {
      return nodes.size();
    }
  }
}
