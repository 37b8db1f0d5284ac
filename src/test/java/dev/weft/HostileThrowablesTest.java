package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Behaviour.OpaqueFailure;
import dev.weft.testing.HtmlCheck;
import dev.weft.testing.StrictJson;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Throwables Weft did not write: one whose {@code getMessage()} and {@code toString()} throw
 * (the property tests' {@link OpaqueFailure}), and
 * a bare {@code Throwable} subclass. Results, messages and exports stay whole ("nothing here
 * throws"), and a task's throwable is its node's error whatever policies the node has.
 */
class HostileThrowablesTest {
  /** Neither an Exception nor an Error. */
  static final class Bare extends Throwable {
    private static final long serialVersionUID = 1L;

    Bare() {
      super("a bare Throwable");
    }
  }

  @SuppressWarnings("unchecked")
  private static <T, E extends Throwable> T sneaky(Throwable t) throws E {
    throw (E) t;
  }

  @Test
  void exceptionWhoseMessageThrows_stillGivesNodeExceptions_namingTheNode() {
    var opaque = new OpaqueFailure("test");
    var g = Graph.builder("opaque");
    Node<String> feed = g.task("feed", () -> {
      throw opaque;
    });
    Node<String> page = g.task("page", feed, f -> "page with " + f);
    Node<String> reader = g.task("reader", List.of(feed.optional()), ctx -> ctx.get(feed));
    var result = g.build().run(Inputs.empty());

    var e = assertThrows(NodeException.class, () -> result.get(feed));
    assertEquals("feed", e.node());
    assertSame(opaque, e.getCause());
    assertTrue(e.getMessage().startsWith("node 'feed' failed: " + OpaqueFailure.class.getName()),
        e.getMessage());
    var skipped = assertThrows(NodeException.class, () -> result.get(page));
    assertTrue(skipped.getMessage().contains("because 'feed' failed"), skipped.getMessage());
    var thrown = assertThrows(NodeException.class, result::throwIfFailed);
    assertEquals("feed", thrown.node());
    var readerFailure = assertInstanceOf(Outcome.Failed.class, result.outcome(reader)).error();
    var fromContext = assertInstanceOf(NodeException.class, readerFailure,
        "ctx.get of a failed node read plainly: " + readerFailure.getClass());
    assertEquals("feed", fromContext.node());
    assertTrue(result.outcome(feed).toString().contains(OpaqueFailure.class.getName()));
    assertTrue(result.failures().toString().contains("feed"));
  }

  @Test
  void exceptionWhoseMessageThrows_isDrawnInEveryExport() throws Exception {
    var g = Graph.builder("opaque-trace");
    Node<String> feed = g.task("feed", () -> {
      throw new OpaqueFailure("test");
    });
    g.task("page", feed, f -> f);
    g.task("retried", () -> "fine");
    var trace = g.build().run(Inputs.empty()).trace();

    StrictJson.parse(trace.toChromeJson());
    HtmlCheck.parse(trace.toHtml());
    assertTrue(trace.toDot().contains("feed"));
    assertTrue(trace.toMermaid().contains("feed"));
    assertTrue(trace.criticalPathText().contains("critical path"));
    assertTrue(trace.toHtml().contains(OpaqueFailure.class.getName()),
        "the waterfall names the failure by its class");
  }

  @Test
  void bareThrowable_isTheNodesError_withAndWithoutPolicies() {
    var bare = new Bare();
    var g = Graph.builder("bare");
    Node<String> plain = g.task("plain", () -> sneaky(bare));
    Node<String> timed = g.node("timed").timeout(Duration.ofSeconds(10)).call(() -> sneaky(bare));
    Node<String> retried = g.node("retried").retry(RetryPolicy.fixed(2, Duration.ZERO))
        .call(() -> sneaky(bare));
    Node<String> rescued = g.node("rescued")
        .fallbackWith(failure -> failure == bare ? "rescued" : "wrapped: " + failure)
        .call(() -> sneaky(bare));
    var result = g.build().run(Inputs.empty());

    for (var node : List.of(plain, timed, retried)) {
      var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(node), node.name());
      assertSame(bare, failed.error(), () -> node.name() + " failed with " + failed.error());
    }
    assertEquals("rescued", result.get(rescued), "the fallback sees the throwable itself");
  }

  @Test
  void retryPredicateThatThrows_failsTheNodeWithItsOwnFailure_predicateFailureAttached() {
    var own = new java.io.IOException("downstream refused");
    var broken = new IllegalStateException("predicate bug");
    var g = Graph.builder("broken-predicate");
    Node<String> n = g.node("n").retry(RetryPolicy.fixed(3, Duration.ZERO).retryIf(t -> {
      throw broken;
    })).call(() -> {
      throw own;
    });
    var result = g.build().run(Inputs.empty());

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(n));
    assertSame(own, failed.error());
    assertEquals(List.of(broken), List.of(own.getSuppressed()));
    assertEquals(1, result.spans().get(0).attempts(), "a predicate that throws decides no retry");
  }

  @Test
  void outcomesAndRetriedEvents_printThemselves_evenWithAnOpaqueError() {
    var opaque = new OpaqueFailure("test");
    assertTrue(new Outcome.Failed<>("n", opaque).toString().startsWith("Failed[node=n, error="));
    assertTrue(new Outcome.Skipped<>("m", "n", opaque).toString().contains("cause=n"));
    var retried = new RunEvent.NodeRetried("g", 1, Duration.ZERO, "n", 1, opaque, Duration.ZERO);
    assertTrue(retried.toString().contains("node=n"));
  }
}
