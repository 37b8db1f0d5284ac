package dev.weft.internal;

/**
 * Where a subgraph's run sits: the run and node that run it, and, once that node stops it, why.
 * One per subgraph run; runs of their own have none (null), so they pay nothing for it.
 * Thread-safe: the reason is written once, before the run is cancelled, and read after.
 */
public final class Parent {
  final long runId;
  final String node;
  volatile String reason;

  /** The run {@code runId}'s node {@code node}, which runs a subgraph. */
  public Parent(long runId, String node) {
    this.runId = runId;
    this.node = node;
  }
}
