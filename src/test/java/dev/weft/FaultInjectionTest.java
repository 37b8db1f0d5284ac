package dev.weft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.Executors;
import dev.weft.testing.Invariants;
import dev.weft.testing.Probe;
import dev.weft.testing.RandomDags;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.Runs;
import dev.weft.testing.Runs.Exec;
import dev.weft.testing.Runs.Mode;
import dev.weft.testing.Runs.Setting;
import dev.weft.testing.WeftDag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fault injection: random graphs whose tasks throw exceptions and Errors, hang until interrupted,
 * ignore interruption, sleep and block; a chaos thread interrupts blocked tasks from outside; the
 * executor sometimes refuses tasks; runs end normally, by fail-fast, or cancelled by the caller.
 * Counts what must never happen: runs lost or stuck, nodes without exactly one consistent outcome,
 * lost failures, task threads left running, tasks started too early. A slice runs in CI; the
 * {@code stress} tag runs 10,000 runs from concurrent callers ({@code mvn test -Pstress}).
 *
 * <p>Run deadlines and listeners are not built yet; until they are, the latency of cancellation
 * stands in for "missed the deadline by more than 50 ms".
 */
class FaultInjectionTest {
  private static final String WHERE =
      "FaultInjectionTest#faultyRuns_endEveryNodeOnce_loseNoFailure_andLeaveNoThreadRunning";
  private static final List<Behaviour> FAULTS = RandomDags.bag(
      Behaviour.RETURN, 10, Behaviour.RETURN_NULL, 1, Behaviour.THROW_CHECKED, 1,
      Behaviour.THROW_UNCHECKED, 1, Behaviour.THROW_ERROR, 1, Behaviour.SLEEP, 2,
      Behaviour.BLOCK, 1, Behaviour.IGNORE_INTERRUPT, 2, Behaviour.HANG, 2);
  private static final Exec[] CONCURRENT = {Exec.DEFAULT, Exec.VIRTUAL, Exec.PLATFORM_POOL};
  private static final long SLOW_CANCEL_NANOS = Duration.ofMillis(50).toNanos();

  /**
   * Everything about a fault run besides its graph.
   *
   * @param seed the case's seed, for reports
   * @param setting executor, failure mode or cancellation
   * @param flaky whether the executor refuses about one task in 25
   * @param chaos how many blocked tasks a chaos thread interrupts from outside
   */
  record Faults(long seed, Setting setting, boolean flaky, int chaos) {
    @Override
    public String toString() {
      return "seed " + seed + ": " + setting + (flaky ? ", flaky executor" : "")
          + (chaos > 0 ? ", " + chaos + " interrupts from outside" : "");
    }
  }

  /** The figures the issue asks for, and a few more. */
  enum Figure {
    RUNS("runs executed"),
    CANCELLED("runs cancelled by the caller"),
    FAIL_FAST("runs in fail-fast mode"),
    CHAOS("interrupts delivered from outside"),
    REJECTED("tasks the executor refused"),
    SLOW_CANCELS("cancellations that took over 50 ms to return (stand-in for missed deadlines)"),
    STUCK("runs lost or stuck (future not completed in 10 s, or a wait never released)"),
    BAD_OUTCOMES("nodes without exactly one consistent outcome"),
    LOST_FAILURES("lost failures"),
    LEAKED("leaked threads (task bodies running or virtual task threads alive after the run)"),
    EARLY_STARTS("tasks started before a dependency ended, or after the run completed");

    final String label;

    Figure(String label) {
      this.label = label;
    }

    /** {@return whether any count of this figure is a failure} */
    boolean mustBeZero() {
      return ordinal() >= SLOW_CANCELS.ordinal();
    }
  }

  /** Counts per {@link Figure}, from any number of threads. */
  static final class Figures {
    final AtomicLongArray counts = new AtomicLongArray(Figure.values().length);
    final Queue<String> examples = new ConcurrentLinkedQueue<>();
    final Queue<String> slow = new ConcurrentLinkedQueue<>();

    void add(Figure f, long n) {
      counts.addAndGet(f.ordinal(), n);
    }

    long get(Figure f) {
      return counts.get(f.ordinal());
    }

    boolean clean(boolean countSlowCancels) {
      for (var f : Figure.values()) {
        if (f.mustBeZero() && get(f) > 0 && (countSlowCancels || f != Figure.SLOW_CANCELS)) {
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
      slow.stream().limit(5).forEach(s -> sb.append("\n    slow cancellation: ").append(s));
      return sb.toString();
    }
  }

  @Test
  void faultyRuns_endEveryNodeOnce_loseNoFailure_andLeaveNoThreadRunning() {
    var figures = new Figures();
    Cases.forAll(WHERE, Cases.count(500), FaultInjectionTest::trial,
        (dag, faults) -> faultRun(dag, faults, null, figures));
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
    var warmUp = stress(1_000, callers, Integer.MAX_VALUE / 2);
    assertTrue(warmUp.figures.clean(false), "fault injection found problems while warming up:"
        + warmUp);
    var measured = stress(runs, callers, 0);
    System.out.println("[weft faults] stress:" + measured);
    assertTrue(measured.figures.clean(true), "fault injection found problems:" + measured);
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
  private static Stress stress(int runs, int callers, int first) throws Exception {
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
              violation = faultRun(trial.dag(), trial.params(), pool, figures);
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
    dag = RandomDags.fit(dag, setting, rnd);
    var faults = new Faults(seed, setting, rnd.nextInt(3) == 0,
        rnd.nextBoolean() ? 1 + rnd.nextInt(3) : 0);
    return new Trial<>(seed, dag, faults);
  }

  /**
   * Runs one faulty run and counts what it saw. {@return its violations, or null}
   *
   * @param pool the platform pool to use instead of the shared one, or null
   */
  static String faultRun(Dag dag, Faults faults, ExecutorService pool, Figures figures)
      throws Exception {
    var s = faults.setting();
    if (!s.releasesHangs(dag)) {
      return null; // a shrunk graph whose hangs nothing would release
    }
    Executor executor = pool != null && s.exec() == Exec.PLATFORM_POOL ? pool
        : s.exec().executor();
    if (faults.flaky()) {
      executor = new Runs.FlakyExecutor(executor, 25);
    }
    var tracking = new Executors.Tracking(executor);
    var w = new WeftDag(dag, "faults");
    var probe = new Probe(dag, false, s.trigger(), faults.chaos() > 0);
    var ran = Runs.run(w, probe, s, tracking, faults.chaos());
    long completed = Probe.now();
    var problems = new ArrayList<String>();
    figures.add(Figure.RUNS, 1);
    figures.add(Figure.CANCELLED, ran.cancelled() ? 1 : 0);
    figures.add(Figure.FAIL_FAST, s.mode() == Mode.FAIL_FAST ? 1 : 0);
    figures.add(Figure.CHAOS, probe.chaosInterrupts());
    if (ran.cancelNanos() > SLOW_CANCEL_NANOS) {
      figures.add(Figure.SLOW_CANCELS, 1); // counted, not failed: timing on a shared machine
      figures.slow.add(String.format("%.1f ms (%s, %d tasks, %d running when cancel returned)",
          ran.cancelNanos() / 1e6, faults, dag.taskCount(), probe.running()));
    }
    if (ran.problem() != null) {
      figures.add(Figure.STUCK, 1);
      problems.add(ran.problem());
    }
    figures.add(Figure.STUCK, probe.violations().size());
    problems.addAll(probe.violations());
    var early = Invariants.readiness(w, probe, ran.result());
    for (int v = 0; v < dag.size(); v++) {
      if (probe.start(v) > completed) {
        early.add(dag.spec(v).name() + " started after the run completed");
      }
    }
    figures.add(Figure.EARLY_STARTS, early.size());
    problems.addAll(early);
    var r = ran.result();
    if (r != null) {
      for (var line : Invariants.outcomes(w, probe, r, s.mode() == Mode.FAIL_FAST)) {
        figures.add(line.startsWith("lost failure") ? Figure.LOST_FAILURES : Figure.BAD_OUTCOMES,
            1);
        problems.add(line);
      }
      boolean unabsorbed = false;
      for (int v = 0; v < dag.size(); v++) {
        var o = r.outcome(w.node(v));
        unabsorbed |= o instanceof Outcome.Failed && !dag.absorbs(v);
        if (o instanceof Outcome.Failed<?> f && f.error() instanceof Runs.InjectedRejection) {
          figures.add(Figure.REJECTED, 1);
        }
      }
      if (s.mode() == Mode.FAIL_FAST && !unabsorbed && ReferenceExecutor.hasUnabsorbedFailure(dag,
          ReferenceExecutor.run(dag))) {
        figures.add(Figure.LOST_FAILURES, 1);
        problems.add("the reference fails a node no optional edge absorbs; this run reports no "
            + "such failure");
      }
    }
    if (probe.running() != 0) {
      figures.add(Figure.LEAKED, probe.running());
      problems.add(probe.running() + " task bodies still running after the run completed");
    }
    if (!tracking.awaitVirtualThreadsTerminated(Probe.BOUND_SECONDS)) {
      long alive = tracking.threads().stream().filter(Thread::isAlive).count();
      figures.add(Figure.LEAKED, alive);
      problems.add(alive + " virtual task threads alive " + Probe.BOUND_SECONDS
          + " s after the run completed");
    }
    return problems.isEmpty() ? null : String.join("\n    ", problems.subList(0,
        Math.min(12, problems.size())));
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
