package dev.weft;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * When one node of a run, or one element of a fan-out, became ready (all its dependencies
 * ended), started and ended, relative to the start of the run; and what ran inside it. A node
 * that never started (skipped, cancelled early) has {@code started == ended}. Immutable and
 * thread-safe.
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
 * @param element for one element of a fan-out ({@link NodeBuilder#forEach}), its index in the
 *     list; -1 for a node. An element's span is named by its node, never as a node of its own
 * @param children what ran inside: a fan-out node's elements in index order, a subgraph
 *     node's tasks (of its last attempt) in start order, or a hedged task's attempts in the
 *     order they were sent (of its last attempt), timed from the same origin as this span;
 *     empty for other nodes. The list is immutable
 * @param hedge for one of a hedged task's attempts ({@link NodeBuilder#hedge}), which: 0 for
 *     the first, 1, 2, ... for the hedges; -1 for a span that is not one
 */
public record Span(String node, Outcome<?> outcome, Duration ready, Duration started,
    Duration ended, int attempts, long threadId, String threadName, int element,
    List<Span> children, int hedge) {
  public Span {
    requireNonNull(node, "node");
    requireNonNull(threadName, "threadName");
    children = List.copyOf(children);
    requireNonNull(outcome, "outcome");
    requireNonNull(ready, "ready");
    requireNonNull(started, "started");
    requireNonNull(ended, "ended");
  }

  /** A span that is not a hedged attempt ({@code hedge} -1). */
  public Span(String node, Outcome<?> outcome, Duration ready, Duration started, Duration ended,
      int attempts, long threadId, String threadName, int element, List<Span> children) {
    this(node, outcome, ready, started, ended, attempts, threadId, threadName, element, children,
        -1);
  }

  /** A node's span, with nothing inside it. */
  public Span(String node, Outcome<?> outcome, Duration ready, Duration started, Duration ended,
      int attempts, long threadId, String threadName) {
    this(node, outcome, ready, started, ended, attempts, threadId, threadName, -1, List.of());
  }

  /**
   * {@return the node's name, for an element its index, and for a hedged attempt which it is:
   * {@code photos}, {@code photos[3]}, {@code photos (first)}, {@code photos[3] (hedge 1)}}
   */
  public String label() {
    var base = element < 0 ? node : node + "[" + element + "]";
    return hedge < 0 ? base : hedge == 0 ? base + " (first)" : base + " (hedge " + hedge + ")";
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
