package dev.weft;

import dev.weft.internal.Run;
import dev.weft.internal.RunHooks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Turns the engine's progress into {@link RunEvent}s for a graph's listeners, containing their
 * failures. Immutable and thread-safe; one per graph and options.
 */
final class Emitter implements RunHooks {
  private final Graph graph;
  private final RunListener[] listeners;

  Emitter(Graph graph, List<RunListener> listeners) {
    this.graph = graph;
    this.listeners = listeners.toArray(RunListener[]::new);
  }

  @Override
  public void runStarted(Run run) {
    emit(run, new RunEvent.RunStarted(graph.name(), run.id(), Duration.ZERO, Instant.now(),
        run.plan().taskCount()));
  }

  @Override
  public void nodeReady(Run run, int vertex, long at) {
    emit(run, new RunEvent.NodeReady(graph.name(), run.id(), since(run, at),
        run.plan().name(vertex)));
  }

  @Override
  public void nodeStarted(Run run, int vertex, int attempt, long at) {
    emit(run, new RunEvent.NodeStarted(graph.name(), run.id(), since(run, at),
        run.plan().name(vertex), attempt, Run.label(Thread.currentThread())));
  }

  @Override
  public void nodeRetried(Run run, int vertex, int attempt, Throwable error, long delayNanos,
      long at) {
    emit(run, new RunEvent.NodeRetried(graph.name(), run.id(), since(run, at),
        run.plan().name(vertex), attempt, error, Duration.ofNanos(delayNanos)));
  }

  @Override
  public void nodeEnded(Run run, int vertex) {
    var span = RunResult.spanOf(run, vertex);
    emit(run, new RunEvent.NodeEnded(graph.name(), run.id(), span.ended(), span.node(), span));
  }

  @Override
  public void runEnded(Run run, Object result) {
    emit(run, new RunEvent.RunEnded(graph.name(), run.id(),
        Duration.ofNanos(run.elapsedNanos()), (RunResult) result));
  }

  private static Duration since(Run run, long at) {
    return Duration.ofNanos(run.sinceStart(at));
  }

  private void emit(Run run, RunEvent event) {
    var outer = run.enterHook(); // a listener that cancels the run must not wait for it
    try {
      for (var listener : listeners) {
        try {
          listener.onEvent(event);
        } catch (Throwable t) {
          if (run.hookFailed(t)) {
            Run.log("a listener of graph '" + graph.name() + "' threw on "
                + event.getClass().getSimpleName() + " in run " + run.id()
                + "; the run goes on (further failures of this run are kept in its result)", t);
          }
        }
      }
    } finally {
      Run.leaveHook(outer);
    }
  }
}
