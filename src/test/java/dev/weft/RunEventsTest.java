package dev.weft;

import static dev.weft.testing.Events.all;
import static dev.weft.testing.Events.assertWellFormed;
import static dev.weft.testing.Events.indexOf;
import static dev.weft.testing.Events.kinds;
import static dev.weft.testing.Events.of;
import static dev.weft.testing.Events.only;
import static dev.weft.testing.Events.threadName;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.RunEvent.NodeEnded;
import dev.weft.RunEvent.NodeReady;
import dev.weft.RunEvent.NodeRetried;
import dev.weft.RunEvent.NodeStarted;
import dev.weft.RunEvent.RunEnded;
import dev.weft.RunEvent.RunStarted;
import dev.weft.testing.Events.Recorder;
import dev.weft.testing.Executors;
import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link RunEvent}s a {@link RunListener} receives: their order and content per node for
 * every way a node can end (succeeded, failed, skipped, retried, cancelled, past the deadline).
 */
class RunEventsTest {
  private static final String ALL = "dev.weft.testing.Executors#all";
  private static final String CONCURRENT = "dev.weft.testing.Executors#concurrent";
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s waiting until " + what);
  }

  private static Graph build(GraphBuilder g, Executor executor, RunListener... listeners) {
    var options = RunOptions.defaults().withExecutor(executor);
    for (var listener : listeners) {
      options = options.withListener(listener);
    }
    return g.options(options).build();
  }

  private static <T> T failWith(Exception e) throws Exception {
    throw e;
  }

  // ---- each way a node ends ----

  @ParameterizedTest
  @MethodSource(ALL)
  void successfulRun_eachNodeIsReadyStartedEnded_betweenRunStartedAndRunEnded(Executor executor) {
    var threads = new ConcurrentHashMap<String, Thread>();
    var g = Graph.builder("listing");
    Input<Long> id = g.input("id", Long.class);
    Node<String> listing = g.task("listing", id, i -> {
      threads.put("listing", Thread.currentThread());
      return "L" + i;
    });
    Node<String> host = g.task("host", id, i -> {
      threads.put("host", Thread.currentThread());
      return "H" + i;
    });
    Node<String> page = g.task("page", listing, host, (l, h) -> {
      threads.put("page", Thread.currentThread());
      return l + "/" + h;
    });
    var recorder = new Recorder();
    var graph = build(g, executor, recorder);
    var before = Instant.now();

    var result = graph.run(Inputs.of(id, 7L));

    var after = Instant.now();
    var events = recorder.events();
    assertEquals("L7/H7", result.get(page));
    assertWellFormed(events, result, Map.of("page", List.of("listing", "host")));
    var started = (RunStarted) events.get(0);
    assertEquals("listing", started.graph());
    assertEquals(3, started.tasks());
    assertFalse(started.startedAt().isBefore(before.minusMillis(1)), started.toString());
    assertFalse(started.startedAt().isAfter(after.plusMillis(1)), started.toString());
    for (var node : List.of("listing", "host", "page")) {
      assertEquals(List.of("ready", "started 1", "ended"), kinds(events, node), node);
      var s = only(events, node, NodeStarted.class);
      assertEquals(threadName(threads.get(node)), s.thread(), node);
      assertEquals(node, s.node());
      assertInstanceOf(Outcome.Succeeded.class,
          only(events, node, NodeEnded.class).span().outcome(), node);
    }
    assertEquals(new Outcome.Succeeded<>("page", "L7/H7"),
        only(events, "page", NodeEnded.class).span().outcome());
    assertTrue(of(events, "id").isEmpty(), "inputs have no events: " + events);
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void failedNode_endsWithItsError_andSkippedDependentsHaveOnlyNodeEnded(Executor executor) {
    var down = new IOException("a is down");
    var g = Graph.builder("failing");
    Node<String> a = g.task("a", () -> failWith(down));
    Node<String> b = g.task("b", a, x -> x);
    g.task("c", b, x -> x);
    g.task("d", () -> "d");
    var recorder = new Recorder();
    var graph = build(g, executor, recorder);

    var result = graph.run(Inputs.empty());

    var events = recorder.events();
    assertWellFormed(events, result, Map.of("b", List.of("a"), "c", List.of("b")));
    assertEquals(List.of("ready", "started 1", "ended"), kinds(events, "a"));
    var failed = assertInstanceOf(Outcome.Failed.class,
        only(events, "a", NodeEnded.class).span().outcome());
    assertSame(down, failed.error(), "the error in the outcome is what the task threw");
    for (var skipped : List.of("b", "c")) {
      assertEquals(List.of("ended"), kinds(events, skipped), skipped);
      var outcome = only(events, skipped, NodeEnded.class).span().outcome();
      assertEquals(new Outcome.Skipped<>(skipped, "a", down), outcome);
    }
    assertTrue(indexOf(events, only(events, "a", NodeEnded.class))
        < indexOf(events, only(events, "b", NodeEnded.class)), events.toString());
    assertTrue(indexOf(events, only(events, "b", NodeEnded.class))
        < indexOf(events, only(events, "c", NodeEnded.class)), events.toString());
    assertEquals(List.of("ready", "started 1", "ended"), kinds(events, "d"));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void retriedNode_hasOneStartedPerAttempt_closedByRetriedWithErrorAndDelay(Executor executor)
      throws Exception {
    var clock = new FakeScheduler();
    var failures = List.of(new IOException("first"), new IOException("second"));
    var attempts = new AtomicInteger();
    var threads = Collections.synchronizedList(new ArrayList<Thread>());
    var g = Graph.builder("retrying");
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(3, Duration.ofMillis(100)))
        .call(() -> {
          threads.add(Thread.currentThread());
          int n = attempts.incrementAndGet();
          return n <= 2 ? failWith(failures.get(n - 1)) : "ok";
        });
    g.task("after", flaky, s -> s + "!");
    var recorder = new Recorder();
    var graph = g.options(RunOptions.defaults().withExecutor(executor).withScheduler(clock)
        .withListener(recorder)).build();

    // caller-runs would block this thread in the backoff; run from another one
    var future = CompletableFuture.supplyAsync(() -> graph.run(Inputs.empty()),
        r -> Thread.ofPlatform().daemon().start(r));
    clock.awaitSleeps(1);
    clock.advance(Duration.ofMillis(100));
    clock.awaitSleeps(2);
    clock.advance(Duration.ofMillis(100));
    var result = future.get(10, SECONDS);

    var events = recorder.events();
    assertEquals("ok", result.get(flaky));
    assertWellFormed(events, result, Map.of("after", List.of("flaky")));
    assertEquals(List.of("ready", "started 1", "retried 1", "started 2", "retried 2",
        "started 3", "ended"), kinds(events, "flaky"));
    var retried = all(events, "flaky", NodeRetried.class);
    for (int i = 0; i < 2; i++) {
      assertSame(failures.get(i), retried.get(i).error(), "error of attempt " + (i + 1));
      assertEquals(Duration.ofMillis(100), retried.get(i).delay());
    }
    var starts = all(events, "flaky", NodeStarted.class);
    assertEquals(List.of(Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(200)),
        starts.stream().map(RunEvent::at).toList(), "each attempt starts after its backoff");
    assertEquals(List.of(Duration.ZERO, Duration.ofMillis(100)),
        retried.stream().map(RunEvent::at).toList(), "a retried event is when the attempt ended");
    for (int i = 0; i < 3; i++) {
      assertEquals(threadName(threads.get(i)), starts.get(i).thread(), "attempt " + (i + 1));
    }
    var span = only(events, "flaky", NodeEnded.class).span();
    assertEquals(3, span.attempts());
    assertEquals(Duration.ofMillis(200), span.ended());
    assertEquals(Duration.ofMillis(200), only(events, "after", NodeReady.class).at());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void exhaustedRetries_endFailedWithTheLastError_afterOneRetriedPerEarlierAttempt(
      Executor executor) {
    var failures = List.of(new IOException("first"), new IOException("second"));
    var attempts = new AtomicInteger();
    var g = Graph.builder("exhausted");
    Node<String> doomed = g.node("doomed").retry(RetryPolicy.fixed(2, Duration.ZERO))
        .call(() -> failWith(failures.get(attempts.getAndIncrement())));
    g.task("dependent", doomed, s -> s);
    var recorder = new Recorder();
    var graph = build(g, executor, recorder);

    var result = graph.run(Inputs.empty());

    var events = recorder.events();
    assertWellFormed(events, result, Map.of("dependent", List.of("doomed")));
    assertEquals(List.of("ready", "started 1", "retried 1", "started 2", "ended"),
        kinds(events, "doomed"));
    assertSame(failures.get(0), only(events, "doomed", NodeRetried.class).error());
    assertEquals(Duration.ZERO, only(events, "doomed", NodeRetried.class).delay());
    var failed = assertInstanceOf(Outcome.Failed.class,
        only(events, "doomed", NodeEnded.class).span().outcome());
    assertSame(failures.get(1), failed.error());
    assertEquals(List.of("ended"), kinds(events, "dependent"));
  }

  @Test
  void nodeTheExecutorRefuses_isReadyThenEndsFailed_withoutStarting() {
    var refusal = new RejectedExecutionException("pool is shut down");
    var g = Graph.builder("refused");
    Node<String> a = g.task("a", () -> "a");
    g.task("b", a, x -> x);
    var recorder = new Recorder();
    var graph = build(g, task -> {
      throw refusal;
    }, recorder);

    var result = graph.run(Inputs.empty());

    var events = recorder.events();
    assertWellFormed(events, result, Map.of("b", List.of("a")));
    assertEquals(List.of("ready", "ended"), kinds(events, "a"));
    assertEquals(new Outcome.Failed<>("a", refusal),
        only(events, "a", NodeEnded.class).span().outcome());
    assertEquals(List.of("ended"), kinds(events, "b"));
  }

  // ---- cancellation and deadlines ----

  @ParameterizedTest
  @MethodSource(CONCURRENT)
  void callerCancel_runningNodeEndsAfterItsStart_unstartedOnesHaveOnlyNodeEnded(Executor executor)
      throws Exception {
    var started = new CountDownLatch(1);
    var g = Graph.builder("cancelled");
    Node<String> slow = g.task("slow", () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    Node<String> waiting = g.task("waiting", slow, s -> s);
    g.task("later", waiting, s -> s);
    var recorder = new Recorder();
    var graph = build(g, executor, recorder);

    var future = graph.runAsync(Inputs.empty());
    await(started, "'slow' started");
    assertTrue(future.cancel(true));

    assertThrows(CancellationException.class, future::join);
    var events = recorder.events();
    var ended = assertInstanceOf(RunEnded.class, events.get(events.size() - 1),
        "RunEnded should have been delivered when cancel returned: " + events);
    var result = ended.result();
    assertWellFormed(events, result, Map.of("waiting", List.of("slow"),
        "later", List.of("waiting")));
    assertEquals(List.of("ready", "started 1", "ended"), kinds(events, "slow"));
    var outcome = assertInstanceOf(Outcome.Cancelled.class,
        only(events, "slow", NodeEnded.class).span().outcome());
    assertTrue(outcome.reason().contains("cancelled by its caller"), outcome.reason());
    for (var node : List.of("waiting", "later")) {
      assertEquals(List.of("ended"), kinds(events, node), node);
      assertInstanceOf(Outcome.Cancelled.class,
          only(events, node, NodeEnded.class).span().outcome(), node);
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void failFast_failureSkipsItsDependents_cancelsTheRest_eachNodeEndsOnce(Executor executor) {
    var boom = new IOException("boom");
    var g = Graph.builder("fail-fast");
    Node<String> failing = g.task("failing", () -> failWith(boom));
    Node<String> dependent = g.task("dependent", failing, s -> s);
    g.task("second", dependent, s -> s);
    g.task("other", () -> "other");
    var recorder = new Recorder();
    var graph = g.options(RunOptions.defaults().withExecutor(executor)
        .withFailureMode(FailureMode.FAIL_FAST).withListener(recorder)).build();

    var result = graph.run(Inputs.empty());

    var events = recorder.events();
    assertWellFormed(events, result, Map.of("dependent", List.of("failing"),
        "second", List.of("dependent")));
    assertEquals(List.of("ready", "started 1", "ended"), kinds(events, "failing"));
    assertEquals(new Outcome.Failed<>("failing", boom),
        only(events, "failing", NodeEnded.class).span().outcome());
    for (var node : List.of("dependent", "second")) {
      assertEquals(List.of("ended"), kinds(events, node), node);
      assertEquals(new Outcome.Skipped<>(node, "failing", boom),
          only(events, node, NodeEnded.class).span().outcome(), node);
    }
  }

  @ParameterizedTest
  @MethodSource(CONCURRENT)
  void failFast_interruptedRunningNode_endsCancelledAfterItsStart(Executor executor) {
    var slowStarted = new CountDownLatch(1);
    var g = Graph.builder("fail-fast-running");
    g.task("slow", () -> {
      slowStarted.countDown();
      NEVER.await();
      return "unreachable";
    });
    g.task("failing", () -> {
      await(slowStarted, "'slow' started");
      throw new IOException("boom");
    });
    var recorder = new Recorder();
    var graph = g.options(RunOptions.defaults().withExecutor(executor)
        .withFailureMode(FailureMode.FAIL_FAST).withListener(recorder)).build();

    var result = graph.run(Inputs.empty());

    var events = recorder.events();
    assertWellFormed(events, result, Map.of());
    assertEquals(List.of("ready", "started 1", "ended"), kinds(events, "slow"));
    assertInstanceOf(Outcome.Cancelled.class,
        only(events, "slow", NodeEnded.class).span().outcome());
    assertTrue(indexOf(events, only(events, "failing", NodeEnded.class))
        < indexOf(events, only(events, "slow", NodeEnded.class)), events.toString());
  }

  /** Counts tasks handed to an executor that have not yet returned from their Runnable. */
  static final class Quiescing implements Executor {
    private final Executor delegate;
    private int busy; // guarded by this

    Quiescing(Executor delegate) {
      this.delegate = delegate;
    }

    @Override
    public void execute(Runnable command) {
      change(1);
      try {
        delegate.execute(() -> {
          try {
            command.run();
          } finally {
            change(-1);
          }
        });
      } catch (RuntimeException e) {
        change(-1);
        throw e;
      }
    }

    private synchronized void change(int delta) {
      busy += delta;
      notifyAll();
    }

    synchronized void awaitIdle() throws InterruptedException {
      long deadline = System.nanoTime() + SECONDS.toNanos(10);
      while (busy != 0) {
        long left = deadline - System.nanoTime();
        assertTrue(left > 0, "tasks still running after 10 s");
        wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  @ParameterizedTest
  @MethodSource(CONCURRENT)
  void deadline_runningAndStragglingNodesEndCancelled_waitingOnesHaveOnlyNodeEnded(
      Executor executor) throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(2);
    var release = new CountDownLatch(1);
    var g = Graph.builder("deadline");
    Node<String> slow = g.task("slow", () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    g.task("stubborn", () -> {
      started.countDown();
      while (true) {
        try {
          if (release.await(10, SECONDS)) {
            return "late";
          }
        } catch (InterruptedException ignored) {
          // a task that ignores interrupts: cut off as a straggler
        }
      }
    });
    g.task("waiting", slow, s -> s);
    var recorder = new Recorder();
    var slowEnded = new CountDownLatch(1);
    RunListener slowEnds = e -> {
      if (e instanceof NodeEnded n && n.node().equals("slow")) {
        slowEnded.countDown();
      }
    };
    var quiescing = new Quiescing(executor);
    var graph = g.options(RunOptions.defaults().withExecutor(quiescing).withScheduler(clock)
        .withDeadline(Duration.ofMillis(50)).withListener(recorder).withListener(slowEnds))
        .build();

    var future = graph.runAsync(Inputs.empty());
    await(started, "both tasks started");
    clock.advance(Duration.ofMillis(50));
    clock.awaitTimers(1); // the straggler cut-off, set once the deadline's cancel ran
    await(slowEnded, "'slow' took its interrupt"); // within the grace, as a real clock allows
    clock.advance(Duration.ofMillis(10));
    var result = future.get(10, SECONDS);
    var events = recorder.events();
    release.countDown();
    quiescing.awaitIdle();

    assertEquals(events, recorder.events(), "no event after RunEnded, even from a straggler");
    assertTrue(result.deadlineExceeded());
    assertEquals(Set.of("stubborn"), result.stragglers().keySet());
    assertWellFormed(events, result, Map.of("waiting", List.of("slow")));
    for (var node : List.of("slow", "stubborn")) {
      assertEquals(List.of("ready", "started 1", "ended"), kinds(events, node), node);
      var cancelled = assertInstanceOf(Outcome.Cancelled.class,
          only(events, node, NodeEnded.class).span().outcome(), node);
      assertTrue(cancelled.reason().contains("deadline"), cancelled.reason());
    }
    assertEquals(List.of("ended"), kinds(events, "waiting"));
  }

  /**
   * A straggler with a retry policy was cut off in its first attempt: its span says one attempt,
   * as its one NodeStarted does.
   */
  @Test
  void guardedStraggler_spanCountsTheAttemptItWasCutOffIn() throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var g = Graph.builder("guarded-straggler");
    g.node("stubborn").retry(RetryPolicy.fixed(2, Duration.ZERO)).call(() -> {
      started.countDown();
      while (true) {
        try {
          if (release.await(10, SECONDS)) {
            return "late";
          }
        } catch (InterruptedException ignored) {
          // ignores the deadline's interrupt
        }
      }
    });
    var recorder = new Recorder();
    var graph = g.options(RunOptions.defaults().withExecutor(Executors.virtual())
        .withScheduler(clock).withDeadline(Duration.ofMillis(50)).withListener(recorder)).build();

    var future = graph.runAsync(Inputs.empty());
    try {
      await(started, "'stubborn' started");
      clock.advance(Duration.ofMillis(50));
      clock.awaitTimers(1);
      clock.advance(Duration.ofMillis(10));
      var result = future.get(10, SECONDS);

      var events = recorder.events();
      assertEquals(List.of("ready", "started 1", "ended"), kinds(events, "stubborn"));
      assertEquals(1, result.spans().get(0).attempts(), "attempts of the cut-off node's span: "
          + result.spans().get(0));
      assertWellFormed(events, result, Map.of());
    } finally {
      release.countDown();
    }
  }

  /**
   * Events of one node arrive one after another: a node cancelled just after it became ready
   * gets its NodeEnded only once its NodeReady has been delivered.
   */
  @Test
  void nodeCancelledWhileItsReadyEventIsDelivered_getsNodeEndedAfterNodeReady() throws Exception {
    var readyEntered = new CountDownLatch(1);
    var cancelReturned = new CountDownLatch(1);
    var runEnded = new CountDownLatch(1);
    var log = Collections.synchronizedList(new ArrayList<String>());
    RunListener slowOnReady = event -> {
      if (event instanceof NodeReady r && r.node().equals("x")) {
        log.add("ready x: begin");
        readyEntered.countDown();
        try {
          cancelReturned.await(5, SECONDS); // a listener that takes its time
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        log.add("ready x: end");
      } else if (event instanceof NodeEnded e && e.node().equals("x")) {
        log.add("ended x");
      } else if (event instanceof RunEnded) {
        runEnded.countDown();
      }
    };
    var g = Graph.builder("cancel-while-ready");
    Node<String> a = g.task("a", () -> "a");
    g.task("x", a, s -> s);
    var recorder = new Recorder();
    // The recorder first: listeners get each event in order, so it has RunEnded once slowOnReady
    // lets the test go on.
    var graph = build(g, Executors.virtual(), recorder, slowOnReady);

    var future = graph.runAsync(Inputs.empty());
    await(readyEntered, "x's NodeReady is being delivered");
    future.completeExceptionally(new TimeoutException("caller gave up")); // cancels, no waiting
    cancelReturned.countDown();
    await(runEnded, "the run ended");

    assertEquals(List.of("ready x: begin", "ready x: end", "ended x"), log,
        "x's NodeEnded was delivered while its NodeReady was still being delivered");
    var events = recorder.events();
    assertWellFormed(events, ((RunEnded) events.get(events.size() - 1)).result(),
        Map.of("x", List.of("a")));
  }
  /**
   * As RunEvent documents: a node cancelled after it became ready (handed to the executor, never
   * started) has NodeReady then NodeEnded; one cancelled before it was ready has only NodeEnded.
   */
  @Test
  void nodeCancelledAfterBecomingReady_hasNodeReadyThenNodeEnded_beforeReady_onlyNodeEnded() {
    var held = new ArrayList<Runnable>();
    Executor holding = held::add; // takes tasks and runs none until the test says so
    var g = Graph.builder("cancel-handed-over");
    Node<String> handed = g.task("handed", () -> "never started");
    g.task("waiting", handed, s -> s);
    var recorder = new Recorder();
    var graph = build(g, holding, recorder);

    var future = graph.runAsync(Inputs.empty());
    assertEquals(1, held.size(), "'handed' was given to the executor");
    assertTrue(future.cancel(true));
    held.forEach(Runnable::run); // the executor gets to it only now: it must not start

    var events = recorder.events();
    assertEquals(List.of("ready", "ended"), kinds(events, "handed"));
    assertEquals(List.of("ended"), kinds(events, "waiting"));
    for (var node : List.of("handed", "waiting")) {
      assertInstanceOf(Outcome.Cancelled.class,
          only(events, node, NodeEnded.class).span().outcome(), node);
    }
  }
}
