package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Durations;
import dev.weft.internal.ScopedBindings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * How a graph runs: its {@link FailureMode}, the {@link Executor} its tasks run on, its deadline,
 * the {@link Scheduler} it reads time from, its {@link RunListener}s and {@link
 * ContextPropagator}s, its {@link Criticality}. A graph has defaults ({@link
 * GraphBuilder#options}); a run changes what it needs on top of them, keeping the rest
 * (listeners and propagators included): {@code graph.run(inputs, options ->
 * options.withDeadline(Duration.ofMillis(200)))}.
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
      new VirtualThreads(), null, Scheduler.system(), List.of(), List.of(), List.of(),
      Criticality.DEFAULT);

  private final FailureMode failureMode;
  private final Executor executor;
  private final Duration deadline; // null for none
  private final Scheduler scheduler;
  private final List<RunListener> listeners;
  private final List<ContextPropagator> propagators;
  private final List<Object> scopedValues; // java.lang.ScopedValue instances, on Java 25+
  private final Criticality criticality;

  private RunOptions(FailureMode failureMode, Executor executor, Duration deadline,
      Scheduler scheduler, List<RunListener> listeners, List<ContextPropagator> propagators,
      List<Object> scopedValues, Criticality criticality) {
    this.failureMode = failureMode;
    this.executor = executor;
    this.deadline = deadline;
    this.scheduler = scheduler;
    this.listeners = listeners;
    this.propagators = propagators;
    this.scopedValues = scopedValues;
    this.criticality = criticality;
  }

  /**
   * {@return the defaults: {@link FailureMode#CONTINUE}, a virtual thread per task, no deadline,
   * the {@link Scheduler#system() system scheduler}, {@link Criticality#DEFAULT}}
   */
  public static RunOptions defaults() {
    return DEFAULTS;
  }

  /** {@return a copy with the given failure mode} */
  public RunOptions withFailureMode(FailureMode failureMode) {
    return new RunOptions(requireNonNull(failureMode, "failureMode"), executor, deadline,
        scheduler, listeners, propagators, scopedValues, criticality);
  }

  /** {@return a copy whose tasks run on {@code executor}} */
  public RunOptions withExecutor(Executor executor) {
    return new RunOptions(failureMode, requireNonNull(executor, "executor"), deadline,
        scheduler, listeners, propagators, scopedValues, criticality);
  }

  /**
   * {@return a copy whose runs must end within {@code deadline} of their start} When it passes,
   * running tasks are interrupted and the others cancelled. Tasks that ignore the interrupt get
   * 10 ms more; any still running then are cut off: they end {@link Outcome.Cancelled}, are
   * listed in {@link RunResult#stragglers()}, and the run completes without waiting for them
   * (their threads run on, and their late results are dropped). So a run with a deadline
   * completes at most about 10 ms after it. Tasks can read the time left with {@link
   * TaskContext#remaining()}; retries never wait past it. With a synchronous executor ({@code
   * Runnable::run}) tasks run on the caller's thread, which a deadline cannot free.
   *
   * <p>A deadline of zero or less has already passed: a nested run given what its caller had
   * left ({@code ctx.remaining()}) once that is exhausted starts no task; every task ends {@link
   * Outcome.Cancelled} and {@link RunResult#deadlineExceeded()} is true.
   */
  public RunOptions withDeadline(Duration deadline) {
    return new RunOptions(failureMode, executor, requireNonNull(deadline, "deadline"),
        scheduler, listeners, propagators, scopedValues, criticality);
  }

  /** {@return a copy without a deadline} */
  public RunOptions withoutDeadline() {
    return new RunOptions(failureMode, executor, null, scheduler, listeners, propagators,
        scopedValues, criticality);
  }

  /**
   * {@return a copy whose runs have {@code criticality}} It decides which calls a saturated
   * {@link Bulkhead} refuses first ({@link Bulkhead.Builder#criticalityShares}); the runs of the
   * run's subgraphs and the loader calls it makes have it too. By default {@link
   * Criticality#DEFAULT}.
   */
  public RunOptions withCriticality(Criticality criticality) {
    return new RunOptions(failureMode, executor, deadline, scheduler, listeners, propagators,
        scopedValues, requireNonNull(criticality, "criticality"));
  }

  /** {@return a copy that reads time and sets timers through {@code scheduler}} */
  public RunOptions withScheduler(Scheduler scheduler) {
    return new RunOptions(failureMode, executor, deadline,
        requireNonNull(scheduler, "scheduler"), listeners, propagators, scopedValues,
        criticality);
  }

  /**
   * {@return a copy that also delivers every run's events to {@code listener}} Listeners are
   * called in the order they were added; see {@link RunListener} on threading and failures.
   */
  public RunOptions withListener(RunListener listener) {
    return new RunOptions(failureMode, executor, deadline, scheduler,
        append(listeners, requireNonNull(listener, "listener")), propagators, scopedValues,
        criticality);
  }

  /** {@return a copy without listeners} */
  public RunOptions withoutListeners() {
    return new RunOptions(failureMode, executor, deadline, scheduler, List.of(),
        propagators, scopedValues, criticality);
  }

  /**
   * {@return a copy that also carries the context {@code propagator} captures from the calling
   * thread to every task} Propagators restore in the order they were added, and undo in reverse.
   */
  public RunOptions withPropagator(ContextPropagator propagator) {
    return new RunOptions(failureMode, executor, deadline, scheduler, listeners,
        append(propagators, requireNonNull(propagator, "propagator")), scopedValues,
        criticality);
  }

  /**
   * {@return a copy that also re-binds the {@code java.lang.ScopedValue} {@code scopedValue}
   * around every task} Needs Java 25 or later: Weft is a multi-release jar whose Java 25 classes
   * implement this; on Java 21 to 24 this method throws. The parameter is typed {@code Object}
   * because Weft's Java 21 API cannot name {@code ScopedValue}.
   *
   * <p>When a run starts, the calling thread's value of each registered key is read once; each
   * key bound there is bound to that value around the body of every task attempt of the run, on
   * the thread that runs it: each node's task, each retry, each fan-out element, and the tasks
   * of subgraph runs (which read it again, on their node's thread, as a run started there). A key
   * not bound on the caller stays unbound in the tasks. Only the registered keys are carried,
   * never the caller's other bindings (as OpenJDK asks of frameworks). The bindings cover the
   * task's own code (its body, its fallback) only: listeners and the gaps between tasks do not
   * see them; a task run on the caller's own thread ({@code Runnable::run}, inline tasks) also
   * sees the caller's other bindings, as any code there does. A run with none registered pays
   * one null check per task; with keys registered, each task attempt makes one {@code
   * ScopedValue.Carrier} call binding them all (see BENCHMARKS.md).
   *
   * <pre>{@code
   * static final ScopedValue<String> REQUEST_ID = ScopedValue.newInstance();
   * var graph = g.options(RunOptions.defaults().withScopedValue(REQUEST_ID)).build();
   * ScopedValue.where(REQUEST_ID, "req-42").call(() -> graph.run(inputs)); // tasks see req-42
   * }</pre>
   *
   * @param scopedValue a {@code java.lang.ScopedValue}
   * @throws UnsupportedOperationException on Java 21 to 24, or when Weft's classes are not loaded
   *     from its multi-release jar
   * @throws IllegalArgumentException if {@code scopedValue} is not a {@code ScopedValue}, or is
   *     already registered
   */
  public RunOptions withScopedValue(Object scopedValue) {
    requireNonNull(scopedValue, "scopedValue");
    ScopedBindings.check(scopedValue);
    for (var registered : scopedValues) {
      if (registered == scopedValue) {
        throw new IllegalArgumentException("ScopedValue " + scopedValue + " already registered");
      }
    }
    return new RunOptions(failureMode, executor, deadline, scheduler, listeners, propagators,
        append(scopedValues, scopedValue), criticality);
  }

  /** {@return the ScopedValues re-bound around every task, in the order they were added} */
  public List<Object> scopedValues() {
    return scopedValues;
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
    return Optional.ofNullable(deadline);
  }

  /** {@return the scheduler} */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** {@return the deadline in nanoseconds, saturating; 0 or less when it has passed already} */
  long deadlineNanos() {
    return deadline == null ? 0 : deadline.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0
        ? Long.MAX_VALUE : deadline.compareTo(Duration.ofNanos(Long.MIN_VALUE)) <= 0
        ? Long.MIN_VALUE : deadline.toNanos();
  }

  /** {@return the runs' criticality} */
  public Criticality criticality() {
    return criticality;
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
        + scheduler + (criticality == Criticality.DEFAULT ? "" : ", criticality=" + criticality)
        + "]";
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
