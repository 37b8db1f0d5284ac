package dev.weft.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;

/**
 * The executor of a subgraph's run: hands each task to the outer run's executor, and keeps it
 * too, so that the thread waiting for the run ({@link #await}) runs what the executor has not
 * started yet. Whoever takes a task first runs it; the other finds it taken. A bounded executor
 * whose threads all wait for subgraphs therefore cannot deadlock, and a task the waiting thread
 * runs saves a thread hop. Thread-safe; one per inner run, created on the waiting thread.
 */
public final class Helping implements Executor, Run.StartsAtOnce {
  private final Executor delegate;
  private final Thread waiter = Thread.currentThread();
  private final ConcurrentLinkedQueue<Once> queue = new ConcurrentLinkedQueue<>();

  public Helping(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public boolean startsAtOnce() {
    return Run.startsAtOnce(delegate); // the waiting thread may be busy with one of them
  }

  @Override
  public void execute(Runnable task) {
    var once = new Once(task);
    queue.add(once);
    LockSupport.unpark(waiter);
    try {
      delegate.execute(once);
    } catch (Throwable refused) {
      if (once.take()) {
        throw refused; // refused and not yet run: the run fails the task, as for its own runs
      }
    }
  }

  /**
   * Waits, on the thread that made this executor, until {@code done} completes, running the
   * tasks the executor has not started. An interrupt meanwhile is left to the run's state (the
   * node was stopped, which stops the inner run too): it does not end the wait, which the inner
   * run's cancellation bounds.
   */
  public void await(CompletableFuture<?> done, Run<?> run) {
    if (done.isDone()) {
      return;
    }
    // Not counted as active while it waits (what it runs from the queue was counted when it was
    // handed over); the thread that ends the inner run counts it again before waking it.
    var waiting = new Waiting(run);
    done.whenComplete((value, failure) -> {
      waiting.wake();
      LockSupport.unpark(waiter);
    });
    waiting.pause(done::isDone);
    try {
      while (!done.isDone()) {
        var next = queue.poll();
        if (next != null) {
          next.run();
        } else {
          Thread.interrupted(); // so that park blocks: the node's state says it was stopped
          if (queue.isEmpty() && !done.isDone()) {
            LockSupport.park(this);
          }
        }
      }
    } finally {
      waiting.resume();
    }
  }

  /** A task that runs once, on whichever thread takes it first. */
  private static final class Once implements Runnable {
    private static final VarHandle TAKEN;

    static {
      try {
        TAKEN = MethodHandles.lookup().findVarHandle(Once.class, "taken", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final Runnable task;
    private volatile boolean taken;

    Once(Runnable task) {
      this.task = task;
    }

    boolean take() {
      return !taken && TAKEN.compareAndSet(this, false, true);
    }

    @Override
    public void run() {
      if (take()) {
        task.run();
      }
    }

    @Override
    public String toString() {
      return task.toString();
    }
  }
}
