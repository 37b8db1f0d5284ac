package dev.weft.internal;

/**
 * What the engine reports as a run progresses; implemented by the public layer, which turns it
 * into listener events. Called synchronously on the thread where each thing happens; never null
 * in a {@link Run}: runs without listeners have no hooks at all.
 */
public interface RunHooks {
  void runStarted(Run run);

  void nodeReady(Run run, int vertex, long at);

  void nodeStarted(Run run, int vertex, int attempt, long at);

  void nodeRetried(Run run, int vertex, int attempt, Throwable error, long delayNanos, long at);

  void nodeEnded(Run run, int vertex);

  void runEnded(Run run, Object result);
}
