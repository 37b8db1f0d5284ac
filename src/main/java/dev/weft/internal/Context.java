package dev.weft.internal;

import dev.weft.ContextPropagator;

/**
 * The thread context one run carries to its tasks: what each {@link ContextPropagator} captured
 * on the caller's thread, restored around every task on its thread and undone after it.
 * Immutable; used by any of the run's threads.
 */
final class Context {
  private final ContextPropagator[] propagators;
  private final Object[] captured;
  private final Faults faults;

  private Context(ContextPropagator[] propagators, Object[] captured, Faults faults) {
    this.propagators = propagators;
    this.captured = captured;
    this.faults = faults;
  }

  /** {@return the caller's context, or null when there are no propagators} */
  static Context capture(ContextPropagator[] propagators, Run<?> run) {
    if (propagators.length == 0) {
      return null;
    }
    var captured = new Object[propagators.length];
    for (int i = 0; i < propagators.length; i++) {
      captured[i] = propagators[i].capture();
    }
    return new Context(propagators, captured, run.faults());
  }

  ContextPropagator[] propagators() {
    return propagators.clone();
  }

  /** Makes the context current; if a propagator throws, undoes the others and rethrows. */
  ContextPropagator.Scope[] restore() {
    var scopes = new ContextPropagator.Scope[propagators.length];
    try {
      for (int i = 0; i < propagators.length; i++) {
        scopes[i] = propagators[i].restore(captured[i]);
      }
    } catch (Throwable t) {
      close(scopes); // undo what was restored, then fail the task
      throw t;
    }
    return scopes;
  }

  /** Undoes {@link #restore}, in reverse; a scope that fails to close is kept, not thrown. */
  void close(ContextPropagator.Scope[] scopes) {
    for (int i = scopes.length - 1; i >= 0; i--) {
      if (scopes[i] != null) {
        try {
          scopes[i].close();
        } catch (Throwable t) {
          faults.hookFailed(t);
        }
      }
    }
  }
}
