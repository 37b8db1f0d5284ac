package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a failure travels in {@link FailureMode#CONTINUE}: required edges skip, optional edges
 * absorb, and the result reports every failure with the node that caused it.
 */
class FailurePropagationTest {
  private static final String ALL = "dev.weft.testing.Executors#all";

  private static RunOptions continueOn(Executor executor) {
    return RunOptions.defaults().withExecutor(executor).withFailureMode(FailureMode.CONTINUE);
  }

  private static <T> T throwing(Exception e) throws Exception {
    throw e;
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void failedNode_skipsExactlyItsTransitiveDependents_namingTheRootCause(Executor executor) {
    var error = new IOException("boom");
    var skippedBodiesRun = new AtomicInteger();
    var g = Graph.builder("propagation");
    var x = g.input("x", Integer.class);
    var a = g.task("a", x, v -> v + 1);
    Node<Integer> boom = g.task("boom", a, v -> throwing(error));
    var child = g.task("child", boom, v -> skippedBodiesRun.incrementAndGet());
    var grandchild = g.task("grandchild", child, a, (c, v) -> skippedBodiesRun.incrementAndGet());
    var viaBoth = g.task("via-both", boom, grandchild,
        (b, c) -> skippedBodiesRun.incrementAndGet());
    var sibling = g.task("sibling", a, v -> v * 10);
    var other = g.task("other", x, v -> v * 100);
    var join = g.task("join", sibling, other, Integer::sum);
    var graph = g.build();

    var result = graph.run(Inputs.of(x, 1), o -> continueOn(executor));

    assertEquals(new Outcome.Failed<>("boom", error), result.outcome(boom));
    assertEquals(new Outcome.Skipped<>("child", "boom", error), result.outcome(child));
    assertEquals(new Outcome.Skipped<>("grandchild", "boom", error), result.outcome(grandchild));
    assertEquals(new Outcome.Skipped<>("via-both", "boom", error), result.outcome(viaBoth));
    assertEquals(0, skippedBodiesRun.get(), "a skipped node's body ran");
    assertEquals(2, result.get(a));
    assertEquals(20, result.get(sibling));
    assertEquals(100, result.get(other));
    assertEquals(120, result.get(join));
    assertEquals(new Outcome.Succeeded<>("join", 120), result.outcome(join));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void skipCause_isTheRootFailure_evenThroughALongChainOfSkips(Executor executor) {
    var error = new IllegalStateException("root cause");
    var g = Graph.builder("long-skip");
    Node<Integer> root = g.task("root", () -> {
      throw error;
    });
    var last = root;
    for (int i = 0; i < 1_000; i++) {
      last = g.task("skipped-" + i, last, v -> v + 1);
    }
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    assertEquals(new Outcome.Skipped<>("skipped-999", "root", error), result.outcome(last));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void orElseAndOptionalEdges_runTheDependentWithTheFallback_forFailedAndSkippedUpstreams(
      Executor executor) {
    var error = new IOException("down");
    var g = Graph.builder("fallbacks");
    Node<Integer> failed = g.task("failed", () -> throwing(error));
    var skipped = g.task("skipped", failed, v -> v + 1);
    var healthy = g.task("healthy", () -> 7);
    var fromFailed = g.task("or-else-failed", failed.orElse(-1), v -> v);
    var fromSkipped = g.task("or-else-skipped", skipped.orElse(-2), v -> v);
    var fromHealthy = g.task("or-else-healthy", healthy.orElse(-3), v -> v);
    var nullFallback = g.task("or-else-null", failed.orElse(null), v -> v == null);
    var optFailed = g.task("optional-failed", failed.optional(), o -> o);
    var optSkipped = g.task("optional-skipped", skipped.optional(), o -> o);
    var optHealthy = g.task("optional-healthy", healthy.optional(), o -> o);
    var failedOrElse = failed.orElse(-4);
    var skippedOptional = skipped.optional();
    var general = g.task("general", List.of(failedOrElse, skippedOptional),
        ctx -> ctx.get(failedOrElse) + ":" + ctx.get(skippedOptional));
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    assertInstanceOf(Outcome.Failed.class, result.outcome(failed));
    assertInstanceOf(Outcome.Skipped.class, result.outcome(skipped));
    assertEquals(-1, result.get(fromFailed));
    assertEquals(-2, result.get(fromSkipped));
    assertEquals(7, result.get(fromHealthy));
    assertTrue(result.get(nullFallback), "orElse(null) did not pass null");
    assertEquals(Optional.empty(), result.get(optFailed));
    assertEquals(Optional.empty(), result.get(optSkipped));
    assertEquals(Optional.of(7), result.get(optHealthy));
    assertEquals("-4:Optional.empty", result.get(general));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void afterEdges_skipOnFailure_whileOptionalAfterEdgesRunAfterTheUpstreamEnded(
      Executor executor) {
    var error = new IOException("audit store down");
    var upstreamEnded = new AtomicInteger();
    var g = Graph.builder("ordering");
    Node<String> failed = g.task("failed", () -> {
      upstreamEnded.incrementAndGet();
      return throwing(error);
    });
    var skipped = g.task("skipped", failed, v -> v);
    var afterFailed = g.node("after-failed").after(failed).call(() -> "ran");
    var afterSkipped = g.node("after-skipped").after(skipped).call(() -> "ran");
    var afterFailedOptional = g.node("after-failed-optional").after(failed.optional())
        .call(() -> "ran after " + upstreamEnded.get());
    var afterSkippedOptional = g.node("after-skipped-optional").after(skipped.optional())
        .call(() -> "ran after " + upstreamEnded.get());
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    assertEquals(new Outcome.Skipped<>("after-failed", "failed", error),
        result.outcome(afterFailed));
    assertEquals(new Outcome.Skipped<>("after-skipped", "failed", error),
        result.outcome(afterSkipped));
    assertEquals("ran after 1", result.get(afterFailedOptional));
    assertEquals("ran after 1", result.get(afterSkippedOptional));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void get_onAFailedNode_throwsNodeExceptionNamingIt_withTheTaskExceptionAsCause(
      Executor executor) {
    var error = new IOException("price service 503");
    var g = Graph.builder("get-failed");
    Node<Integer> price = g.task("price", () -> throwing(error));
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    var thrown = assertThrows(NodeException.class, () -> result.get(price));
    assertTrue(thrown.getMessage().contains("'price'"), thrown.getMessage());
    assertSame(error, thrown.getCause());
    assertEquals("price", thrown.node());
    assertEquals(new Outcome.Failed<>("price", error), thrown.outcome());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void get_onASkippedNode_throwsNodeExceptionNamingItAndTheRootCause(Executor executor) {
    var error = new IOException("listing service 503");
    var g = Graph.builder("get-skipped");
    Node<Integer> listing = g.task("listing", () -> throwing(error));
    var host = g.task("host", listing, v -> v + 1);
    var page = g.task("page", host, v -> v + 1);
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    var thrown = assertThrows(NodeException.class, () -> result.get(page));
    var message = thrown.getMessage();
    assertTrue(message.contains("'page'"), message);
    assertTrue(message.contains("'listing'"), "message does not name the root cause: " + message);
    assertFalse(message.contains("'host'"), "message names the nearest skip, not the root: "
        + message);
    assertSame(error, thrown.getCause());
    assertEquals("page", thrown.node());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void failures_listsEveryFailureInTheOrderTheyEnded_andNoSkips(Executor executor) {
    var first = new IOException("first");
    var second = new IllegalStateException("second");
    var third = new AssertionError("third");
    var g = Graph.builder("failures");
    Node<Integer> one = g.task("one", () -> throwing(first));
    Node<Integer> two = g.task("two", one.optional(), o -> {
      throw second;
    });
    Node<Integer> three = g.task("three", two.optional(), o -> {
      throw third;
    });
    g.task("skipped", one, v -> v);
    g.task("fine", () -> 1);
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    assertEquals(List.of(new Outcome.Failed<>("one", first), new Outcome.Failed<>("two", second),
        new Outcome.Failed<>("three", third)), result.failures());
    assertInstanceOf(Outcome.Failed.class, result.outcome(three));
    assertFalse(result.succeeded());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void throwIfFailed_throwsTheFirstFailure_withTheOthersSuppressed(Executor executor) {
    var first = new IOException("first");
    var second = new IllegalStateException("second");
    var third = new IOException("third");
    var g = Graph.builder("throw-if-failed");
    Node<Integer> one = g.task("one", () -> throwing(first));
    Node<Integer> two = g.task("two", one.optional(), o -> throwing(second));
    g.task("three", two.optional(), o -> throwing(third));
    g.task("skipped", two, v -> v);
    var graph = g.build();
    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    var thrown = assertThrows(NodeException.class, result::throwIfFailed);

    assertEquals("one", thrown.node());
    assertSame(first, thrown.getCause());
    var suppressed = thrown.getSuppressed();
    assertEquals(2, suppressed.length, () -> List.of(suppressed).toString());
    var secondFailure = assertInstanceOf(NodeException.class, suppressed[0]);
    var thirdFailure = assertInstanceOf(NodeException.class, suppressed[1]);
    assertEquals("two", secondFailure.node());
    assertSame(second, secondFailure.getCause());
    assertEquals("three", thirdFailure.node());
    assertSame(third, thirdFailure.getCause());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void throwIfFailed_returnsTheResult_andSucceededIsTrue_whenNothingFailed(Executor executor) {
    var g = Graph.builder("all-good");
    var a = g.task("a", () -> 1);
    g.task("b", a, v -> v + 1);
    var graph = g.build();
    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    assertSame(result, result.throwIfFailed());
    assertTrue(result.succeeded(), result::toString);
    assertEquals(List.of(), result.failures());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void succeeded_isFalse_whenAFailureWasAbsorbedByAnOptionalEdge(Executor executor) {
    var g = Graph.builder("absorbed");
    Node<Integer> flaky = g.task("flaky", () -> throwing(new IOException("flaky")));
    var page = g.task("page", flaky.orElse(0), v -> v + 1);
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> continueOn(executor));

    assertEquals(1, result.get(page));
    assertFalse(result.succeeded(), "a failed node counted as success");
    assertEquals(1, result.failures().size());
  }

  /** Refuses its first task (the graph's only root), then delegates. */
  static final class RefuseFirst implements Executor {
    final Executor delegate;
    final Throwable refusal;
    final AtomicInteger calls = new AtomicInteger();

    RefuseFirst(Executor delegate, Throwable refusal) {
      this.delegate = delegate;
      this.refusal = refusal;
    }

    @Override
    public void execute(Runnable task) {
      if (calls.incrementAndGet() == 1) {
        if (refusal instanceof RuntimeException e) {
          throw e;
        }
        throw (Error) refusal;
      }
      delegate.execute(task);
    }
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void executorRefusingANode_failsThatNodeWithTheRejection_andSkipsItsDependents(
      Executor executor) throws Exception {
    var rejection = new RejectedExecutionException("queue full");
    var bodyRan = new AtomicInteger();
    var g = Graph.builder("refused");
    var refused = g.task("refused", () -> bodyRan.incrementAndGet());
    var dependent = g.task("dependent", refused, v -> bodyRan.incrementAndGet());
    var tolerant = g.task("tolerant", refused.optional(), o -> o.isEmpty() ? "fallback" : "?");
    var after = g.task("after", tolerant, v -> v + "!");
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(),
        o -> continueOn(new RefuseFirst(executor, rejection))).get(10, SECONDS);

    assertEquals(new Outcome.Failed<>("refused", rejection), result.outcome(refused));
    assertEquals(new Outcome.Skipped<>("dependent", "refused", rejection),
        result.outcome(dependent));
    assertEquals(0, bodyRan.get(), "the refused node or its dependent ran anyway");
    assertEquals("fallback", result.get(tolerant));
    assertEquals("fallback!", result.get(after));
    assertEquals(List.of(new Outcome.Failed<>("refused", rejection)), result.failures());
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void executorThrowingAnError_failsTheNode_andTheRunStillCompletes(Executor executor)
      throws Exception {
    var broken = new InternalError("executor is broken");
    var g = Graph.builder("executor-error");
    var refused = g.task("refused", () -> 1);
    var dependent = g.task("dependent", refused, v -> v + 1);
    var tolerant = g.task("tolerant", refused.orElse(-1), v -> v);
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(),
        o -> continueOn(new RefuseFirst(executor, broken))).get(10, SECONDS);

    assertEquals(new Outcome.Failed<>("refused", broken), result.outcome(refused));
    assertEquals(new Outcome.Skipped<>("dependent", "refused", broken), result.outcome(dependent));
    assertEquals(-1, result.get(tolerant));
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void executorThrowingErrorsForLaterTasks_stillLetsTheRunComplete(Executor executor)
      throws Exception {
    var broken = new InternalError("executor is broken");
    var calls = new AtomicInteger();
    Executor failsAfterFirst = task -> {
      if (calls.incrementAndGet() > 1) {
        throw broken;
      }
      executor.execute(task);
    };
    var g = Graph.builder("executor-error-later");
    var root = g.task("root", () -> 1);
    var deps = new ArrayList<Dep<Integer>>();
    for (int i = 0; i < 8; i++) {
      int k = i;
      deps.add(g.task("fan-" + i, root, v -> v + k).orElse(-100));
    }
    var join = g.task("join", deps, ctx -> {
      int refused = 0;
      for (var dep : deps) {
        refused += ctx.get(dep) == -100 ? 1 : 0;
      }
      return refused;
    });
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty(), o -> continueOn(failsAfterFirst)).get(10, SECONDS);

    assertTrue(calls.get() > 1, "precondition: the executor was asked for more than the root");
    assertEquals(1, result.get(root));
    int failed = 0;
    for (var dep : deps) {
      var outcome = result.outcome(dep.node());
      if (outcome instanceof Outcome.Failed<?> f) {
        assertSame(broken, f.error());
        failed++;
      } else {
        assertInstanceOf(Outcome.Succeeded.class, outcome);
      }
    }
    assertTrue(failed > 0, "no fan-out node failed although the executor threw");
    // join runs last: on the thread that ended the last fan node, or refused by the executor.
    if (result.outcome(join) instanceof Outcome.Failed<?> f) {
      assertSame(broken, f.error());
      failed++;
    } else {
      assertEquals(failed, result.get(join));
    }
    assertEquals(failed, result.failures().size(), () -> result.failures().toString());
  }
}
