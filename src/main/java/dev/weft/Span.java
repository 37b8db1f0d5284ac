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
 * @param thread the thread its last attempt ran on, as {@code "#id name"}; empty if it never ran
 */
public record Span(String node, Outcome<?> outcome, Duration ready, Duration started,
    Duration ended, int attempts, String thread) {
  public Span {
    requireNonNull(node, "node");
    requireNonNull(thread, "thread");
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
}
