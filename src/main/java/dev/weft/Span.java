package dev.weft;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * When one node of a run became ready (all its dependencies ended), started and ended, relative
 * to the start of the run. A node that never started (skipped, cancelled early) has {@code
 * started == ended}. Immutable and thread-safe.
 *
 * <p>The constructor refuses nulls with {@code NullPointerException}.
 *
 * @param node the node's name
 * @param outcome how it ended
 * @param ready when its last dependency ended
 * @param started when its task started
 * @param ended when it ended
 * @param attempts how many times its task was tried (0 if it never started; more than 1 when it
 *     was retried)
 * @param threadId the id of the thread its last attempt ran on; 0 if it never ran (Java thread
 *     ids start at 1)
 * @param threadName that thread's name when the attempt started; empty if it never ran
 */
public record Span(String node, Outcome<?> outcome, Duration ready, Duration started,
    Duration ended, int attempts, long threadId, String threadName) {
  public Span {
    requireNonNull(node, "node");
    requireNonNull(threadName, "threadName");
    requireNonNull(outcome, "outcome");
    requireNonNull(ready, "ready");
    requireNonNull(started, "started");
    requireNonNull(ended, "ended");
  }

  /** {@return how long the node waited between becoming ready and starting} */
  public Duration queued() {
    return started.minus(ready);
  }

  /** {@return how long the node's task ran} */
  public Duration ran() {
    return ended.minus(started);
  }

  /** {@return the thread as people read it, {@code "#id name"}; empty if it never ran} */
  public String thread() {
    return threadId == 0 ? "" : "#" + threadId + " " + threadName;
  }
}
