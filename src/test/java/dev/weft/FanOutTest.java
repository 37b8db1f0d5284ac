package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link NodeBuilder#forEach}: one element task per item of a list known only at run time. */
class FanOutTest {
  private static RunOptions on(Executor executor) {
    return RunOptions.defaults().withExecutor(executor);
  }

  private static List<Integer> upTo(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void elements_giveTheirValuesInItemOrder_andRunAfterTheList(Executor executor) {
    var listEnded = new AtomicInteger();
    var early = new AtomicInteger();
    var g = Graph.builder("fan").options(on(executor));
    Input<Integer> n = g.input("n", Integer.class);
    Node<List<Integer>> ids = g.task("ids", n, count -> {
      listEnded.set(1);
      return upTo(count);
    });
    Node<List<String>> names = g.forEach("names", ids, id -> {
      if (listEnded.get() == 0) {
        early.incrementAndGet();
      }
      return "item-" + id;
    });
    Node<Integer> count = g.task("count", names, List::size);
    var graph = g.build();

    var result = graph.run(Inputs.of(n, 50));

    assertEquals(IntStream.range(0, 50).mapToObj(i -> "item-" + i).toList(), result.get(names));
    assertEquals(50, result.get(count));
    assertEquals(0, early.get(), "no element may start before its node's dependencies ended");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void emptyList_givesAnEmptyList_notASkip(Executor executor) {
    var g = Graph.builder("empty").options(on(executor));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> doubled = g.forEach("doubled", ids, id -> 2 * id);
    var result = g.build().run(Inputs.of(ids, List.of()));

    assertEquals(List.of(), result.get(doubled));
    assertEquals(List.of(), result.outcome(doubled) instanceof Outcome.Succeeded<?> s
        ? s.value() : null);
    assertTrue(result.spans().get(0).children().isEmpty());
  }

  @Test
  void nullList_failsTheNode_namingItAndItsDependency() {
    var g = Graph.builder("null-list");
    Node<List<Integer>> ids = g.task("ids", () -> null);
    Node<List<Integer>> each = g.forEach("each", ids, id -> id);
    var result = g.build().run(Inputs.empty());

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(each));
    var npe = assertInstanceOf(NullPointerException.class, failed.error());
    assertTrue(npe.getMessage().contains("node 'each' fans out over 'ids'"), npe.getMessage());
  }

  @Test
  void listLongerThanMaxElements_failsTheNode_beforeAnyElementStarts() {
    var started = new AtomicInteger();
    var g = Graph.builder("too-many");
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").maxElements(3).forEach(ids, id -> {
      started.incrementAndGet();
      return id;
    });
    var result = g.build().run(Inputs.of(ids, upTo(4)));

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(each));
    assertEquals("node 'each' got 4 items from 'ids', more than its maxElements of 3",
        failed.error().getMessage());
    assertEquals(0, started.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void maxConcurrency_runsExactlyThatManyElementsAtOnce(Executor executor) throws Exception {
    int limit = 3;
    var inFlight = new AtomicInteger();
    var most = new AtomicInteger();
    // every group of `limit` elements waits for each other: it trips only if `limit` run at once
    var barrier = new CyclicBarrier(limit);
    var g = Graph.builder("bounded").options(on(executor));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").maxConcurrency(limit).forEach(ids, id -> {
      most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        barrier.await(10, SECONDS);
        return id;
      } finally {
        inFlight.decrementAndGet();
      }
    });
    var result = g.build().run(Inputs.of(ids, upTo(4 * limit)));

    assertEquals(upTo(4 * limit), result.get(each));
    assertEquals(limit, most.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void firstFailedElement_failsTheNode_interruptsRunningSiblings_andStartsNoMore(
      Executor executor) throws Exception {
    var blocking = new CountDownLatch(1);
    var interrupted = new AtomicInteger();
    var started = ConcurrentHashMap.<Integer>newKeySet();
    var g = Graph.builder("fail-first").options(on(executor));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").maxConcurrency(2).forEach(ids, id -> {
      started.add(id);
      if (id == 0) {
        blocking.countDown();
        try {
          new CountDownLatch(1).await(10, SECONDS);
        } catch (InterruptedException e) {
          interrupted.incrementAndGet();
          throw e;
        }
        throw new AssertionError("element 0 should have been interrupted");
      }
      blocking.await(10, SECONDS);
      throw new IllegalStateException("photo " + id + " not found");
    });
    var result = g.build().run(Inputs.of(ids, upTo(10)));

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(each));
    var fanOut = assertInstanceOf(FanOutException.class, failed.error());
    assertEquals(1, fanOut.element());
    assertEquals("each", fanOut.node());
    assertEquals("photo 1 not found", fanOut.getCause().getMessage());
    assertEquals("element 1 of node 'each' failed: java.lang.IllegalStateException: photo 1 not "
        + "found", fanOut.getMessage());
    assertEquals(1, interrupted.get());
    assertEquals(java.util.Set.of(0, 1), started, "no element may start after the failure");
    var spans = result.spans().get(0).children();
    assertEquals(10, spans.size(), "every element ends with one outcome");
    assertInstanceOf(Outcome.Cancelled.class, spans.get(0).outcome());
    assertInstanceOf(Outcome.Failed.class, spans.get(1).outcome());
    for (int i = 2; i < 10; i++) {
      var cancelled = assertInstanceOf(Outcome.Cancelled.class, spans.get(i).outcome());
      assertEquals("element 1 of node 'each' failed", cancelled.reason());
      assertEquals(0, spans.get(i).attempts());
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void forEachOutcome_keepsEveryElementsOutcome_inItemOrder(Executor executor) {
    var g = Graph.builder("collect").options(on(executor));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Outcome<Integer>>> each = g.node("each").forEachOutcome(ids, id -> {
      if (id % 3 == 0) {
        throw new IllegalArgumentException("bad " + id);
      }
      return id * 10;
    });
    var result = g.build().run(Inputs.of(ids, upTo(7)));

    var outcomes = result.get(each);
    assertEquals(7, outcomes.size());
    for (int i = 0; i < 7; i++) {
      if (i % 3 == 0) {
        var failed = assertInstanceOf(Outcome.Failed.class, outcomes.get(i));
        assertEquals("bad " + i, failed.error().getMessage());
      } else {
        assertEquals(new Outcome.Succeeded<>("each", i * 10), outcomes.get(i));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void policies_applyPerElement_retryAndFallback(Executor executor) {
    var calls = new ConcurrentHashMap<Integer, AtomicInteger>();
    var g = Graph.builder("per-element").options(on(executor));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<String>> each = g.node("each")
        .retry(RetryPolicy.fixed(2, Duration.ZERO))
        .fallback("placeholder")
        .forEach(ids, id -> {
          int call = calls.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
          if (id == 1 && call == 1) {
            throw new IllegalStateException("flaky");
          }
          if (id == 2) {
            throw new IllegalStateException("down");
          }
          return "photo-" + id;
        });
    var result = g.build().run(Inputs.of(ids, upTo(4)));

    assertEquals(List.of("photo-0", "photo-1", "placeholder", "photo-3"), result.get(each));
    var spans = result.spans().get(0).children();
    assertEquals(List.of(1, 2, 2, 1), spans.stream().map(Span::attempts).toList());
    assertEquals(List.of(0, 1, 2, 3), spans.stream().map(Span::element).toList());
    assertEquals("each[2]", spans.get(2).label());
  }

  @Test
  void timeout_appliesPerElement_andTaskContextTellsTheElementsOwnBudget() throws Exception {
    var scheduler = new FakeScheduler();
    var remaining = new CopyOnWriteArrayList<Duration>();
    var indexes = new CopyOnWriteArrayList<Integer>();
    var othersEnded = new CountDownLatch(2);
    var blocking = new CountDownLatch(1);
    var g = Graph.builder("timeouts").options(RunOptions.defaults().withScheduler(scheduler)
        .withListener(e -> {
          if (e instanceof RunEvent.ElementEnded end && end.element() != 1) {
            othersEnded.countDown();
          }
        }));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").timeout(Duration.ofMillis(30)).fallback(-1)
        .forEach(ids, id -> {
          var ctx = TaskContext.current();
          remaining.add(ctx.remaining());
          indexes.add(ctx.element());
          if (id == 1) {
            blocking.countDown();
            new CountDownLatch(1).await(10, SECONDS); // interrupted by its own timeout
          }
          return id;
        });
    var future = g.build().runAsync(Inputs.of(ids, upTo(3)));
    assertTrue(othersEnded.await(10, SECONDS));
    assertTrue(blocking.await(10, SECONDS));
    scheduler.advance(Duration.ofMillis(30)); // only element 1's timer is left
    var result = future.get(10, SECONDS);

    assertEquals(List.of(0, -1, 2), result.get(each));
    assertEquals(List.of(Duration.ofMillis(30)), remaining.stream().distinct().toList());
    assertEquals(List.of(0, 1, 2), indexes.stream().sorted().toList());
    var timedOut = result.spans().get(0).children().get(1);
    assertEquals(new Outcome.Succeeded<>("each", -1), timedOut.outcome());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancellingTheRun_interruptsRunningElements_andCancelsTheRest(Executor executor)
      throws Exception {
    var running = new CountDownLatch(2);
    var interrupted = new AtomicInteger();
    var ended = new java.util.concurrent.CompletableFuture<RunResult>();
    var g = Graph.builder("cancel").options(on(executor).withListener(e -> {
      if (e instanceof RunEvent.RunEnded end) {
        ended.complete(end.result());
      }
    }));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").maxConcurrency(2).forEach(ids, id -> {
      running.countDown();
      try {
        new CountDownLatch(1).await(10, SECONDS);
      } catch (InterruptedException e) {
        interrupted.incrementAndGet();
        throw e;
      }
      return id;
    });
    var future = g.build().runAsync(Inputs.of(ids, upTo(6)));
    assertTrue(running.await(10, SECONDS));
    future.cancel(true);
    var result = ended.get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(each));
    assertEquals(2, interrupted.get());
    var spans = result.spans().get(0).children();
    assertEquals(6, spans.size());
    spans.forEach(s -> assertInstanceOf(Outcome.Cancelled.class, s.outcome()));
  }

  @Test
  void elementIgnoringTheInterrupt_isCutOffAtTheDeadline_andReportedByIndex() throws Exception {
    var clock = new FakeScheduler();
    var release = new CountDownLatch(1);
    var stuck = new CountDownLatch(1);
    var g = Graph.builder("straggler");
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.forEach("each", ids, id -> {
      if (id == 1) {
        stuck.countDown();
        while (release.getCount() > 0) {
          try {
            release.await();
          } catch (InterruptedException ignored) {
            // a task that ignores interrupts
          }
        }
      }
      return id;
    });
    try {
      var future = g.build().runAsync(Inputs.of(ids, upTo(2)),
          o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20)));
      assertTrue(stuck.await(10, SECONDS));
      clock.advance(Duration.ofMillis(20)); // the deadline: the run is cancelled
      clock.awaitTimers(1); // the cut-off's grace
      clock.advance(Duration.ofMillis(10));
      var result = future.get(10, SECONDS);

      assertTrue(result.deadlineExceeded());
      assertInstanceOf(Outcome.Cancelled.class, result.outcome(each));
      assertTrue(result.stragglers().containsKey("each[1]"), result.stragglers().toString());
      var element = result.spans().get(0).children().get(1);
      var cancelled = assertInstanceOf(Outcome.Cancelled.class, element.outcome());
      assertTrue(cancelled.reason().contains("cut off"), cancelled.reason());
      assertTrue(cancelled.reason().contains("deadline"), cancelled.reason());
    } finally {
      release.countDown();
    }
  }

  @Test
  void failFastElsewhere_stopsTheElements() throws Exception {
    var running = new CountDownLatch(1);
    var g = Graph.builder("fail-fast")
        .options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.forEach("each", ids, id -> {
      running.countDown();
      new CountDownLatch(1).await(10, SECONDS);
      return id;
    });
    g.task("boom", () -> {
      running.await(10, SECONDS);
      throw new IllegalStateException("boom");
    });
    var result = g.build().run(Inputs.of(ids, upTo(3)));

    var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(each));
    assertTrue(cancelled.reason().contains("'boom' failed"), cancelled.reason());
  }

  @Test
  void inlineFanOut_runsItsElementsOneAfterAnother_onOneThread() {
    var threads = ConcurrentHashMap.<Thread>newKeySet();
    var g = Graph.builder("inline-fan");
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").inline().forEach(ids, id -> {
      threads.add(Thread.currentThread());
      return id + 1;
    });
    var result = g.build().run(Inputs.of(ids, upTo(5)));

    assertEquals(List.of(1, 2, 3, 4, 5), result.get(each));
    assertEquals(1, threads.size());
  }

  @Test
  void listeners_seeEachElementBetweenItsNodesStartAndEnd() {
    var events = Collections.synchronizedList(new ArrayList<RunEvent>());
    var g = Graph.builder("events").options(RunOptions.defaults().withListener(events::add));
    Input<List<Integer>> ids = g.input("ids");
    g.forEach("each", ids, id -> id);
    g.build().run(Inputs.of(ids, upTo(3)));

    var kinds = new ArrayList<String>();
    synchronized (events) {
      for (var e : events) {
        switch (e) {
          case RunEvent.NodeStarted s -> kinds.add("start");
          case RunEvent.ElementStarted s -> kinds.add("start " + s.element());
          case RunEvent.ElementEnded s -> {
            kinds.add("end " + s.element());
            assertEquals(s.element(), s.span().element());
            assertEquals("each", s.node());
          }
          case RunEvent.NodeEnded s -> kinds.add("end");
          default -> {}
        }
      }
    }
    assertEquals("start", kinds.getFirst());
    assertEquals("end", kinds.getLast());
    for (int i = 0; i < 3; i++) {
      assertTrue(kinds.indexOf("start " + i) < kinds.indexOf("end " + i), kinds.toString());
    }
    assertEquals(8, kinds.size(), kinds.toString());
  }

  @Test
  void misuse_failsAtBuildTime_namingTheNode() {
    var g = Graph.builder("misuse");
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> declared = g.declare("declared");
    var forward = assertThrows(InvalidGraphException.class,
        () -> g.node(declared).forEach(ids, id -> List.of(id)));
    assertTrue(forward.getMessage().contains("node 'declared'"), forward.getMessage());
    var limits = assertThrows(InvalidGraphException.class,
        () -> g.node("plain").maxConcurrency(2).call(ids, List::size));
    assertTrue(limits.getMessage().contains("node 'plain'") && limits.getMessage()
        .contains("forEach"), limits.getMessage());
    assertThrows(IllegalArgumentException.class, () -> g.node("zero").maxConcurrency(0));
    assertThrows(IllegalArgumentException.class, () -> g.node("zero").maxElements(0));
  }

  /**
   * An element that leaves its thread's interrupt status set (restoring an interrupt it caught
   * from a client library, as the idiom says) leaves it to no other element: the next element on
   * that thread starts uninterrupted, its running siblings are not cancelled, and the node
   * succeeds with every value. Found by the property harness (an element restoring its
   * interrupt, then a sibling on the same lane starting interrupted).
   */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void elementLeavingItsInterruptSet_reachesNoOtherElement(Executor executor) {
    var startedInterrupted = new AtomicInteger();
    var g = Graph.builder("left-interrupt").options(on(executor));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").maxConcurrency(1).forEach(ids, id -> {
      if (Thread.currentThread().isInterrupted()) {
        startedInterrupted.incrementAndGet();
      }
      if (id % 2 == 0) {
        Thread.currentThread().interrupt(); // a client library's InterruptedException, restored
      }
      return id;
    });
    var result = g.build().run(Inputs.of(ids, upTo(4)));

    assertEquals(upTo(4), result.get(each));
    assertEquals(0, startedInterrupted.get(), "an element started with its interrupt set");
    result.spans().get(0).children()
        .forEach(s -> assertInstanceOf(Outcome.Succeeded.class, s.outcome()));
  }
}
