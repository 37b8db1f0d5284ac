package dev.weft.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The future of a run. Completing it from outside cancels the run: {@link #cancel} interrupts
 * the running tasks, cancels the rest and returns once every task of the run has ended, so that
 * no task is still running when the future is done; {@link #complete}, {@link
 * #completeExceptionally} and therefore {@code orTimeout} cancel the run without waiting.
 */
final class RunFuture<T> extends CompletableFuture<T> {
  private final Run run;
  private volatile boolean cancelRequested;

  RunFuture(Run run) {
    this.run = run;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (isDone()) {
      return false;
    }
    cancelRequested = true;
    run.cancel(Run.BY_CALLER);
    if (!run.isRunningTaskOn(Thread.currentThread())) {
      awaitCompletion();
    }
    return isCancelled();
  }

  private void awaitCompletion() {
    boolean interrupted = false;
    for (;;) {
      try {
        super.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException | CancellationException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean complete(T value) {
    boolean completed = super.complete(value);
    if (completed) {
      run.cancel(Run.BY_CALLER);
    }
    return completed;
  }

  @Override
  public boolean completeExceptionally(Throwable ex) {
    boolean completed = super.completeExceptionally(ex);
    if (completed) {
      run.cancel(Run.BY_CALLER);
    }
    return completed;
  }

  @SuppressWarnings("unchecked")
  void completeFromRun(Object result) {
    if (cancelRequested) {
      super.completeExceptionally(new CancellationException(
          "run " + run.id() + " of graph '" + run.plan.graph() + "' was cancelled"));
    } else {
      super.complete((T) result);
    }
  }

  void failFromRun(Throwable t) {
    super.completeExceptionally(t);
  }

  @Override
  public String toString() {
    return "run " + run.id() + " of graph '" + run.plan.graph() + "' " + super.toString();
  }
}
