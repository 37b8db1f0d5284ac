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
 * What {@link RunOptions#withScopedValue} costs per key per task (Java 25): a chain of {@value
 * #WIDTH} inline tasks (one thread, so the binding is all that differs) and a fan-out of {@value
 * #WIDTH} tasks on virtual threads, each task adding one, run inside {@code ScopedValue.where} of
 * {@code keys} keys, all registered ({@code keys=0}: none registered, the null check alone). The
 * difference per node from {@code keys=0}, divided by the keys, is the cost of one binding and its
 * unbinding per task; {@code keys=1} also pays the call into the carrier.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ScopedValueBenchmark {
  static final int WIDTH = 1000;
  private static final ScopedValue<?>[] KEYS = {ScopedValue.newInstance(),
      ScopedValue.newInstance(), ScopedValue.newInstance(), ScopedValue.newInstance()};

  @Param({"chain-inline", "fanout"})
  public String shape;

  @Param({"0", "1", "4"})
  public int keys;

  private Graph graph;
  private Node<Long> sink;
  private ScopedValue.Carrier bound;

  @Setup(Level.Trial)
  public void setUp() {
    var options = RunOptions.defaults();
    ScopedValue.Carrier carrier = null;
    for (int k = 0; k < KEYS.length; k++) {
      @SuppressWarnings("unchecked")
      var key = (ScopedValue<Object>) KEYS[k];
      carrier = carrier == null ? ScopedValue.where(key, "v" + k) : carrier.where(key, "v" + k);
      if (k < keys) {
        options = options.withScopedValue(key);
      }
    }
    bound = carrier; // every run is inside the same four bindings; only the registered are carried
    Fn.F1<Long, Long> body = x -> x + 1;
    var g = Graph.builder("scoped-" + shape + "-" + keys);
    sink = Shapes.fanOutOrInlineChain(g, shape, WIDTH, body);
    graph = g.options(options).build();
    if (run() != WIDTH) {
      throw new AssertionError(shape + "/" + keys + ": expected " + WIDTH);
    }
  }

  @Benchmark
  public long run() {
    return bound.call(() -> graph.run(Inputs.empty()).get(sink));
  }
}
