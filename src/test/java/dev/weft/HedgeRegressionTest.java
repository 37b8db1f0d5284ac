package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import dev.weft.testing.SafeText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What HedgePropertiesTest found, each pinned down: each failed until the library was fixed
 * (the properties let the known ones pass meanwhile; now they fail on them, unless {@code
 * -Dweft.hedges.lenient=true}: see {@code HedgeInvariants.STRICT}). Most are exact: the runs are
 * held at the moment that matters by listeners, scheduler methods and task bodies that block
 * (bounded) until the test lets them go.
 * Two are races between two threads that no hook can order, tried many times with a window held
 * open ({@code aFailedAttempt_sendsTheNextHedge...}, {@code stragglersInsideASubgraph...}).
 *
 * <p>Several stall a run's cancellation: its sweep goes through the nodes in declaration order,
 * and a listener that blocks on the NodeEnded of a waiting node it cancels holds it there, with
 * the run cancelled and the nodes declared after that one not yet stopped. A listener that
 * blocks on the ElementEnded of an element it cuts off holds the cut-off likewise.
 *
 * <p>All run always: the defects fixed, and two behaviours that became the documented contract (an
 * attempt stopped before it started has a HedgeEnded only; at the cut-off, a HedgeEnded held by
 * a slow listener arrives late). A test added for a newly found defect may be gated on a system
 * property until it is fixed, so that the build stays green meanwhile.
 */
class HedgeRegressionTest {
  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, SECONDS), "timed out after 10 s waiting until " + what);
  }

  /** Waits as {@link #await} does, from a listener or task: false rather than an error. */
  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(10, SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The events of one hedged node, as "started 0", "ended 1 succeeded", in order. */
  private static List<String> hedgeEvents(List<RunEvent> events, String node) {
    var out = new ArrayList<String>();
    for (var e : events) {
      if (e instanceof RunEvent.HedgeStarted s && s.node().equals(node)) {
        out.add("started " + s.hedge());
      } else if (e instanceof RunEvent.HedgeEnded h && h.node().equals(node)) {
        out.add("ended " + h.hedge() + " " + h.span().outcome().status().label());
      }
    }
    return out;
  }

  /**
   * A scheduler on the system clock that hands each timer to a thread of its own at once (a
   * delay of zero, in effect) and returns from {@code schedule} only once {@code returnWhen} is
   * open: a timer thread that runs ahead of the thread that set it, as on a loaded machine.
   */
  private record EagerTimers(CountDownLatch returnWhen) implements Scheduler {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      var done = new CompletableFuture<Void>();
      Thread.ofVirtual().name("eager-timer").start(() -> {
        action.run();
        done.complete(null);
      });
      awaitQuietly(returnWhen);
      return done;
    }

    @Override
    public void sleep(long delay, TimeUnit unit) throws InterruptedException {
      Scheduler.system().sleep(delay, unit);
    }
  }

  /**
   * An attempt sent but stopped before it started (here the first, which a hedge beat) has its
   * HedgeEnded, and so, as every attempt that ends, a HedgeStarted before it; EventLog.check
   * holds every run to that. Today it gets a HedgeEnded only, its span on no thread. (If an
   * attempt that never started should have no HedgeStarted, as a node cancelled before it
   * started has no NodeStarted, the fix is RunEvent's javadoc and EventLog.check instead; then
   * drop this test.)
   */
  @Test
  void anAttemptStoppedBeforeItStarted_hasAHedgeEndedOnly_asItsEventSays()
      throws Exception {
    var events = new CopyOnWriteArrayList<RunEvent>();
    var hedgeWon = new CountDownLatch(1);
    RunListener listener = e -> {
      events.add(e);
      if (e instanceof RunEvent.HedgeEnded h && h.hedge() == 1) {
        hedgeWon.countDown();
      }
    };
    var g = Graph.builder("hedging");
    var search = g.node("search").hedge(HedgePolicy.after(Duration.ofMillis(1)))
        .call(List.of(), deps -> "attempt " + TaskContext.current().hedge());
    var graph = g.build();

    // the first attempt's thread sets the hedge's timer and is held there until the hedge won
    var result = graph.run(Inputs.empty(),
        o -> o.withScheduler(new EagerTimers(hedgeWon)).withListener(listener));

    assertEquals("attempt 1", result.get(search));
    var first = result.spans().getFirst().children().getFirst();
    assertEquals("search (first)", first.label());
    assertInstanceOf(Outcome.Cancelled.class, first.outcome());
    // the contract RunEvent.HedgeEnded states: stopped before it started, it has a HedgeEnded
    // only, and its span shows no thread and no time
    var seen = hedgeEvents(events, "search");
    assertTrue(seen.contains("ended 0 cancelled") && !seen.contains("started 0"),
        "the first attempt's events: " + seen);
    assertEquals(0, first.threadId());
    assertEquals(first.started(), first.ended());
  }

  /**
   * A scheduler on the system clock whose {@code schedule}, called on a hedge's thread, returns
   * only once {@code returnWhen} is open (or after a second): a thread descheduled between
   * sending a hedge and arming the timer of the next, as on a loaded machine. It notes whether
   * it had to give up waiting.
   */
  private record SlowToArmOnHedges(CountDownLatch returnWhen,
      java.util.concurrent.atomic.AtomicBoolean gaveUp) implements Scheduler {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      if (Thread.currentThread().getName().equals("weft-hedge")) {
        try {
          if (!returnWhen.await(1, SECONDS)) {
            gaveUp.set(true);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Scheduler.system().schedule(action, delay, unit);
    }

    @Override
    public void sleep(long delay, TimeUnit unit) throws InterruptedException {
      Scheduler.system().sleep(delay, unit);
    }
  }

  /**
   * Every attempt that fails while hedges are left sends the next at once, so a node whose
   * calls all fail is called {@code 1 + maxHedges} times before it fails. Today, when an attempt
   * fails while the thread that sent it has not yet armed the next hedge's timer, it finds every
   * attempt sent ended and no timer, and closes the set; if the node's thread, woken, takes the
   * set's lock before the failed attempt sends its hedge, that hedge is never sent (3 calls of
   * 4 here), and a node that would have recovered fails. A race between two threads: the
   * node's thread is the caller's (caller-runs), and a hedge's thread is held before it arms the
   * next timer; it hits about one run in ten, so up to 300 runs are tried. (If a fix makes the set
   * wait for the thread arming the timer, the scheduler gives up after a second, and so does
   * the test.)
   */
  @Test
  void aFailedAttempt_sendsTheNextHedge_evenWhileTheOneBeforeIsBeingArmed() throws Exception {
    var calls = new java.util.concurrent.atomic.AtomicInteger();
    var g = Graph.builder("hedging");
    var search = g.node("search").hedge(HedgePolicy.after(Duration.ofHours(1)).withMaxHedges(3))
        .call(List.of(), deps -> {
          calls.incrementAndGet();
          throw new java.io.IOException("attempt " + TaskContext.current().hedge() + " failed");
        });
    var graph = g.build();
    var gaveUp = new java.util.concurrent.atomic.AtomicBoolean();
    for (int i = 0; i < 300 && !gaveUp.get(); i++) {
      calls.set(0);
      var ended = new CountDownLatch(1);
      RunListener listener = e -> {
        if (e instanceof RunEvent.NodeEnded) {
          ended.countDown();
        }
      };
      var result = graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run)
          .withScheduler(new SlowToArmOnHedges(ended, gaveUp)).withListener(listener));

      assertInstanceOf(Outcome.Failed.class, result.outcome(search));
      assertEquals(4, calls.get(), "run " + i + ": calls of a node whose every attempt fails, "
          + "maxHedges 3; its attempts: " + result.spans().getFirst().children());
    }
  }

  /** A graph whose cancellation a listener can hold: see the class comment. */
  private record Stalled(Graph graph, Node<String> search, CountDownLatch rootStarted) {}

  /**
   * {@code root} runs until interrupted, {@code waiter} waits for it (so the cancellation's
   * sweep ends it, and a listener can hold the sweep there), and {@code search}, declared last,
   * is hedged as {@code policy} says and runs {@code body}.
   */
  private static Stalled stalled(HedgePolicy policy, java.util.concurrent.Callable<String> body) {
    var g = Graph.builder("hedging");
    var rootStarted = new CountDownLatch(1);
    var root = g.node("root").call(List.of(), deps -> {
      rootStarted.countDown();
      new CountDownLatch(1).await(10, SECONDS); // until the cancellation interrupts it
      return "root";
    });
    g.node("waiter").call(root, r -> "waiter");
    var search = g.node("search").hedge(policy).call(body);
    return new Stalled(g.build(), search, rootStarted);
  }

  /**
   * A hedged node whose attempts its run's cancellation stopped is Cancelled, as an unhedged one
   * is. Today, when the cancellation reaches the attempts before the node itself (an attempt's
   * thread back from a listener finds the run cancelled, and interrupts itself), every attempt
   * ends cancelled, the set throws a CancellationException, and the node, not yet interrupted,
   * ends Failed with it: a failure (in failures(), failing the run fast) that is none.
   */
  @Test
  void aHedgedNodeStoppedByItsRunsCancellation_isCancelled_notFailedWithACancellation()
      throws Exception {
    var held = new CountDownLatch(1);
    var sweepStarted = new CountDownLatch(1);
    var searchEnded = new CountDownLatch(1);
    var result = new AtomicReference<RunResult>();
    // a cold percentile policy sends no hedge: the first attempt is the whole set
    var s = stalled(HedgePolicy.percentile(0.95), () -> {
      new CountDownLatch(1).await(10, SECONDS); // interrupted by the cancellation
      return "never";
    });
    RunListener listener = e -> {
      switch (e) {
        case RunEvent.HedgeStarted h -> {
          held.countDown();
          awaitQuietly(sweepStarted); // the run is cancelled now; its sweep has not reached us
        }
        case RunEvent.NodeEnded n when n.node().equals("waiter") -> {
          sweepStarted.countDown();
          awaitQuietly(searchEnded); // the sweep waits here until search ended
        }
        case RunEvent.NodeEnded n when n.node().equals("search") -> searchEnded.countDown();
        case RunEvent.RunEnded r -> result.set(r.result());
        default -> {}
      }
    };
    var future = s.graph().runAsync(Inputs.empty(), o -> o.withListener(listener));
    await(s.rootStarted(), "root started");
    await(held, "search's first attempt is held in its HedgeStarted");
    cancelFromAnotherThread(future);

    assertNotNull(result.get(), "no RunEnded");
    var outcome = result.get().outcome(s.search());
    assertInstanceOf(Outcome.Cancelled.class, outcome, "search ended " + outcome);
  }

  /**
   * What a hedged attempt's HedgeEnded carries is its span for good: the result shows the same.
   * Today an attempt its run's cancellation stopped before its table was stopped reads its
   * reason when asked, from the table: its HedgeEnded says the run was cancelled by its caller,
   * the result, once a hedge won afterwards, "hedge 1 won", which is not why it stopped.
   */
  @Test
  void aHedgedAttemptsSpan_isTheSameInItsHedgeEndedAndInTheResult() throws Exception {
    var firstHeld = new CountDownLatch(1);
    var hedgeRunning = new CountDownLatch(1);
    var sweepStarted = new CountDownLatch(1);
    var firstEnded = new CountDownLatch(1);
    var searchEnded = new CountDownLatch(1);
    var endedSpan = new AtomicReference<Span>();
    var result = new AtomicReference<RunResult>();
    var s = stalled(HedgePolicy.after(Duration.ofNanos(1)), () -> {
      if (TaskContext.current().hedge() == 1) {
        hedgeRunning.countDown();
        awaitQuietly(firstEnded); // wins once the first attempt ended
        return "hedge";
      }
      new CountDownLatch(1).await(10, SECONDS); // the first: interrupted by the cancellation
      return "never";
    });
    RunListener listener = e -> {
      switch (e) {
        case RunEvent.HedgeStarted h when h.hedge() == 0 -> {
          firstHeld.countDown();
          awaitQuietly(sweepStarted);
        }
        case RunEvent.HedgeEnded h when h.hedge() == 0 -> {
          endedSpan.set(h.span());
          firstEnded.countDown();
        }
        case RunEvent.NodeEnded n when n.node().equals("waiter") -> {
          sweepStarted.countDown();
          awaitQuietly(searchEnded);
        }
        case RunEvent.NodeEnded n when n.node().equals("search") -> searchEnded.countDown();
        case RunEvent.RunEnded r -> result.set(r.result());
        default -> {}
      }
    };
    var future = s.graph().runAsync(Inputs.empty(), o -> o.withListener(listener));
    await(s.rootStarted(), "root started");
    await(firstHeld, "search's first attempt is held in its HedgeStarted");
    await(hedgeRunning, "search's hedge runs");
    cancelFromAnotherThread(future);

    assertNotNull(result.get(), "no RunEnded");
    var span = result.get().spans().stream().filter(x -> x.node().equals("search")).findFirst()
        .orElseThrow();
    assertNotNull(endedSpan.get(), "no HedgeEnded for search's first attempt");
    assertEquals(endedSpan.get(), span.children().getFirst(),
        "search's first attempt in its HedgeEnded and in the result");
  }

  /** Waits for {@code latch} (bounded), swallowing interrupts: a call that ignores them. */
  /**
   * Cancels {@code future} from a thread of its own (a listener may hold the sweep, and the test's
   * thread is needed to let it go), and fails unless {@code cancel} returns within 20 s.
   */
  private static void cancelFromAnotherThread(java.util.concurrent.Future<?> future)
      throws InterruptedException {
    var canceller = Thread.ofVirtual().start(() -> future.cancel(true));
    assertTrue(canceller.join(Duration.ofSeconds(20)), "cancel() did not return");
  }

  /** Waits for {@code latch} up to 10 s, going on through interrupts (a task that ignores them). */
  static void awaitIgnoringInterrupts(CountDownLatch latch) {
    awaitIgnoringInterrupts(latch, Duration.ofSeconds(10));
  }

  private static void awaitIgnoringInterrupts(CountDownLatch latch, Duration bound) {
    long until = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < until) {
      try {
        if (latch.await(until - System.nanoTime(), TimeUnit.NANOSECONDS)) {
          return;
        }
      } catch (InterruptedException ignored) {
        // it goes on
      }
    }
  }

  /**
   * A hedged node one of whose attempts won succeeds with its value, also when its run is
   * cancelled before the losers have ended (a loser that ignores interrupts holds the node until
   * it returns), as an unhedged node whose body returned a value succeeds whatever reached it
   * meanwhile. Today it ends Cancelled, its winner's span Succeeded: the value was there before
   * the cancellation and is dropped. (The library's call: if that is meant, the properties'
   * STRICT check and this test go.)
   */
  @Test
  void aHedgedNodeWhoseHedgeWon_succeeds_whenItsRunIsCancelledBeforeTheLosersEnded()
      throws Exception {
    var firstStarted = new CountDownLatch(1);
    var hedgeWon = new CountDownLatch(1);
    var sweptPast = new CountDownLatch(1);
    var result = new AtomicReference<RunResult>();
    var g = Graph.builder("hedging");
    var search = g.node("search").hedge(HedgePolicy.after(Duration.ofNanos(1)))
        .call(List.of(), deps -> {
          if (TaskContext.current().hedge() == 1) {
            awaitQuietly(firstStarted);
            return "hedge"; // wins while the first still runs
          }
          firstStarted.countDown();
          awaitIgnoringInterrupts(sweptPast); // a loser that holds the node
          return "first";
        });
    g.node("after").call(search, s -> s); // waiting, so the cancellation ends it after search
    var graph = g.build();
    RunListener listener = e -> {
      switch (e) {
        case RunEvent.HedgeEnded h when h.hedge() == 1 -> hedgeWon.countDown();
        case RunEvent.NodeEnded n when n.node().equals("after") -> sweptPast.countDown();
        case RunEvent.RunEnded r -> result.set(r.result());
        default -> {}
      }
    };
    var future = graph.runAsync(Inputs.empty(), o -> o.withListener(listener));
    await(hedgeWon, "the hedge won");
    cancelFromAnotherThread(future);

    assertNotNull(result.get(), "no RunEnded");
    var span = result.get().spans().getFirst();
    assertEquals("search", span.node());
    assertEquals("search (hedge 1)=succeeded", span.children().get(1).label() + "="
        + span.children().get(1).outcome().status().label());
    assertEquals(new Outcome.Succeeded<>("search", "hedge"), result.get().outcome(search));
  }

  /**
   * A hedged node's attempts end within the node's span, also when an attempt ends by itself
   * (here a hedge that returns its value despite the interrupt) while the cut-off is ending the
   * run, before it reached this node. The cut-off read the time once, as it began, and gave it to
   * every task it cut, so the node ended before that attempt; it now reads the time as it cuts
   * each task. The cut-off is held by a listener: it delivers the ElementEnded of a fan-out
   * declared before, which it cuts off first.
   */
  @Test
  void anAttemptThatEndsWhileTheCutOffIsEndingItsNode_endsWithinTheNodesSpan() throws Exception {
    var running = new CountDownLatch(3); // the element, search's first attempt and its hedge
    var releaseHedge = new CountDownLatch(1);
    var hedgeEnded = new CountDownLatch(1);
    var releaseAll = new CountDownLatch(1);
    var result = new AtomicReference<RunResult>();
    var g = Graph.builder("hedging");
    var ids = g.input("ids", List.class);
    @SuppressWarnings("unchecked")
    Dep<List<Integer>> items = (Dep<List<Integer>>) (Dep<?>) ids;
    g.node("photos").forEach(items, (Integer id) -> {
      running.countDown();
      awaitIgnoringInterrupts(releaseAll); // a straggler
      return "photo " + id;
    });
    var search = g.node("search").hedge(HedgePolicy.after(Duration.ofNanos(1)))
        .call(List.of(), deps -> {
          running.countDown();
          if (TaskContext.current().hedge() == 1) {
            awaitIgnoringInterrupts(releaseHedge);
            return "hedge"; // ends by itself, while the cut-off is under way
          }
          awaitIgnoringInterrupts(releaseAll); // a straggler: the node is cut off
          return "first";
        });
    var graph = g.build();
    RunListener listener = e -> {
      switch (e) {
        case RunEvent.ElementEnded el -> {
          releaseHedge.countDown();
          awaitQuietly(hedgeEnded); // the cut-off waits here, before it reaches search
        }
        case RunEvent.HedgeEnded h when h.hedge() == 1 -> hedgeEnded.countDown();
        case RunEvent.RunEnded r -> result.set(r.result());
        default -> {}
      }
    };
    try {
      var future = graph.runAsync(Inputs.of(ids, List.of(1)), o -> o.withListener(listener));
      await(running, "the element and both of search's attempts run");
      cancelFromAnotherThread(future);
    } finally {
      releaseAll.countDown();
    }

    assertNotNull(result.get(), "no RunEnded");
    var span = result.get().spans().stream().filter(x -> x.node().equals("search")).findFirst()
        .orElseThrow();
    var hedge = span.children().get(1);
    assertTrue(hedge.ended().compareTo(span.ended()) <= 0, hedge.label() + " ended at "
        + hedge.ended() + ", after its node, " + SafeText.of(span.outcome()) + " at "
        + span.ended());
  }

  /**
   * A fan-out whose elements did not all succeed is not Succeeded with a list holding what they
   * threw. Today, when an element starts after its run's cancellation began and before it
   * reached the fan-out (a guarded element, here hedged, interrupts itself once its
   * ElementStarted is delivered: the run is halted), the element ends Cancelled while its node
   * is not stopped yet, and the node succeeds with the element's CancellationException as that
   * element's value. (Not only hedged elements: any guarded element, with a retry policy say,
   * that ends Cancelled so leaves what it threw in the list.)
   */
  @Test
  void aFanOutWithACancelledElement_isNotSucceededWithTheCancellationAsAValue()
      throws Exception {
    var run = runAFanOutWhoseSecondElementStartsAfterTheCancellation(false);
    var outcome = run.outcome();
    assertTrue(!(outcome instanceof Outcome.Succeeded<?> ok)
        || ok.value() instanceof List<?> list && list.stream().allMatch(String.class::isInstance),
        "photos ended " + SafeText.of(outcome) + ", its elements " + elementsOf(run.result()));
  }

  /**
   * The same for a fan-out that collects its elements' outcomes: a list holding an element's
   * Cancelled is not a value the node succeeds with, since only a stop of the node or of its
   * run cancels an element there. SchedulingPropertiesTest found it once (fail-fast, a
   * collecting fan-out succeeded with two Cancelled elements, 1 case in about 30,000); this
   * pins the collecting variant of the scenario above, which today ends without a Cancelled
   * element, so it does not reproduce that race: the fix is the same check as the sibling's.
   */
  @Test
  void aCollectingFanOutWithACancelledElement_isNotSucceededWithTheCancellationInItsList()
      throws Exception {
    var run = runAFanOutWhoseSecondElementStartsAfterTheCancellation(true);
    var outcome = run.outcome();
    assertTrue(!(outcome instanceof Outcome.Succeeded<?> ok) || ok.value() instanceof List<?> list
        && list.stream().noneMatch(Outcome.Cancelled.class::isInstance),
        "photos ended " + SafeText.of(outcome) + ", its elements " + elementsOf(run.result()));
  }

  private static String elementsOf(RunResult result) {
    return SafeText.of(result.spans().stream().filter(x -> x.node().equals("photos"))
        .findFirst().orElseThrow().children());
  }

  /**
   * A hedged fan-out of two elements, one at a time, whose second element starts once the run's
   * cancellation has begun and before it reached the fan-out. {@return the run's result, and the
   * fan-out}
   */
  private static FanOutRun runAFanOutWhoseSecondElementStartsAfterTheCancellation(
      boolean collect) throws Exception {
    var firstRunning = new CountDownLatch(1);
    var sweepStarted = new CountDownLatch(1);
    var photosEnded = new CountDownLatch(1);
    var result = new AtomicReference<RunResult>();
    var g = Graph.builder("hedging");
    var ids = g.input("ids", List.class);
    @SuppressWarnings("unchecked")
    Dep<List<Integer>> items = (Dep<List<Integer>>) (Dep<?>) ids;
    var rootStarted = new CountDownLatch(1);
    var root = g.node("root").call(List.of(), deps -> {
      rootStarted.countDown();
      new CountDownLatch(1).await(10, SECONDS); // until the cancellation interrupts it
      return "root";
    });
    g.node("waiter").call(root, r -> "waiter");
    Fn.F1<Integer, String> body = id -> {
      if (id == 1) {
        firstRunning.countDown();
        awaitIgnoringInterrupts(sweepStarted); // the second starts once the run is cancelled
      }
      return "photo " + id;
    };
    var builder = g.node("photos").hedge(HedgePolicy.after(Duration.ofHours(1))).maxConcurrency(1);
    Node<?> photos = collect ? builder.forEachOutcome(items, body) : builder.forEach(items, body);
    var graph = g.build();
    RunListener listener = e -> {
      switch (e) {
        case RunEvent.NodeEnded n when n.node().equals("waiter") -> {
          sweepStarted.countDown();
          awaitQuietly(photosEnded); // the sweep waits here until photos ended
        }
        case RunEvent.NodeEnded n when n.node().equals("photos") -> photosEnded.countDown();
        case RunEvent.RunEnded r -> result.set(r.result());
        default -> {}
      }
    };
    var future = graph.runAsync(Inputs.of(ids, List.of(1, 2)), o -> o.withListener(listener));
    await(rootStarted, "root started");
    await(firstRunning, "photos[0] runs");
    cancelFromAnotherThread(future);
    assertNotNull(result.get(), "no RunEnded");
    return new FanOutRun(result.get(), photos);
  }

  private record FanOutRun(RunResult result, Node<?> photos) {
    Outcome<?> outcome() {
      return result.outcome(photos);
    }
  }

  /**
   * At the cut-off, an attempt that has ended but not yet been counted (its thread is delivering
   * its HedgeEnded, to a listener that blocks, waiting for RunEnded) is not waited for once its
   * task is cut: the listeners after it get that HedgeEnded after the task's NodeEnded, maybe
   * after RunEnded, as RunListener documents. Each event still arrives once. (An earlier version
   * of this test asked for the impossible order; found by the harness.) When the cut-off comes
   * while that attempt still holds its task, it waits for the listener, as anything waits for a
   * listener that blocks, which a listener must not: here for the second the listener allows.
   */
  @Test
  void aHedgeEndedHeldByAListenerAtTheCutOff_arrivesLate_butOnce() throws Exception {
    var hedgeRunning = new CountDownLatch(1);
    var runEnded = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var seen = new CopyOnWriteArrayList<String>();
    var recorded = new CountDownLatch(4);
    var g = Graph.builder("hedging");
    g.node("search").hedge(HedgePolicy.after(Duration.ofNanos(1))).call(List.of(), deps -> {
      if (TaskContext.current().hedge() == 1) {
        hedgeRunning.countDown();
        awaitIgnoringInterrupts(release); // a straggler: the cut-off ends it
        return "hedge";
      }
      awaitQuietly(hedgeRunning);
      return "first"; // wins
    });
    var graph = g.build();
    RunListener slow = e -> {
      if (e instanceof RunEvent.HedgeEnded h && h.hedge() == 0) {
        // the winner's thread is held here, as long as a listener may block (RunListener: it
        // must not; one that does holds what waits for it, for at most this second)
        awaitIgnoringInterrupts(runEnded, Duration.ofSeconds(1));
      } else if (e instanceof RunEvent.RunEnded) {
        runEnded.countDown();
      }
    };
    RunListener recorder = e -> {
      var what = switch (e) {
        case RunEvent.HedgeEnded h -> "HedgeEnded " + h.hedge();
        case RunEvent.NodeEnded n -> "NodeEnded";
        case RunEvent.RunEnded r -> "RunEnded";
        default -> null;
      };
      if (what != null) {
        seen.add(what);
        recorded.countDown();
      }
    };
    try {
      var future = graph.runAsync(Inputs.empty(), o -> o.withListener(slow)
          .withListener(recorder));
      await(hedgeRunning, "search's hedge runs");
      cancelFromAnotherThread(future);
      await(runEnded, "RunEnded");
    } finally {
      release.countDown();
    }
    await(recorded, "the recorder got both HedgeEnded, the NodeEnded and RunEnded");
    // Each event once, RunEnded after NodeEnded. Where the cut-off found the task already cut
    // loose from its winning attempt, the held HedgeEnded comes after NodeEnded (racing RunEnded,
    // which releases it on its way through the slow listener first); where the attempt still
    // held its task, the cut-off waited for it, as for any listener that blocks: in order.
    assertEquals(4, seen.size(), "each event once: " + seen);
    assertEquals(java.util.Set.of("HedgeEnded 0", "HedgeEnded 1", "NodeEnded", "RunEnded"),
        java.util.Set.copyOf(seen), "each event once: " + seen);
    assertEquals("HedgeEnded 1", seen.get(0), "the straggler's, cut first: " + seen);
    assertTrue(seen.indexOf("NodeEnded") < seen.indexOf("RunEnded"), "in order: " + seen);
  }

  /**
   * An element whose retry was announced (ElementRetried) and which its fan-out stopped before
   * that retry began ends Cancelled, as EventLog.check holds every run to, and as it does when
   * the fan-out's stop reaches it first; also when it looks between its attempts while the
   * stop is under way (the fan-out's first failure set its stop, and the sweep of its elements
   * waits on an earlier element held in a listener), where it ended Failed with the failure it
   * was going to retry: the stop now ends it with a CancellationException (that failure
   * attached), which an element of a stopped fan-out ends Cancelled with. Not about hedges
   * (found by the hedge properties, on an unhedged fan-out).
   * Held by a scheduler whose sleep, the retry's delay, returns once the failing element's
   * thread is in that sweep (read from its stack: the only sign of it).
   */
  @Test
  void anElementStoppedBetweenItsAttempts_isCancelled_notFailedWithWhatItWouldRetry()
      throws Exception {
    var aHeld = new CountDownLatch(1);
    var bSleeping = new CountDownLatch(1);
    var bEnded = new CountDownLatch(1);
    var cThread = new AtomicReference<Thread>();
    var bThread = new AtomicReference<Thread>();
    var result = new AtomicReference<RunResult>();
    var g = Graph.builder("fan-out");
    var ids = g.input("ids", List.class);
    @SuppressWarnings("unchecked")
    Dep<List<String>> items = (Dep<List<String>>) (Dep<?>) ids;
    var photos = g.node("photos").retry(RetryPolicy.fixed(2, Duration.ofMillis(1)))
        .forEach(items, (String id) -> {
          switch (id) {
            case "a", "b" -> {
              if (id.equals("b")) {
                bThread.set(Thread.currentThread());
              }
              throw new java.io.IOException(id + " failed"); // retried
            }
            default -> {
              cThread.set(Thread.currentThread());
              await(aHeld, "a's retry is announced");
              await(bSleeping, "b waits for its retry");
              throw new AssertionError("c fails for good: the fan-out stops");
            }
          }
        });
    var graph = g.build();
    Scheduler clock = new Scheduler() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
        return Scheduler.system().schedule(action, delay, unit);
      }

      @Override
      public void sleep(long delay, TimeUnit unit) throws InterruptedException {
        if (Thread.currentThread() == bThread.get()) {
          bSleeping.countDown();
          long bound = System.nanoTime() + SECONDS.toNanos(10);
          while (!inStopAll(cThread.get()) && System.nanoTime() < bound) {
            Thread.onSpinWait(); // bounded: until c's thread stops the fan-out's elements
          }
        }
      }
    };
    RunListener listener = e -> {
      switch (e) {
        case RunEvent.ElementRetried r when r.element() == 0 -> {
          aHeld.countDown();
          awaitQuietly(bEnded); // a is held, and the fan-out's stop waits on it
        }
        case RunEvent.ElementEnded el when el.element() == 1 -> bEnded.countDown();
        case RunEvent.RunEnded r -> result.set(r.result());
        default -> {}
      }
    };

    graph.run(Inputs.of(ids, List.of("a", "b", "c")),
        o -> o.withScheduler(clock).withListener(listener));

    assertNotNull(result.get(), "no RunEnded");
    var b = result.get().spans().stream().filter(x -> x.node().equals("photos")).findFirst()
        .orElseThrow().children().get(1);
    assertInstanceOf(Outcome.Cancelled.class, b.outcome(), "photos[1], whose retry was "
        + "announced, ended " + SafeText.of(b.outcome()));
    assertInstanceOf(Outcome.Failed.class, result.get().outcome(photos));
  }

  /** {@return whether {@code t} is in an Elements' stopAll: the fan-out stops its elements} */
  private static boolean inStopAll(Thread t) {
    if (t == null) {
      return false;
    }
    for (var frame : t.getStackTrace()) {
      if (frame.getMethodName().equals("stopAll")
          && frame.getClassName().endsWith("internal.Elements")) {
        return true;
      }
    }
    return false;
  }

  /**
   * A node whose body returns a value despite its run's cancellation succeeds, hedged or not (a
   * task that returns a value despite the interrupt succeeded, as the engine's attempt protocol
   * says). Today the same node, hedged (no hedge is even sent), ends Cancelled, its only attempt
   * Succeeded. What the properties saw most often with strict checks, before it was fixed.
   */
  @Test
  void aNodeWhoseBodyReturnsDespiteTheCancellation_succeeds_hedgedOrNot() throws Exception {
    for (boolean hedged : new boolean[] {false, true}) {
      var running = new CountDownLatch(1);
      var result = new AtomicReference<RunResult>();
      var g = Graph.builder("hedging");
      var node = g.node("search");
      if (hedged) {
        node.hedge(HedgePolicy.after(Duration.ofHours(1)));
      }
      var search = node.call(List.of(), deps -> {
        running.countDown();
        try {
          new CountDownLatch(1).await(10, SECONDS);
          return "never";
        } catch (InterruptedException e) {
          return "despite"; // the interrupt of the cancellation: a value all the same
        }
      });
      RunListener listener = e -> {
        if (e instanceof RunEvent.RunEnded r) {
          result.set(r.result());
        }
      };
      var future = g.build().runAsync(Inputs.empty(), o -> o.withListener(listener));
      await(running, "search runs");
      future.cancel(true);

      assertNotNull(result.get(), "no RunEnded");
      assertEquals(new Outcome.Succeeded<>("search", "despite"), result.get().outcome(search),
          hedged ? "hedged" : "not hedged");
    }
  }

  /**
   * Tasks of a subgraph still running when its run's cut-off ends it are stragglers of the run
   * around it too, named by their path ({@code host/slow}), in the result the future and
   * RunEnded hand out; also when the subgraph's own cut-off (armed first, as the outer sweep
   * cancels it) ends them just before the run's cut-off looks inside, where they were missing,
   * and were added to the handed-out result later, when the subgraph node's thread got back: the
   * run's cut-off now takes the stragglers the subgraph's has cut, waiting out one under way.
   * Not about hedges: found by the hedge properties, which check the stragglers before waiting
   * for the bodies to end. The race is between the two cut-offs' threads: tried 50 times.
   */
  @Test
  void stragglersInsideASubgraph_areTheRunsToo_whenTheSubgraphsOwnCutOffCameFirst()
      throws Exception {
    var inner = Graph.builder("inner");
    var release = new CountDownLatch(1);
    var started = new java.util.concurrent.Semaphore(0);
    var slow = inner.node("slow").call(() -> {
      started.release();
      long until = System.nanoTime() + SECONDS.toNanos(10);
      while (System.nanoTime() < until) { // until the test releases it, ignoring interrupts
        try {
          if (release.await(until - System.nanoTime(), TimeUnit.NANOSECONDS)) {
            break;
          }
        } catch (InterruptedException ignored) {
          // a straggler: it goes on
        }
      }
      return "slow";
    });
    var g = Graph.builder("outer");
    g.node("host").subgraph(Subgraph.of(inner.build(), slow));
    var graph = g.build();
    var deadline = Duration.ofMillis(50);
    for (int i = 0; i < 50; i++) {
      var clock = new FakeScheduler();
      var atEnd = new AtomicReference<java.util.Map<String, Thread>>();
      RunListener listener = e -> {
        if (e instanceof RunEvent.RunEnded r && r.graph().equals("outer")) {
          atEnd.set(java.util.Map.copyOf(r.result().stragglers()));
        }
      };
      var future = graph.runAsync(Inputs.empty(),
          o -> o.withScheduler(clock).withDeadline(deadline).withListener(listener));
      clock.awaitTimers(2); // the outer run's deadline and the inner one's
      // running before the deadline, or it would be cancelled unstarted: no straggler at all
      assertTrue(started.tryAcquire(10, SECONDS), "run " + i + ": 'slow' did not start");
      clock.advance(deadline);
      clock.awaitTimers(2); // the cut-offs, the inner one armed first
      clock.advance(Duration.ofMillis(10));
      var r = future.get(10, SECONDS);
      assertNotNull(atEnd.get(), "no RunEnded for the outer run");
      assertTrue(atEnd.get().containsKey("host/slow"), "run " + i + ": the stragglers "
          + atEnd.get().keySet() + " leave out host/slow, which still runs");
      assertEquals(atEnd.get().keySet(), r.stragglers().keySet(),
          "the stragglers at RunEnded and later");
    }
    release.countDown();
  }
}
