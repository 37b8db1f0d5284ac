package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Executors;
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
    var future = t.graph.runAsync(Inputs.empty(), t.graph.options().withExecutor(executor));
    assertTrue(t.started.await(10, SECONDS), "both blocking tasks should start");

    assertTrue(future.cancel(true), "cancel should succeed on a running run");

    assertEquals(0, t.running.get(), "no task may still be running when cancel returns");
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
        t.graph.run(Inputs.empty(), t.graph.options().withExecutor(executor));
      } catch (Throwable e) {
        runningWhenRunReturned.set(t.running.get());
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
    assertEquals(0, runningWhenRunReturned.get(), "no task may be running when run() throws");
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

  /** A task that swallows interrupts holds the run; cancel returns only after it has ended. */
  @Test
  void cancel_waitsForATaskThatIgnoresInterruption() throws Exception {
    var sequence = new AtomicInteger();
    var taskEndedAt = new AtomicInteger();
    var interruptSeen = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var running = new CountDownLatch(1);
    var g = Graph.builder("stubborn");
    g.task("stubborn", () -> {
      running.countDown();
      try {
        NEVER.await();
      } catch (InterruptedException e) {
        interruptSeen.countDown();
      }
      while (true) {
        try {
          release.await();
          break;
        } catch (InterruptedException ignored) {
          // keeps going: this task ignores interruption
        }
      }
      taskEndedAt.set(sequence.incrementAndGet());
      return "done anyway";
    });
    var graph = g.build();
    var future = graph.runAsync(Inputs.empty());
    assertTrue(running.await(10, SECONDS), "the task should start"); // else cancel skips it
    var cancelReturnedAt = new AtomicInteger();
    var canceller = Thread.ofVirtual().start(() -> {
      future.cancel(true);
      cancelReturnedAt.set(sequence.incrementAndGet());
    });
    assertTrue(interruptSeen.await(10, SECONDS), "the task should be interrupted");
    assertEquals(0, cancelReturnedAt.get(), "cancel must not return while the task runs");

    release.countDown();
    canceller.join(SECONDS.toMillis(10));

    assertEquals(1, taskEndedAt.get());
    assertEquals(2, cancelReturnedAt.get(), "cancel should return after the task ended");
    assertTrue(future.isCancelled());
  }

  /** The interrupt sent to a cancelled task must not reach the next task run on that thread. */
  @Test
  void interruptOfACancelledTask_doesNotLeakToTheNextTaskOnTheSameThread() throws Exception {
    var pool = Executors.platformPool();
    for (int round = 0; round < 20; round++) {
      var t = new Blocking();
      var future = t.graph.runAsync(Inputs.empty(), t.graph.options().withExecutor(pool));
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
      var result = graph.run(Inputs.empty(), graph.options().withExecutor(pool));
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
    var future = graph.runAsync(Inputs.empty(), graph.options().withExecutor(tracking));
    assertTrue(started.await(10, SECONDS), "tasks should start");

    assertTrue(future.cancel(true));

    assertEquals(0, running.get(), "no task may be running once cancel returned");
    assertTrue(tracking.awaitVirtualThreadsTerminated(10), "task threads should terminate");
  }
}
