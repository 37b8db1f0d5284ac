package dev.weft.internal;

import dev.weft.ContextPropagator;
import dev.weft.Scheduler;
import java.util.concurrent.Executor;

/**
 * How one run is to be executed, as the public options resolve it.
 *
 * @param executor runs the tasks
 * @param failFast whether the first unabsorbed failure cancels the run
 * @param scheduler the clock and timers
 * @param deadlineNanos the run's deadline from its start, 0 for none
 * @param hooks receives progress, or null when nobody listens
 * @param propagators carry thread context to tasks; empty for none
 */
public record Settings(Executor executor, boolean failFast, Scheduler scheduler,
    long deadlineNanos, RunHooks hooks, ContextPropagator[] propagators) {}
