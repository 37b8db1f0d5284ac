package dev.weft.internal;

import dev.weft.ContextPropagator;
import dev.weft.Criticality;
import dev.weft.Scheduler;
import java.util.concurrent.Executor;

/**
 * How one run is to be executed, as the public options resolve it.
 *
 * @param executor runs the tasks
 * @param failFast whether the first unabsorbed failure cancels the run
 * @param scheduler the clock and timers
 * @param hasDeadline whether the run has a deadline
 * @param deadlineNanos the deadline from the run's start; zero or negative: already passed
 * @param hooks receives progress, or null when nobody listens
 * @param propagators carry thread context to tasks; empty for none
 * @param scopedValues the {@code ScopedValue}s bound around every task body; empty for none
 * @param parent the run and node that run this one as a subgraph, or null
 * @param criticality what the run's guarded calls claim of a saturated bulkhead; a subgraph's run
 *     has its outer run's
 * @param <R> what the run's future yields
 */
public record Settings<R>(Executor executor, boolean failFast, Scheduler scheduler,
    boolean hasDeadline, long deadlineNanos, RunHooks<R> hooks,
    ContextPropagator[] propagators, Object[] scopedValues, Parent parent,
    Criticality criticality) {
  static final Object[] NONE = {};

  /** Settings of a run that is not a subgraph's, binds no ScopedValue, has DEFAULT criticality. */
  public Settings(Executor executor, boolean failFast, Scheduler scheduler, boolean hasDeadline,
      long deadlineNanos, RunHooks<R> hooks, ContextPropagator[] propagators) {
    this(executor, failFast, scheduler, hasDeadline, deadlineNanos, hooks, propagators, NONE,
        null, Criticality.DEFAULT);
  }
}
