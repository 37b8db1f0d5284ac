package dev.weft;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-node graph whose node calls through a breaker, run on the calling thread: so a body that
 * moves a fake clock gives the call an exact duration. Counts the calls that ran.
 */
final class GuardedNode {
  /** What the guarded call does when it runs. */
  interface Body {
    Object call() throws Exception;
  }

  final AtomicInteger ran = new AtomicInteger();
  final Graph graph;
  final Node<Object> node;
  private volatile Body body = () -> "ok";

  GuardedNode(String graphName, CircuitBreaker breaker) {
    var g = Graph.builder(graphName);
    node = g.node("call").circuitBreaker(breaker).call(() -> {
      ran.incrementAndGet();
      return body.call();
    });
    graph = g.build();
  }

  /** {@return the outcome of one run whose call does {@code body}} */
  Outcome<Object> run(Body body) {
    this.body = body;
    return graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run)).outcome(node);
  }

  /** {@return the outcome of one run whose call returns {@code value}} */
  Outcome<Object> returning(Object value) {
    return run(() -> value);
  }

  /** {@return the outcome of one run whose call throws {@code failure}} */
  Outcome<Object> throwing(Throwable failure) {
    return run(() -> {
      throw GuardedNode.<RuntimeException>sneaky(failure);
    });
  }

  /** Runs {@code times} calls that throw {@code failure}, each failing its node with it. */
  void throwing(Throwable failure, int times) {
    for (int i = 0; i < times; i++) {
      var error = failure(throwing(failure));
      if (error != failure) {
        throw new AssertionError("the node should fail with " + failure + ", not " + error,
            error);
      }
    }
  }

  static Throwable failure(Outcome<?> outcome) {
    return assertInstanceOf(Outcome.Failed.class, outcome, () -> "got " + outcome).error();
  }

  static Object value(Outcome<?> outcome) {
    return assertInstanceOf(Outcome.Succeeded.class, outcome, () -> "got " + outcome).value();
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> T sneaky(Throwable t) throws T {
    throw (T) t;
  }
}
