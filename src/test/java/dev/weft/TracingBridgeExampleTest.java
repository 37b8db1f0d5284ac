package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.TracingBridge;
import dev.weft.examples.TracingBridge.FakeSpan;
import dev.weft.examples.TracingBridge.FakeTracer;
import dev.weft.testing.StdOut;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The tracing bridge example follows OpenTelemetry's conventions: low-cardinality span names,
 * error status only where the work failed in the end, Weft's attributes on run and node spans.
 */
class TracingBridgeExampleTest {
  private static final Pattern CALLER = Pattern.compile("caller trace=(\\w+) span=(\\w+)");
  private static final Pattern SPAN =
      Pattern.compile("span trace=(\\w+) id=(\\w+) parent=(\\S+) (.+?) ([\\d.]+) ms (.*)");
  private static final Pattern LOG = Pattern.compile("log  trace=(\\S+) span=(\\S+) .*");

  private static Map<String, FakeSpan> byName(List<FakeSpan> spans) {
    return spans.stream().collect(Collectors.toMap(FakeSpan::name, Function.identity()));
  }

  @Test
  void main_tracesTheRunUnderTheCallersSpan_andTaskLogsSeeTheCallersTrace() throws Exception {
    var output = StdOut.of(() -> TracingBridge.main(new String[0]));
    var lines = output.lines().toList();
    var caller = CALLER.matcher(lines.get(0));
    assertTrue(caller.matches(), "first line names the caller's span:\n" + output);
    var trace = caller.group(1);
    var names = new HashSet<String>();
    int logs = 0;
    for (var line : lines) {
      var span = SPAN.matcher(line);
      var log = LOG.matcher(line);
      if (span.matches()) {
        assertEquals(trace, span.group(1), "span in the caller's trace: " + line);
        names.add(span.group(4));
      } else if (log.matches()) {
        logs++;
        assertEquals(trace, log.group(1), "task code sees the caller's trace id: " + line);
      }
    }
    assertEquals(Set.of("GET /listings/{id}", "listing-page", "listing-page/listing",
        "listing-page/host", "listing-page/price", "listing-page/page"), names, output);
    assertEquals(3, logs, "one log line per simulated call:\n" + output);
    assertTrue(output.contains("page: host of listing 42 | price of listing 42"), output);
  }

  @Test
  void runAndNodeSpans_nestUnderTheCaller_andCarryGraphNodeRunIdAndOutcome() {
    var tracer = new FakeTracer(false);
    var g = Graph.builder("page");
    Node<String> a = g.task("a", () -> "a");
    g.task("b", a, x -> x + "b");
    var graph = g.options(TracingBridge.traced(RunOptions.defaults(), tracer)).build();

    var result = graph.run(Inputs.empty());

    var spans = byName(tracer.ended());
    assertEquals(Set.of("page", "page/a", "page/b"), spans.keySet());
    var run = spans.get("page");
    assertEquals("-", run.parentId(), "no caller span: the run's span is a root");
    assertEquals(Map.of("weft.graph", "page", "weft.run_id", result.runId(), "weft.outcome",
        "succeeded"), run.attributes());
    for (var node : List.of("a", "b")) {
      var span = spans.get("page/" + node);
      assertEquals(run.context().spanId(), span.parentId(), "a node's span is its run's child");
      assertEquals(run.context().traceId(), span.context().traceId());
      assertEquals(Map.of("weft.graph", "page", "weft.node", node, "weft.run_id", result.runId(),
          "weft.outcome", "succeeded", "weft.attempts", 1), span.attributes());
      assertFalse(span.error());
    }
  }

  @Test
  void fanOutOfAHundred_hasOneSpanNamePerNode_andTheIndexInAnAttribute() {
    var tracer = new FakeTracer(false);
    var g = Graph.builder("photos");
    Input<List<Integer>> ids = g.input("ids");
    Node<List<Integer>> resized = g.forEach("resize", ids, i -> i * 2);
    g.task("album", resized, List::size);
    var graph = g.options(TracingBridge.traced(RunOptions.defaults(), tracer)).build();

    graph.run(Inputs.of(ids, IntStream.range(0, 100).boxed().toList()));

    var spans = tracer.ended();
    assertEquals(1 + 2 + 100, spans.size(), "the run, two nodes, a hundred elements");
    assertEquals(Set.of("photos", "photos/resize", "photos/album"),
        spans.stream().map(FakeSpan::name).collect(Collectors.toSet()));
    var node = spans.stream().filter(s -> s.name().equals("photos/resize")
        && !s.attributes().containsKey("weft.element")).toList();
    assertEquals(1, node.size());
    var indexes = new HashSet<Object>();
    for (var span : spans) {
      if (span.attributes().containsKey("weft.element")) {
        assertEquals(node.getFirst().context().spanId(), span.parentId(),
            "an element's span is its node's child");
        assertEquals("succeeded", span.attributes().get("weft.outcome"));
        indexes.add(span.attributes().get("weft.element"));
      }
    }
    assertEquals(IntStream.range(0, 100).boxed().collect(Collectors.toSet()), indexes);
  }

  @Test
  void nodeThatSucceedsOnRetry_hasNoErrorStatus_itsFailedAttemptHasErrorType() {
    var tracer = new FakeTracer(false);
    var calls = new int[1];
    var g = Graph.builder("retrying");
    g.node("price").retry(RetryPolicy.fixed(3, Duration.ZERO)).call(() -> {
      if (++calls[0] == 1) {
        throw new IllegalStateException("first attempt fails");
      }
      return 1;
    });
    g.node("broken").call(() -> {
      throw new UnsupportedOperationException("always");
    });
    var graph = g.options(TracingBridge.traced(RunOptions.defaults(), tracer)).build();

    graph.run(Inputs.empty());

    var spans = tracer.ended();
    var price = spans.stream().filter(s -> s.name().equals("retrying/price")).toList();
    assertEquals(1, price.size());
    assertFalse(price.getFirst().error(), "succeeded on retry: no error status");
    assertFalse(price.getFirst().attributes().containsKey("error.type"));
    assertEquals(2, price.getFirst().attributes().get("weft.attempts"));
    var attempts = spans.stream().filter(s -> s.name().equals("retrying/price attempt")).toList();
    assertEquals(2, attempts.size(), "one child span per attempt");
    for (var attempt : attempts) {
      assertEquals(price.getFirst().context().spanId(), attempt.parentId());
    }
    var first = attempts.stream().filter(s -> s.attributes().get("weft.attempt").equals(1))
        .findFirst().orElseThrow();
    assertTrue(first.error());
    assertEquals(IllegalStateException.class.getName(), first.attributes().get("error.type"));
    var second = attempts.stream().filter(s -> s.attributes().get("weft.attempt").equals(2))
        .findFirst().orElseThrow();
    assertFalse(second.error());
    var broken = spans.stream().filter(s -> s.name().equals("retrying/broken")).findFirst()
        .orElseThrow();
    assertTrue(broken.error(), "a node that failed in the end has error status");
    assertEquals(UnsupportedOperationException.class.getName(),
        broken.attributes().get("error.type"));
    assertEquals("failed", broken.attributes().get("weft.outcome"));
    var run = spans.stream().filter(s -> s.name().equals("retrying")).findFirst().orElseThrow();
    assertEquals("partial", run.attributes().get("weft.outcome"));
  }

  /**
   * A hedged node whose first call fails at once, so its hedge goes at once: two child spans,
   * the failed first with error status, the winning hedge without; the node has none.
   */
  @Test
  void hedgedNode_hasAChildSpanPerCall_onlyTheFailedOneWithErrorType() {
    var tracer = new FakeTracer(false);
    var g = Graph.builder("hedging");
    g.node("search").hedge(HedgePolicy.after(Duration.ofHours(1))).call(() -> {
      if (TaskContext.current().hedge() == 0) {
        throw new IllegalStateException("the first call fails");
      }
      return "found";
    });
    var graph = g.options(TracingBridge.traced(RunOptions.defaults(), tracer)).build();

    graph.run(Inputs.empty()).throwIfFailed();

    var spans = tracer.ended();
    var node = spans.stream().filter(s -> s.name().equals("hedging/search")).toList();
    assertEquals(1, node.size());
    assertFalse(node.getFirst().error(), "the node succeeded through its hedge");
    var calls = spans.stream().filter(s -> s.name().equals("hedging/search hedge"))
        .collect(Collectors.toMap(s -> s.attributes().get("weft.hedge"), s -> s));
    assertEquals(Set.of(0, 1), calls.keySet());
    for (var call : calls.values()) {
      assertEquals(node.getFirst().context().spanId(), call.parentId());
    }
    assertTrue(calls.get(0).error());
    assertEquals(IllegalStateException.class.getName(),
        calls.get(0).attributes().get("error.type"));
    assertEquals("failed", calls.get(0).attributes().get("weft.outcome"));
    assertFalse(calls.get(1).error());
    assertEquals("succeeded", calls.get(1).attributes().get("weft.outcome"));
  }

  /** A first call that the hedge beats is cancelled: its span has no error status. */
  @Test
  void hedgedNode_theLoserCancelledByTheWinner_hasNoErrorStatus() {
    var tracer = new FakeTracer(false);
    var g = Graph.builder("hedging");
    var hedged = g.node("search").hedge(HedgePolicy.after(Duration.ofNanos(1)));
    var firstStarted = new CountDownLatch(1);
    Node<String> search = hedged.call(() -> {
      if (TaskContext.current().hedge() == 0) { // waits until the winning hedge interrupts it
        firstStarted.countDown();
        return new CountDownLatch(1).await(10, TimeUnit.SECONDS) ? "never" : "slow";
      }
      // the hedge wins only once the first call runs: one beaten before it ran has no span
      return firstStarted.await(10, TimeUnit.SECONDS) ? "fast" : "the first call never started";
    });
    var graph = g.options(TracingBridge.traced(RunOptions.defaults(), tracer)).build();

    assertEquals("fast", graph.run(Inputs.empty()).get(search));

    var calls = tracer.ended().stream().filter(s -> s.name().equals("hedging/search hedge"))
        .collect(Collectors.toMap(s -> s.attributes().get("weft.hedge"), s -> s));
    assertEquals(Set.of(0, 1), calls.keySet());
    assertEquals("cancelled", calls.get(0).attributes().get("weft.outcome"));
    assertFalse(calls.get(0).error(), "losing to a hedge is not an error");
    assertEquals("succeeded", calls.get(1).attributes().get("weft.outcome"));
  }

  @Test
  void subgraphRun_isAChildOfTheNodeThatRunsIt() {
    var tracer = new FakeTracer(false);
    var inner = Graph.builder("inner");
    Node<String> leaf = inner.task("leaf", () -> "x");
    var g = Graph.builder("outer");
    g.subgraph("sub", Subgraph.of(inner.build(), leaf));
    var graph = g.options(TracingBridge.traced(RunOptions.defaults(), tracer)).build();

    var result = graph.run(Inputs.empty());

    var spans = byName(tracer.ended());
    assertEquals(Set.of("outer", "outer/sub", "inner", "inner/leaf"), spans.keySet());
    assertEquals(spans.get("outer/sub").context().spanId(), spans.get("inner").parentId());
    assertEquals(result.runId(), spans.get("inner").attributes().get("weft.parent_run_id"));
    assertEquals(spans.get("inner").context().spanId(), spans.get("inner/leaf").parentId());
    assertEquals(spans.get("outer").context().traceId(),
        spans.get("inner/leaf").context().traceId(), "one trace for both runs");
  }
}
