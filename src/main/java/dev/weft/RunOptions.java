package dev.weft;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * How a graph runs: its {@link FailureMode} and the {@link Executor} its tasks run on. A graph
 * has defaults ({@link GraphBuilder#options}); a run may pass its own, typically derived from them:
 * {@code graph.run(inputs, graph.options().withFailureMode(FailureMode.FAIL_FAST))}.
 *
 * <h2>Executors</h2>
 * The default starts one virtual thread per task, so tasks may block freely. Any {@code
 * Executor} works: a platform thread pool of any size (Weft never blocks a pool thread waiting
 * for another task, so a small pool cannot deadlock), or {@code Runnable::run} to run the whole
 * graph on the calling thread, one task at a time (handy in tests; {@code runAsync} then returns a
 * completed future). A task may also run on the thread that finished its last dependency, to save
 * a thread hop. If the executor refuses a task (throws from {@code execute}), that node fails with
 * the executor's exception.
 *
 * <p>Immutable and thread-safe; {@code withX} methods return copies.
 */
public final class RunOptions {
  private static final RunOptions DEFAULTS =
      new RunOptions(FailureMode.CONTINUE, new VirtualThreads());

  private final FailureMode failureMode;
  private final Executor executor;

  private RunOptions(FailureMode failureMode, Executor executor) {
    this.failureMode = failureMode;
    this.executor = executor;
  }

  /** {@return the defaults: {@link FailureMode#CONTINUE}, a virtual thread per task} */
  public static RunOptions defaults() {
    return DEFAULTS;
  }

  /** {@return a copy with the given failure mode} */
  public RunOptions withFailureMode(FailureMode failureMode) {
    return new RunOptions(requireNonNull(failureMode, "failureMode"), executor);
  }

  /** {@return a copy whose tasks run on {@code executor}} */
  public RunOptions withExecutor(Executor executor) {
    return new RunOptions(failureMode, requireNonNull(executor, "executor"));
  }

  /** {@return the failure mode} */
  public FailureMode failureMode() {
    return failureMode;
  }

  /** {@return the executor tasks run on} */
  public Executor executor() {
    return executor;
  }

  @Override
  public String toString() {
    return "RunOptions[failureMode=" + failureMode + ", executor=" + executor + "]";
  }

  /** One new virtual thread per task, named "weft" for thread dumps. */
  private static final class VirtualThreads implements Executor {
    private static final ThreadFactory FACTORY = Thread.ofVirtual().name("weft").factory();

    @Override
    public void execute(Runnable task) {
      FACTORY.newThread(task).start();
    }

    @Override
    public String toString() {
      return "virtual threads";
    }
  }
}
