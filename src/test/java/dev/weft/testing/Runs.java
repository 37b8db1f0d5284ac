package dev.weft.testing;

import dev.weft.FailureMode;
import dev.weft.RunOptions;
import dev.weft.RunResult;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/** Runs a {@link WeftDag} with a {@link Probe} under a {@link Setting}, with bounded waits. */
public final class Runs {
  private Runs() {}

  /** The executors properties run on. */
  public enum Exec {
    /** Weft's own default: a new virtual thread per task. */
    DEFAULT,
    /** The test executors' virtual threads. */
    VIRTUAL,
    /** A shared pool of 4 platform threads. */
    PLATFORM_POOL,
    /** Every task on the thread that submits it; the run completes inside {@code runAsync}. */
    CALLER_RUNS;

    public Executor executor() {
      return switch (this) {
        case DEFAULT -> RunOptions.defaults().executor();
        case VIRTUAL -> Executors.virtual();
        case PLATFORM_POOL -> Executors.platformPool();
        case CALLER_RUNS -> Executors.callerRuns();
      };
    }

    /**
     * {@return how many tasks may block at once without starving the rest: unbounded for virtual
     * threads, one less than the pool's size, none for the caller's thread}
     */
    public int blockers() {
      return switch (this) {
        case DEFAULT, VIRTUAL -> Integer.MAX_VALUE;
        case PLATFORM_POOL -> 3;
        case CALLER_RUNS -> 0;
      };
    }
  }

  /** How a run ends. */
  public enum Mode {
    CONTINUE,
    FAIL_FAST,
    /** CONTINUE, and the caller cancels the future once the trigger task or a hang started. */
    CANCEL,
    /**
     * CONTINUE, run with the blocking {@code Graph.run} on a thread that is interrupted from
     * outside once the trigger task or a hang started.
     */
    INTERRUPT_CALLER;

    /** {@return whether the run is cancelled from outside once the trigger fires} */
    public boolean cancelsFromOutside() {
      return this == CANCEL || this == INTERRUPT_CALLER;
    }
  }

  /**
   * Everything about a run besides its graph.
   *
   * @param exec the executor
   * @param mode the failure mode, or cancellation by the caller
   * @param trigger when the run is cancelled from outside, the task whose start triggers it
   */
  public record Setting(Exec exec, Mode mode, int trigger) {
    /** {@return a random setting over the given executors and modes} */
    public static Setting random(Random rnd, Dag dag, Exec[] execs, Mode... modes) {
      var exec = execs[rnd.nextInt(execs.length)];
      var mode = modes[rnd.nextInt(modes.length)];
      if (mode.cancelsFromOutside() && exec == Exec.CALLER_RUNS) {
        mode = Mode.CONTINUE; // the run is over before runAsync returns
      }
      return new Setting(exec, mode, mode.cancelsFromOutside() ? rnd.nextInt(dag.size()) : -1);
    }

    /**
     * {@return whether every {@link Behaviour#HANG} of {@code dag} will be released under this
     * setting: by the caller's cancellation, or by a fail-fast failure that the reference
     * executor shows will happen, with no more hangs than the executor can hold}
     */
    public boolean releasesHangs(Dag dag) {
      int hangs = dag.count(Behaviour.HANG);
      if (!mode.cancelsFromOutside() && dag.hasNestedHangs()) {
        return false;
      }
      return switch (mode) {
        case CANCEL, INTERRUPT_CALLER -> exec != Exec.CALLER_RUNS;
        case CONTINUE -> hangs == 0;
        case FAIL_FAST -> hangs == 0 || hangs <= exec.blockers()
            && ReferenceExecutor.hasUnabsorbedFailure(dag, ReferenceExecutor.run(dag));
      };
    }

    public RunOptions options(Executor executor) {
      return RunOptions.defaults().withExecutor(executor).withFailureMode(
          mode == Mode.FAIL_FAST ? FailureMode.FAIL_FAST : FailureMode.CONTINUE);
    }

    @Override
    public String toString() {
      return exec + ", " + mode + (trigger >= 0 ? " when task #" + trigger + " starts" : "");
    }
  }

  /**
   * How a run went.
   *
   * @param result the run's result; null when the caller cancelled it
   * @param cancelled whether the caller cancelled it (and cancel returned true)
   * @param cancelNanos how long {@code cancel} took to return, or -1 if not called
   * @param problem a harness-level failure: the future did not complete in time, or completed
   *     with something other than a result or a cancellation; null if none
   * @param startedNanos the wall time ({@link System#nanoTime}) just before the run started
   * @param completedNanos the wall time the run's future completed (or {@code run} returned), 0
   *     if it did not
   * @param completedTick the logical clock ({@link Probe#now}) when it completed, 0 if it did not
   */
  public record Ran(RunResult result, boolean cancelled, long cancelNanos, String problem,
      long startedNanos, long completedNanos, long completedTick, int cutOff) {
    Ran(RunResult result, boolean cancelled, long cancelNanos, String problem) {
      this(result, cancelled, cancelNanos, problem, 0, 0, 0, 0);
    }

    Ran timed(long started, long completed, long tick) {
      return new Ran(result, cancelled, cancelNanos, problem, started, completed, tick, cutOff);
    }

    /** {@return this, knowing that a cancellation cut off {@code n} stragglers} */
    Ran cut(int n) {
      return new Ran(result, cancelled, cancelNanos, problem, startedNanos, completedNanos,
          completedTick, n);
    }

    /** {@return how many stragglers the run reported cut off: in its result or its exception} */
    public int stragglers() {
      return result != null ? result.stragglers().size() : cutOff;
    }

    /** {@return how long after {@code deadline} from its start it completed; negative: before} */
    public long latenessNanos(java.time.Duration deadline) {
      return completedNanos - startedNanos - deadline.toNanos();
    }
  }

  /** Runs {@code w} under {@code setting} on {@code executor}, reporting to {@code probe}. */
  public static Ran run(WeftDag w, Probe probe, Setting setting, Executor executor)
      throws InterruptedException {
    return run(w, probe, setting, executor, 0);
  }

  /**
   * Runs {@code w} under {@code setting} on {@code executor}, reporting to {@code probe}, while
   * another thread interrupts up to {@code chaosInterrupts} tasks as they block (the probe must
   * allow chaos).
   */
  public static Ran run(WeftDag w, Probe probe, Setting setting, Executor executor,
      int chaosInterrupts) throws InterruptedException {
    return run(w, probe, setting, executor, chaosInterrupts, o -> o);
  }

  /**
   * Runs as {@link #run(WeftDag, Probe, Setting, Executor, int)} does, with run options changed by
   * {@code tweak} (a deadline, a scheduler, listeners).
   */
  public static Ran run(WeftDag w, Probe probe, Setting setting, Executor executor,
      int chaosInterrupts, UnaryOperator<RunOptions> tweak) throws InterruptedException {
    if (setting.exec() == Exec.CALLER_RUNS) {
      probe.openGate(); // the caller is busy running the tasks; it cannot open it later
    }
    var done = new CountDownLatch(1);
    var chaos = chaosInterrupts == 0 ? null : Thread.ofVirtual().name("weft-chaos").start(() -> {
      try {
        for (int n = 0; n < chaosInterrupts && done.getCount() > 0; ) {
          n += probe.interruptSomeBlockedTask(20) ? 1 : 0;
        }
      } catch (InterruptedException e) {
        // the run is over
      }
    });
    try {
      var options = tweak.apply(setting.options(executor));
      if (setting.mode() == Mode.INTERRUPT_CALLER) {
        return interruptCaller(w, probe, options);
      }
      var completed = new long[2];
      var noted = new CountDownLatch(1);
      long started = System.nanoTime();
      var future = w.start(probe, options);
      // runs as the future completes (or at once), though not always before get() returns
      future.whenComplete((r, t) -> {
        completed[0] = System.nanoTime();
        completed[1] = Probe.now();
        noted.countDown();
      });
      probe.openGate();
      var ran = await(future, probe, setting);
      if (!noted.await(Probe.BOUND_SECONDS, TimeUnit.SECONDS)) {
        return ran; // it did not complete: the problem is reported
      }
      return ran.timed(started, completed[0], completed[1]);
    } finally {
      done.countDown();
      if (chaos != null) {
        chaos.interrupt();
        if (!chaos.join(Duration.ofSeconds(Probe.BOUND_SECONDS))) {
          throw new AssertionError("the chaos thread did not stop");
        }
      }
    }
  }

  private static Ran await(CompletableFuture<RunResult> future, Probe probe, Setting setting)
      throws InterruptedException {
    boolean cancelled = false;
    long cancelNanos = -1;
    if (setting.mode().cancelsFromOutside()) {
      future.whenComplete((r, t) -> probe.signal());
      if (!probe.awaitSignal()) {
        probe.cancellationMayFollow();
        future.completeExceptionally(new TimeoutException("harness gave up"));
        return new Ran(null, false, -1, "neither the trigger task nor a hang started, and the "
            + "run did not complete, within " + Probe.BOUND_SECONDS + " s");
      }
      probe.cancellationMayFollow();
      long t0 = System.nanoTime();
      cancelled = future.cancel(true);
      cancelNanos = System.nanoTime() - t0;
    }
    try {
      return new Ran(future.get(Probe.BOUND_SECONDS, TimeUnit.SECONDS), false, cancelNanos,
          null);
    } catch (CancellationException e) {
      return new Ran(null, true, cancelNanos,
          cancelled ? null : "the future was cancelled by no one: " + e)
          .cut(Stragglers.named(e));
    } catch (ExecutionException e) {
      return new Ran(null, cancelled, cancelNanos, "the future completed exceptionally: "
          + SafeText.of(e.getCause()));
    } catch (TimeoutException e) {
      probe.cancellationMayFollow();
      future.completeExceptionally(e); // cancels the run without waiting for it
      return new Ran(null, cancelled, cancelNanos, "the run's future did not complete within "
          + Probe.BOUND_SECONDS + " s; " + probe.running() + " task bodies still running; "
          + probe.violations());
    }
  }

  /**
   * Runs with the blocking {@code Graph.run} on a new thread and interrupts that thread once the
   * trigger fires: {@code run} must throw {@link CancellationException}, keep the interrupt
   * status, and return only once no task body is running.
   */
  private static Ran interruptCaller(WeftDag w, Probe probe, RunOptions options)
      throws InterruptedException {
    var outcome = new AtomicReference<Object>();
    var runningAtReturn = new AtomicInteger(-1);
    var keptInterrupt = new AtomicBoolean();
    var returned = new long[2];
    long started = System.nanoTime();
    var caller = Thread.ofVirtual().name("weft-caller").start(() -> {
      try {
        outcome.set(w.run(probe, options));
      } catch (Throwable t) {
        outcome.set(t);
      }
      returned[0] = System.nanoTime();
      returned[1] = Probe.now();
      runningAtReturn.set(probe.running());
      keptInterrupt.set(Thread.currentThread().isInterrupted());
      probe.signal();
    });
    probe.openGate();
    if (!probe.awaitSignal()) {
      probe.cancellationMayFollow();
      caller.interrupt();
      return new Ran(null, false, -1, "neither the trigger task nor a hang started, and the "
          + "run did not complete, within " + Probe.BOUND_SECONDS + " s");
    }
    probe.cancellationMayFollow();
    long t0 = System.nanoTime();
    caller.interrupt();
    if (!caller.join(Duration.ofSeconds(Probe.BOUND_SECONDS))) {
      return new Ran(null, true, -1, "run() did not return within " + Probe.BOUND_SECONDS
          + " s of its thread being interrupted; " + probe.running() + " bodies running");
    }
    long nanos = System.nanoTime() - t0;
    // the join orders the caller's writes before these reads
    return interruptedOutcome(outcome.get(), keptInterrupt.get(), runningAtReturn.get(), nanos)
        .timed(started, returned[0], returned[1]);
  }

  private static Ran interruptedOutcome(Object outcome, boolean keptInterrupt,
      int runningAtReturn, long nanos) {
    return switch (outcome) {
      case RunResult r -> new Ran(r, false, nanos, null); // it ended before the interrupt
      case CancellationException e when !keptInterrupt ->
          new Ran(null, true, nanos, "run() threw " + e + " but cleared the interrupt status");
      case CancellationException e when runningAtReturn > Stragglers.named(e) ->
          new Ran(null, true, nanos,
              "run() threw " + e + " while " + runningAtReturn + " task bodies still ran");
      case CancellationException e -> new Ran(null, true, nanos, null).cut(Stragglers.named(e));
      case Object other -> new Ran(null, false, nanos, "run() threw " + SafeText.of(other));
    };
  }

  /** What a {@link FlakyExecutor} throws when it refuses a task. */
  public static final class InjectedRejection extends RejectedExecutionException {
    private static final long serialVersionUID = 1L;

    InjectedRejection() {
      super("injected rejection");
    }
  }

  /**
   * An executor that refuses about one task in {@code oneIn}, throwing before running it, and
   * tells the run's probe (a refused task fails, and may fail the run fast).
   */
  public static final class FlakyExecutor implements Executor {
    private final Executor delegate;
    private final int oneIn;
    private final Probe probe;

    public FlakyExecutor(Executor delegate, int oneIn, Probe probe) {
      this.delegate = delegate;
      this.oneIn = oneIn;
      this.probe = probe;
    }

    @Override
    public void execute(Runnable task) {
      if (ThreadLocalRandom.current().nextInt(oneIn) == 0) {
        probe.refusedATask();
        throw new InjectedRejection();
      }
      delegate.execute(task);
    }

    @Override
    public String toString() {
      return "flaky " + delegate;
    }
  }
}
