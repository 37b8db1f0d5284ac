package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A listener that cancels its run while a task's own thread reports on it (NodeStarted,
 * NodeRetried, ElementStarted): the task's thread holds the task while it reports, so the
 * cancellation's sweep, on that same thread, must not wait for it; the task learns it was
 * cancelled when the report ends, and makes no further attempt.
 */
class ListenerCancelTest {
  private static final class Cancelling {
    final AtomicReference<CompletableFuture<RunResult>> future = new AtomicReference<>();
    final CountDownLatch stored = new CountDownLatch(1);
    final CompletableFuture<RunResult> ended = new CompletableFuture<>();

    void cancel() {
      try {
        assertTrue(stored.await(10, SECONDS));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      future.get().cancel(true);
    }

    void started(CompletableFuture<RunResult> f) {
      future.set(f);
      stored.countDown();
    }

    void onEnd(RunEvent e) {
      if (e instanceof RunEvent.RunEnded end) {
        ended.complete(end.result());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancellingOnNodeRetried_stopsTheRetries(Executor executor) throws Exception {
    var c = new Cancelling();
    var calls = new AtomicInteger();
    var g = Graph.builder("cancel-on-retry").options(RunOptions.defaults().withExecutor(executor)
        .withListener(e -> {
          if (e instanceof RunEvent.NodeRetried) {
            c.cancel();
          }
          c.onEnd(e);
        }));
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(5, Duration.ZERO)).call(() -> {
      calls.incrementAndGet();
      throw new IllegalStateException("down");
    });
    c.started(g.build().runAsync(Inputs.empty()));
    var result = c.ended.get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(flaky));
    assertEquals(1, calls.get(), "no attempt after the cancellation");
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancellingOnNodeStarted_interruptsTheTaskThatIsAboutToRun(Executor executor)
      throws Exception {
    var c = new Cancelling();
    var interrupted = new AtomicInteger();
    var g = Graph.builder("cancel-on-start").options(RunOptions.defaults().withExecutor(executor)
        .withListener(e -> {
          if (e instanceof RunEvent.NodeStarted s && s.node().equals("slow")) {
            c.cancel();
          }
          c.onEnd(e);
        }));
    Node<String> slow = g.task("slow", () -> {
      try {
        new CountDownLatch(1).await(10, SECONDS);
        return "not interrupted";
      } catch (InterruptedException e) {
        interrupted.incrementAndGet();
        throw e;
      }
    });
    c.started(g.build().runAsync(Inputs.empty()));
    var result = c.ended.get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
    assertEquals(1, interrupted.get());
    assertTrue(result.stragglers().isEmpty(), result.stragglers().toString());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancellingOnElementStarted_stopsTheFanOut(Executor executor) throws Exception {
    var c = new Cancelling();
    var g = Graph.builder("cancel-on-element").options(RunOptions.defaults()
        .withExecutor(executor).withListener(e -> {
          if (e instanceof RunEvent.ElementStarted s && s.element() == 0) {
            c.cancel();
          }
          c.onEnd(e);
        }));
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> each = g.node("each").maxConcurrency(1).forEach(ids, id -> {
      new CountDownLatch(1).await(10, SECONDS); // interrupted: it was cancelled as it started
      return id;
    });
    c.started(g.build().runAsync(Inputs.of(ids, List.of(0, 1, 2))));
    var result = c.ended.get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(each));
    var elements = result.spans().get(0).children();
    elements.forEach(s -> assertInstanceOf(Outcome.Cancelled.class, s.outcome()));
    assertEquals(List.of(1, 0, 0), elements.stream().map(Span::attempts).toList());
    assertTrue(result.stragglers().isEmpty(), result.stragglers().toString());
  }
}
