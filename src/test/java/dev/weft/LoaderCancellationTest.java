package dev.weft;

import static dev.weft.BatchLoaderTest.awaitIgnoringInterrupts;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Loads under cancellation, deadlines, timeouts and the loader's own policies: waiting loads are
 * interrupted like any task, calls nobody waits for are cancelled, and no call outlives its run
 * unreported.
 */
class LoaderCancellationTest {
  private final FakeScheduler fake = new FakeScheduler();

  private RunOptions options() {
    return RunOptions.defaults().withExecutor(Executors.virtual()).withScheduler(fake);
  }

  private static Map<Integer, String> values(List<Integer> keys) {
    var m = new HashMap<Integer, String>();
    keys.forEach(k -> m.put(k, "v" + k));
    return m;
  }

  @Test
  void theDeadline_interruptsWaitingLoads_andCancelsTheCall_whichEndsBeforeTheRun()
      throws Exception {
    var entered = new CountDownLatch(1);
    var interrupted = new AtomicBoolean();
    var callEnded = new AtomicBoolean();
    var loader = BatchLoader.<Integer, String>of("slow", keys -> {
      entered.countDown();
      try {
        new CountDownLatch(1).await(10, SECONDS);
        return values(keys);
      } catch (InterruptedException e) {
        interrupted.set(true);
        throw e;
      } finally {
        callEnded.set(true);
      }
    });
    var g = Graph.builder("deadline").options(options().withDeadline(Duration.ofSeconds(1)));
    Node<String> a = g.task("a", () -> loader.load(1));
    Node<String> b = g.task("b", () -> loader.load(2));
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));

    fake.advance(Duration.ofSeconds(1));
    var result = within(future);

    assertTrue(callEnded.get(), "the call ended before the run did");
    assertTrue(interrupted.get(), "the call was interrupted");
    assertTrue(result.deadlineExceeded());
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(a));
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(b));
    var batch = result.batches().get(0);
    assertEquals(Outcome.Status.CANCELLED, batch.status());
    assertTrue(result.stragglers().isEmpty(), result.stragglers().toString());
  }

  @Test
  void failFast_interruptsLoadsWaitingBesideTheFailure() throws Exception {
    var entered = new CountDownLatch(1);
    var loader = BatchLoader.<Integer, String>of("slow", keys -> {
      entered.countDown();
      new CountDownLatch(1).await(10, SECONDS);
      return values(keys);
    });
    // on the real clock: the failing task blocks where Weft cannot see it, so the loader's
    // maxDelay sends the key
    var g = Graph.builder("fail-fast").options(RunOptions.defaults()
        .withExecutor(Executors.virtual()).withFailureMode(FailureMode.FAIL_FAST));
    Node<String> waiting = g.task("waiting", () -> loader.load(1));
    Node<String> fails = g.task("fails", () -> {
      assertTrue(entered.await(10, SECONDS));
      throw new IllegalStateException("boom");
    });
    var result = within(g.build().runAsync(Inputs.empty()));

    assertInstanceOf(Outcome.Failed.class, result.outcome(fails));
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(waiting));
    assertEquals(Outcome.Status.CANCELLED, result.batches().get(0).status());
  }

  @Test
  void aTaskThatTimesOutWaiting_leavesTheCallToTheOthersWaitingForIt() throws Exception {
    var release = new CountDownLatch(1);
    var entered = new CountDownLatch(1);
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      entered.countDown();
      assertTrue(release.await(10, SECONDS));
      return values(keys);
    });
    var g = Graph.builder("timeout").options(options());
    Node<String> impatient = g.node("impatient").timeout(Duration.ofMillis(50))
        .call(() -> loader.load(1));
    Node<String> patient = g.task("patient", () -> loader.load(1));
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));

    fake.advance(Duration.ofMillis(50)); // its attempt is timed out: it fails whatever comes
    release.countDown();
    var result = within(future);

    var failure = ((Outcome.Failed<?>) result.outcome(impatient)).error();
    assertInstanceOf(NodeTimeoutException.class, failure);
    assertEquals("v1", result.get(patient));
    var batch = result.batches().get(0);
    assertEquals(Outcome.Status.SUCCEEDED, batch.status());
    assertEquals(List.of("impatient", "patient"), batch.waiters().stream().sorted().toList());
  }

  @Test
  void aCallNobodyWaitsForIsCancelled_andItsKeysForgotten_soARetryAsksAgain()
      throws Exception {
    var calls = new AtomicInteger();
    var firstInterrupted = new AtomicBoolean();
    var entered = new CountDownLatch(1);
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      if (calls.incrementAndGet() == 1) {
        entered.countDown();
        try {
          new CountDownLatch(1).await(10, SECONDS);
        } catch (InterruptedException e) {
          firstInterrupted.set(true);
          throw e;
        }
      }
      return values(keys);
    });
    var g = Graph.builder("retry").options(options());
    Node<String> user = g.node("user").timeout(Duration.ofMillis(50))
        .retry(RetryPolicy.fixed(2, Duration.ZERO)).call(() -> loader.load(7));
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));

    fake.advance(Duration.ofMillis(50)); // the first attempt times out: nobody waits for call 1
    var result = within(future);

    assertEquals("v7", result.get(user));
    assertTrue(firstInterrupted.get(), "the abandoned call was interrupted");
    assertEquals(2, calls.get());
    var statuses = result.batches().stream().map(Batch::status).toList();
    assertEquals(List.of(Outcome.Status.CANCELLED, Outcome.Status.SUCCEEDED), statuses);
    assertEquals(2, result.loaders().get(0).keysFetched());
  }

  @Test
  void aCallThatIgnoresTheInterrupt_isAStraggler_onTheWaitingTasksThreadOrItsOwn()
      throws Exception {
    var entered = new CountDownLatch(2);
    var release = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var returned = new CountDownLatch(2);
    var taskThread = new java.util.concurrent.atomic.AtomicReference<Thread>();
    var onTaskThread = new AtomicBoolean();
    var loader = BatchLoader.<Integer, String>of("stubborn", keys -> {
      if (Thread.currentThread() == taskThread.get()) {
        onTaskThread.set(true);
      }
      entered.countDown();
      if (awaitIgnoringInterrupts(release)) {
        interrupts.incrementAndGet();
      }
      returned.countDown();
      return values(keys);
    }).maxBatchSize(1);
    var taskEnded = new CountDownLatch(1);
    RunListener listener = e -> {
      if (e instanceof RunEvent.NodeEnded end && end.node().equals("a")) {
        taskEnded.countDown();
      }
    };
    var g = Graph.builder("straggler")
        .options(options().withDeadline(Duration.ofSeconds(1)).withListener(listener));
    // two keys, two calls: one made on the task's own thread as it waits (if the run went quiet
    // there), the other on a thread of its own
    Node<Map<Integer, String>> a = g.task("a", () -> {
      taskThread.set(Thread.currentThread());
      return loader.loadMany(List.of(1, 2));
    });
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));

    fake.advance(Duration.ofSeconds(1)); // the deadline: the task and both calls interrupted
    fake.awaitTimers(1); // the run's cut-off
    boolean inline = onTaskThread.get();
    if (!inline) {
      // the task only waited: the interrupt ends it, in real time, before its grace passes
      assertTrue(taskEnded.await(10, SECONDS), "the waiting task ended when interrupted");
    }
    fake.advance(Duration.ofMillis(10)); // its grace passes
    var result = within(future);
    release.countDown();
    assertTrue(returned.await(10, SECONDS));

    assertEquals(2, interrupts.get(), "both calls were interrupted");
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(a));
    // The call made on the task's thread shows as the task; one on its own thread, by its label.
    var names = result.stragglers().keySet();
    assertEquals(inline ? java.util.Set.of("a", "loader stubborn#2")
        : java.util.Set.of("loader stubborn#1", "loader stubborn#2"), names);
    assertEquals(List.of(Outcome.Status.CANCELLED, Outcome.Status.CANCELLED),
        result.batches().stream().map(Batch::status).toList(), "both calls, as their stats say");
    assertEquals(2, result.loaders().get(0).batches());
  }

  @Test
  void aCallNobodyWaitsFor_thatIgnoresTheInterrupt_isCutOffAfterTheGrace() throws Exception {
    var entered = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var loader = BatchLoader.<Integer, String>of("stubborn", keys -> {
      entered.countDown();
      awaitIgnoringInterrupts(release);
      return values(keys);
    });
    var g = Graph.builder("abandoned").options(options());
    // the task times out waiting; the run goes on without the call and must not wait for it
    Node<String> a = g.node("a").timeout(Duration.ofMillis(50)).call(() -> loader.load(1));
    Node<String> b = g.task("b", () -> "independent");
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));

    fake.advance(Duration.ofMillis(50)); // a times out; nobody waits for the call: its grace
    fake.awaitTimers(1);
    fake.advance(Duration.ofMillis(10));
    var result = within(future);
    release.countDown();

    assertInstanceOf(NodeTimeoutException.class, ((Outcome.Failed<?>) result.outcome(a)).error());
    assertEquals("independent", result.get(b));
    assertEquals(java.util.Set.of("loader stubborn#1"), result.stragglers().keySet());
  }

  @Test
  void aCallMadeOnAWaitingTasksThread_thatItsStopFails_isSentAgainForTheOthers()
      throws Exception {
    var kCalls = new java.util.concurrent.CopyOnWriteArrayList<String>();
    var kEntered = new CountDownLatch(1);
    var fanOutEnded = new CountDownLatch(1);
    var users = BatchLoader.<Integer, String>of("users", keys -> {
      if (kCalls.isEmpty()) {
        kCalls.add(Thread.currentThread().getName());
        kEntered.countDown();
        // until interrupted: made on element 0's thread, its stop interrupts it; made elsewhere
        // (the run went quiet on another thread first, which happens), until the fan-out ended
        fanOutEnded.await(10, SECONDS);
      } else {
        kCalls.add(Thread.currentThread().getName());
      }
      return values(keys);
    });
    var gate = BatchLoader.<Integer, String>of("gate", keys -> {
      assertTrue(kEntered.await(10, SECONDS));
      return values(keys);
    });
    var waiting = java.util.concurrent.ConcurrentHashMap.<Thread>newKeySet();
    var g = Graph.builder("disturbed").options(options().withFailureMode(FailureMode.CONTINUE)
        .withListener(e -> {
          if (e instanceof RunEvent.NodeEnded end && end.node().equals("each")) {
            fanOutEnded.countDown();
          }
        }));
    Node<String> other = g.task("other", () -> {
      waiting.add(Thread.currentThread());
      return users.load(7);
    });
    Input<List<Integer>> ids = g.input("ids");
    Node<List<String>> each = g.forEach("each", ids, i -> {
      if (i == 1) {
        waiting.add(Thread.currentThread());
        gate.load(0);
        throw new IllegalStateException("element 1 fails: the fan-out stops element 0");
      }
      // the last to wait, so the run goes quiet on this thread, which makes the call itself
      BatchLoaderTest.until(() -> waiting.size() == 2 && waiting.stream()
          .allMatch(t -> t.getState() == Thread.State.WAITING), "the others waiting");
      return users.load(7);
    });
    var result = within(g.build().runAsync(Inputs.of(ids, List.of(0, 1))));

    assertEquals("v7", result.get(other), "the other task still got its value");
    assertInstanceOf(Outcome.Failed.class, result.outcome(each));
    var statuses = result.batches().stream().filter(b -> b.loader().equals("users"))
        .map(Batch::status).toList();
    if (kCalls.get(0).equals("weft-loader-users")) {
      assertEquals(List.of(Outcome.Status.SUCCEEDED), statuses, "made elsewhere: " + kCalls);
    } else {
      assertEquals(2, kCalls.size(), "sent again after the element's stop failed it: " + kCalls);
      assertEquals(List.of(Outcome.Status.CANCELLED, Outcome.Status.SUCCEEDED), statuses);
    }
  }

  // ---- the loader's own policies ----

  @Test
  void aRetriedCall_answersItsLoads_andCountsItsAttempts() throws Exception {
    var calls = new AtomicInteger();
    var loader = BatchLoader.<Integer, String>of("flaky", keys -> {
      if (calls.incrementAndGet() == 1) {
        throw new java.io.IOException("connection reset");
      }
      return values(keys);
    }).retry(RetryPolicy.fixed(3, Duration.ZERO));
    var g = Graph.builder("retried").options(options());
    Node<String> a = g.task("a", () -> loader.load(1));
    var result = within(g.build().runAsync(Inputs.empty()));

    assertEquals("v1", result.get(a));
    assertEquals(2, result.batches().get(0).attempts());
    assertEquals(1, result.loaders().get(0).batches());
  }

  @Test
  void theLoadersTimeout_failsItsLoads_namingTheLoader() throws Exception {
    var entered = new CountDownLatch(1);
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      entered.countDown();
      new CountDownLatch(1).await(10, SECONDS);
      return values(keys);
    }).timeout(Duration.ofMillis(100));
    var g = Graph.builder("loader-timeout").options(options());
    Node<String> a = g.task("a", () -> loader.load(1));
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));

    fake.advance(Duration.ofMillis(100));
    var result = within(future);

    var error = ((Outcome.Failed<?>) result.outcome(a)).error();
    var load = assertInstanceOf(LoadException.class, error);
    var timeout = assertInstanceOf(NodeTimeoutException.class, load.getCause());
    assertTrue(timeout.getMessage().contains("users (loader)"), timeout.getMessage());
    assertEquals(Outcome.Status.FAILED, result.batches().get(0).status());
  }

  @Test
  void anOpenBreaker_failsTheLoadsWithoutCallingTheFunction() throws Exception {
    var breaker = CircuitBreaker.builder("users-breaker").slidingWindow(2).minimumCalls(2)
        .failureRateThreshold(0.5).openDuration(Duration.ofMinutes(1)).scheduler(fake).build();
    var calls = new AtomicInteger();
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      calls.incrementAndGet();
      throw new java.io.IOException("down");
    }).circuitBreaker(breaker);
    var g = Graph.builder("breaker").options(options()
        .withFailureMode(FailureMode.CONTINUE));
    Node<String> first = g.task("first", () -> loader.load(1));
    Node<String> second = g.task("second", first.optional(), x -> loader.load(2));
    Node<String> third = g.task("third", second.optional(), x -> loader.load(3));
    var result = within(g.build().runAsync(Inputs.empty()));

    assertEquals(2, calls.get(), "the breaker opened after two failed calls");
    var error = ((Outcome.Failed<?>) result.outcome(third)).error();
    assertInstanceOf(CircuitOpenException.class, error.getCause());
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
  }

  @Test
  void aFullBulkhead_failsTheCallsThatFindNoPlace_andTheirLoads() throws Exception {
    var bulkhead = Bulkhead.builder("users-bulkhead").maxConcurrent(1).build();
    var entered = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    var loader = BatchLoader.<Integer, String>of("users", keys -> {
      entered.countDown();
      assertTrue(release.await(10, SECONDS));
      return values(keys);
    }).bulkhead(bulkhead).maxBatchSize(1);
    var rejected = new CountDownLatch(1);
    var g = Graph.builder("bulkhead").options(options().withFailureMode(FailureMode.CONTINUE)
        .withListener(e -> {
          if (e instanceof RunEvent.BatchEnded b && b.batch().status() == Outcome.Status.FAILED) {
            rejected.countDown();
          }
        }));
    // two keys in one round, two calls at once: one takes the only place, the other finds none
    Node<String> a = g.task("a", () -> loader.load(1));
    Node<String> b = g.task("b", () -> loader.load(2));
    var future = g.build().runAsync(Inputs.empty());
    assertTrue(entered.await(10, SECONDS));
    assertTrue(rejected.await(10, SECONDS), "the other call found no place");
    release.countDown();
    var result = within(future);

    var failed = java.util.stream.Stream.of(a, b).map(result::outcome)
        .filter(o -> o instanceof Outcome.Failed<?>).toList();
    assertEquals(1, failed.size(), "one load had no place: " + result.spans());
    var error = ((Outcome.Failed<?>) failed.get(0)).error();
    assertInstanceOf(BulkheadFullException.class, error.getCause());
    assertEquals(0, bulkhead.inUse(), "the place was given back");
  }

  // ---- where loads may not be made ----

  @Test
  void aLoadOutsideATask_fails_sayingWhere() {
    var loader = BatchLoader.<Integer, String>of("users", LoaderCancellationTest::values);
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> loader.load(1));
    assertTrue(e.getMessage().startsWith("loader 'users': load was called outside a Weft task"),
        e.getMessage());
  }

  @Test
  void aLoadFromAnInlineNode_failsTheNode_namingIt() throws Exception {
    var loader = BatchLoader.<Integer, String>of("users", LoaderCancellationTest::values);
    var g = Graph.builder("inline").options(options());
    Node<String> quick = g.node("quick").inline().call(() -> loader.load(1));
    var result = within(g.build().runAsync(Inputs.empty()));

    var error = ((Outcome.Failed<?>) result.outcome(quick)).error();
    assertEquals("loader 'users': node 'quick' of graph 'inline' is inline, so it must not block,"
        + " and a load blocks; drop .inline() from it", error.getMessage());
    assertTrue(result.loaders().isEmpty());
  }

  @Test
  void aLoadFromAListener_fails_eventOnANodeWithPolicies() throws Exception {
    var loader = BatchLoader.<Integer, String>of("users", LoaderCancellationTest::values);
    var g = Graph.builder("listener").options(options().withListener(event -> {
      if (event instanceof RunEvent.NodeStarted) {
        loader.load(1); // on the task's thread, inside the listener
      }
    }));
    Node<String> guarded = g.node("guarded").timeout(Duration.ofSeconds(5)).call(() -> "ok");
    var result = within(g.build().runAsync(Inputs.empty()));

    assertEquals("ok", result.get(guarded));
    var failure = result.listenerFailures().get(0);
    assertInstanceOf(IllegalStateException.class, failure);
    assertTrue(failure.getMessage().startsWith("loader 'users': load was called from a listener"
        + " of graph 'listener'"), failure.getMessage());
    assertTrue(result.loaders().isEmpty());
  }

  @Test
  void badConfiguration_failsWhenTheLoaderIsDeclared() {
    var loader = BatchLoader.<Integer, String>of("users", LoaderCancellationTest::values);
    var size = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> loader.maxBatchSize(0));
    assertEquals("loader 'users': maxBatchSize must be at least 1, got 0", size.getMessage());
    var delay = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> loader.maxDelay(Duration.ZERO));
    assertEquals("loader 'users': maxDelay must be positive, got PT0S", delay.getMessage());
    var npe = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
        () -> BatchLoader.of(null, LoaderCancellationTest::values));
    assertEquals("name", npe.getMessage());
    assertFalse(loader.isSharedAcrossRuns());
    assertTrue(loader.sharedAcrossRuns().isSharedAcrossRuns());
  }
}
