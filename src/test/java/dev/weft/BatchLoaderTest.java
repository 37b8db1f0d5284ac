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

  // a scheduler whose timers never fire unless advanced: only the run going quiet sends keys
  private static RunOptions quietOnly(Executor executor) {
    return RunOptions.defaults().withExecutor(executor).withScheduler(new FakeScheduler());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void threeLevelsOfData_makeThreeCalls_andFetchNoKeyTwice(Executor executor) {
    var down = new Downstream();
    var users = BatchLoader.<Integer, String>of("users", down::fetch);
    var g = Graph.builder("levels").options(quietOnly(executor));
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
    var g = Graph.builder("same").options(quietOnly(executor));
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
    var g = Graph.builder("missing").options(quietOnly(executor));
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
    assertEquals(1, result.loaders().get(0).batches(), "the failed key is not fetched again");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void aCallThatThrows_failsEveryLoadInIt_withTheSameCause(Executor executor) {
    var boom = new IllegalStateException("users service is down");
    var calls = new java.util.concurrent.atomic.AtomicInteger();
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      calls.incrementAndGet();
      throw boom;
    });
    var g = Graph.builder("throws").options(quietOnly(executor)
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
    assertEquals(1, calls.get());
    var batch = result.batches().get(0);
    assertEquals(Outcome.Status.FAILED, batch.status());
    assertSame(boom, batch.failure());
    assertEquals(List.of(1, 2), batch.keys().stream().sorted().toList());
  }
}
