package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The time of each export of one run's trace, at 10,000 and 40,000 nodes of a chain, so that
 * their ratio shows whether an export is linear (about 4) or not (16 if quadratic): the timed
 * twin of {@code ExportScalingTest}, which checks allocation and size only. The baseline, in the
 * same run, writes each span's name and times into one {@code StringBuilder}: the least any
 * export of every span could cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ExportBenchmark {
  @Param({"10000", "40000"})
  public int nodes;

  private Trace trace;

  @Setup
  public void setUp() {
    var g = Graph.builder("chain-" + nodes);
    Node<Integer> previous = g.node("t0").inline().call(() -> 0);
    for (int i = 1; i < nodes; i++) {
      previous = g.node("t" + i).inline().call(previous, x -> x + 1);
    }
    trace = g.build().run(Inputs.empty(), o -> o.withExecutor(Runnable::run)).trace();
  }

  @Benchmark
  public String baseline() {
    var out = new StringBuilder();
    for (var span : trace.spans()) {
      out.append(span.node()).append(' ').append(span.started().toNanos()).append(' ')
          .append(span.ended().toNanos()).append('\n');
    }
    return out.toString();
  }

  @Benchmark
  public String criticalPath() {
    return trace.criticalPathText();
  }

  @Benchmark
  public String chromeJson() {
    return trace.toChromeJson();
  }

  @Benchmark
  public String dot() {
    return trace.toDot();
  }

  @Benchmark
  public String mermaid() {
    return trace.toMermaid();
  }

  @Benchmark
  public String html() {
    return trace.toHtml();
  }

  @Benchmark
  public String text() {
    return trace.toText();
  }
}
