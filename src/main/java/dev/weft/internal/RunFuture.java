package dev.weft.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The future of a run. Completing it from outside cancels the run: {@link #cancel} interrupts
 * the running tasks, cancels the rest and returns once every task of the run has ended or been
 * cut off as a straggler, so that no task but a reported straggler is still running when the
 * future is done (called from one of the run's own tasks or listeners, it does not wait);
 * {@link #complete}, {@link #completeExceptionally} and therefore {@code orTimeout} cancel the
 * run without waiting.
 */
final class RunFuture<T> extends CompletableFuture<T> {
  private final Run<T> run;
  private volatile boolean cancelRequested;

  RunFuture(Run<T> run) {
    this.run = run;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (isDone()) {
      return false;
    }
    cancelRequested = true;
    run.cancelByCaller();
    if (!run.isOwnThread()) {
      awaitCompletion(); // bounded: the cancellation cuts off tasks that ignore the interrupt
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
      run.cancelByCaller();
    }
    return completed;
  }

  @Override
  public boolean completeExceptionally(Throwable ex) {
    boolean completed = super.completeExceptionally(ex);
    if (completed) {
      run.cancelByCaller();
    }
    return completed;
  }

  void completeFromRun(T result) {
    if (cancelRequested) {
      var message = new StringBuilder("run ").append(run.id()).append(" of graph '")
          .append(run.plan.graph()).append("' was cancelled");
      var stragglers = run.readout().stragglers();
      var inside = run.readout().innerStragglers(); // photos[3], host/profile
      if (!stragglers.isEmpty() || !inside.isEmpty()) {
        // reported as a deadline reports them: the caller gets no result, so the message tells
        message.append("; ignoring the interrupt, cut off after ")
            .append(CutOff.GRACE_NANOS / 1_000_000).append(" ms and still running:");
        stragglers.forEach((v, thread) -> straggler(message, run.plan.name(v), thread));
        inside.forEach((path, thread) -> straggler(message, path, thread));
      }
      super.completeExceptionally(new CancellationException(message.toString()));
    } else {
      super.complete(result);
    }
  }

  private static void straggler(StringBuilder message, String name, Thread thread) {
    message.append(" '").append(name).append("' on #").append(thread.threadId()).append(' ')
        .append(thread.getName());
  }

  void failFromRun(Throwable t) {
    super.completeExceptionally(t);
  }

  @Override
  public String toString() {
    return "run " + run.id() + " of graph '" + run.plan.graph() + "' " + super.toString();
  }
}
