package dev.weft.internal;

/** How one attempt of a task ended, as its own thread learns when it closes the attempt. */
public enum AttemptEnd {
  /** It returned or threw on its own: its value or failure stands. */
  COMPLETED,
  /** Its timeout interrupted it: it failed with a timeout. */
  TIMED_OUT,
  /** The run's cancellation interrupted it: no retry, no fallback. */
  CANCELLED,
  /** It was cut off as a straggler: the run has ended without it. */
  CUT_OFF
}
