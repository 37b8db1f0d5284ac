package dev.weft.internal;

/** Why a run was cancelled: the first cause wins, and every cancelled node's reason names it. */
public enum CancelCause {
  /** {@code FAIL_FAST}: a node failed and nothing absorbed the failure. */
  FAIL_FAST,
  /** The caller cancelled the future, completed it, or interrupted the thread in {@code run}. */
  CALLER,
  /** A fault of Weft or of the run's scheduler stopped the run. */
  FAULT,
  /** The run's deadline passed. */
  DEADLINE,
  /** The node running this run as a subgraph was stopped: its run cancelled, or it timed out. */
  PARENT
}
