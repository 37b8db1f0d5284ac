package dev.weft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.EventLog;
import dev.weft.testing.Executors;
import dev.weft.testing.Invariants;
import dev.weft.testing.LogCapture;
import dev.weft.testing.Probe;
import dev.weft.testing.RandomDags;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.Runs;
import dev.weft.testing.Runs.Exec;
import dev.weft.testing.Runs.Mode;
import dev.weft.testing.Runs.Setting;
import dev.weft.testing.ThrowingListener;
import dev.weft.testing.WeftDag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fault injection: random graphs whose tasks throw exceptions and Errors (some whose messages
 * cannot be read), hang until interrupted, ignore interruption, leave their interrupt set, sleep
 * and block, some retried; a chaos thread interrupts blocked tasks from outside; the executor
 * sometimes refuses tasks; listeners throw RuntimeExceptions and Errors on random kinds of events;
 * runs end normally, by fail-fast, at a deadline of 20 to 100 ms, or cancelled by the caller.
 * Counts what must never happen: runs lost or stuck, nodes without exactly one consistent outcome,
 * lost failures (of tasks or of listeners), event streams that break the listener contract, task
 * threads left running, tasks started too early; and how late runs completed after their deadline.
 * A slice runs in CI; the {@code stress} tag runs 10,000 runs from concurrent callers
 * ({@code mvn test -Pstress}).
 */
class FaultInjectionTest {
  private static final String WHERE =
      "FaultInjectionTest#faultyRuns_endEveryNodeOnce_loseNoFailure_andLeaveNoThreadRunning";
  private static final List<Behaviour> FAULTS = RandomDags.bag(
      Behaviour.RETURN, 10, Behaviour.RETURN_NULL, 1, Behaviour.THROW_CHECKED, 1,
      Behaviour.THROW_UNCHECKED, 1, Behaviour.THROW_ERROR, 1, Behaviour.SLEEP, 2,
      Behaviour.BLOCK, 1, Behaviour.IGNORE_INTERRUPT, 2, Behaviour.HANG, 2,
      Behaviour.RESTORE_INTERRUPT, 1, Behaviour.RETURN_ON_INTERRUPT, 2, Behaviour.THROW_OPAQUE, 1);
  /** What some tasks of a deadline run become instead. */
  private static final Behaviour[] DEADLINE_FAULTS = {Behaviour.STUBBORN, Behaviour.NAP,
      Behaviour.HANG};
  private static final Exec[] CONCURRENT = {Exec.DEFAULT, Exec.VIRTUAL, Exec.PLATFORM_POOL};
  private static final long SLOW_CANCEL_NANOS = Duration.ofMillis(50).toNanos();
  private static final long LATE_NANOS = Duration.ofMillis(50).toNanos();

  /**
   * Everything about a fault run besides its graph.
   *
   * @param seed the case's seed, for reports
   * @param setting executor, failure mode or cancellation
   * @param flaky whether the executor refuses about one task in 25
   * @param chaos how many blocked tasks a chaos thread interrupts from outside
   * @param deadline the run's deadline, or null
   * @param listenerMask the kinds of events a listener throws on ({@link ThrowingListener}), 0
   *     for none
   * @param throwing what that listener throws
   */
  record Faults(long seed, Setting setting, boolean flaky, int chaos, Duration deadline,
      int listenerMask, ThrowingListener.Throws throwing) {
    @Override
    public String toString() {
      return "seed " + seed + ": " + setting + (flaky ? ", flaky executor" : "")
          + (chaos > 0 ? ", " + chaos + " interrupts from outside" : "")
          + (deadline != null ? ", deadline " + deadline.toMillis() + " ms" : "")
          + (listenerMask != 0 ? ", a listener throwing " + throwing + " on "
          + ThrowingListener.kinds(listenerMask) : "");
    }
  }

  /** The figures the issue asks for, and a few more. */
  enum Figure {
    RUNS("runs executed"),
    CANCELLED("runs cancelled by the caller"),
    FAIL_FAST("runs in fail-fast mode"),
    CHAOS("interrupts delivered from outside"),
    REJECTED("tasks the executor refused"),
    DEADLINE_RUNS("runs with a deadline of 20-100 ms"),
    EXCEEDED("runs whose deadline passed"),
    STRAGGLERS("stragglers cut off at a deadline"),
    LISTENER_THROWS("failures thrown by listeners"),
    SLOW_CANCELS("cancellations that took over 50 ms to return"),
    LATE("runs that missed their deadline by more than 50 ms"),
    STUCK("runs lost or stuck (future not completed in 10 s, or a wait never released)"),
    BAD_OUTCOMES("nodes without exactly one consistent outcome (or wrong stragglers)"),
    LOST_FAILURES("lost failures"),
    LOST_LISTENER_FAILURES("listener failures missing from listenerFailures() or not logged "
        + "once"),
    BAD_EVENTS("events breaking the listener contract, or a wrong critical path"),
    LEAKED("leaked threads (task bodies running or virtual task threads alive after the run)"),
    EARLY_STARTS("tasks started before a dependency ended, or after the run completed");

    final String label;

    Figure(String label) {
      this.label = label;
    }

    /** {@return whether any count of this figure is a failure} */
    boolean mustBeZero() {
      return ordinal() >= LATE.ordinal();
    }
  }

  /** Counts per {@link Figure}, from any number of threads. */
  static final class Figures {
    final AtomicLongArray counts = new AtomicLongArray(Figure.values().length);
    final Queue<String> examples = new ConcurrentLinkedQueue<>();
    final Queue<String> slow = new ConcurrentLinkedQueue<>();
    final AtomicLong maxLateNanos = new AtomicLong(Long.MIN_VALUE);

    void add(Figure f, long n) {
      counts.addAndGet(f.ordinal(), n);
    }

    long get(Figure f) {
      return counts.get(f.ordinal());
    }

    /** {@return whether no must-be-zero figure counts, late runs only if {@code countLate}} */
    boolean clean(boolean countLate) {
      for (var f : Figure.values()) {
        if (f.mustBeZero() && get(f) > 0 && (countLate || f != Figure.LATE)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      var sb = new StringBuilder();
      for (var f : Figure.values()) {
        sb.append(String.format("%n  %,9d  %s", get(f), f.label));
      }
      if (get(Figure.DEADLINE_RUNS) > 0) {
        sb.append(String.format("%n  (latest completion after a deadline: %.1f ms)",
            maxLateNanos.get() / 1e6));
      }
      slow.stream().limit(5).forEach(s -> sb.append("\n    slow: ").append(s));
      return sb.toString();
    }
  }

  /** The CI slice: 500 runs, 4 at a time (deadline runs wait for real time). */
  @Test
  void faultyRuns_endEveryNodeOnce_loseNoFailure_andLeaveNoThreadRunning() throws Exception {
    var figures = new Figures();
    try (var logs = new LogCapture()) {
      Cases.forAllConcurrently(WHERE, Cases.count(500), 4, FaultInjectionTest::trial,
          (dag, faults) -> faultRun(dag, faults, null, figures, logs));
    }
    System.out.println("[weft faults] CI slice:" + figures);
  }

  /**
   * The stress figures: 10,000 fault runs from 4 concurrent callers, after 1,000 uncounted ones
   * that warm up the JIT (a cold JVM on a small machine pauses long enough to distort latencies).
   */
  @Test
  @Tag("stress")
  void tenThousandFaultyRuns_fromConcurrentCallers_loseNothingAndLeakNothing() throws Exception {
    int runs = Integer.getInteger("weft.stress.runs", 10_000);
    int callers = 4;
    try (var logs = new LogCapture()) {
      var warmUp = stress(1_000, callers, Integer.MAX_VALUE / 2, logs);
      if (!warmUp.figures.clean(false)) {
        System.out.println("[weft faults] problems while warming up:" + warmUp);
      }
      // measured and printed whatever the warm-up found, then both judged
      var measured = stress(runs, callers, 0, logs);
      System.out.println("[weft faults] stress:" + measured);
      assertTrue(warmUp.figures.clean(false), "fault injection found problems while warming up:"
          + warmUp);
      assertTrue(measured.figures.clean(true), "fault injection found problems:" + measured);
    }
  }

  /** What {@link #stress} saw. */
  record Stress(Figures figures, int callers, long seconds) {
    @Override
    public String toString() {
      return figures + "\n  (" + callers + " callers, " + seconds + " s)"
          + (figures.examples.isEmpty() ? "" : "\nexamples:\n  "
          + String.join("\n  ", figures.examples));
    }
  }

  /** Runs {@code runs} fault runs, cases {@code first} on, from {@code callers} threads. */
  private static Stress stress(int runs, int callers, int first, LogCapture logs)
      throws Exception {
    var figures = new Figures();
    var next = new AtomicInteger();
    var threads = new ArrayList<Thread>();
    long began = System.nanoTime();
    for (int c = 0; c < callers; c++) {
      threads.add(Thread.ofPlatform().name("fault-caller-" + c).start(() -> {
        // a pool per caller: hangs of one caller's runs must not starve another's
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4,
            Thread.ofPlatform().name("fault-pool-", 0).daemon(true).factory());
        try {
          for (int i = next.getAndIncrement(); i < runs; i = next.getAndIncrement()) {
            long seed = Cases.seedOf(WHERE, first + i);
            var trial = trial(seed);
            String violation;
            try {
              violation = faultRun(trial.dag(), trial.params(), pool, figures, logs);
            } catch (Throwable t) {
              violation = "the harness threw " + t;
            }
            if (violation != null && figures.examples.size() < 5) {
              figures.examples.add("seed " + seed + " (" + trial.params() + "): " + violation
                  + "\n    re-run it: mvn test -Dtest='" + WHERE + "' -Dweft.seed=" + seed);
            }
          }
        } finally {
          shutdown(pool);
        }
      }));
    }
    for (var t : threads) {
      assertTrue(t.join(Duration.ofMinutes(30)), "fault callers did not finish in 30 minutes");
    }
    return new Stress(figures, callers,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began));
  }

  static Trial<Faults> trial(long seed) {
    var rnd = new Random(seed);
    var dag = new RandomDags(rnd, 30, FAULTS).next();
    var setting = Setting.random(rnd, dag, CONCURRENT, Mode.values());
    if (setting.mode() == Mode.FAIL_FAST && rnd.nextBoolean()) {
      dag = RandomDags.withAFailure(dag, rnd);
    }
    dag = RandomDags.fit(RandomDags.withDataShapes(dag, rnd,
        SchedulingPropertiesTest.DATA_SHAPES, FAULTS), setting, rnd);
    boolean flaky = rnd.nextInt(3) == 0;
    int chaos = rnd.nextBoolean() ? 1 + rnd.nextInt(3) : 0;
    // drawn after the rest, so the graphs above stay those of earlier versions of this test
    Duration deadline = null;
    if (!setting.mode().cancelsFromOutside() && rnd.nextInt(3) == 0) {
      deadline = Duration.ofMillis(20 + rnd.nextInt(81));
      for (int v = 0; v < dag.size(); v++) {
        if (!dag.isInput(v) && rnd.nextInt(4) == 0) {
          dag = dag.with(v, DEADLINE_FAULTS[rnd.nextInt(DEADLINE_FAULTS.length)]);
        }
      }
    }
    dag = RandomDags.withRetries(dag, rnd, 0.1, 20_000);
    int mask = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(63) : 0;
    var throwing = ThrowingListener.Throws.values()[rnd.nextInt(3)];
    return new Trial<>(seed, dag, new Faults(seed, setting, flaky, chaos, deadline, mask,
        throwing));
  }

  /**
   * Runs one faulty run and counts what it saw. {@return its violations, or null}
   *
   * @param pool the platform pool to use instead of the shared one, or null for one of the run's
   *     own
   */
  static String faultRun(Dag dag, Faults faults, ExecutorService pool, Figures figures,
      LogCapture logs) throws Exception {
    var s = faults.setting();
    var deadline = faults.deadline();
    if (deadline == null && !s.releasesHangs(dag)) {
      return null; // a shrunk graph whose hangs nothing would release
    }
    ExecutorService own = pool == null && s.exec() == Exec.PLATFORM_POOL
        ? java.util.concurrent.Executors.newFixedThreadPool(4) : null;
    try {
      Executor executor = s.exec() == Exec.PLATFORM_POOL ? (pool != null ? pool : own)
          : s.exec().executor();
      var probe = new Probe(dag, false, s.trigger(), faults.chaos() > 0);
      if (faults.flaky()) {
        executor = new Runs.FlakyExecutor(executor, 25, probe);
      }
      return trackedRun(dag, faults, probe, new Executors.Tracking(executor), figures, logs);
    } finally {
      if (own != null) {
        shutdown(own);
      }
    }
  }

  private static String trackedRun(Dag dag, Faults faults, Probe probe,
      Executors.Tracking tracking, Figures figures, LogCapture logs) throws Exception {
    var s = faults.setting();
    var deadline = faults.deadline();
    var w = new WeftDag(dag, "faults");
    var thrower = faults.listenerMask() == 0 ? null
        : new ThrowingListener(faults.listenerMask(), faults.throwing());
    var log = new EventLog();
    var ran = Runs.run(w, probe, s, tracking, faults.chaos(), o -> {
      var options = deadline == null ? o : o.withDeadline(deadline);
      // the faulty listener first: those after it must still see every event
      return (thrower == null ? options : options.withListener(thrower)).withListener(log);
    });
    long completed = ran.completedTick() > 0 ? ran.completedTick() : Probe.now();
    var problems = new ArrayList<String>();
    figures.add(Figure.RUNS, 1);
    figures.add(Figure.CANCELLED, ran.cancelled() ? 1 : 0);
    figures.add(Figure.FAIL_FAST, s.mode() == Mode.FAIL_FAST ? 1 : 0);
    figures.add(Figure.CHAOS, probe.chaosInterrupts());
    if (ran.cancelNanos() > SLOW_CANCEL_NANOS) {
      figures.add(Figure.SLOW_CANCELS, 1); // counted, not failed: timing on a shared machine
      figures.slow.add(String.format("cancel took %.1f ms (%s, %d tasks, %d running when it "
          + "returned)", ran.cancelNanos() / 1e6, faults, dag.taskCount(), probe.running()));
    }
    if (ran.problem() != null) {
      figures.add(Figure.STUCK, 1);
      problems.add(ran.problem());
    }
    var r = ran.result();
    if (deadline != null && r != null) {
      problems.addAll(deadline(w, probe, ran, faults, log, figures));
    }
    // stragglers may still run: let them finish (bounded) before reading what bodies did
    if (!probe.awaitIdle(TimeUnit.SECONDS.toMillis(Probe.BOUND_SECONDS))) {
      figures.add(Figure.LEAKED, probe.running());
      problems.add(probe.running() + " task bodies still running " + Probe.BOUND_SECONDS
          + " s after the run completed");
    }
    figures.add(Figure.STUCK, probe.violations().size());
    problems.addAll(probe.violations());
    var early = Invariants.readiness(w, probe, r);
    for (int v = 0; v < dag.size(); v++) {
      if (probe.lastStart(v) > completed) {
        early.add(dag.spec(v).name() + " started after the run completed");
      }
    }
    figures.add(Figure.EARLY_STARTS, early.size());
    problems.addAll(early);
    if (r != null) {
      problems.addAll(outcomes(w, probe, r, s, figures));
    }
    if (ran.problem() == null) {
      problems.addAll(listeners(w, probe, ran, log, thrower, logs, figures));
    }
    if (!tracking.awaitVirtualThreadsTerminated(Probe.BOUND_SECONDS)) {
      long alive = tracking.threads().stream().filter(Thread::isAlive).count();
      figures.add(Figure.LEAKED, alive);
      problems.add(alive + " virtual task threads alive " + Probe.BOUND_SECONDS
          + " s after the run completed");
    }
    return Invariants.report(problems);
  }

  /** Lateness, stragglers and {@code deadlineExceeded()} of a deadline run. */
  private static List<String> deadline(WeftDag w, Probe probe, Runs.Ran ran, Faults faults,
      EventLog log, Figures figures) {
    var r = ran.result();
    var deadline = faults.deadline();
    figures.add(Figure.DEADLINE_RUNS, 1);
    figures.add(Figure.EXCEEDED, r.deadlineExceeded() ? 1 : 0);
    figures.add(Figure.STRAGGLERS, r.stragglers().size());
    long late = ran.latenessNanos(deadline);
    figures.maxLateNanos.accumulateAndGet(late, Math::max);
    if (late > LATE_NANOS) {
      figures.add(Figure.LATE, 1); // failed in the stress profile only: timing
      figures.slow.add(String.format("completed %.1f ms after its deadline (%s, %d tasks, run "
          + "%d)", late / 1e6, faults, w.dag().taskCount(), r.runId()));
    }
    var out = new ArrayList<String>();
    out.addAll(DeadlinePropertiesTest.stragglers(w, probe, ran, deadline));
    out.addAll(DeadlinePropertiesTest.deadlineExceeded(w, r, ran, deadline, log));
    figures.add(Figure.BAD_OUTCOMES, out.size());
    return out;
  }

  private static List<String> outcomes(WeftDag w, Probe probe, RunResult r, Setting s,
      Figures figures) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    for (var line : Invariants.outcomes(w, probe, r, s.mode() == Mode.FAIL_FAST)) {
      figures.add(line.startsWith("lost failure") ? Figure.LOST_FAILURES : Figure.BAD_OUTCOMES,
          1);
      out.add(line);
    }
    boolean unabsorbed = false;
    for (int v = 0; v < dag.size(); v++) {
      var o = r.outcome(w.node(v));
      unabsorbed |= o instanceof Outcome.Failed && !dag.absorbs(v);
      if (o instanceof Outcome.Failed<?> f && f.error() instanceof Runs.InjectedRejection) {
        figures.add(Figure.REJECTED, 1);
      }
    }
    if (s.mode() == Mode.FAIL_FAST && !unabsorbed && !r.deadlineExceeded()
        && ReferenceExecutor.hasUnabsorbedFailure(dag, ReferenceExecutor.run(dag))) {
      figures.add(Figure.LOST_FAILURES, 1);
      out.add("the reference fails a node no optional edge absorbs; this run reports no such "
          + "failure");
    }
    return out;
  }

  /**
   * Every failure the faulty listener threw is in {@code listenerFailures()}, nothing else is,
   * a run with such failures logged exactly once, and the listener after it saw a consistent
   * event stream.
   */
  private static List<String> listeners(WeftDag w, Probe probe, Runs.Ran ran, EventLog log,
      ThrowingListener thrower, LogCapture logs, Figures figures) throws InterruptedException {
    var r = ran.result() != null ? ran.result() : log.awaitResult(Probe.BOUND_SECONDS);
    if (r == null) {
      figures.add(Figure.BAD_EVENTS, 1);
      return List.of("no RunEnded event within " + Probe.BOUND_SECONDS + " s");
    }
    var out = new ArrayList<String>();
    var thrown = thrower == null ? Set.<Throwable>of() : thrower.thrown();
    figures.add(Figure.LISTENER_THROWS, thrown.size());
    var reported = Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>());
    reported.addAll(r.listenerFailures());
    if (r.listenerFailures().size() != thrown.size() || !reported.containsAll(thrown)) {
      figures.add(Figure.LOST_LISTENER_FAILURES, 1);
      out.add("the listener threw " + thrown.size() + " times; listenerFailures() holds "
          + r.listenerFailures());
    }
    int logged = logs.count(r.runId());
    if (logged >= 0 && logged != (thrown.isEmpty() ? 0 : 1)) {
      figures.add(Figure.LOST_LISTENER_FAILURES, 1);
      out.add("run " + r.runId() + " logged " + logged + " warnings for " + thrown.size()
          + " listener failures");
    }
    var events = log.check(w, probe, r, ran.result() != null);
    events.addAll(EventLog.criticalPath(w.dag(), r));
    figures.add(Figure.BAD_EVENTS, events.size());
    out.addAll(events);
    return out;
  }

  private static void shutdown(ExecutorService pool) {
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(Probe.BOUND_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("a caller's pool did not terminate");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
