package dev.weft;

/**
 * What a run does after a task fails. Chosen per graph ({@link GraphBuilder#options(RunOptions)})
 * and changed per run ({@link Graph#run(Inputs, java.util.function.UnaryOperator)}).
 *
 * <p>Constants, thread-safe.
 */
public enum FailureMode {
  /**
   * The failed node's dependents on required edges are skipped; every other node still runs. The
   * default, suited to hydrating a response where partial results are useful.
   */
  CONTINUE,
  /**
   * The first failure that no optional edge absorbs skips its dependents on required edges, as
   * always, then cancels the run: running tasks are interrupted, unstarted ones cancelled. A node
   * whose every dependent reads it through {@link Node#orElse} or {@link Node#optional()} does
   * not trigger it.
   */
  FAIL_FAST
}
