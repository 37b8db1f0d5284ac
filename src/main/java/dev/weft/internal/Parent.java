package dev.weft.internal;

/**
 * Where a subgraph's run sits: the run and node that run it, and, once that node stops it, why.
 * One per subgraph run; runs of their own have none (null), so they pay nothing for it.
 * Thread-safe: the reason is written once, before the run is cancelled, and read after.
 */
public final class Parent {
  final long runId;
  final String node;
  // the run whose node runs the subgraph, and the outermost run of the request
  final Run<?> run;
  final Run<?> root;
  volatile String reason;

  /** The run {@code run}'s node {@code node}, which runs a subgraph. */
  public Parent(Run<?> run, String node) {
    this.run = run;
    this.runId = run.id;
    this.root = run.root;
    this.node = node;
  }
}
