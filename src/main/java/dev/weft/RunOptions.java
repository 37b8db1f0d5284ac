package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Check;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * How a graph runs: its {@link FailureMode}, the {@link Executor} its tasks run on, its deadline,
 * the {@link Scheduler} it reads time from, its {@link RunListener}s and {@link
 * ContextPropagator}s. A graph
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
  private static final RunOptions DEFAULTS = new RunOptions(FailureMode.CONTINUE,
      new VirtualThreads(), 0, Scheduler.system(), List.of(), List.of());

  private final FailureMode failureMode;
  private final Executor executor;
  private final long deadlineNanos;
  private final Scheduler scheduler;
  private final List<RunListener> listeners;
  private final List<ContextPropagator> propagators;

  private RunOptions(FailureMode failureMode, Executor executor, long deadlineNanos,
      Scheduler scheduler, List<RunListener> listeners, List<ContextPropagator> propagators) {
    this.failureMode = failureMode;
    this.executor = executor;
    this.deadlineNanos = deadlineNanos;
    this.scheduler = scheduler;
    this.listeners = listeners;
    this.propagators = propagators;
  }

  /**
   * {@return the defaults: {@link FailureMode#CONTINUE}, a virtual thread per task, no deadline,
   * the {@link Scheduler#system() system scheduler}}
   */
  public static RunOptions defaults() {
    return DEFAULTS;
  }

  /** {@return a copy with the given failure mode} */
  public RunOptions withFailureMode(FailureMode failureMode) {
    return new RunOptions(requireNonNull(failureMode, "failureMode"), executor, deadlineNanos,
        scheduler, listeners, propagators);
  }

  /** {@return a copy whose tasks run on {@code executor}} */
  public RunOptions withExecutor(Executor executor) {
    return new RunOptions(failureMode, requireNonNull(executor, "executor"), deadlineNanos,
        scheduler, listeners, propagators);
  }

  /**
   * {@return a copy whose runs must end within {@code deadline} (positive) of their start} When it
   * passes, running tasks are interrupted and the others cancelled. Tasks that ignore the
   * interrupt get 10 ms more; any still running then are cut off: they end {@link
   * Outcome.Cancelled}, are listed in {@link RunResult#stragglers()}, and the run completes
   * without waiting for them (their threads run on, and their late results are dropped). So a run
   * with a deadline completes at most about 10 ms after it. Tasks can read the time left with
   * {@link TaskContext#remaining()}; retries never wait past it. With a synchronous executor
   * ({@code Runnable::run}) tasks run on the caller's thread, which a deadline cannot free.
   */
  public RunOptions withDeadline(Duration deadline) {
    return new RunOptions(failureMode, executor, Check.positive(deadline, "deadline"),
        scheduler, listeners, propagators);
  }

  /** {@return a copy without a deadline} */
  public RunOptions withoutDeadline() {
    return new RunOptions(failureMode, executor, 0, scheduler, listeners, propagators);
  }

  /** {@return a copy that reads time and sets timers through {@code scheduler}} */
  public RunOptions withScheduler(Scheduler scheduler) {
    return new RunOptions(failureMode, executor, deadlineNanos,
        requireNonNull(scheduler, "scheduler"), listeners, propagators);
  }

  /**
   * {@return a copy that also delivers every run's events to {@code listener}} Listeners are
   * called in the order they were added; see {@link RunListener} on threading and failures.
   */
  public RunOptions withListener(RunListener listener) {
    return new RunOptions(failureMode, executor, deadlineNanos, scheduler,
        append(listeners, requireNonNull(listener, "listener")), propagators);
  }

  /** {@return a copy without listeners} */
  public RunOptions withoutListeners() {
    return new RunOptions(failureMode, executor, deadlineNanos, scheduler, List.of(),
        propagators);
  }

  /**
   * {@return a copy that also carries the context {@code propagator} captures from the calling
   * thread to every task} Propagators restore in the order they were added, and undo in reverse.
   */
  public RunOptions withPropagator(ContextPropagator propagator) {
    return new RunOptions(failureMode, executor, deadlineNanos, scheduler, listeners,
        append(propagators, requireNonNull(propagator, "propagator")));
  }

  /** {@return the listeners, in the order they were added} */
  public List<RunListener> listeners() {
    return listeners;
  }

  /** {@return the context propagators, in the order they were added} */
  public List<ContextPropagator> propagators() {
    return propagators;
  }

  private static <T> List<T> append(List<T> list, T item) {
    var copy = new ArrayList<T>(list.size() + 1);
    copy.addAll(list);
    copy.add(item);
    return List.copyOf(copy);
  }

  /** {@return the deadline, if runs have one} */
  public Optional<Duration> deadline() {
    return deadlineNanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(deadlineNanos));
  }

  /** {@return the scheduler} */
  public Scheduler scheduler() {
    return scheduler;
  }

  long deadlineNanos() {
    return deadlineNanos;
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
    return "RunOptions[failureMode=" + failureMode + ", executor=" + executor
        + deadline().map(d -> ", deadline=" + Durations.text(d)).orElse("") + ", scheduler="
        + scheduler + "]";
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
