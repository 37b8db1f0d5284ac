package dev.weft;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The four ways every shape is run, shared by the benchmarks that compare them: Weft default
 * ({@code weft}: every task may block, so each runs on a virtual thread), Weft with every node
 * {@link NodeBuilder#inline()} ({@code weftInline}), and the same graph wired by hand with
 * CompletableFuture, every stage inline ({@code cfInline}) or every node an async stage on a new
 * virtual thread ({@code cfVirtual}); and both Weft ways again {@link
 * GraphBuilder#withoutTaskTimes() without task times} ({@code weftUntimed}, {@code
 * weftInlineUntimed}). All must return the same value, checked before anything is timed. A subclass names its shapes with a {@code @Param} field returned by {@link #shape()}
 * and sets the mode and units; JMH runs these methods under the subclass's name.
 */
@State(Scope.Benchmark)
public abstract class FourWaysBenchmark {
  private Shapes.Wired wired;

  /** {@return the shape of this trial, from the subclass's {@code @Param} field} */
  protected abstract String shape();

  @Setup(Level.Trial)
  public void setUp() {
    wired = new Shapes.Wired(shape());
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

  /** {@code weft} without task times ({@link GraphBuilder#withoutTaskTimes()}). */
  @Benchmark
  public long weftUntimed() {
    return wired.weftUntimed();
  }

  /** {@code weftInline} without task times. */
  @Benchmark
  public long weftInlineUntimed() {
    return wired.weftInlineUntimed();
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
