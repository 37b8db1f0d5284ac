package dev.weft;

import java.time.Duration;
import java.util.List;

/**
 * One call of a {@link BatchLoader}'s batch function made for a run, as {@link
 * RunResult#batches()}, {@link RunEvent.BatchEnded} and the trace show it.
 *
 * @param loader the loader's name
 * @param call the call's name, as traces and stragglers show it: the loader's name, {@code #},
 *     and its number among the loader's calls for the run ({@code users#2}; for a loader shared
 *     across runs, among all its calls)
 * @param round the run's round for this loader, from 1: calls of one round went out together
 * @param keys the run's keys in the call, in the order they were asked for (a call shared across
 *     runs may hold other runs' keys too)
 * @param started when the call started, since the run's start
 * @param ended when it ended, since the run's start
 * @param status SUCCEEDED, FAILED (every load of its keys failed), or CANCELLED (nobody waited
 *     for it any more, or the run was cancelled)
 * @param failure what it failed with, after the loader's policies, or null
 * @param attempts how many attempts it made (more than 1 with the loader's retry policy)
 * @param waiters the tasks of the run that waited for its keys, by path: {@code reviews},
 *     {@code photos[3]}, {@code host/profile}
 * @param shared whether the call was shared with other runs ({@link
 *     BatchLoader#sharedAcrossRuns()}); it then ran outside any run
 */
public record Batch(String loader, String call, int round, List<Object> keys, Duration started,
    Duration ended, Outcome.Status status, Throwable failure, int attempts,
    List<String> waiters, boolean shared) {
  /** Copies the lists. */
  public Batch {
    keys = List.copyOf(keys);
    waiters = List.copyOf(waiters);
  }

  /** {@return how long the call took} */
  public Duration duration() {
    return ended.minus(started);
  }
}
