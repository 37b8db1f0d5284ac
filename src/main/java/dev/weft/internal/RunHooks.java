package dev.weft.internal;

/**
 * What the engine reports as a run progresses; implemented by the public layer, which turns it
 * into listener events. Called synchronously on the thread where each thing happens; runs
 * without listeners have no hooks at all (null in {@link Settings}).
 *
 * @param <R> what the run's future yields, handed over at the end
 */
public interface RunHooks<R> {
  void runStarted(Run<R> run);

  void nodeReady(Run<R> run, int vertex, long at);

  void nodeStarted(Run<R> run, int vertex, int attempt, long at);

  void nodeRetried(Run<R> run, int vertex, int attempt, Throwable error, long delayNanos,
      long at);

  void nodeEnded(Run<R> run, int vertex);

  /** An attempt of element {@code element} of the fan-out of {@code vertex} started. */
  void elementStarted(Run<R> run, int vertex, int element, int attempt, long at);

  void elementRetried(Run<R> run, int vertex, int element, int attempt, Throwable error,
      long delayNanos, long at);

  /** Element {@code element} of the fan-out of {@code vertex} ended. */
  void elementEnded(Run<R> run, int vertex, int element);

  /** Attempt {@code k} (0 the first, then the hedges) of a hedged task started. */
  void hedgeStarted(Run<R> run, Hedges hedges, int k, long at);

  /** Attempt {@code k} of a hedged task ended. */
  void hedgeEnded(Run<R> run, Hedges hedges, int k);

  void runEnded(Run<R> run, R result);
}
