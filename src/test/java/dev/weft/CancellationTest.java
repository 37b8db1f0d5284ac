package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Executors;
import dev.weft.testing.Stragglers;
import java.util.ArrayList;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Cancelling a run: by the future, by interrupting the caller, by completing the future. */
class CancellationTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  /** Two blocking tasks, a dependent of the first, and counters of what ran and what is running. */
  static final class Blocking {
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger interrupted = new AtomicInteger();
    final AtomicBoolean dependentRan = new AtomicBoolean();
    final CountDownLatch started = new CountDownLatch(2);
    final Graph graph;
    final Node<String> dependent;

    Blocking() {
      var g = Graph.builder("blocking");
      Node<String> a = g.task("a", this::block);
      g.task("b", this::block);
      dependent = g.task("dependent", a, x -> {
        dependentRan.set(true);
        return x;
      });
      graph = g.build();
    }

    String block() throws InterruptedException {
      running.incrementAndGet();
      try {
        started.countDown();
        NEVER.await();
        return "unreachable";
      } catch (InterruptedException e) {
        interrupted.incrementAndGet();
        throw e;
      } finally {
        running.decrementAndGet();
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancellingTheFuture_interruptsRunningTasksAndReturnsWhenTheyHaveEnded(Executor executor)
      throws Exception {
    var t = new Blocking();
    var future = t.graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor));
    assertTrue(t.started.await(10, SECONDS), "both blocking tasks should start");

    assertTrue(future.cancel(true), "cancel should succeed on a running run");

    Stragglers.assertOnlyReportedRun(t.running, Stragglers.named(future),
        "when cancel returned");
    assertEquals(2, t.interrupted.get(), "both running tasks should have been interrupted");
    assertTrue(future.isCancelled());
    assertTrue(future.isDone());
    assertFalse(t.dependentRan.get(), "a task whose dependency was cancelled must not run");
    assertThrows(CancellationException.class, future::join);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void interruptingTheCaller_cancelsTheRunAndKeepsTheInterruptStatus(Executor executor)
      throws Exception {
    var t = new Blocking();
    var thrown = new AtomicReference<Throwable>();
    var stillInterrupted = new AtomicBoolean();
    var runningWhenRunReturned = new AtomicInteger(-1);
    var caller = Thread.ofPlatform().start(() -> {
      try {
        t.graph.run(Inputs.empty(), o -> o.withExecutor(executor));
      } catch (Throwable e) {
        runningWhenRunReturned.set(t.running.get() - Stragglers.named(e));
        stillInterrupted.set(Thread.currentThread().isInterrupted());
        thrown.set(e);
      }
    });
    assertTrue(t.started.await(10, SECONDS), "both blocking tasks should start");

    caller.interrupt();
    caller.join(SECONDS.toMillis(10));

    assertFalse(caller.isAlive(), "run() should return once the caller is interrupted");
    var e = assertInstanceOf(CancellationException.class, thrown.get());
    assertTrue(e.getMessage().contains("graph 'blocking'"), e.getMessage());
    assertTrue(stillInterrupted.get(), "the caller's interrupt status should be restored");
    assertTrue(runningWhenRunReturned.get() <= 0,
        "no task but a reported straggler may be running when run() throws");
    Stragglers.assertOnlyReportedRun(t.running, 2, "after run() threw");
    assertEquals(2, t.interrupted.get());
    assertFalse(t.dependentRan.get());
  }

  @Test
  void completingTheFutureFromOutside_cancelsTheRun() throws Exception {
    var t = new Blocking();
    var future = t.graph.runAsync(Inputs.empty());
    assertTrue(t.started.await(10, SECONDS));

    assertTrue(future.completeExceptionally(new TimeoutException("caller gave up")));

    var deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (t.interrupted.get() < 2 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(2, t.interrupted.get(), "the run's tasks should be interrupted");
    var e = assertThrows(java.util.concurrent.ExecutionException.class, future::get);
    assertInstanceOf(TimeoutException.class, e.getCause());
  }

  @Test
  void orTimeout_cancelsTheRun() throws Exception {
    var t = new Blocking();
    CompletableFuture<RunResult> running = t.graph.runAsync(Inputs.empty());
    assertTrue(t.started.await(10, SECONDS));
    // Set once both tasks run, so the timeout cannot fire before they start.
    var future = running.orTimeout(1, java.util.concurrent.TimeUnit.MILLISECONDS);

    var e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> future.get(10, SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
    var deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (t.running.get() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(0, t.running.get(), "the run's tasks should end once interrupted");
  }

  @Test
  void cancellingAFinishedRun_returnsFalseAndKeepsTheResult() throws Exception {
    var g = Graph.builder("done");
    var one = g.task("one", () -> 1);
    var graph = g.build();
    var future = graph.runAsync(Inputs.empty());
    var result = future.get(10, SECONDS);

    assertFalse(future.cancel(true));
    assertFalse(future.isCancelled());
    assertEquals(1, result.get(one));
  }

  /**
   * A caller cancelling from a request-timeout handler must not hang: a task that swallows
   * interrupts gets the grace a deadline gives it, then is cut off and reported as a straggler,
   * in the RunEnded event's result and in the CancellationException's message.
   */
  @Test
  void cancel_isBoundedByTheGrace_cuttingOffATaskThatIgnoresInterruption() throws Exception {
    var interruptSeen = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var running = new CountDownLatch(1);
    var taskThread = new AtomicReference<Thread>();
    var g = Graph.builder("stubborn");
    Node<String> stubborn = g.task("stubborn", () -> {
      taskThread.set(Thread.currentThread());
      running.countDown();
      try {
        NEVER.await();
      } catch (InterruptedException e) {
        interruptSeen.countDown();
      }
      while (true) {
        try {
          release.await();
          return "done anyway";
        } catch (InterruptedException ignored) {
          // keeps going: this task ignores interruption
        }
      }
    });
    var ended = new AtomicReference<RunResult>();
    var graph = g.options(RunOptions.defaults().withListener(e -> {
      if (e instanceof RunEvent.RunEnded r) {
        ended.set(r.result());
      }
    })).build();
    var future = graph.runAsync(Inputs.empty());
    assertTrue(running.await(10, SECONDS), "the task should start"); // else cancel skips it
    try {
      var canceller = Thread.ofVirtual().start(() -> future.cancel(true));
      assertTrue(canceller.join(java.time.Duration.ofSeconds(10)),
          "cancel did not return while the task ignored its interrupt");
      assertTrue(interruptSeen.await(10, SECONDS), "the task should be interrupted");

      assertTrue(future.isCancelled());
      Throwable thrown = assertThrows(CancellationException.class, future::join);
      if (thrown.getCause() instanceof CancellationException ours) {
        thrown = ours; // JDK 25's join wraps it, to keep the joining thread's stack
      }
      assertTrue(thrown.getMessage().contains("'stubborn' on #" + taskThread.get().threadId()),
          thrown.getMessage());
      var result = ended.get();
      assertEquals(java.util.Map.of("stubborn", taskThread.get()), result.stragglers());
      var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(stubborn));
      assertTrue(cancelled.reason().startsWith("the run was cancelled by its caller; the task "
          + "ignored the interrupt and was cut off after 10 ms"), cancelled.reason());
      assertTrue(taskThread.get().isAlive(), "the straggler still runs, as reported");
    } finally {
      release.countDown();
    }
    assertTrue(taskThread.get().join(java.time.Duration.ofSeconds(10)));
  }

  /** A listener that cancels its own run must not wait for the run, which waits for it. */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void listenerThatCancelsTheRun_doesNotDeadlockIt(Executor executor) throws Exception {
    var future = new CompletableFuture<CompletableFuture<RunResult>>();
    var g = Graph.builder("cancelling-listener");
    g.task("failing", () -> {
      throw new java.io.IOException("boom");
    });
    var graph = g.options(RunOptions.defaults().withExecutor(executor).withListener(e -> {
      if (e instanceof RunEvent.NodeEnded n && n.span().outcome() instanceof Outcome.Failed<?>) {
        future.join().cancel(true);
      }
    })).build();
    var caller = Thread.ofVirtual().start(() -> future.complete(graph.runAsync(Inputs.empty())));

    var run = future.get(10, SECONDS);
    assertThrows(CancellationException.class, () -> run.get(10, SECONDS));
    assertTrue(caller.join(java.time.Duration.ofSeconds(10)), "runAsync did not return");
  }

  /** The interrupt sent to a cancelled task must not reach the next task run on that thread. */
  @Test
  void interruptOfACancelledTask_doesNotLeakToTheNextTaskOnTheSameThread() throws Exception {
    var pool = Executors.platformPool();
    for (int round = 0; round < 20; round++) {
      var t = new Blocking();
      var future = t.graph.runAsync(Inputs.empty(), o -> o.withExecutor(pool));
      assertTrue(t.started.await(10, SECONDS));
      future.cancel(true);

      var g = Graph.builder("after-cancel");
      var seenInterrupted = new AtomicInteger();
      var nodes = new ArrayList<Node<Boolean>>();
      for (int i = 0; i < 8; i++) {
        nodes.add(g.task("probe" + i, () -> {
          if (Thread.currentThread().isInterrupted()) {
            seenInterrupted.incrementAndGet();
          }
          return true;
        }));
      }
      var graph = g.build();
      var result = graph.run(Inputs.empty(), o -> o.withExecutor(pool));
      assertTrue(result.succeeded(), result::toString);
      assertEquals(0, seenInterrupted.get(), "round " + round + ": a stale interrupt leaked");
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void noTaskThreadIsLeftRunning_afterCancellingManyTasks(Executor executor) throws Exception {
    var tracking = new Executors.Tracking(executor);
    int width = 200;
    var running = new AtomicInteger();
    var started = new CountDownLatch(executor.toString().equals("virtual") ? width : 4);
    var g = Graph.builder("wide");
    for (int i = 0; i < width; i++) {
      g.task("t" + i, () -> {
        running.incrementAndGet();
        try {
          started.countDown();
          NEVER.await();
          return 0;
        } finally {
          running.decrementAndGet();
        }
      });
    }
    var graph = g.build();
    var future = graph.runAsync(Inputs.empty(), o -> o.withExecutor(tracking));
    assertTrue(started.await(10, SECONDS), "tasks should start");

    assertTrue(future.cancel(true));

    Stragglers.assertOnlyReportedRun(running, Stragglers.named(future), "once cancel returned");
    assertTrue(tracking.awaitVirtualThreadsTerminated(10), "task threads should terminate");
  }
  /**
   * The thread that ended a task and then runs a dependent that ignores interruption still has
   * the first task uncounted; cutting the second off must not leave the run waiting for it.
   */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancel_cutsOffAStragglerThatFollowsATaskOnItsThread(Executor executor) throws Exception {
    var running = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var g = Graph.builder("chain-to-stubborn");
    Node<Integer> first = g.task("first", () -> 1);
    g.task("stubborn", first, x -> {
      running.countDown();
      while (true) {
        try {
          release.await();
          return x;
        } catch (InterruptedException ignored) {
          // keeps going: this task ignores interruption
        }
      }
    });
    var graph = g.build();
    var future = graph.runAsync(Inputs.empty(), o -> o.withExecutor(executor));
    assertTrue(running.await(10, SECONDS), "the stubborn task should start");
    try {
      var canceller = Thread.ofVirtual().start(() -> future.cancel(true));
      assertTrue(canceller.join(java.time.Duration.ofSeconds(10)),
          "cancel waited for the straggler: the first task was never counted");
      assertTrue(future.isCancelled());
    } finally {
      release.countDown();
    }
  }
}
