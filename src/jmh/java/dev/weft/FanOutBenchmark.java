package dev.weft;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A fan-out over a list known at run time, against the hand-wired baseline the issue names: a
 * virtual thread per element, joined with {@code CompletableFuture.allOf}.
 *
 * <ul>
 *   <li>{@code noop}, {@value #WIDE} elements with a no-op body: the per-element overhead ({@code
 *       weft} against {@code cfVirtual}, divided by {@value #WIDE}); {@code weftInline} runs the
 *       elements one after another on the node's thread, against a plain loop.
 *   <li>{@code io}, {@value #IO} elements that each block {@value #BLOCK_MS} ms, at most
 *       {@value #LIMIT} at a time: the wall time against the ideal ceil(1000/64) &times; 10 ms =
 *       160 ms ({@code cfVirtual} bounds its concurrency with a semaphore).
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FanOutBenchmark {
  static final int WIDE = 10_000;
  static final int IO = 1000;
  static final int LIMIT = 64;
  static final int BLOCK_MS = 10;

  @Param({"noop", "io"})
  public String body;

  private Graph graph;
  private Graph inlineGraph;
  private Input<List<Long>> ids;
  private Input<List<Long>> inlineIds;
  private Node<List<Long>> out;
  private Node<List<Long>> inlineOut;
  private List<Long> items;
  private ExecutorService virtual;

  @Setup(Level.Trial)
  public void setUp() {
    boolean io = body.equals("io");
    items = LongStream.range(0, io ? IO : WIDE).boxed().toList();
    Fn.F1<Long, Long> fn = io ? FanOutBenchmark::block : x -> x + 1;
    var g = Graph.builder("fanout-" + body);
    ids = g.input("ids");
    out = io ? g.node("each").maxConcurrency(LIMIT).forEach(ids, fn) : g.forEach("each", ids, fn);
    graph = g.build();
    var gi = Graph.builder("fanout-inline-" + body);
    inlineIds = gi.input("ids");
    inlineOut = gi.node("each").inline().forEach(inlineIds, fn);
    inlineGraph = gi.build();
    virtual = Executors.newVirtualThreadPerTaskExecutor();
    check(weft());
    check(cfVirtual());
  }

  private void check(List<Long> values) {
    long expected = body.equals("io") ? items.get(items.size() - 1)
        : items.get(items.size() - 1) + 1;
    if (values.size() != items.size() || values.get(values.size() - 1) != expected) {
      throw new AssertionError(body + ": wrong result");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    virtual.close();
  }

  private static Long block(Long x) throws InterruptedException {
    Thread.sleep(BLOCK_MS);
    return x;
  }

  @Benchmark
  public List<Long> weft() {
    return graph.run(Inputs.of(ids, items)).get(out);
  }

  @Benchmark
  public List<Long> weftInline() {
    if (body.equals("io")) {
      return List.of(); // 10 s a run, one element at a time: not measured
    }
    return inlineGraph.run(Inputs.of(inlineIds, items)).get(inlineOut);
  }

  /** A virtual thread per element, joined with allOf; a semaphore bounds the io case. */
  @Benchmark
  @SuppressWarnings("unchecked")
  public List<Long> cfVirtual() {
    boolean io = body.equals("io");
    var permits = new java.util.concurrent.Semaphore(io ? LIMIT : Integer.MAX_VALUE);
    var futures = new CompletableFuture[items.size()];
    for (int i = 0; i < futures.length; i++) {
      long item = items.get(i);
      futures[i] = CompletableFuture.supplyAsync(() -> {
        try {
          permits.acquire();
          try {
            return io ? block(item) : item + 1;
          } finally {
            permits.release();
          }
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }, virtual);
    }
    CompletableFuture.allOf(futures).join();
    var values = new Long[futures.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = (Long) futures[i].join();
    }
    return List.of(values);
  }

  @Benchmark
  public List<Long> loop() {
    if (body.equals("io")) {
      return List.of();
    }
    var values = new Long[items.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = items.get(i) + 1;
    }
    return List.of(values);
  }
}
