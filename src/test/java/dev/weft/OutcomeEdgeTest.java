package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Node#outcome()}: an edge that hands the dependent its upstream's whole outcome. */
class OutcomeEdgeTest {
  private static RunOptions on(Executor executor) {
    return RunOptions.defaults().withExecutor(executor);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void dependent_seesASuccessfulUpstreamsValue(Executor executor) {
    var g = Graph.builder("page").options(on(executor));
    Node<String> reviews = g.task("reviews", () -> "5 stars");
    Node<Outcome<String>> seen = g.task("section", reviews.outcome(), o -> o);

    assertEquals(new Outcome.Succeeded<>("reviews", "5 stars"),
        g.build().run(Inputs.empty()).get(seen));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void dependent_runsAfterAFailure_andSeesTheSameThrowable(Executor executor) {
    var down = new IllegalStateException("reviews down");
    var g = Graph.builder("page").options(on(executor));
    Node<String> reviews = g.task("reviews", () -> {
      throw down;
    });
    Node<String> section = g.task("section", reviews.outcome(), o -> switch (o) {
      case Outcome.Succeeded<String> s -> s.value();
      case Outcome.Failed<?> f -> "unavailable: " + f.error().getMessage();
      default -> "empty";
    });
    Node<Outcome<String>> raw = g.task("raw", reviews.outcome(), o -> o);

    var result = g.build().run(Inputs.empty());

    assertEquals("unavailable: reviews down", result.get(section));
    var failed = assertInstanceOf(Outcome.Failed.class, result.get(raw));
    assertSame(down, failed.error());
    assertEquals(List.of(new Outcome.Failed<>("reviews", down)), result.failures());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void dependent_seesASkip_withItsRootCause(Executor executor) {
    var down = new IllegalStateException("listing down");
    var g = Graph.builder("page").options(on(executor));
    Node<String> listing = g.task("listing", () -> {
      throw down;
    });
    Node<String> reviews = g.task("reviews", listing, l -> "reviews of " + l);
    Node<Outcome<String>> seen = g.task("section", reviews.outcome(), o -> o);

    var result = g.build().run(Inputs.empty());

    assertEquals(new Outcome.Skipped<>("reviews", "listing", down), result.get(seen));
    assertSame(down, ((Outcome.Skipped<?>) result.get(seen)).error());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void dependent_seesAnOmission(Executor executor) {
    var g = Graph.builder("page").options(on(executor));
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> "offer");
    Node<String> banner = g.task("banner", upsell, u -> u);
    Node<Outcome<String>> seenUpsell = g.task("seenUpsell", upsell.outcome(), o -> o);
    Node<Outcome<String>> seenBanner = g.task("seenBanner", banner.outcome(), o -> o);

    var result = g.build().run(Inputs.of(premium, false));

    assertEquals(new Outcome.Omitted<>("upsell", "upsell"), result.get(seenUpsell));
    assertEquals(new Outcome.Omitted<>("banner", "upsell"), result.get(seenBanner));
  }

  /**
   * A cancellation stops the whole run: a dependent that reads a cancelled node's outcome is
   * itself cancelled before it can start, with the run's reason, and never sees the outcome.
   */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void dependentOfACancelledNode_isCancelledToo_failFast(Executor executor) throws Exception {
    var running = new CountDownLatch(1);
    var interrupted = new AtomicInteger();
    var ran = new AtomicInteger();
    var g = Graph.builder("page").options(on(executor).withFailureMode(FailureMode.FAIL_FAST));
    Node<String> slow = g.task("slow", () -> {
      running.countDown();
      try {
        new CountDownLatch(1).await(10, SECONDS);
      } catch (InterruptedException e) {
        interrupted.incrementAndGet();
        throw e;
      }
      return "late";
    });
    Node<String> report = g.task("report", slow.outcome(), o -> {
      ran.incrementAndGet();
      return o.status().label();
    });
    Node<String> boom = g.task("boom", () -> {
      assertTrue(running.await(10, SECONDS));
      throw new IllegalStateException("boom");
    });
    g.task("page", boom, b -> b); // a required edge: boom's failure is not absorbed

    var result = g.build().run(Inputs.empty());

    var reason = "the run failed fast after node 'boom' failed";
    assertEquals(new Outcome.Cancelled<>("slow", reason), result.outcome(slow));
    assertEquals(new Outcome.Cancelled<>("report", reason), result.outcome(report));
    assertEquals(1, interrupted.get());
    assertEquals(0, ran.get());
    assertInstanceOf(Outcome.Failed.class, result.outcome(boom));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void listForm_readsTheOutcomeThroughTaskContext(Executor executor) {
    var down = new IllegalStateException("down");
    var g = Graph.builder("page").options(on(executor));
    Node<String> ok = g.task("ok", () -> "fine");
    Node<String> bad = g.task("bad", () -> {
      throw down;
    });
    Node<String> page = g.task("page", List.of(ok.outcome(), bad.outcome()), ctx -> {
      var first = ctx.get(ok.outcome());
      var second = ctx.get(bad.outcome());
      assertEquals(Optional.empty(), ctx.get(bad.optional()), "the same edge, read as optional");
      var thrown = org.junit.jupiter.api.Assertions.assertThrows(NodeException.class,
          () -> ctx.get(bad));
      assertSame(down, thrown.getCause());
      return first.status().label() + "/" + second.status().label() + "/"
          + ((Outcome.Failed<?>) second).error().getMessage();
    });

    assertEquals("succeeded/failed/down", g.build().run(Inputs.empty()).get(page));
  }

  /** As with optional edges, a failure read only through outcome edges is absorbed by them. */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void failureReadOnlyThroughOutcomeEdges_doesNotCancelAFailFastRun(Executor executor)
      throws Exception {
    var badEnded = new CountDownLatch(1);
    var g = Graph.builder("page").options(on(executor).withFailureMode(FailureMode.FAIL_FAST)
        .withListener(e -> {
          if (e instanceof RunEvent.NodeEnded end && end.node().equals("bad")) {
            badEnded.countDown();
          }
        }));
    Node<String> bad = g.task("bad", () -> {
      throw new IllegalStateException("down");
    });
    Node<String> report = g.task("report", bad.outcome(), o -> o.status().label());
    Node<String> audit = g.node("audit").after(bad.outcome()).call(() -> "audited");
    Node<String> sibling = g.task("sibling", () -> {
      assertTrue(badEnded.await(10, SECONDS), "running while 'bad' fails");
      return "still here";
    });

    var result = g.build().run(Inputs.empty());

    assertEquals("failed", result.get(report));
    assertEquals("audited", result.get(audit));
    assertEquals("still here", result.get(sibling));
    assertEquals(1, result.failures().size());
  }

  @Test
  void failureAlsoReadThroughARequiredEdge_stillCancelsAFailFastRun() throws Exception {
    var running = new CountDownLatch(1);
    var g = Graph.builder("page")
        .options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Node<String> bad = g.task("bad", () -> {
      assertTrue(running.await(10, SECONDS));
      throw new IllegalStateException("down");
    });
    g.task("report", bad.outcome(), o -> o.status().label());
    g.task("needsIt", bad, b -> b);
    Node<String> slow = g.task("slow", () -> {
      running.countDown();
      new CountDownLatch(1).await(10, SECONDS);
      return "late";
    });

    var result = g.build().run(Inputs.empty());

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(slow));
  }

  @Test
  void outcomeEdges_areLabelledAsSuch_inTheGraphsExports() {
    var g = Graph.builder("page");
    Node<String> reviews = g.task("reviews", () -> "r");
    g.task("section", reviews.outcome(), o -> o.status().label());
    var graph = g.build();

    assertTrue(graph.toDot().contains("outcome"), graph.toDot());
    assertTrue(graph.toMermaid().contains("outcome"), graph.toMermaid());
  }
}
