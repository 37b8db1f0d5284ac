package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.*;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PolicySmokeTest {
  @Test
  void timeoutInterruptsSleepingTask_realTime() {
    var g = Graph.builder("t");
    var interrupted = new CountDownLatch(1);
    Node<String> slow = g.node("slow").timeout(Duration.ofMillis(50)).call(() -> {
      try {
        Thread.sleep(60_000);
        return "late";
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
    });
    var graph = g.build();
    var r = graph.run(Inputs.empty());
    var f = assertInstanceOf(Outcome.Failed.class, r.outcome(slow));
    var t = assertInstanceOf(NodeTimeoutException.class, f.error());
    assertEquals("node 'slow' timed out after 50 ms (attempt 1)", t.getMessage());
    assertEquals(0, interrupted.getCount());
  }

  @Test
  void retryBackoffOnFakeClock() throws Exception {
    var clock = new FakeScheduler();
    var g = Graph.builder("r");
    var calls = new AtomicInteger();
    Node<Integer> flaky = g.node("flaky")
        .retry(RetryPolicy.exponential(4, Duration.ofMillis(10)).withJitter(false))
        .call(() -> {
          if (calls.incrementAndGet() < 4) {
            throw new IOException("try " + calls.get());
          }
          return calls.get();
        });
    var graph = g.build();
    var future = graph.runAsync(Inputs.empty(), graph.options().withScheduler(clock));
    for (int i = 1; i <= 3; i++) {
      clock.awaitSleepers(1);
      clock.advance(Duration.ofMillis(10L << (i - 1)));
    }
    var r = future.get(10, SECONDS);
    assertEquals(4, r.get(flaky));
    assertEquals(java.util.List.of(Duration.ofMillis(10), Duration.ofMillis(20),
        Duration.ofMillis(40)), clock.sleeps());
    assertEquals(4, r.spans().get(0).attempts());
  }

  @Test
  void deadlineWithStraggler_realTime() {
    var g = Graph.builder("d").options(RunOptions.defaults().withDeadline(Duration.ofMillis(100)));
    var release = new CountDownLatch(1);
    Node<String> stubborn = g.task("stubborn", () -> {
      while (true) {
        try {
          release.await();
          return "late";
        } catch (InterruptedException ignored) {
          // ignores interruption
        }
      }
    });
    Node<String> quick = g.task("quick", () -> "ok");
    var graph = g.build();
    long t0 = System.nanoTime();
    var r = graph.run(Inputs.empty());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    release.countDown();
    assertTrue(r.deadlineExceeded());
    assertEquals("ok", r.get(quick));
    assertEquals(java.util.Set.of("stubborn"), r.stragglers().keySet());
    var c = assertInstanceOf(Outcome.Cancelled.class, r.outcome(stubborn));
    assertTrue(c.reason().contains("deadline of 100 ms"), c.reason());
    assertTrue(ms < 5_000, "took " + ms);
    System.out.println("deadline run took " + ms + " ms");
  }
}
