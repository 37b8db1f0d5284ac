package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link GraphBuilder#withoutTaskTimes()}: runs read no clock per task; spans keep everything but
 * their times, and what keeps its own clock still works.
 */
class TaskTimesTest {

  /** A scheduler that counts its clock reads. */
  private static final class CountingClock implements Scheduler {
    final FakeScheduler clock = new FakeScheduler();
    final AtomicInteger reads = new AtomicInteger();

    @Override
    public long nanoTime() {
      reads.incrementAndGet();
      return clock.nanoTime();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      return clock.schedule(action, delay, unit);
    }

    @Override
    public void sleep(long delay, TimeUnit unit) throws InterruptedException {
      clock.sleep(delay, unit);
    }
  }

  private static Graph chain(int length, boolean timed, Scheduler clock) {
    var g = Graph.builder(timed ? "timed" : "untimed")
        .options(RunOptions.defaults().withScheduler(clock));
    if (!timed) {
      g.withoutTaskTimes();
    }
    Node<Integer> last = g.node("n0").inline().call(List.of(), deps -> 0);
    for (int i = 1; i < length; i++) {
      last = g.node("n" + i).inline().call(last, v -> v + 1);
    }
    return g.build();
  }

  @Test
  void anUntimedRun_readsTheClockOncePerRun_notPerTask() {
    var timed = new CountingClock();
    var untimed = new CountingClock();
    chain(100, true, timed).run(Inputs.empty());
    chain(100, false, untimed).run(Inputs.empty());

    assertTrue(timed.reads.get() >= 100, "a timed run reads the clock per task: " + timed.reads);
    assertTrue(untimed.reads.get() <= 3, "an untimed run of 100 tasks read the clock "
        + untimed.reads + " times; its start and end are all it needs");
  }

  @Test
  void untimedSpans_keepOutcomesAttemptsThreadsAndNesting_atTheRunsStart() {
    var clock = new FakeScheduler();
    var events = new CopyOnWriteArrayList<RunEvent>();
    var g = Graph.builder("untimed").withoutTaskTimes()
        .options(RunOptions.defaults().withScheduler(clock).withListener(events::add));
    var calls = new AtomicInteger();
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(2, Duration.ZERO)).call(() -> {
      clock.advance(Duration.ofMillis(5)); // time passes in the task: the run's elapsed shows it
      if (calls.incrementAndGet() == 1) {
        throw new java.io.IOException("once");
      }
      return "ok";
    });
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> photos = g.forEach("photos", ids, id -> id * 2);
    Node<String> broken = g.task("broken", () -> {
      throw new IllegalStateException("down");
    });
    g.task("skipped", broken, b -> b);
    var result = g.build().run(Inputs.of(ids, List.of(1, 2, 3)));

    assertEquals("ok", result.get(flaky));
    assertEquals(List.of(2, 4, 6), result.get(photos));
    assertEquals(Duration.ofMillis(10), result.elapsed(), "the run's own two clock reads");
    for (var span : result.spans()) {
      assertEquals(Duration.ZERO, span.ready(), span.toString());
      assertEquals(Duration.ZERO, span.started(), span.toString());
      assertEquals(Duration.ZERO, span.ended(), span.toString());
    }
    var byNode = new java.util.HashMap<String, Span>();
    result.spans().forEach(s -> byNode.put(s.node(), s));
    assertEquals(2, byNode.get("flaky").attempts());
    assertTrue(byNode.get("flaky").threadId() != 0, "the thread it ran on");
    assertEquals(3, byNode.get("photos").children().size(), "its elements");
    byNode.get("photos").children().forEach(c -> assertEquals(Duration.ZERO, c.ended()));
    assertInstanceOf(Outcome.Failed.class, byNode.get("broken").outcome());
    assertInstanceOf(Outcome.Skipped.class, byNode.get("skipped").outcome());
    assertTrue(!result.trace().criticalPath().isEmpty(), "a critical path, of zero length");
    int taskEvents = 0;
    for (var e : events) {
      if (!(e instanceof RunEvent.RunStarted || e instanceof RunEvent.RunEnded)) {
        assertEquals(Duration.ZERO, e.at(), e.toString());
        taskEvents++;
      }
    }
    assertTrue(taskEvents >= 10, "the tasks' events: " + events);
  }

  @Test
  void anUntimedRun_stillKeepsItsDeadline() throws Exception {
    var clock = new FakeScheduler();
    var started = new java.util.concurrent.CountDownLatch(1);
    var g = Graph.builder("untimed").withoutTaskTimes()
        .options(RunOptions.defaults().withScheduler(clock).withDeadline(Duration.ofMillis(50)));
    Node<String> slow = g.task("slow", () -> {
      started.countDown();
      new java.util.concurrent.CountDownLatch(1).await(10, TimeUnit.SECONDS);
      return "late";
    });
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(started.await(10, TimeUnit.SECONDS));
    clock.advance(Duration.ofMillis(50));
    var result = future.get(10, TimeUnit.SECONDS);

    assertTrue(result.deadlineExceeded());
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
  }
}
