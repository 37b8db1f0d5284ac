package dev.weft;

import static dev.weft.CircuitBreaker.State.CLOSED;
import static dev.weft.CircuitBreaker.State.DISABLED;
import static dev.weft.CircuitBreaker.State.FORCED_OPEN;
import static dev.weft.CircuitBreaker.State.HALF_OPEN;
import static dev.weft.CircuitBreaker.State.OPEN;
import static dev.weft.GuardedNode.failure;
import static dev.weft.GuardedNode.value;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.CircuitBreaker.Transition;
import dev.weft.CircuitBreaker.Transition.Reason;
import dev.weft.testing.FakeScheduler;
import dev.weft.testing.LogCapture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A breaker's state changes as its listeners see them, those it makes by itself and those made by
 * hand ({@code forceOpen}, {@code disable}, {@code reset}): each delivered once, in order, outside
 * the breaker's lock, even when calls race.
 */
class CircuitBreakerEventsTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);

  private final FakeScheduler clock = new FakeScheduler();
  private final List<Transition> seen = Collections.synchronizedList(new ArrayList<>());

  private CircuitBreaker.Builder breaker(String name) {
    return CircuitBreaker.builder(name).slidingWindow(2).minimumCalls(2).openDuration(OPEN_FOR)
        .scheduler(clock).onStateChange(seen::add);
  }

  private Transition transition(CircuitBreaker.State from, CircuitBreaker.State to, Reason reason,
      double failureRate, long at) {
    return new Transition("pricing", from, to, reason, failureRate, 0, at);
  }

  // ---- what the breaker does by itself ----

  @Test
  void transitions_areDeliveredInOrder_theLazyHalfOpeningAtTheTimeItWasDue() {
    var breaker = breaker("pricing").build();
    var guarded = new GuardedNode("g", breaker);
    long t0 = clock.nanoTime();
    long open = OPEN_FOR.toNanos();

    guarded.throwing(new IOException("down"), 2);
    assertEquals(List.of(transition(CLOSED, OPEN, Reason.FAILURE_RATE, 1.0, t0)), seen);
    clock.advance(OPEN_FOR.plusSeconds(3));
    assertEquals(1, seen.size(), "nothing noticed the open duration is over yet");
    assertEquals(HALF_OPEN, breaker.state());
    assertEquals(transition(OPEN, HALF_OPEN, Reason.OPEN_DURATION_OVER, 1.0, t0 + open),
        seen.getLast(), "noticed 3 s late, as of when it was due");
    guarded.throwing(new IOException("still down"), 1);
    long reopened = t0 + open + 3_000_000_000L;
    clock.advance(OPEN_FOR);
    assertEquals("ok", value(guarded.returning("ok"))); // noticed by the call: it is the probe

    assertEquals(List.of(
        transition(CLOSED, OPEN, Reason.FAILURE_RATE, 1.0, t0),
        transition(OPEN, HALF_OPEN, Reason.OPEN_DURATION_OVER, 1.0, t0 + open),
        transition(HALF_OPEN, OPEN, Reason.PROBE_FAILED, 1.0, reopened),
        transition(OPEN, HALF_OPEN, Reason.OPEN_DURATION_OVER, 1.0, reopened + open),
        transition(HALF_OPEN, CLOSED, Reason.PROBES_SUCCEEDED, 0.0, reopened + open)), seen);
  }

  @Test
  void throwingListener_neitherBreaksTheCallNorStopsLaterDeliveries() {
    var thrown = new AtomicInteger();
    var breaker = CircuitBreaker.builder("pricing").slidingWindow(1).minimumCalls(1)
        .openDuration(OPEN_FOR).scheduler(clock)
        .onStateChange(t -> {
          thrown.incrementAndGet();
          throw new IllegalStateException("listener broke on " + t.to());
        })
        .onStateChange(seen::add)
        .build();
    var guarded = new GuardedNode("g", breaker);
    var down = new IOException("down");

    try (var log = new LogCapture()) {
      assertSame(down, failure(guarded.throwing(down)), "the call keeps its own failure");
      assertEquals(0, down.getSuppressed().length, "a listener's failure is not the call's");
      clock.advance(OPEN_FOR);
      assertEquals("ok", value(guarded.returning("ok")));
      breaker.forceOpen();
      assertTrue(!log.active() || log.text().contains("circuit breaker 'pricing': a state-change "
          + "listener threw on CLOSED -> OPEN"), log.text());
    }

    assertEquals(List.of(OPEN, HALF_OPEN, CLOSED, FORCED_OPEN),
        seen.stream().map(Transition::to).toList(), "the second listener got every one");
    assertEquals(4, thrown.get(), "the first was called every time, though it threw");
  }

  @Test
  void listener_runsOutsideTheBreakersLock() throws Exception {
    var otherThreadDone = new AtomicReference<Boolean>();
    var breaker = new AtomicReference<CircuitBreaker>();
    breaker.set(breaker("pricing").onStateChange(t -> {
      // another thread needs the lock: it would wait for ever if this ran under it
      var other = Thread.ofVirtual().start(() -> breaker.get().failureRate());
      try {
        otherThreadDone.set(other.join(Duration.ofSeconds(10)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }).build());

    new GuardedNode("g", breaker.get()).throwing(new IOException("down"), 2);

    assertEquals(Boolean.TRUE, otherThreadDone.get(), "the listener held up the breaker's lock");
  }

  @Test
  void listenerThatChangesTheBreaker_seesItsChangeDeliveredAfterTheCurrentOne() {
    var depth = new AtomicInteger();
    var deepest = new AtomicInteger();
    var breaker = new AtomicReference<CircuitBreaker>();
    breaker.set(breaker("pricing").onStateChange(t -> {
      deepest.accumulateAndGet(depth.incrementAndGet(), Math::max);
      if (t.to() == OPEN) {
        breaker.get().reset();
      }
      depth.decrementAndGet();
    }).build());

    new GuardedNode("g", breaker.get()).throwing(new IOException("down"), 2);

    assertEquals(List.of(OPEN, CLOSED), seen.stream().map(Transition::to).toList());
    assertEquals(Reason.RESET, seen.getLast().reason());
    assertEquals(1, deepest.get(), "the reset's transition was delivered inside the listener");
    assertEquals(CLOSED, breaker.get().state());
  }

  @Test
  void transitionMadeWhileAnotherThreadDelivers_isDeliveredByThatThread_afterTheCurrentOne()
      throws Exception {
    var inListener = new CountDownLatch(1);
    var otherReturned = new CountDownLatch(1);
    var deliveredOn = Collections.synchronizedList(new ArrayList<Thread>());
    var breaker = breaker("pricing").onStateChange(t -> {
      deliveredOn.add(Thread.currentThread());
      if (t.to() == OPEN) {
        inListener.countDown();
        try {
          otherReturned.await(10, SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }).build();
    var opener = Thread.ofVirtual().start(
        () -> new GuardedNode("g", breaker).throwing(new IOException("down"), 2));
    assertTrue(inListener.await(10, SECONDS), "the opening was not delivered");

    breaker.forceOpen(); // returns at once: the opener's thread is delivering
    assertEquals(List.of(OPEN), seen.stream().map(Transition::to).toList(),
        "delivered before the one in progress had ended");
    otherReturned.countDown();
    assertTrue(opener.join(Duration.ofSeconds(10)), "the opener did not end");

    assertEquals(List.of(OPEN, FORCED_OPEN), seen.stream().map(Transition::to).toList());
    assertEquals(List.of(opener, opener), deliveredOn, "both delivered by the opener's thread");
  }

  // ---- by hand ----

  @Test
  void forceOpen_rejectsEveryCall_untilReset_howeverLong() {
    var breaker = breaker("pricing").build();
    var guarded = new GuardedNode("g", breaker);
    long forcedAt = clock.nanoTime();

    breaker.forceOpen();
    breaker.forceOpen(); // already: no second transition
    assertEquals(FORCED_OPEN, breaker.state());
    assertInstanceOf(CircuitOpenException.class, failure(guarded.returning("ok")));
    clock.advance(Duration.ofHours(1));
    assertEquals(FORCED_OPEN, breaker.state());
    assertInstanceOf(CircuitOpenException.class, failure(guarded.returning("ok")));
    assertEquals(0, guarded.ran.get(), "a rejected call ran");
    assertEquals(0.0, breaker.failureRate());
    breaker.reset();

    assertEquals("ok", value(guarded.returning("ok")));
    assertEquals(List.of(
        transition(CLOSED, FORCED_OPEN, Reason.FORCED_OPEN, 0, forcedAt),
        transition(FORCED_OPEN, CLOSED, Reason.RESET, 0, clock.nanoTime())), seen);
  }

  @Test
  void forceOpen_afterTheOpenDurationIsOver_firstDeliversTheHalfOpening() {
    var breaker = breaker("pricing").build();
    new GuardedNode("g", breaker).throwing(new IOException("down"), 2);
    clock.advance(OPEN_FOR);

    breaker.forceOpen();

    assertEquals(List.of(OPEN, HALF_OPEN, FORCED_OPEN), seen.stream().map(Transition::to).toList());
  }

  @Test
  void disable_letsEveryCallThrough_andCountsNone_untilReset() {
    var breaker = breaker("pricing").build();
    var guarded = new GuardedNode("g", breaker);
    guarded.throwing(new IOException("down"), 2);
    assertEquals(OPEN, breaker.state());

    breaker.disable();
    guarded.throwing(new IOException("down"), 5);
    assertEquals(DISABLED, breaker.state());
    assertEquals(0.0, breaker.failureRate());
    assertEquals(7, guarded.ran.get(), "every call ran");
    breaker.reset();
    assertEquals(0.0, breaker.failureRate(), "reset to an empty window");
    guarded.throwing(new IOException("down"), 1);
    assertEquals(CLOSED, breaker.state(), "1 failure, below minimumCalls");
    guarded.throwing(new IOException("down"), 1);

    assertEquals(OPEN, breaker.state(), "counting again");
    assertEquals(List.of(OPEN, DISABLED, CLOSED, OPEN), seen.stream().map(Transition::to).toList());
  }

  @Test
  void reset_whileClosed_emptiesTheWindow_withoutATransition() {
    var breaker = breaker("pricing").build();
    var guarded = new GuardedNode("g", breaker);
    guarded.throwing(new IOException("down"), 1);

    breaker.reset();
    guarded.throwing(new IOException("down"), 1);

    assertEquals(CLOSED, breaker.state(), "the first failure was forgotten");
    assertEquals(List.of(), seen);
  }

  @Test
  void callAdmittedBeforeAManualChange_isNotCountedAfterIt() throws Exception {
    var breaker = breaker("pricing").slidingWindow(1).minimumCalls(1).build();
    var started = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var g = Graph.builder("late");
    var node = g.node("call").circuitBreaker(breaker).call(() -> {
      started.countDown();
      release.await();
      throw new IOException("late failure");
    });
    var run = g.build().runAsync(Inputs.empty());
    assertTrue(started.await(10, SECONDS), "the call did not start");

    breaker.forceOpen();
    breaker.reset();
    release.countDown();
    assertInstanceOf(IOException.class, failure(run.get(10, SECONDS).outcome(node)));

    assertEquals(CLOSED, breaker.state(), "admitted before the reset, it must not count after");
  }

  // ---- racing calls ----

  /**
   * 8 virtual threads make calls through one breaker (successes, failures, ignored failures,
   * calls given back), move its clock and change it by hand, all at once: every transition
   * reaches the listeners exactly once and in order, one delivery at a time, each listener seeing
   * the same sequence, which chains from CLOSED to the final state.
   */
  @Test
  void racingCallsAndManualChanges_deliverEveryTransitionOnce_inOrder_oneAtATime()
      throws Exception {
    var time = new AtomicLong();
    var ticking = new Scheduler() { // a clock that only moves forward, moved by many threads
      @Override
      public long nanoTime() {
        return time.get();
      }

      @Override
      public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("no timers here");
      }

      @Override
      public void sleep(long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("no sleeps here");
      }
    };
    var first = new ArrayList<Transition>();
    var second = new ArrayList<Transition>();
    var delivering = new AtomicInteger();
    var overlaps = new AtomicInteger();
    var breaker = new AtomicReference<CircuitBreaker>();
    breaker.set(CircuitBreaker.builder("hammered").slidingWindow(4).minimumCalls(2)
        .openDuration(Duration.ofNanos(1_000)).halfOpenProbes(2)
        .slowCallDurationThreshold(Duration.ofNanos(60)).slowCallRateThreshold(0.75)
        .ignoreOn(IllegalArgumentException.class).scheduler(ticking)
        .onStateChange(t -> {
          if (delivering.incrementAndGet() != 1) {
            overlaps.incrementAndGet();
          }
          first.add(t); // unsynchronized: deliveries are serial
          if (t.nanoTime() % 7 == 0) {
            breaker.get().failureRate(); // takes the lock, may notice a half-opening itself
          }
          Thread.yield();
          delivering.decrementAndGet();
        })
        .onStateChange(second::add)
        .build());
    var b = breaker.get();
    int threads = 8;
    int operations = 5_000;
    var start = new CountDownLatch(1);
    var workers = new ArrayList<Thread>();
    var failures = Collections.synchronizedList(new ArrayList<Throwable>());
    for (int w = 0; w < threads; w++) {
      var random = new SplittableRandom(42 + w);
      workers.add(Thread.ofVirtual().name("hammer-" + w).start(() -> {
        try {
          if (!start.await(10, SECONDS)) {
            throw new AssertionError("not started");
          }
          for (int i = 0; i < operations; i++) {
            int op = random.nextInt(1_000);
            if (op < 3) {
              b.forceOpen();
            } else if (op < 10) {
              b.reset();
            } else if (op < 12) {
              b.disable();
            } else if (op < 100) {
              time.addAndGet(random.nextInt(400));
            } else {
              var permit = b.tryAcquire();
              if (permit == null) {
                continue;
              }
              time.addAndGet(random.nextInt(50));
              switch (random.nextInt(4)) {
                case 0 -> b.record(permit, null, "ok");
                case 1 -> b.record(permit, new IOException("down"), null);
                case 2 -> b.record(permit, new IllegalArgumentException("ignored"), null);
                default -> b.release(permit);
              }
            }
          }
        } catch (Throwable t) {
          failures.add(t);
        }
      }));
    }
    start.countDown();
    for (var worker : workers) {
      assertTrue(worker.join(Duration.ofSeconds(60)), worker + " did not end within 60 s");
    }
    assertEquals(List.of(), failures);
    var last = b.state(); // may half-open, delivered here: no other thread is left to do it

    assertEquals(0, overlaps.get(), "two deliveries overlapped");
    assertEquals(first, second, "the listeners saw different sequences");
    assertEquals(CLOSED, first.getFirst().from());
    for (int i = 1; i < first.size(); i++) {
      var before = first.get(i - 1);
      var after = first.get(i);
      assertEquals(before.to(), after.from(), "transition " + i + " does not follow " + before
          + ": " + after);
      assertTrue(after.nanoTime() >= before.nanoTime(), "time went back at " + i);
    }
    for (var t : first) {
      assertNotEquals(t.from(), t.to(), t.toString());
      assertEquals("hammered", t.breaker());
    }
    assertEquals(last, first.getLast().to(), "the last transition delivered is not the state");
    var reasons = EnumSet.noneOf(Reason.class);
    first.forEach(t -> reasons.add(t.reason()));
    assertTrue(reasons.containsAll(EnumSet.of(Reason.FAILURE_RATE, Reason.OPEN_DURATION_OVER,
        Reason.FORCED_OPEN, Reason.DISABLED, Reason.RESET)), "too few kinds of change to tell: "
        + reasons + " in " + first.size() + " transitions");
  }
}
