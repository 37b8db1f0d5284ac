package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link BatchLoader}: keyed loads batched per round and de-duplicated per run. */
class BatchLoaderTest {
  /** A downstream that records every call's keys. */
  static final class Downstream {
    final List<List<Object>> calls = Collections.synchronizedList(new ArrayList<>());

    <K> Map<K, String> fetch(List<K> keys) {
      calls.add(List.copyOf(keys));
      var values = new HashMap<K, String>();
      for (var k : keys) {
        values.put(k, "v" + k);
      }
      return values;
    }

    List<Object> allKeys() {
      synchronized (calls) {
        return calls.stream().flatMap(List::stream).toList();
      }
    }
  }

  /**
   * Options under which only the run going quiet sends keys: a scheduler whose timers never fire
   * unless advanced, on virtual threads. (On a bounded pool whose threads all wait on loads, the
   * tasks queued behind them keep the run from going quiet; there only maxDelay sends the keys,
   * so tests on every executor run on the real clock: see {@link #onTheRealClock}.)
   */
  private static RunOptions quietOnly() {
    return RunOptions.defaults().withExecutor(dev.weft.testing.Executors.virtual())
        .withScheduler(new FakeScheduler());
  }

  private static RunOptions onTheRealClock(Executor executor) {
    return RunOptions.defaults().withExecutor(executor);
  }

  @Test
  void threeLevelsOfData_makeThreeCalls_andFetchNoKeyTwice() {
    var down = new Downstream();
    var users = BatchLoader.<Integer, String>of("users", down::fetch);
    var g = Graph.builder("levels").options(quietOnly());
    var firsts = new ArrayList<Node<String>>();
    for (int i = 0; i < 10; i++) {
      int key = i % 6; // duplicates across tasks
      firsts.add(g.task("a" + i, () -> users.load(key)));
    }
    var seconds = new ArrayList<Node<String>>();
    for (int i = 0; i < 10; i++) {
      var up = firsts.get(i);
      seconds.add(g.task("b" + i, up, v -> users.load(100 + Integer.parseInt(v.substring(1)))));
    }
    Node<List<Integer>> ids = g.task("ids", seconds.get(0),
        v -> IntStream.range(0, 20).map(x -> 200 + x % 12).boxed().toList());
    Node<List<String>> each = g.forEach("each", ids, users::load);
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    result.throwIfFailed();
    assertEquals("v203", result.get(each).get(3));
    assertEquals(3, down.calls.size(), "one call per level of data: " + down.calls);
    var keys = down.allKeys();
    assertEquals(keys.size(), keys.stream().distinct().count(), "a key fetched twice: " + keys);
    var stats = result.loaders().get(0);
    assertEquals(new LoaderStats("users", 3, 3, 40, 6 + 6 + 12, 40 - 24), stats);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void sameKey_fromManyTasks_isFetchedOnce_andEveryLoadGetsTheSameValue(Executor executor) {
    var down = new Downstream();
    var loader = BatchLoader.of("things", (List<String> keys) -> {
      down.calls.add(List.copyOf(keys));
      var m = new HashMap<String, Object>();
      keys.forEach(k -> m.put(k, new Object()));
      return m;
    });
    var g = Graph.builder("same").options(onTheRealClock(executor));
    var nodes = new ArrayList<Node<Object>>();
    for (int i = 0; i < 8; i++) {
      nodes.add(g.task("t" + i, () -> loader.load("k")));
    }
    var result = g.build().run(Inputs.empty());

    var first = result.get(nodes.get(0));
    for (var n : nodes) {
      assertSame(first, result.get(n));
    }
    assertEquals(List.of(List.of("k")), down.calls);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void aKeyTheFunctionLeavesOut_failsOnlyItsLoads_namingLoaderAndKey(Executor executor) {
    var loader = BatchLoader.of("users", (List<Integer> keys) -> {
      var m = new HashMap<Integer, String>();
      keys.stream().filter(k -> k != 7).forEach(k -> m.put(k, "u" + k));
      return m;
    });
    var g = Graph.builder("missing").options(onTheRealClock(executor));
    Node<String> ok = g.task("ok", () -> loader.load(1));
    Node<String> bad = g.task("bad", () -> loader.load(7));
    Node<String> again = g.task("again", bad.optional(), b -> loader.load(7));
    var result = g.build().run(Inputs.empty());

    assertEquals("u1", result.get(ok));
    var failure = assertInstanceOf(LoadException.class,
        ((Outcome.Failed<?>) result.outcome(bad)).error());
    assertEquals("loader 'users' returned no value for key 7", failure.getMessage());
    assertEquals(7, failure.key());
    assertEquals("users", failure.loader());
    assertInstanceOf(LoadException.class, ((Outcome.Failed<?>) result.outcome(again)).error());
    assertEquals(2, result.loaders().get(0).keysFetched(), "the failed key is not fetched again");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void aCallThatThrows_failsEveryLoadInIt_withTheSameCause(Executor executor) {
    var boom = new IllegalStateException("users service is down");
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      down.calls.add(List.copyOf(keys));
      throw boom;
    });
    var g = Graph.builder("throws").options(onTheRealClock(executor)
        .withFailureMode(FailureMode.CONTINUE));
    Node<String> a = g.task("a", () -> loader.load(1));
    Node<String> b = g.task("b", () -> loader.load(2));
    Node<String> c = g.task("c", a.optional(), x -> loader.load(1));
    var result = g.build().run(Inputs.empty());

    for (var n : List.of(a, b, c)) {
      var error = ((Outcome.Failed<?>) result.outcome(n)).error();
      assertInstanceOf(LoadException.class, error);
      assertSame(boom, error.getCause());
    }
    assertEquals(List.of(1, 2), down.allKeys().stream().map(k -> (Integer) k).sorted().toList(),
        "each key asked for once, the failed one not again: " + down.calls);
    for (var batch : result.batches()) {
      assertEquals(Outcome.Status.FAILED, batch.status());
      assertSame(boom, batch.failure());
    }
  }

  // ---- helpers ----

  /** Waits, bounded, until {@code condition} holds; fails naming {@code what} otherwise. */
  static void until(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  /** {@return the run's result, waited for 10 s at most: a hang fails the test} */
  static <T> T within(java.util.concurrent.CompletableFuture<T> future) throws Exception {
    return future.get(10, SECONDS);
  }

  /** Waits for a latch the test opens; an interrupt is recorded and the wait goes on. */
  static boolean awaitIgnoringInterrupts(java.util.concurrent.CountDownLatch latch) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (latch.getCount() > 0 && System.nanoTime() < deadline) {
      try {
        latch.await(10, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }

  // ---- rounds ----

  @Test
  void maxBatchSize_splitsARound_intoCallsMadeAtOnce() {
    var barrier = new java.util.concurrent.CyclicBarrier(3);
    var sizes = Collections.synchronizedList(new ArrayList<Integer>());
    var loader = BatchLoader.<Integer, Integer>of("nums", keys -> {
      sizes.add(keys.size());
      barrier.await(10, SECONDS); // all three calls are in flight together, or this times out
      var m = new HashMap<Integer, Integer>();
      keys.forEach(k -> m.put(k, k * 2));
      return m;
    }).maxBatchSize(10);
    var g = Graph.builder("split").options(quietOnly());
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> doubled = g.forEach("doubled", ids, loader::load);
    var result = g.build().run(Inputs.of(ids, IntStream.range(0, 25).boxed().toList()));

    assertEquals(IntStream.range(0, 25).map(x -> 2 * x).boxed().toList(), result.get(doubled));
    assertEquals(List.of(5, 10, 10), sizes.stream().sorted().toList());
    var stats = result.loaders().get(0);
    assertEquals(1, stats.rounds());
    assertEquals(3, stats.batches());
  }

  @Test
  void chainedLoads_insideATaskAndAcrossTasks_takeOneRoundPerLevel() {
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("chain", down::fetch);
    var g = Graph.builder("chain").options(quietOnly());
    var tails = new ArrayList<Node<String>>();
    for (int t = 0; t < 4; t++) {
      int base = t * 10;
      // three levels inside one task: each key computed from the value before it
      Node<String> inside = g.task("inside" + t, () -> {
        var a = loader.load(base);
        var b = loader.load(Integer.parseInt(a.substring(1)) + 1);
        return loader.load(Integer.parseInt(b.substring(1)) + 1);
      });
      tails.add(inside);
    }
    // and a fourth level across tasks
    Node<String> across = g.task("across", tails.get(0),
        v -> loader.load(Integer.parseInt(v.substring(1)) + 100));
    var result = g.build().run(Inputs.empty());

    assertEquals("v2", result.get(tails.get(0)));
    assertEquals("v32", result.get(tails.get(3)));
    assertEquals("v102", result.get(across));
    assertEquals(4, down.calls.size(), "one call per level: " + down.calls);
    assertEquals(4, result.loaders().get(0).rounds());
  }

  @Test
  void subgraphTasks_andFanOutElements_loadInTheOuterRunsRounds() {
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("users", down::fetch);
    var inner = Graph.builder("profile");
    Input<Integer> id = inner.input("id", Integer.class);
    Node<String> name = inner.task("name", id, loader::load);
    var profile = inner.build();

    var g = Graph.builder("outer").options(quietOnly());
    Input<List<Integer>> ids = g.input("ids");
    Node<String> own = g.task("own", () -> loader.load(1));
    Node<List<String>> each = g.forEach("each", ids, loader::load);
    Node<Integer> two = g.task("two", () -> 2);
    Node<String> sub = g.subgraph("host", Subgraph.of(profile, name).bind(id, two));
    var result = g.build().run(Inputs.of(ids, List.of(1, 3, 4)));

    assertEquals("v1", result.get(own));
    assertEquals(List.of("v1", "v3", "v4"), result.get(each));
    assertEquals("v2", result.get(sub));
    assertEquals(1, down.calls.size(), "one call for the whole request: " + down.calls);
    var batch = result.batches().get(0);
    assertEquals(List.of(1, 2, 3, 4), batch.keys().stream().map(k -> (Integer) k).sorted()
        .toList());
    assertTrue(batch.waiters().containsAll(List.of("own", "each[0]", "each[2]", "host/name")),
        batch.waiters().toString());
  }

  // ---- the maxDelay backstop ----

  @Test
  void aTaskBlockedOutOfWeftsSight_delaysTheKeysOnlyUntilMaxDelay() throws Exception {
    var fake = new FakeScheduler();
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("users", down::fetch)
        .maxDelay(Duration.ofMillis(1));
    var sleeper = new java.util.concurrent.CountDownLatch(1);
    var waiting = java.util.concurrent.ConcurrentHashMap.<Thread>newKeySet();
    var g = Graph.builder("backstop").options(RunOptions.defaults()
        .withExecutor(dev.weft.testing.Executors.virtual()).withScheduler(fake));
    g.task("sleeps", () -> sleeper.await(10, SECONDS)); // a plain blocking call: not a load
    var loads = new ArrayList<Node<String>>();
    for (int i = 0; i < 10; i++) {
      int key = i;
      loads.add(g.task("load" + i, () -> {
        waiting.add(Thread.currentThread());
        return loader.load(key);
      }));
    }
    var future = g.build().runAsync(Inputs.empty());
    until(() -> waiting.size() == 10 && waiting.stream()
        .allMatch(t -> t.getState() == Thread.State.WAITING), "ten loads waiting");

    assertEquals(List.of(), down.calls, "the sleeping task keeps the run from going quiet");
    // maxDelay without progress: once, or twice if the caller's thread let go of the run after
    // the tasks began to wait (that was progress)
    long fakeMillis = 0;
    while (down.calls.isEmpty() && fakeMillis < 3) {
      fake.advance(Duration.ofMillis(1));
      fakeMillis++;
      final long now = fakeMillis;
      until(() -> !down.calls.isEmpty() || fake.pendingTimers() > 0 || now >= 3,
          "the backstop sending or waiting again");
    }
    until(() -> down.calls.size() == 1, "the call maxDelay sends");
    sleeper.countDown();
    var result = within(future);

    assertEquals(10, down.calls.get(0).size(), "all ten keys in that one call");
    assertEquals("v9", result.get(loads.get(9)));
    assertTrue(result.batches().get(0).started().compareTo(Duration.ofMillis(2)) <= 0,
        "sent within two maxDelays of the first key: " + result.batches().get(0).started());
  }

  // ---- loadMany ----

  @Test
  void loadMany_answersInTheOrderAsked_onceEach_inOneWait() throws Exception {
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("users", down::fetch);
    var g = Graph.builder("many").options(quietOnly());
    Node<Map<Integer, String>> many = g.task("many", () -> loader.loadMany(List.of(3, 1, 3, 2)));
    Node<Map<Integer, String>> none = g.task("none", () -> loader.loadMany(List.of()));
    var result = within(g.build().runAsync(Inputs.empty()));

    assertEquals(List.of(3, 1, 2), List.copyOf(result.get(many).keySet()));
    assertEquals("v2", result.get(many).get(2));
    assertEquals(Map.of(), result.get(none));
    assertEquals(List.of(List.of(3, 1, 2)), down.calls);
    assertEquals(new LoaderStats("users", 1, 1, 3, 3, 0), result.loaders().get(0));
  }

  @Test
  void loadMany_failsForTheFirstKeyWithoutAValue_theOthersAttached() throws Exception {
    var loader = BatchLoader.<Integer, String>ofList("users", keys -> keys.stream()
        .map(k -> k < 0 ? null : "u" + k).toList());
    var strict = BatchLoader.<Integer, String>of("strict", keys -> Map.of(1, "one"));
    var g = Graph.builder("many-fail").options(quietOnly());
    Node<Map<Integer, String>> nulls = g.task("nulls", () -> loader.loadMany(List.of(-1, 2)));
    Node<Map<Integer, String>> missing = g.task("missing",
        () -> strict.loadMany(List.of(1, 5, 6)));
    var result = within(g.build().runAsync(Inputs.empty()));

    assertEquals(java.util.Arrays.asList(null, "u2"), new ArrayList<>(result.get(nulls).values()),
        "a null in the list is a value");
    var error = (LoadException) ((Outcome.Failed<?>) result.outcome(missing)).error();
    assertEquals(5, error.key());
    assertEquals(1, error.getSuppressed().length);
    assertEquals(6, ((LoadException) error.getSuppressed()[0]).key());
  }

  @Test
  void aListOfTheWrongSize_failsTheCall_sayingWhy() throws Exception {
    var loader = BatchLoader.<Integer, String>ofList("users", keys -> List.of("only one"));
    var g = Graph.builder("wrong-size").options(quietOnly());
    Node<String> a = g.task("a", () -> loader.load(1));
    Node<String> b = g.task("b", () -> loader.load(2));
    var result = within(g.build().runAsync(Inputs.empty()));

    var error = ((Outcome.Failed<?>) result.outcome(a)).error();
    assertEquals("loader 'users': the batch function returned 1 values for 2 keys; a list must"
        + " hold one value per key, in their order", error.getCause().getMessage());
    assertInstanceOf(LoadException.class, ((Outcome.Failed<?>) result.outcome(b)).error());
  }

  // ---- what is reported ----

  @Test
  void everyCall_isAnEvent_beforeTheRunEnds_carryingLoaderKeysAndRound() throws Exception {
    var events = Collections.synchronizedList(new ArrayList<RunEvent>());
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("users", down::fetch);
    var g = Graph.builder("events").options(quietOnly().withListener(events::add));
    Node<String> a = g.task("a", () -> loader.load(1));
    g.task("b", a, v -> loader.load(2));
    var result = within(g.build().runAsync(Inputs.empty()));

    List<RunEvent> batches;
    synchronized (events) {
      batches = events.stream().filter(e -> e instanceof RunEvent.BatchEnded).toList();
      assertInstanceOf(RunEvent.RunEnded.class, events.getLast());
    }
    assertEquals(2, batches.size());
    var first = ((RunEvent.BatchEnded) batches.get(0)).batch();
    var second = ((RunEvent.BatchEnded) batches.get(1)).batch();
    assertEquals(List.of(1), first.keys());
    assertEquals(1, first.round());
    assertEquals(List.of(2), second.keys());
    assertEquals(2, second.round());
    assertEquals("users", second.loader());
    assertEquals(List.of("b"), second.waiters());
    assertEquals(result.batches(), List.of(first, second));
    assertEquals(result.runId(), batches.get(0).runId());
  }

  @Test
  void everyCall_isAJfrEvent_withLoaderKeysRoundAndOutcome() throws Exception {
    var down = new Downstream();
    var loader = BatchLoader.<Integer, String>of("jfr-users", down::fetch);
    try (var capture = JfrEventsTest.Capture.batches("jfr-batches", 1)) {
      var g = Graph.builder("jfr-batches").options(quietOnly());
      g.task("a", () -> loader.loadMany(List.of(1, 2, 3)));
      var result = within(g.build().runAsync(Inputs.empty()));
      capture.awaitEvents();
      assertEquals(1, capture.batches.size(), () -> "one call: " + capture.batches);
      var event = capture.batches.get(0);

      assertEquals("jfr-users", event.getString("loader"));
      assertEquals("jfr-batches", event.getString("graph"));
      assertEquals(result.runId(), event.getLong("runId"));
      assertEquals(1, event.getInt("round"));
      assertEquals(3, event.getInt("keyCount"));
      assertEquals("[1, 2, 3]", event.getString("keys"));
      assertEquals("succeeded", event.getString("outcome"));
      assertEquals(1, event.getInt("attempts"));
    }
  }

  private static final ThreadLocal<String> REQUEST = new ThreadLocal<>();

  @Test
  void theBatchFunction_seesTheRunsContext_butASharedCallSeesNone() throws Exception {
    var seen = Collections.synchronizedList(new ArrayList<String>());
    BatchLoader.BatchFunction<Integer, String> fn = keys -> {
      seen.add(String.valueOf(REQUEST.get()));
      var m = new HashMap<Integer, String>();
      keys.forEach(k -> m.put(k, "v" + k));
      return m;
    };
    var own = BatchLoader.of("own", fn).maxBatchSize(1); // two calls: one on a task's thread
    var shared = BatchLoader.of("shared", fn).sharedAcrossRuns();
    var g = Graph.builder("context").options(quietOnly()
        .withPropagator(ContextPropagator.threadLocal(REQUEST)));
    g.task("a", () -> own.loadMany(List.of(1, 2)));
    g.task("b", () -> shared.load(3));
    REQUEST.set("req-42");
    try {
      within(g.build().runAsync(Inputs.empty()));
    } finally {
      REQUEST.remove();
    }

    assertEquals(3, seen.size(), seen.toString());
    assertEquals(2, seen.stream().filter("req-42"::equals).count(), seen.toString());
    assertEquals(1, seen.stream().filter("null"::equals).count(), "the shared call: " + seen);
  }
}
