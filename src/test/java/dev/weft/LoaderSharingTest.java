package dev.weft;

import static dev.weft.BatchLoaderTest.within;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Executors;
import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchLoader#sharedAcrossRuns()}: a key one run is fetching is not fetched again by
 * another; the shared call belongs to no run, is cancelled only when no run waits for it, and a
 * failure reaches only the runs that waited for it.
 */
class LoaderSharingTest {
  private final FakeScheduler fake = new FakeScheduler();
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicBoolean interrupted = new AtomicBoolean();

  // the first call blocks until released (or interrupted); later ones answer at once
  private final BatchLoader<Integer, String> products = BatchLoader.<Integer, String>of(
      "products", keys -> {
        if (calls.incrementAndGet() == 1) {
          entered.countDown();
          try {
            assertTrue(release.await(10, SECONDS));
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw e;
          }
        }
        var m = new HashMap<Integer, String>();
        keys.forEach(k -> m.put(k, "p" + k));
        return m;
      }).sharedAcrossRuns();

  private Graph page(String name, Duration deadline) {
    var options = RunOptions.defaults().withExecutor(Executors.virtual()).withScheduler(fake);
    var g = Graph.builder(name).options(deadline == null ? options
        : options.withDeadline(deadline));
    g.task("product", () -> products.load(1));
    return g.build();
  }

  private static String product(RunResult result) {
    return (String) ((Outcome.Succeeded<?>) result.spans().get(0).outcome()).value();
  }

  @Test
  void twoRunsWantingTheSameKey_shareOneCall() throws Exception {
    var a = page("a", null).runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));
    var b = page("b", null).runAsync(Inputs.empty());
    awaitJoined(1);
    release.countDown();
    var ra = within(a);
    var rb = within(b);

    assertEquals("p1", product(ra));
    assertEquals("p1", product(rb));
    assertEquals(1, calls.get());
    assertEquals(new LoaderStats("products", 1, 1, 1, 1, 0), ra.loaders().get(0));
    assertEquals(new LoaderStats("products", 1, 0, 1, 0, 1), rb.loaders().get(0));
    assertTrue(rb.batches().get(0).shared());
    assertEquals(List.of("product"), rb.batches().get(0).waiters());
  }

  @Test
  void aRunThatGoes_leavesTheSharedCallToTheOthers_andTheLastOneCancelsIt() throws Exception {
    var a = page("a", null).runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));
    var b = page("b", null).runAsync(Inputs.empty());
    awaitJoined(1);

    a.cancel(true); // the run that sent the call goes: the call goes on for b
    assertThrows(a);
    assertFalse(interrupted.get(), "the call was cancelled while b still waited");
    release.countDown();
    assertEquals("p1", product(within(b)));
    assertEquals(1, calls.get());
  }

  @Test
  void whenEveryWaitingRunHasGone_theSharedCallIsCancelled() throws Exception {
    var a = page("a", null).runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));
    var b = page("b", null).runAsync(Inputs.empty());
    awaitJoined(1);

    a.cancel(true);
    b.cancel(true);
    assertThrows(a);
    assertThrows(b);
    BatchLoaderTest.until(interrupted::get, "the shared call's interrupt");
    release.countDown();
  }

  @Test
  void aRunsDeadline_boundsOnlyItsOwnWait() throws Exception {
    var a = page("a", null).runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));
    var b = page("b", Duration.ofMillis(100)).runAsync(Inputs.empty());
    awaitJoined(1);

    fake.advance(Duration.ofMillis(100)); // b's deadline
    var rb = within(b);
    assertTrue(rb.deadlineExceeded());
    assertInstanceOf(Outcome.Cancelled.class, rb.spans().get(0).outcome());
    assertFalse(interrupted.get());
    release.countDown();
    assertEquals("p1", product(within(a)));
  }

  @Test
  void aFailure_reachesOnlyTheRunsThatWaited_andALaterRunAsksAgain() throws Exception {
    var failing = new AtomicBoolean(true);
    var flaky = BatchLoader.<Integer, String>of("flaky", keys -> {
      calls.incrementAndGet();
      if (failing.getAndSet(false)) {
        throw new java.io.IOException("product service restarted");
      }
      return Map.of(1, "p1");
    }).sharedAcrossRuns();
    var g = Graph.builder("later").options(RunOptions.defaults()
        .withExecutor(Executors.virtual()).withScheduler(fake));
    Node<String> product = g.task("product", () -> flaky.load(1));
    var graph = g.build();

    var first = within(graph.runAsync(Inputs.empty()));
    var second = within(graph.runAsync(Inputs.empty()));

    assertInstanceOf(LoadException.class, ((Outcome.Failed<?>) first.outcome(product)).error());
    assertEquals("p1", second.get(product));
    assertEquals(2, calls.get());
  }

  /** Waits until a second run has joined the shared call (its stats say so). */
  private void awaitJoined(int runs) {
    BatchLoaderTest.until(() -> products.inFlight.values().stream().findFirst()
        .map(f -> f.subscribers() >= runs + 1).orElse(false), runs + " more run(s) waiting");
  }

  private static void assertThrows(java.util.concurrent.CompletableFuture<RunResult> f) {
    org.junit.jupiter.api.Assertions.assertThrows(CancellationException.class,
        () -> f.get(10, SECONDS));
  }
}
