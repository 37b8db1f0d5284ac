package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Executors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every task starts on its thread as on a fresh one, whatever the task run before it on the same
 * thread left behind: a clear interrupt status (as on a {@code ThreadPoolExecutor} worker), the
 * thread's own name and context class loader. The thread that calls {@code runAsync} gets its own
 * interrupt status back.
 */
class ThreadStateTest {
  private static final ExecutorService ONE_THREAD = java.util.concurrent.Executors
      .newFixedThreadPool(1, Thread.ofPlatform().name("weft-one-thread").daemon(true).factory());

  @AfterAll
  static void shutDown() {
    ONE_THREAD.shutdownNow();
  }

  static Stream<Named<Executor>> executors() {
    // a plain Executor: JUnit closes AutoCloseable arguments (an ExecutorService) after each use
    Executor oneThread = ONE_THREAD::execute;
    return Stream.concat(Executors.all(), Stream.of(Named.of("one-thread pool", oneThread)));
  }

  /** The JDK's idiom after catching an InterruptedException: restore the flag, carry on. */
  private static int restoresTheInterrupt() {
    try {
      throw new InterruptedException("a client library's own timeout");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  @ParameterizedTest
  @MethodSource("executors")
  void interruptLeftSetByATask_doesNotFailTheNextTaskOnTheSameThread(Executor executor) {
    var g = Graph.builder("sloppy");
    Node<Integer> sloppy = g.task("sloppy", ThreadStateTest::restoresTheInterrupt);
    Node<Integer> next = g.task("next", sloppy, x -> {
      Thread.sleep(2);
      return x + 1;
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));

    assertEquals(new Outcome.Succeeded<>("sloppy", 1), result.outcome(sloppy),
        "the task returned a value: its interrupt left set does not change its outcome");
    assertEquals(2, result.get(next));
  }

  @Test
  void interruptLeftSetByAnInlineTask_doesNotFailTheInlineTaskAfterIt() {
    var g = Graph.builder("sloppy-inline");
    Node<Integer> sloppy = g.node("sloppy").inline().call(ThreadStateTest::restoresTheInterrupt);
    var seen = new CopyOnWriteArrayList<Boolean>();
    Node<Integer> next = g.node("next").inline().call(sloppy, x -> {
      seen.add(Thread.currentThread().isInterrupted());
      return x + 1;
    });
    Node<Integer> last = g.task("last", next, x -> {
      seen.add(Thread.currentThread().isInterrupted());
      Thread.sleep(1);
      return x + 1;
    });
    var graph = g.build();

    for (var executor : executors().map(Named::getPayload).toList()) {
      seen.clear();
      var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));
      assertEquals(3, result.get(last), executor::toString);
      assertEquals(List.of(false, false), seen, executor + ": a task started interrupted");
    }
  }

  @ParameterizedTest
  @MethodSource("executors")
  void interruptLeftSetByAFailedAttempt_doesNotFailTheRetry(Executor executor) {
    var calls = new AtomicInteger();
    var g = Graph.builder("sloppy-retry");
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(3, Duration.ofMillis(1)))
        .call(() -> {
          if (calls.incrementAndGet() == 1) {
            restoresTheInterrupt();
            throw new java.io.IOException("first attempt fails, leaving its interrupt set");
          }
          return Thread.currentThread().isInterrupted() ? "started interrupted" : "clean";
        });
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));

    assertEquals("clean", result.get(flaky), "the backoff or the retry saw the interrupt");
    assertEquals(2, calls.get());
  }

  @Test
  void callerThread_getsItsOwnInterruptStatusBack_fromRunAsyncWithInlineTasks() throws Exception {
    var g = Graph.builder("caller-thread");
    var ranOnCaller = new CopyOnWriteArrayList<Boolean>();
    Node<Integer> sloppy = g.node("sloppy").inline().call(() -> {
      ranOnCaller.add(true);
      return restoresTheInterrupt();
    });
    var graph = g.build();
    var results = new ArrayList<Boolean>();
    for (boolean interruptedBefore : List.of(false, true)) {
      var caller = Thread.ofVirtual().unstarted(() -> {
        if (interruptedBefore) {
          Thread.currentThread().interrupt();
        }
        var future = graph.runAsync(Inputs.empty());
        results.add(Thread.interrupted());
        assertTrue(future.isDone(), "an inline-only run ends inside runAsync");
        assertEquals(1, future.join().get(sloppy));
      });
      caller.start();
      assertTrue(caller.join(Duration.ofSeconds(10)), "the caller thread did not finish");
    }
    assertEquals(List.of(true, true), ranOnCaller, "the inline task ran on the caller's thread");
    assertEquals(List.of(false, true), results,
        "runAsync must hand the caller its own interrupt status, not the task's");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void everyTaskStartsClear_afterAChainOfTasksThatEachLeaveTheirInterruptSet(Executor executor)
      throws Exception {
    var startedInterrupted = new AtomicInteger();
    var g = Graph.builder("chain-of-sloppy");
    Callable<Integer> body = () -> {
      if (Thread.currentThread().isInterrupted()) {
        startedInterrupted.incrementAndGet();
      }
      return restoresTheInterrupt();
    };
    Node<Integer> previous = g.task("t0", body);
    for (int i = 1; i < 50; i++) {
      previous = i % 2 == 0 ? g.node("t" + i).inline().call(previous, x -> body.call() + x)
          : g.task("t" + i, previous, x -> body.call() + x);
    }
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor))
        .get(10, SECONDS);

    assertEquals(50, result.get(previous));
    assertEquals(0, startedInterrupted.get(), "tasks that started with their interrupt set");
    assertFalse(Thread.currentThread().isInterrupted(), "the test's own thread");
  }
  @ParameterizedTest
  @MethodSource("executors")
  void nameAndClassLoaderATaskSets_areUndoneBeforeTheNextTask_andSpansKeepTheNameAtStart(
      Executor executor) {
    var foreign = new ClassLoader("plugin", null) {};
    var seen = new CopyOnWriteArrayList<String>();
    var g = Graph.builder("renaming");
    Node<String> renames = g.task("renames", () -> {
      Thread.currentThread().setName("handling request 7");
      Thread.currentThread().setContextClassLoader(foreign);
      return "renamed";
    });
    Node<String> next = g.node("next").inline().call(renames, s -> {
      var t = Thread.currentThread();
      seen.add(t.getName());
      return t.getContextClassLoader() == foreign ? "inherited the loader" : "clean";
    });
    var graph = g.build();
    var callerName = Thread.currentThread().getName();
    var callerLoader = Thread.currentThread().getContextClassLoader();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));

    assertEquals("clean", result.get(next));
    assertFalse(seen.get(0).equals("handling request 7"), "the next task inherited the name");
    for (var span : result.spans()) {
      assertFalse(span.thread().endsWith("handling request 7"), span.toString());
    }
    assertEquals(callerName, Thread.currentThread().getName());
    assertEquals(callerLoader, Thread.currentThread().getContextClassLoader());
  }
}
