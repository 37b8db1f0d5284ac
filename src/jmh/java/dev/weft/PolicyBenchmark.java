package dev.weft;

import java.time.Duration;
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
 * What a policy costs per call when nothing fails: a chain of {@value #LENGTH} nodes, every node
 * guarded by the policy under test, run on the calling thread ({@code Runnable::run}) so thread
 * hops do not drown the difference. Compare each row with {@code none}; divide by {@value
 * #LENGTH} for the cost per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyBenchmark {
  static final int LENGTH = 100;

  @Param({"none", "timeout", "retry", "breaker", "bulkhead", "adaptive", "fallback", "all"})
  public String policy;

  private Graph graph;
  private Node<Long> sink;
  private RunOptions options;

  @Setup(Level.Trial)
  public void setUp() {
    var breaker = CircuitBreaker.builder("bench").build();
    var bulkhead = Bulkhead.builder("bench").maxConcurrent(64).build();
    // every attempt reads the clock twice and takes the estimator's lock
    var adaptive = Bulkhead.builder("bench").adaptiveLimit(AdaptiveLimit.of(64, 1, 1000)).build();
    var retry = RetryPolicy.exponential(3, Duration.ofMillis(1));
    var g = Graph.builder("policy-" + policy);
    Node<Long> node = g.task("n0", () -> 1L);
    for (int i = 1; i < LENGTH; i++) {
      var b = g.node("n" + i);
      switch (policy) {
        case "timeout" -> b.timeout(Duration.ofSeconds(10));
        case "retry" -> b.retry(retry);
        case "breaker" -> b.circuitBreaker(breaker);
        case "bulkhead" -> b.bulkhead(bulkhead);
        case "adaptive" -> b.bulkhead(adaptive);
        case "all" -> b.timeout(Duration.ofSeconds(10)).retry(retry).circuitBreaker(breaker)
            .bulkhead(bulkhead);
        default -> { }
      }
      if (policy.equals("fallback") || policy.equals("all")) {
        b.fallback(-1L);
      }
      node = b.call(node, x -> x + 1);
    }
    sink = node;
    graph = g.build();
    options = graph.options().withExecutor(Runnable::run);
    if (run() != LENGTH) {
      throw new AssertionError(policy + ": expected " + LENGTH);
    }
  }

  @Benchmark
  public long run() {
    return graph.run(Inputs.empty(), o -> options).get(sink);
  }
}
