package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.internal.trace.Palette;
import dev.weft.testing.GraphSyntax;
import dev.weft.testing.HtmlCheck;
import dev.weft.testing.StrictJson;
import dev.weft.testing.SteppedClock;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The trace of a run and its critical path, on hand-built graphs whose tasks sleep on a fake
 * clock that the test moves step by step, so every timestamp is exact.
 */
class CriticalPathTest {
  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static List<String> names(List<Span> spans) {
    return spans.stream().map(Span::node).toList();
  }

  private static void assertSpan(Span span, long ready, long started, long ended) {
    assertEquals(List.of(ms(ready), ms(started), ms(ended)),
        List.of(span.ready(), span.started(), span.ended()), span.node());
  }

  /** A diamond a -> (b, c) -> d: the critical path runs through the slower middle branch. */
  @ParameterizedTest
  @CsvSource({"30, 50, c", "50, 30, b"})
  void diamond_criticalPathGoesThroughTheSlowerBranch(long bMillis, long cMillis, String slow)
      throws Exception {
    var clock = new SteppedClock();
    var g = Graph.builder("diamond");
    Node<String> a = g.task("a", () -> clock.sleep(10, "a"));
    Node<String> b = g.task("b", a, x -> clock.sleep(bMillis, "b"));
    Node<String> c = g.task("c", a, x -> clock.sleep(cMillis, "c"));
    g.task("d", b, c, (x, y) -> clock.sleep(5, "d"));
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> clock.options(graph));
    clock.advance(1, 10);
    clock.awaitEnded("a");
    var fast = slow.equals("b") ? "c" : "b";
    long fastMillis = Math.min(bMillis, cMillis);
    long slowMillis = Math.max(bMillis, cMillis);
    clock.advance(2, fastMillis);
    clock.awaitEnded(fast);
    clock.advance(1, slowMillis - fastMillis);
    clock.awaitEnded(slow);
    clock.advance(1, 5);
    var trace = run.get(10, SECONDS).trace();

    assertEquals(List.of("a", slow, "d"), names(trace.criticalPath()));
    assertEquals(ms(15 + slowMillis), trace.elapsed());
    assertSpan(trace.criticalPath().get(0), 0, 0, 10);
    assertSpan(trace.criticalPath().get(1), 10, 10, 10 + slowMillis);
    assertSpan(trace.criticalPath().get(2), 10 + slowMillis, 10 + slowMillis, 15 + slowMillis);
    assertEquals(String.format("""
        critical path of run %d of graph 'diamond': 65.0 ms of 65.0 ms
          a     ran  10.0 ms  queued 0.000 ms  succeeded
          %s     ran  50.0 ms  queued 0.000 ms  succeeded
          d     ran   5.0 ms  queued 0.000 ms  succeeded
        """, trace.runId(), slow), trace.criticalPathText());
  }

  /** The path is the chain that ended last, even when another chain has more steps. */
  @Test
  void criticalPath_endsWithTheTaskThatEndedLast_notTheLongestChain() throws Exception {
    var clock = new SteppedClock();
    var g = Graph.builder("two chains");
    Node<Integer> x = g.task("x", () -> clock.sleep(5, 1));
    Node<Integer> y = g.task("y", x, v -> clock.sleep(5, v));
    g.task("z", y, v -> clock.sleep(5, v));
    g.task("lone", () -> clock.sleep(40, 0));
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> clock.options(graph));
    clock.advance(2, 5);
    clock.awaitEnded("x");
    clock.advance(2, 5);
    clock.awaitEnded("y");
    clock.advance(2, 5);
    clock.awaitEnded("z");
    clock.advance(1, 25);
    var trace = run.get(10, SECONDS).trace();

    assertEquals(List.of("lone"), names(trace.criticalPath()));
    assertSpan(trace.criticalPath().getFirst(), 0, 0, 40);
  }

  /**
   * Each step's wait for a thread is on the path too. The executor holds every task it is handed
   * until the test starts it; of a's two dependents, one runs at once on a's thread and the other
   * is handed to the executor, waits 3 ms, and so ends last.
   */
  @Test
  void criticalPath_countsEachStepsWaitBetweenReadyAndStarted() throws Exception {
    var clock = new SteppedClock();
    var held = new LinkedBlockingQueue<Runnable>();
    var g = Graph.builder("queued");
    Node<String> a = g.task("a", () -> clock.sleep(10, "a"));
    g.task("b", a, v -> clock.sleep(20, v));
    g.task("c", a, v -> clock.sleep(20, v));
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> clock.options(graph).withExecutor(held::add));
    release(held, clock, 0, 2);
    clock.advance(1, 10);
    clock.awaitEnded("a");
    release(held, clock, 1, 3); // once the dependent that runs at once is asleep
    clock.advance(2, 17);
    var first = clock.nextEnded();
    assertNotNull(first, "timed out after 10 s waiting for b or c to end");
    clock.advance(1, 3);
    var trace = run.get(10, SECONDS).trace();

    var last = first.equals("b") ? "c" : "b";
    assertEquals(List.of("a", last), names(trace.criticalPath()));
    assertSpan(trace.criticalPath().get(0), 0, 2, 12);
    assertSpan(trace.criticalPath().get(1), 12, 15, 35);
    assertEquals(String.format("""
        critical path of run %d of graph 'queued': 35.0 ms of 35.0 ms
          a     ran  10.0 ms  queued   2.0 ms  succeeded
          %s     ran  20.0 ms  queued   3.0 ms  succeeded
        """, trace.runId(), last), trace.criticalPathText());
  }

  /**
   * Takes the task the executor was handed and, once {@code sleeping} tasks sleep, lets {@code
   * millis} pass, then starts it.
   */
  private static void release(BlockingQueue<Runnable> held, SteppedClock clock, int sleeping,
      long millis) throws InterruptedException {
    var task = held.poll(10, SECONDS);
    assertNotNull(task, "timed out after 10 s waiting for a task to be handed to the executor");
    clock.advance(sleeping, millis);
    Thread.ofVirtual().start(task);
  }

  /** A run where one task fails: its required dependent is skipped, its optional one runs. */
  @Test
  void traceOfARunWithFailuresAndSkips_hasEverySpan_andExportsThemByOutcome() throws Exception {
    var clock = new SteppedClock();
    var g = Graph.builder("partial");
    Node<String> flaky = g.task("flaky", () -> {
      clock.sleep(10, "");
      throw new IOException("service <down> & \"out\"");
    });
    g.task("needs-flaky", flaky, v -> v);
    g.task("tolerates-flaky", flaky.orElse("none"), v -> clock.sleep(5, v));
    var graph = g.build();

    CompletableFuture<RunResult> run = graph.runAsync(Inputs.empty(), o -> clock.options(graph));
    clock.advance(1, 10);
    clock.awaitEnded("flaky");
    clock.advance(1, 5);
    var trace = run.get(10, SECONDS).trace();

    assertEquals(List.of("flaky", "tolerates-flaky"), names(trace.criticalPath()));
    var byName = new java.util.HashMap<String, Span>();
    trace.spans().forEach(s -> byName.put(s.node(), s));
    assertEquals(3, byName.size());
    var failed = byName.get("flaky");
    assertInstanceOf(Outcome.Failed.class, failed.outcome());
    assertEquals(1, failed.attempts());
    assertTrue(failed.thread().startsWith("#"), failed.thread());
    assertSpan(failed, 0, 0, 10);
    var skipped = byName.get("needs-flaky");
    assertEquals("flaky", assertInstanceOf(Outcome.Skipped.class, skipped.outcome()).cause());
    assertEquals(0, skipped.attempts());
    assertEquals("", skipped.thread());
    assertEquals(skipped.started(), skipped.ended());
    assertSpan(byName.get("tolerates-flaky"), 10, 10, 15);
    assertTrue(trace.criticalPathText().contains("flaky            ran  10.0 ms  queued 0.000 ms"
        + "  failed"), trace.criticalPathText());

    var dot = GraphSyntax.parseDot(trace.toDot());
    assertEquals(Palette.FAILED, GraphSyntax.dotText(dot.named("flaky").attrs().get("fillcolor")));
    assertEquals(Palette.SKIPPED, GraphSyntax.dotText(dot.named("needs-flaky").attrs()
        .get("fillcolor")));
    assertEquals(Palette.SUCCEEDED, GraphSyntax.dotText(dot.named("tolerates-flaky").attrs()
        .get("fillcolor")));
    var json = StrictJson.object(StrictJson.parse(trace.toChromeJson()), "root");
    assertTrue(StrictJson.array(json.get("traceEvents"), "traceEvents").stream()
        .map(e -> StrictJson.object(e, "event"))
        .anyMatch(e -> "flaky".equals(e.get("name")) && ("java.io.IOException: service <down> "
            + "& \"out\"").equals(StrictJson.object(e.get("args"), "args").get("error"))));
    var page = HtmlCheck.parse(trace.toHtml());
    assertEquals(List.of(true, false, true), page.find("tr", "row").stream()
        .map(r -> r.hasClass("crit")).toList());
    assertTrue(page.find("tr", "row").getFirst().attr("title")
        .contains("error: java.io.IOException: service <down> & \"out\""));
  }

  /** Time is measured on the run's scheduler, so an idle fake clock gives all-zero spans. */
  @Test
  void taskThatTakesNoFakeTime_hasAZeroLengthSpanAtTheStart() throws Exception {
    var clock = new SteppedClock();
    var g = Graph.builder("instant");
    g.task("now", () -> "done");
    var graph = g.build();
    var trace = graph.run(Inputs.empty(), o -> clock.options(graph)).trace();
    assertSpan(trace.criticalPath().getFirst(), 0, 0, 0);
    assertEquals(Duration.ZERO, trace.elapsed());
  }
}
