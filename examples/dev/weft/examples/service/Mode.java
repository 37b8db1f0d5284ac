package dev.weft.examples.service;

/**
 * How a simulated {@link Downstream} behaves, switchable while it runs with
 * {@link Downstream#mode(Mode)}.
 */
public enum Mode {
  /** Latency sampled from the downstream's {@link Profile}; its error rate of 500s. */
  HEALTHY,
  /** Ten times the sampled latency; the same error rate. */
  SLOW,
  /** Answers 503 at once, without its latency: a service whose load balancer has no backend. */
  DOWN,
  /** Three calls in ten answer 503, after their normal latency; the rest as {@link #HEALTHY}. */
  FLAKY,
  /**
   * Nothing listens: the server socket is closed, so connecting is refused (and connections
   * already open are cut). Leaving this mode binds the same port again.
   */
  REFUSED
}
