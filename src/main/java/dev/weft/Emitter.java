package dev.weft;

import dev.weft.internal.Elements;
import dev.weft.internal.Hedges;
import dev.weft.internal.Faults;
import dev.weft.internal.Run;
import dev.weft.internal.RunHooks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Turns the engine's progress into {@link RunEvent}s for a graph's listeners, containing their
 * failures. Immutable and thread-safe; one per graph and options.
 */
final class Emitter implements RunHooks<RunResult> {
  private final Graph graph;
  private final RunListener[] listeners;

  Emitter(Graph graph, List<RunListener> listeners) {
    this.graph = graph;
    this.listeners = listeners.toArray(RunListener[]::new);
  }

  @Override
  public void runStarted(Run<RunResult> run) {
    emit(run, new RunEvent.RunStarted(graph.name(), run.id(), Duration.ZERO, Instant.now(),
        run.plan().taskCount(), run.parentRunId(),
        run.parentNode() == null ? "" : run.parentNode()));
  }

  @Override
  public void nodeReady(Run<RunResult> run, int vertex, long at) {
    emit(run, new RunEvent.NodeReady(graph.name(), run.id(), run.readout().since(at),
        run.plan().name(vertex)));
  }

  @Override
  public void nodeStarted(Run<RunResult> run, int vertex, int attempt, long at) {
    var thread = Thread.currentThread();
    emit(run, new RunEvent.NodeStarted(graph.name(), run.id(), run.readout().since(at),
        run.plan().name(vertex), attempt, thread.threadId(), thread.getName()));
  }

  @Override
  public void nodeRetried(Run<RunResult> run, int vertex, int attempt, Throwable error,
      long delayNanos, long at) {
    emit(run, new RunEvent.NodeRetried(graph.name(), run.id(), run.readout().since(at),
        run.plan().name(vertex), attempt, error, Duration.ofNanos(delayNanos)));
  }

  @Override
  public void nodeEnded(Run<RunResult> run, int vertex) {
    var span = run.readout().span(vertex);
    emit(run, new RunEvent.NodeEnded(graph.name(), run.id(), span.ended(), span.node(), span));
  }

  @Override
  public void elementStarted(Run<RunResult> run, int vertex, int element, int attempt,
      long at) {
    var thread = Thread.currentThread();
    emit(run, new RunEvent.ElementStarted(graph.name(), run.id(), run.readout().since(at),
        run.plan().name(vertex), element, attempt, thread.threadId(), thread.getName()));
  }

  @Override
  public void elementRetried(Run<RunResult> run, int vertex, int element, int attempt,
      Throwable error, long delayNanos, long at) {
    emit(run, new RunEvent.ElementRetried(graph.name(), run.id(), run.readout().since(at),
        run.plan().name(vertex), element, attempt, error, Duration.ofNanos(delayNanos)));
  }

  @Override
  public void elementEnded(Run<RunResult> run, int vertex, int element) {
    var span = ((Elements) run.attempts().child(vertex)).span(element);
    emit(run, new RunEvent.ElementEnded(graph.name(), run.id(), span.ended(), span.node(),
        element, span));
  }

  @Override
  public void hedgeStarted(Run<RunResult> run, Hedges hedges, int k, long at) {
    var thread = Thread.currentThread();
    emit(run, new RunEvent.HedgeStarted(graph.name(), run.id(), run.readout().since(at),
        hedges.node(), hedges.outerElement(), k, thread.threadId(), thread.getName()));
  }

  @Override
  public void hedgeEnded(Run<RunResult> run, Hedges hedges, int k) {
    var span = hedges.span(k);
    emit(run, new RunEvent.HedgeEnded(graph.name(), run.id(), span.ended(), span.node(),
        span.element(), k, span));
  }

  /** A loader's call made for {@code run} ended. */
  void batchEnded(Run<?> run, Batch batch) {
    @SuppressWarnings("unchecked")
    var typed = (Run<RunResult>) run;
    emit(typed, new RunEvent.BatchEnded(graph.name(), run.id(), batch.ended(), batch));
  }

  /** {@return the listeners this emitter calls} */
  List<RunListener> listeners() {
    return List.of(listeners);
  }

  @Override
  public void runEnded(Run<RunResult> run, RunResult result) {
    emit(run, new RunEvent.RunEnded(graph.name(), run.id(), run.readout().elapsed(), result));
  }

  private void emit(Run<RunResult> run, RunEvent event) {
    var outer = Faults.enterHook(run); // a listener that cancels the run must not wait for it
    try {
      for (var listener : listeners) {
        try {
          listener.onEvent(event);
        } catch (Throwable t) {
          if (run.faults().hookFailed(t)) {
            Faults.log("a listener of graph '" + graph.name() + "' threw on "
                + event.getClass().getSimpleName() + " in run " + run.id()
                + "; the run goes on (further failures of this run are kept in its result)", t);
          }
        }
      }
    } finally {
      Faults.leaveHook(outer);
    }
  }
}
