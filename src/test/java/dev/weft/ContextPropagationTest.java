package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Executors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ContextPropagator}: the caller's thread-bound context is captured once when a run starts,
 * made current around every task on the task's thread, and put back as it was afterwards.
 */
class ContextPropagationTest {
  private static final ThreadLocal<String> REQUEST_ID = new ThreadLocal<>();
  private static final String ABSENT = "<absent>";

  /** One platform thread, so that consecutive tasks are sure to share it. */
  private ExecutorService single;
  /** Runs tasks on {@link #single}, noting its REQUEST_ID after each. */
  private Noting checkedSingle;

  @BeforeEach
  void startSingleThread() {
    single = java.util.concurrent.Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("single").daemon(true).factory());
    checkedSingle = new Noting(single);
  }

  @AfterEach
  void stopSingleThread() {
    single.shutdownNow();
    REQUEST_ID.remove();
  }

  /**
   * An executor that notes REQUEST_ID on the task's thread after each task it runs. The run's
   * future completes inside the last task, before that task's note: read the notes with {@link
   * #settled}.
   */
  private static final class Noting implements Executor {
    private final Executor inner;
    private final AtomicInteger handed = new AtomicInteger();
    private final List<String> after = Collections.synchronizedList(new ArrayList<>());

    Noting(Executor inner) {
      this.inner = inner;
    }

    @Override
    public void execute(Runnable task) {
      handed.incrementAndGet();
      inner.execute(() -> {
        try {
          task.run();
        } finally {
          after.add(current());
        }
      });
    }

    /** {@return the notes, in order, once every task handed over has been noted} */
    List<String> settled() throws InterruptedException {
      long until = System.nanoTime() + SECONDS.toNanos(10);
      while (after.size() < handed.get()) {
        assertTrue(System.nanoTime() < until, "tasks handed to the executor did not end in 10 s");
        Thread.sleep(1);
      }
      return List.copyOf(after);
    }
  }

  private static String current() {
    return Optional.ofNullable(REQUEST_ID.get()).orElse(ABSENT);
  }

  private void onSingleThread(Runnable action) throws Exception {
    single.submit(action).get(10, SECONDS);
  }

  /** A diamond of four tasks, each noting the REQUEST_ID it sees. */
  private static Graph diamond(Map<String, String> seen, RunOptions options) {
    var g = Graph.builder("diamond");
    Node<String> a = g.task("a", () -> note(seen, "a"));
    Node<String> b = g.task("b", a, x -> note(seen, "b"));
    Node<String> c = g.task("c", a, x -> note(seen, "c"));
    g.task("d", b, c, (x, y) -> note(seen, "d"));
    return g.options(options).build();
  }

  private static String note(Map<String, String> seen, String node) {
    seen.put(node, current());
    return node;
  }

  private static RunOptions propagating(Executor executor) {
    return RunOptions.defaults().withExecutor(executor)
        .withPropagator(ContextPropagator.threadLocal(REQUEST_ID));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void callersThreadLocal_isCurrentInEveryTask(Executor executor) {
    var seen = new ConcurrentHashMap<String, String>();
    var graph = diamond(seen, propagating(executor));
    REQUEST_ID.set("req-1");

    var result = graph.run(Inputs.empty());

    assertTrue(result.succeeded(), result.toString());
    assertEquals(Map.of("a", "req-1", "b", "req-1", "c", "req-1", "d", "req-1"), seen);
    assertEquals("req-1", REQUEST_ID.get(), "the caller's own value is left as it was");
  }

  @Test
  void withoutAPropagator_tasksOnOtherThreadsDoNotSeeTheCallersValue() {
    var seen = new ConcurrentHashMap<String, String>();
    var graph = diamond(seen, RunOptions.defaults().withExecutor(Executors.virtual()));
    REQUEST_ID.set("req-1");

    graph.run(Inputs.empty());

    assertEquals(Map.of("a", ABSENT, "b", ABSENT, "c", ABSENT, "d", ABSENT), seen,
        "the control for the test above: virtual threads do not inherit it by themselves");
  }

  @Test
  void afterEachTask_aPoolThreadWithoutAValue_hasNoneAgain() throws Exception {
    var seen = new ConcurrentHashMap<String, String>();
    var graph = diamond(seen, propagating(checkedSingle));
    REQUEST_ID.set("req-1");

    graph.run(Inputs.empty());

    assertEquals(Map.of("a", "req-1", "b", "req-1", "c", "req-1", "d", "req-1"), seen);
    var afterEachTask = checkedSingle.settled();
    assertFalse(afterEachTask.isEmpty(), "the single thread should have run the tasks");
    assertEquals(Collections.nCopies(afterEachTask.size(), ABSENT), afterEachTask,
        "the request id must not stay on the pool thread after a task");
    var later = new AtomicReference<String>();
    onSingleThread(() -> later.set(current()));
    assertEquals(ABSENT, later.get(), "the next piece of work on that thread sees no request id");
  }

  @Test
  void afterEachTask_aPoolThreadWithItsOwnValue_hasItBack() throws Exception {
    onSingleThread(() -> REQUEST_ID.set("pool-own"));
    var seen = new ConcurrentHashMap<String, String>();
    var graph = diamond(seen, propagating(checkedSingle));
    REQUEST_ID.set("req-1");

    graph.run(Inputs.empty());

    assertEquals(Map.of("a", "req-1", "b", "req-1", "c", "req-1", "d", "req-1"), seen);
    var afterEachTask = checkedSingle.settled();
    assertEquals(Collections.nCopies(afterEachTask.size(), "pool-own"), afterEachTask);
  }

  @Test
  void callerWithoutAValue_runsTasksWithoutOne_evenOnAThreadThatHadOne() throws Exception {
    onSingleThread(() -> REQUEST_ID.set("pool-own"));
    var graph1 = diamond(new ConcurrentHashMap<>(), propagating(checkedSingle));
    REQUEST_ID.set("req-1");
    graph1.run(Inputs.empty());
    var seen = new ConcurrentHashMap<String, String>();
    var graph2 = diamond(seen, propagating(checkedSingle));
    REQUEST_ID.remove();

    graph2.run(Inputs.empty());

    assertEquals(Map.of("a", ABSENT, "b", ABSENT, "c", ABSENT, "d", ABSENT), seen,
        "neither the earlier run's value nor the thread's own may show");
    var afterEachTask = checkedSingle.settled();
    assertEquals(Collections.nCopies(afterEachTask.size(), "pool-own"), afterEachTask);
  }

  /** A propagator that logs what it does, tagged with its name. */
  private static ContextPropagator logging(String name, List<String> log) {
    return new ContextPropagator() {
      @Override
      public Object capture() {
        log.add("capture " + name);
        return name;
      }

      @Override
      public Scope restore(Object captured) {
        log.add("restore " + captured);
        return () -> log.add("close " + captured);
      }
    };
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void severalPropagators_restoreInOrder_andCloseInReverse_aroundTheTask(Executor executor) {
    var log = Collections.synchronizedList(new ArrayList<String>());
    var g = Graph.builder("ordered");
    g.task("task", () -> log.add("task"));
    var graph = g.options(RunOptions.defaults().withExecutor(executor)
        .withPropagator(logging("A", log)).withPropagator(logging("B", log))
        .withPropagator(logging("C", log))).build();

    var result = graph.run(Inputs.empty());

    assertTrue(result.succeeded(), result.toString());
    assertEquals(List.of("capture A", "capture B", "capture C"), log.subList(0, 3));
    assertEquals(List.of("restore A", "restore B", "restore C", "task", "close C", "close B",
        "close A"), log.subList(3, log.size()));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void restoreThatThrows_failsThatTaskWithTheException_andOtherTasksRun(Executor executor)
      throws Exception {
    var refused = new IllegalStateException("context store unavailable");
    var first = new AtomicInteger();
    var noting = new Noting(executor);
    var ran = ConcurrentHashMap.<String>newKeySet();
    var failOnce = new ContextPropagator() {
      @Override
      public Object capture() {
        return null;
      }

      @Override
      public Scope restore(Object captured) {
        if (first.getAndIncrement() == 0) {
          throw refused;
        }
        return () -> {};
      }
    };
    var g = Graph.builder("refused-context");
    Node<String> a = g.task("a", () -> ran("a", ran));
    Node<String> b = g.task("b", () -> ran("b", ran));
    g.task("c", a.optional(), b.optional(), (x, y) -> ran("c", ran));
    var graph = g.options(RunOptions.defaults()
        .withExecutor(noting)
        .withPropagator(ContextPropagator.threadLocal(REQUEST_ID))
        .withPropagator(failOnce)).build();
    REQUEST_ID.set("req-1");

    var result = graph.run(Inputs.empty());

    var failures = result.failures();
    assertEquals(1, failures.size(), () -> "exactly the first task fails: " + failures);
    var failed = failures.get(0);
    assertSame(refused, failed.error(), "the task fails with what restore threw");
    assertFalse(ran.contains(failed.node()), "a task whose context failed must not run");
    assertEquals(2, ran.size(), "the others run: " + ran);
    assertTrue(ran.contains("c"));
    assertEquals(List.of(), result.listenerFailures());
    if (!executor.toString().equals("caller-runs")) {
      var leftOver = noting.settled();
      assertEquals(Collections.nCopies(leftOver.size(), ABSENT), leftOver,
          "the propagator restored before the failing one is undone");
    }
    assertEquals("req-1", REQUEST_ID.get());
  }

  private static String ran(String node, Set<String> ran) {
    ran.add(node);
    return node;
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void scopeCloseThatThrows_keepsTheTasksOutcome_andIsReportedInListenerFailures(
      Executor executor) throws Exception {
    var thrown = Collections.synchronizedList(new ArrayList<Throwable>());
    var badClose = new ContextPropagator() {
      @Override
      public Object capture() {
        return "x";
      }

      @Override
      public Scope restore(Object captured) {
        return () -> {
          var e = new IllegalStateException("cannot close");
          thrown.add(e);
          throw e;
        };
      }
    };
    var boom = new IOException("boom");
    var noting = new Noting(executor);
    var g = Graph.builder("bad-close");
    Node<String> ok = g.task("ok", () -> "fine");
    Node<String> failing = g.task("failing", () -> {
      throw boom;
    });
    Node<String> next = g.task("next", ok, s -> s + " again");
    var graph = g.options(RunOptions.defaults()
        .withExecutor(noting)
        .withPropagator(ContextPropagator.threadLocal(REQUEST_ID))
        .withPropagator(badClose)).build();
    REQUEST_ID.set("req-1");

    var result = graph.run(Inputs.empty());

    assertEquals("fine", result.get(ok));
    assertEquals("fine again", result.get(next));
    assertEquals(new Outcome.Failed<>("failing", boom), result.outcome(failing));
    assertEquals(3, thrown.size(), "one close per task");
    var reported = Collections.<Throwable>newSetFromMap(new IdentityHashMap<>());
    reported.addAll(result.listenerFailures());
    assertEquals(3, result.listenerFailures().size(), () -> "" + result.listenerFailures());
    assertTrue(reported.containsAll(thrown), "every close failure is reported");
    if (!executor.toString().equals("caller-runs")) {
      var leftOver = noting.settled();
      assertEquals(Collections.nCopies(leftOver.size(), ABSENT), leftOver,
          "scopes after the one that threw are still closed");
    }
    assertEquals("req-1", REQUEST_ID.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void context_isCapturedOncePerRun_onTheCallersThread(Executor executor) {
    var captures = Collections.synchronizedList(new ArrayList<Thread>());
    var restores = new AtomicInteger();
    var counting = new ContextPropagator() {
      @Override
      public Object capture() {
        captures.add(Thread.currentThread());
        return REQUEST_ID.get();
      }

      @Override
      public Scope restore(Object captured) {
        restores.incrementAndGet();
        return () -> {};
      }
    };
    var graph = diamond(new ConcurrentHashMap<>(), RunOptions.defaults().withExecutor(executor)
        .withPropagator(counting));

    graph.run(Inputs.empty());
    graph.run(Inputs.empty());

    assertEquals(List.of(Thread.currentThread(), Thread.currentThread()), captures,
        "one capture per run, on the caller's thread");
    assertEquals(8, restores.get(), "one restore per task");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void callerChangingItsValueAfterRunAsync_doesNotAffectTheRunsTasks(Executor executor)
      throws Exception {
    var gate = new CountDownLatch(1);
    var seen = new ConcurrentHashMap<String, String>();
    var g = Graph.builder("captured-at-start");
    Node<String> first = g.task("first", () -> {
      assertTrue(gate.await(10, SECONDS), "the caller should open the gate");
      return note(seen, "first");
    });
    g.task("second", first, x -> note(seen, "second"));
    var graph = g.options(propagating(executor)).build();
    REQUEST_ID.set("before");

    var future = graph.runAsync(Inputs.empty());
    REQUEST_ID.set("after");
    gate.countDown();
    var result = future.get(10, SECONDS);

    assertTrue(result.succeeded(), result.toString());
    assertEquals(Map.of("first", "before", "second", "before"), seen);
  }
}
