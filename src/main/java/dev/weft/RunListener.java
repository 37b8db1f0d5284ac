package dev.weft;

/**
 * Receives the {@link RunEvent}s of runs: one listener interface from which metrics, logs and
 * traces are all derived. Register with {@link RunOptions#withListener} for a graph (through
 * {@link GraphBuilder#options}) or for one run.
 *
 * <pre>{@code
 * RunListener slowNodes = event -> {
 *   if (event instanceof RunEvent.NodeEnded e && e.span().ran().toMillis() > 100) {
 *     log.warn("{} took {} in run {}", e.node(), e.span().ran(), e.runId());
 *   }
 * };
 * }</pre>
 *
 * <h2>Threading and failures</h2>
 * Events are delivered synchronously on the thread where they happen: the caller's for {@link
 * RunEvent.RunStarted}, task threads for node events, the thread that ends the run for {@link
 * RunEvent.RunEnded}. So a listener must be thread-safe and quick, and must not block. Events of
 * one node arrive in order, and a dependency's {@link RunEvent.NodeEnded} comes before its
 * dependents' {@link RunEvent.NodeReady}. One exception, bounded by a cancellation's grace: a
 * task still running 10 ms after the run was cancelled is cut off, and its {@code NodeEnded} is
 * delivered from the thread that cuts it off; if that task's own thread is at that moment still
 * inside a listener's {@code NodeStarted} or {@code NodeRetried} (a listener slower than the
 * grace), the two deliveries overlap. So it is for a hedged attempt: one whose thread is still
 * inside a listener's {@code HedgeEnded} when the cut-off ends its task is not waited for, so
 * the listeners after it get that {@code HedgeEnded} after the task's {@code NodeEnded}, and
 * after {@code RunEnded} if the run ends meanwhile; each event is still delivered once. (A
 * listener that blocks while its event's task cannot be cut, between two of its attempts, holds
 * the cut-off, and so the run, until it returns.) A listener may cancel the run (through the
 * future of {@link Graph#runAsync}); {@code cancel} then returns without waiting for the run,
 * which cannot end before the listener returns. It must not wait for the run itself ({@code
 * join}, {@code get}): that never returns. A listener that throws does not disturb the run or
 * the other listeners: what it threw is kept in {@link RunResult#listenerFailures()} and logged
 * once per run through {@link System.Logger} at WARNING; one that fails after the run ended (a
 * straggler's context scope closing late) is logged only, since the result no longer changes.
 */
@FunctionalInterface
public interface RunListener {
  /** Called for every event of every run this listener is registered for. */
  void onEvent(RunEvent event);
}
