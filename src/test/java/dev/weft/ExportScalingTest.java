package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Every export, and the critical path, is linear in nodes plus edges, measured by what it
 * allocates on its thread and what it writes, never by time (a timing ratio failed here on a
 * loaded machine, x26 once for a linear export): a chain four times longer must allocate and
 * write about four times as much (quadratic copying would be sixteen times; the bound is ten).
 * The same holds for a fan-out's elements, which every export nests under their node. Their time
 * is measured by JMH beside this ({@code ExportBenchmark}, in BENCHMARKS.md), where a quadratic
 * scan that allocates nothing would show.
 */
class ExportScalingTest {
  private static final int SMALL = 10_000;
  private static final int LARGE = 40_000;
  private static final double BOUND = 10;

  /** A chain of {@code n} inline tasks, run once: the largest critical path there is. */
  private static RunResult chain(int n) {
    var g = Graph.builder("chain-" + n);
    Node<Integer> previous = g.node("t0").inline().call(() -> 0);
    for (int i = 1; i < n; i++) {
      previous = g.node("t" + i).inline().call(previous, x -> x + 1);
    }
    var graph = g.build();
    return graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run));
  }

  /** A fan-out of {@code n} inline elements between two tasks, run once on the caller. */
  private static RunResult fanOut(int n) {
    var g = Graph.builder("fan-out-" + n);
    Node<List<Integer>> items = g.task("items", () -> IntStream.range(0, n).boxed().toList());
    Node<List<Integer>> each = g.node("each").inline().forEach(items, i -> i + 1);
    g.task("count", each, List::size);
    return g.build().run(Inputs.empty(), o -> o.withExecutor(Runnable::run));
  }

  private static Map<String, Function<RunResult, String>> exports() {
    var exports = new LinkedHashMap<String, Function<RunResult, String>>();
    exports.put("critical path", r -> r.trace().criticalPathText());
    exports.put("Chrome JSON", r -> r.trace().toChromeJson());
    exports.put("run DOT", r -> r.trace().toDot());
    exports.put("run Mermaid", r -> r.trace().toMermaid());
    exports.put("HTML", r -> r.trace().toHtml());
    exports.put("text waterfall", r -> r.trace().toText());
    return exports;
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** {@return the fewest bytes of three runs of {@code export} allocated on this thread} */
  private static long allocated(Function<RunResult, String> export, RunResult result) {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      var text = export.apply(result);
      least = Math.min(least, THREADS.getCurrentThreadAllocatedBytes() - before);
      assertFalse(text.isEmpty());
    }
    return least;
  }

  @Test
  void everyExportAndTheCriticalPath_scaleLinearly_from10kTo40kNodes() {
    assertLinear("a chain", chain(SMALL), chain(LARGE), "nodes");
  }

  @Test
  void everyExportAndTheCriticalPath_scaleLinearly_from10kTo40kElements() {
    var small = fanOut(SMALL);
    var large = fanOut(LARGE);
    assertEquals(SMALL, small.trace().spans().get(1).children().size());
    assertLinear("a fan-out", small, large, "elements");
  }

  private static void assertLinear(String what, RunResult small, RunResult large, String unit) {
    assertTrue(THREADS.isThreadAllocatedMemorySupported()
        && THREADS.isThreadAllocatedMemoryEnabled(), "this JVM measures no allocation per thread");
    var report = new StringBuilder();
    boolean linear = true;
    for (var e : exports().entrySet()) {
      allocated(e.getValue(), large); // warm up: compiled before either is measured
      long s = allocated(e.getValue(), small);
      long l = allocated(e.getValue(), large);
      double ratio = (double) l / s;
      double size = (double) e.getValue().apply(large).length()
          / e.getValue().apply(small).length();
      report.append(String.format("%n  %-13s %,7.1f MB at %,d %s, %,7.1f MB at %,d: x%.1f;"
          + " size x%.1f", e.getKey(), s / 1e6, SMALL, unit, l / 1e6, LARGE, ratio, size));
      linear &= ratio < BOUND && size < BOUND;
    }
    System.out.println("[weft scaling] exports of " + what + ":" + report);
    assertTrue(linear, "an export grows faster than linearly (x4 expected, x16 if quadratic):"
        + report);
  }
}
