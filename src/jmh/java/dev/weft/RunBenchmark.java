package dev.weft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of one run with a single caller: each {@linkplain Shapes shape} declared once and run per
 * operation by Weft in its default mode ({@code weft}: every task may block, so each runs on a
 * virtual thread) and with every node marked {@link NodeBuilder#inline()} ({@code weftInline}),
 * compared with the same graph wired by hand with CompletableFuture, every stage inline ({@code
 * cfInline}) or every node an async stage on a new virtual thread ({@code cfVirtual}). All four
 * must return the same value, checked before anything is timed. Divide by the shape's node count
 * for the cost per node.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RunBenchmark {
  @Param({"fanout-1000", "chain-1000", "layered-500", "many-small"})
  public String shape;

  private Shapes.Wired wired;

  @Setup(Level.Trial)
  public void setUp() {
    wired = new Shapes.Wired(shape);
    wired.check();
  }

  @Benchmark
  public long weft() {
    return wired.weft();
  }

  @Benchmark
  public long weftInline() {
    return wired.weftInline();
  }

  @Benchmark
  public long cfInline() {
    return wired.cfInline();
  }

  @Benchmark
  public long cfVirtual() {
    return wired.cfVirtual();
  }
}
