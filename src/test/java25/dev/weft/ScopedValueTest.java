package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RunOptions#withScopedValue}, on Java 25: the caller's value of each registered key is
 * bound around every task attempt of the run, whatever its form, and nowhere else.
 */
class ScopedValueTest {
  private static final ScopedValue<String> REQUEST_ID = ScopedValue.newInstance();
  private static final ScopedValue<String> TENANT = ScopedValue.newInstance();
  private static final String UNBOUND = "<unbound>";

  /** One platform thread, so that consecutive tasks are sure to share it. */
  private ExecutorService single;

  @BeforeEach
  void startSingleThread() {
    single = java.util.concurrent.Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("single").daemon(true).factory());
  }

  @AfterEach
  void stopSingleThread() {
    single.shutdownNow();
  }

  private static String seen() {
    return REQUEST_ID.orElse(UNBOUND);
  }

  private static void note(Map<String, List<String>> seen, String form) {
    seen.computeIfAbsent(form, k -> new CopyOnWriteArrayList<>()).add(seen());
  }

  /** A graph with every form of task, and the list its fan-outs go over. */
  private record Forms(Graph graph, Input<List<Integer>> items) {
    RunResult run() {
      return graph.run(Inputs.of(items, List.of(1, 2, 3)));
    }
  }

  /** Every form of task, each noting what it sees: typed, list-form, inline, element, etc. */
  private static Forms everyForm(Map<String, List<String>> seen, RunOptions options) {
    var inner = Graph.builder("inner");
    Node<String> innerTask = inner.task("inner-task", () -> {
      note(seen, "subgraph inner task");
      return "inner";
    });
    var innerGraph = inner.build(); // registers nothing: the outer run's keys are inherited

    var g = Graph.builder("every-form");
    Input<List<Integer>> items = g.input("items");
    Node<String> typed = g.task("typed", () -> {
      note(seen, "typed task");
      return "t";
    });
    g.task("list-form", List.of(typed), ctx -> {
      note(seen, "list-form task");
      return ctx.get(typed);
    });
    g.node("inline").inline().call(typed, t -> {
      note(seen, "inline task");
      return t;
    });
    g.forEach("fan-out", items, i -> {
      note(seen, "fan-out element");
      return i;
    });
    g.node("guarded-fan-out").retry(RetryPolicy.fixed(2, Duration.ZERO)).forEach(items, i -> {
      note(seen, "guarded fan-out element");
      return i;
    });
    g.subgraph("sub", Subgraph.of(innerGraph, innerTask));
    var perItem = Graph.builder("per-item");
    Input<Integer> item = perItem.input("item", Integer.class);
    Node<Integer> itemTask = perItem.task("item-task", item, i -> {
      note(seen, "subgraph element task");
      return i;
    });
    g.node("subgraph-fan-out").forEach(items, item, Subgraph.of(perItem.build(), itemTask));
    // one key per call, two keys: two calls, one made on a task's thread, one maybe on its own
    var loader = BatchLoader.of("things", (List<String> keys) -> {
      note(seen, "batch call");
      return Map.of(keys.get(0), keys.get(0));
    }).maxBatchSize(1);
    g.task("loads-a", () -> loader.load("a"));
    g.task("loads-b", () -> loader.load("b"));
    var attempts = new AtomicInteger();
    g.node("retried").retry(RetryPolicy.fixed(3, Duration.ZERO)).call(() -> {
      note(seen, "retried attempt");
      if (attempts.incrementAndGet() < 3) {
        throw new IllegalStateException("attempt " + attempts.get() + " fails");
      }
      return "r";
    });
    // a hedged node whose first call fails at once: its hedge goes at once, on a thread of its own
    g.node("hedged").hedge(HedgePolicy.after(Duration.ofHours(1))).call(() -> {
      note(seen, "hedged attempt");
      if (TaskContext.current().hedge() == 0) {
        throw new IllegalStateException("the first call fails");
      }
      return "h";
    });
    g.node("fallen-back").<String>fallbackWith(e -> {
      note(seen, "fallback");
      return "f";
    }).call(() -> {
      throw new IllegalStateException("fails");
    });
    return new Forms(g.options(options).build(), items);
  }

  private static Map<String, List<String>> expected(String value) {
    var one = List.of(value);
    var three = List.of(value, value, value);
    return Map.ofEntries(Map.entry("typed task", one), Map.entry("list-form task", one),
        Map.entry("inline task", one), Map.entry("fan-out element", three),
        Map.entry("guarded fan-out element", three), Map.entry("subgraph inner task", one),
        Map.entry("subgraph element task", three), Map.entry("batch call", List.of(value, value)),
        Map.entry("retried attempt", three), Map.entry("hedged attempt", List.of(value, value)),
        Map.entry("fallback", one));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void callersValue_isBoundInEveryFormOfTask(Executor executor) throws Exception {
    var seen = new ConcurrentHashMap<String, List<String>>();
    var forms = everyForm(seen,
        RunOptions.defaults().withExecutor(executor).withScopedValue(REQUEST_ID));

    var result = ScopedValue.where(REQUEST_ID, "req-1").call(forms::run);

    assertTrue(result.succeeded(), result.toString());
    assertEquals(expected("req-1"), seen);
    assertFalse(REQUEST_ID.isBound(), "the caller's scope ended with its call");
  }

  @Test
  void withoutRegistration_tasksOnOtherThreadsDoNotSeeTheCallersValue() throws Exception {
    var seen = new ConcurrentHashMap<String, List<String>>();
    var forms = everyForm(seen, RunOptions.defaults());

    ScopedValue.where(REQUEST_ID, "req-1").call(forms::run);

    var inline = seen.remove("inline task"); // may run on the caller's thread, in its scope
    assertEquals(expected(UNBOUND).keySet().size() - 1, seen.size(), seen.toString());
    seen.forEach((form, values) -> assertEquals(Collections.nCopies(values.size(), UNBOUND),
        values, "the control for the test above: " + form + " on another thread"));
    assertEquals(1, inline.size());
  }

  @Test
  void betweenTasksAndAfterTheRun_theTaskThreadHasNoBinding() throws Exception {
    var duringTasks = new CopyOnWriteArrayList<String>();
    var aroundTasks = new CopyOnWriteArrayList<String>();
    var handed = new AtomicInteger();
    var afterEachTask = new CopyOnWriteArrayList<String>();
    Executor noting = task -> {
      handed.incrementAndGet();
      single.execute(() -> {
        try {
          task.run();
        } finally {
          afterEachTask.add(seen());
        }
      });
    };
    RunListener listener = event -> {
      if (event instanceof RunEvent.NodeStarted || event instanceof RunEvent.NodeEnded) {
        aroundTasks.add(seen()); // delivered on the task's thread, outside its body
      }
    };
    var g = Graph.builder("chain");
    Node<String> a = g.task("a", () -> duringTasks.add(seen()) ? "a" : "");
    Node<String> b = g.task("b", a, x -> duringTasks.add(seen()) ? "b" : "");
    g.task("c", b, x -> duringTasks.add(seen()) ? "c" : "");
    var graph = g.options(RunOptions.defaults().withExecutor(noting).withListener(listener)
        .withScopedValue(REQUEST_ID)).build();

    ScopedValue.where(REQUEST_ID, "req-1").call(() -> graph.run(Inputs.empty()));

    assertEquals(List.of("req-1", "req-1", "req-1"), duringTasks);
    assertEquals(Collections.nCopies(aroundTasks.size(), UNBOUND), aroundTasks);
    long until = System.nanoTime() + SECONDS.toNanos(10);
    while (afterEachTask.size() < handed.get()) {
      assertTrue(System.nanoTime() < until, "tasks handed to the executor did not end in 10 s");
      Thread.onSpinWait();
    }
    assertEquals(Collections.nCopies(afterEachTask.size(), UNBOUND), afterEachTask);
    assertEquals(UNBOUND, single.submit(ScopedValueTest::seen).get(10, SECONDS),
        "the next piece of work on that thread sees no binding");
  }

  @Test
  void asyncRun_keepsTheValueCapturedAtItsStart_afterTheCallerLeftItsScope() throws Exception {
    var release = new CountDownLatch(1);
    var g = Graph.builder("async");
    Node<String> a = g.task("a", () -> {
      assertTrue(release.await(10, SECONDS), "not released in 10 s");
      return seen();
    });
    Node<String> b = g.task("b", a, x -> x + "/" + seen());
    var graph = g.options(RunOptions.defaults().withScopedValue(REQUEST_ID)).build();

    CompletableFuture<RunResult> future = ScopedValue.where(REQUEST_ID, "req-async")
        .call(() -> graph.runAsync(Inputs.empty()));
    release.countDown();

    assertEquals("req-async/req-async", future.get(10, SECONDS).get(b));
  }

  @Test
  void onlyRegisteredKeysAreCarried_andOneUnboundOnTheCallerStaysUnbound() throws Exception {
    var g = Graph.builder("keys");
    Node<String> task = g.task("task",
        () -> REQUEST_ID.orElse(UNBOUND) + " " + TENANT.orElse(UNBOUND));
    var graph = g.options(RunOptions.defaults().withScopedValue(TENANT)).build();
    var bothBound = ScopedValue.where(REQUEST_ID, "req-1").where(TENANT, "acme");

    assertEquals(UNBOUND + " acme", bothBound.call(() -> graph.run(Inputs.empty()).get(task)),
        "a key the run does not own is not carried");
    assertEquals("req-1 acme", bothBound.call(() -> graph.run(Inputs.empty(),
        o -> o.withScopedValue(REQUEST_ID)).get(task)), "a run's own key, on top of the graph's");
    assertEquals(UNBOUND + " " + UNBOUND, graph.run(Inputs.empty(),
        o -> o.withScopedValue(REQUEST_ID)).get(task), "keys unbound on the caller");
  }

  @Test
  void concurrentRuns_eachSeeTheirOwnCallersValue() throws Exception {
    var g = Graph.builder("concurrent");
    Input<List<Integer>> items = g.input("items");
    Node<String> first = g.task("first", () -> seen());
    Node<List<String>> each = g.forEach("each", items, i -> seen());
    g.task("last", first, each, (f, e) -> f + e);
    var graph = g.options(RunOptions.defaults().withScopedValue(REQUEST_ID)).build();
    var futures = new ArrayList<CompletableFuture<RunResult>>();
    for (int r = 0; r < 100; r++) {
      var id = "req-" + r;
      futures.add(ScopedValue.where(REQUEST_ID, id)
          .call(() -> graph.runAsync(Inputs.of(items, List.of(1, 2, 3)))));
    }
    for (int r = 0; r < 100; r++) {
      var id = "req-" + r;
      var result = futures.get(r).get(10, SECONDS);
      assertEquals(id, result.get(first));
      assertEquals(List.of(id, id, id), result.get(each));
    }
  }

  @Test
  void aCallSharedAcrossRuns_isNoOneRequests_andSeesNoBinding() throws Exception {
    var inCall = new CopyOnWriteArrayList<String>();
    var shared = BatchLoader.of("shared", (List<String> keys) -> {
      inCall.add(seen());
      return Map.of(keys.get(0), keys.get(0));
    }).sharedAcrossRuns();
    var g = Graph.builder("shared");
    Node<String> task = g.task("task", () -> shared.load("k") + " " + seen());
    var graph = g.options(RunOptions.defaults().withScopedValue(REQUEST_ID)).build();

    var result = ScopedValue.where(REQUEST_ID, "req-1").call(() -> graph.run(Inputs.empty()));

    assertEquals("k req-1", result.get(task), "the task itself sees its request's value");
    assertEquals(List.of(UNBOUND), inCall, "a shared call may serve other requests' runs");
  }

  @Test
  void registration_refusesWhatIsNotAScopedValue_andAKeyTwice() {
    var options = RunOptions.defaults().withScopedValue(REQUEST_ID);
    assertEquals(List.of(REQUEST_ID), options.scopedValues());
    var notOne = assertThrows(IllegalArgumentException.class,
        () -> options.withScopedValue(ThreadLocal.withInitial(() -> "x")));
    assertTrue(notOne.getMessage().contains("takes a java.lang.ScopedValue"), notOne.getMessage());
    var twice = assertThrows(IllegalArgumentException.class,
        () -> options.withScopedValue(REQUEST_ID));
    assertTrue(twice.getMessage().contains("already registered"), twice.getMessage());
    assertThrows(NullPointerException.class, () -> options.withScopedValue(null));
    assertEquals(List.of(), RunOptions.defaults().scopedValues());
  }
}
