package dev.weft;

import static dev.weft.testing.ReferenceExecutor.Kind.FAILED;
import static dev.weft.testing.ReferenceExecutor.Kind.SUCCEEDED;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.EventLog;
import dev.weft.testing.Executors;
import dev.weft.testing.Invariants;
import dev.weft.testing.Probe;
import dev.weft.testing.RandomDags;
import dev.weft.testing.RandomDags.Shape;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.Runs;
import dev.weft.testing.Runs.Exec;
import dev.weft.testing.Runs.Mode;
import dev.weft.testing.Runs.Ran;
import dev.weft.testing.Runs.Setting;
import dev.weft.testing.SafeText;
import dev.weft.testing.WeftDag;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Scheduling invariants checked over random seeded graphs against a sequential reference executor
 * (see {@link Cases} for {@code -Dweft.seed}, {@code -Dweft.cases}). Every case also checks, on
 * top of its own property, that tasks start only after their dependencies ended, that every node
 * has one consistent outcome, that no wait inside a task timed out, that no task body is running
 * once the run completed, and that the run's listener events and critical path are consistent
 * with its result ({@link EventLog}), also when the caller cancelled it.
 */
class SchedulingPropertiesTest {
  private static final int CASES = Cases.count(1000);
  private static final Exec[] ALL = Exec.values();
  private static final Exec[] CONCURRENT = {Exec.DEFAULT, Exec.VIRTUAL, Exec.PLATFORM_POOL};
  private static final Exec[] VIRTUAL = {Exec.DEFAULT, Exec.VIRTUAL};
  private static final String CLASS = "SchedulingPropertiesTest#";
  /** How often a task is a fan-out, a subgraph or conditional, and an optional edge an outcome. */
  static final double DATA_SHAPES = 0.12;

  /** Invariant 1, on every executor, in both failure modes. */
  @Test
  void everyTask_startsOnlyAfterAllItsDependenciesEnded() {
    Cases.forAll(CLASS + "everyTask_startsOnlyAfterAllItsDependenciesEnded", CASES,
        seed -> trial(seed, 40, RandomDags.FAILING, ALL, Mode.CONTINUE, Mode.FAIL_FAST),
        (dag, s) -> check(dag, s, (w, p, ran) -> List.of()));
  }

  /**
   * Invariant 2, with every behaviour, in both modes, with the future cancelled and with the
   * thread blocked in {@code run} interrupted.
   */
  @Test
  void everyNode_endsWithExactlyOneOutcome_andTheFutureAlwaysCompletes() {
    var bag = new ArrayList<>(RandomDags.FAILING);
    bag.add(Behaviour.HANG);
    Cases.forAll(CLASS + "everyNode_endsWithExactlyOneOutcome_andTheFutureAlwaysCompletes",
        CASES, seed -> trial(seed, 40, bag, ALL, Mode.values()),
        (dag, s) -> check(dag, s, (w, p, ran) -> {
          var out = new ArrayList<String>();
          for (int v = 0; v < dag.size(); v++) {
            if (p.calls(v) > 0 && p.end(v) == 0) {
              out.add(dag.spec(v).name() + " started but never ended");
            }
          }
          return out;
        }));
  }

  /** Invariant 3: with nothing failing, every value is the reference's, on every executor. */
  @Test
  void withoutFailures_everyValueEqualsTheReference() {
    Cases.forAll(CLASS + "withoutFailures_everyValueEqualsTheReference", CASES,
        seed -> trial(seed, 40, RandomDags.SUCCEEDING, ALL, Mode.CONTINUE, Mode.FAIL_FAST),
        (dag, s) -> check(dag, s, (w, p, ran) -> {
          var expected = ReferenceExecutor.run(dag);
          if (expected.stream().anyMatch(e -> e.kind() == FAILED)) {
            // a null list or binding fails a fan-out or subgraph node: in FAIL_FAST, others may
            // be cancelled; what ended is checked by the other properties
            return s.mode() == Mode.FAIL_FAST ? List.of()
                : Invariants.matchesReference(w, ran.result(), expected);
          }
          var out = Invariants.matchesReference(w, ran.result(), expected);
          for (int v = 0; v < dag.size(); v++) {
            var o = ran.result().outcome(w.node(v));
            // a condition that does not hold is no failure
            if (!(o instanceof Outcome.Succeeded) && !(o instanceof Outcome.Omitted)) {
              out.add("not every node succeeded or was omitted: " + ran.result());
              break;
            }
          }
          return out;
        }));
  }

  /**
   * Invariant 4: in CONTINUE mode the skipped nodes are exactly the transitive dependents of
   * failures through required edges, and every other node ends as in the reference.
   */
  @Test
  void continueMode_skipsExactlyTheRequiredDependentsOfFailures_andRunsTheRest() {
    Cases.forAll(
        CLASS + "continueMode_skipsExactlyTheRequiredDependentsOfFailures_andRunsTheRest", CASES,
        seed -> {
          var t = trial(seed, 40, RandomDags.FAILING, ALL, Mode.CONTINUE);
          return new Trial<>(seed, RandomDags.withAFailure(t.dag(), new Random(seed)),
              t.params());
        },
        (dag, s) -> check(dag, s, (w, p, ran) ->
            Invariants.matchesReference(w, ran.result(), ReferenceExecutor.run(dag))));
  }

  /**
   * Invariant 5: in FAIL_FAST mode, a task that starts after the first unabsorbed failure (a race
   * the engine cannot close) is interrupted, tasks hanging when it happened are interrupted, no
   * other task starts, and whatever did end ended as in the reference.
   */
  @Test
  void failFast_startsNoTaskAfterTheFirstFailure_andInterruptsRunningOnes() {
    var late = new AtomicLong();
    var hangs = new AtomicLong();
    var interruptedStarts = new AtomicLong();
    var returnedInterrupted = new AtomicLong();
    Cases.forAll(CLASS + "failFast_startsNoTaskAfterTheFirstFailure_andInterruptsRunningOnes",
        CASES, seed -> {
          var rnd = new Random(seed);
          var t = trial(seed, 40, RandomDags.FAILING, ALL, Mode.FAIL_FAST);
          var dag = RandomDags.withHangs(RandomDags.withAFailure(t.dag(), rnd), rnd,
              t.params().exec());
          hangs.addAndGet(dag.count(Behaviour.HANG));
          return new Trial<>(seed, dag, t.params());
        },
        (dag, s) -> check(dag, s, (w, p, ran) -> {
          var out = new ArrayList<String>();
          var r = ran.result();
          var expected = ReferenceExecutor.run(dag);
          boolean failureExpected = ReferenceExecutor.hasUnabsorbedFailure(dag, expected);
          boolean failed = false;
          for (int v = 0; v < dag.size(); v++) {
            var name = dag.spec(v).name();
            var e = expected.get(v);
            var o = r.outcome(w.node(v));
            failed |= o instanceof Outcome.Failed && !dag.absorbs(v);
            interruptedStarts.addAndGet(p.startedInterrupted(v) ? 1 : 0);
            returnedInterrupted.addAndGet(p.returnedInterrupted(v) ? 1 : 0);
            if (p.startedLate(v)) {
              late.incrementAndGet();
              if (p.interrupts(v) == 0) {
                out.add(name + " started after the failure and was not interrupted");
              }
            }
            if (o instanceof Outcome.Succeeded<?> ok
                && (e.kind() != SUCCEEDED || !ReferenceExecutor.same(e.value(), ok.value()))) {
              out.add(name + " succeeded with " + ok.value() + "; the reference: " + e);
            }
            if (o instanceof Outcome.Failed<?> f && (e.kind() != FAILED
                || !ReferenceExecutor.matches(e.error(), f.error()))) {
              out.add(name + " failed with " + SafeText.of(f.error()) + "; the reference: " + e);
            }
            if (!dag.isInput(v) && !Invariants.ran(p, v) && !(o instanceof Outcome.Cancelled)
                && !(o instanceof Outcome.Skipped) && !(o instanceof Outcome.Omitted)
                && !emptyOrRefused(dag, v, o)) {
              out.add(name + " never ran, yet ended " + SafeText.of(o));
            }
          }
          if (failureExpected && !failed) {
            out.add("the reference fails a node that no optional edge absorbs, the run did not");
          }
          if (!failureExpected) {
            out.addAll(Invariants.matchesReference(w, r, expected));
          }
          return out;
        }));
    System.out.println("[weft properties]   fail-fast: " + late + " tasks started after the "
        + "failure (all interrupted), " + hangs + " hanging tasks, " + interruptedStarts
        + " tasks started already interrupted by the cancellation, " + returnedInterrupted
        + " returned their value when interrupted (RETURN_ON_INTERRUPT)");
  }

  /**
   * Invariant 6: for a generated antichain of k <= 64 tasks that block until all k have arrived,
   * all k run at once (on virtual threads; a latch, no timing).
   */
  @Test
  void independentTasks_allRunAtOnce_upToSixtyFourOfThem() {
    var sizes = new AtomicLong();
    var atLeast32 = new AtomicLong();
    var wide = new Shape[] {Shape.FAN_OUT, Shape.FAN_IN, Shape.LAYERED, Shape.FOREST,
        Shape.SPARSE, Shape.DIAMONDS};
    Cases.forAll(CLASS + "independentTasks_allRunAtOnce_upToSixtyFourOfThem", CASES, seed -> {
      var rnd = new Random(seed);
      var gen = new RandomDags(rnd, 100, RandomDags.CHEAP);
      var dag = gen.next(wide[rnd.nextInt(wide.length)]);
      var antichain = gen.antichain(dag, 2 + rnd.nextInt(63));
      for (int v = antichain.nextSetBit(0); v >= 0; v = antichain.nextSetBit(v + 1)) {
        dag = dag.with(v, Behaviour.RENDEZVOUS);
      }
      sizes.addAndGet(antichain.cardinality());
      atLeast32.addAndGet(antichain.cardinality() >= 32 ? 1 : 0);
      return new Trial<>(seed, dag, Setting.random(rnd, dag, VIRTUAL, Mode.CONTINUE));
    }, (dag, s) -> check(dag, s, (w, p, ran) ->
        Invariants.matchesReference(w, ran.result(), ReferenceExecutor.run(dag))));
    System.out.println("[weft properties]   antichains: " + sizes + " rendezvous tasks in all, "
        + atLeast32 + " cases with k >= 32");
  }

  /**
   * Invariant 7: once the run's future completed (normally, by fail-fast, or cancelled by the
   * caller), no task body is running, none starts later, and every virtual thread that ran a
   * task terminates within a bounded wait.
   */
  @Test
  void noTaskIsRunning_afterTheRunCompletes_andVirtualTaskThreadsTerminate() {
    var bag = new ArrayList<>(RandomDags.FAILING);
    bag.add(Behaviour.HANG);
    Cases.forAll(CLASS + "noTaskIsRunning_afterTheRunCompletes_andVirtualTaskThreadsTerminate",
        CASES, seed -> trial(seed, 40, bag, CONCURRENT, Mode.values()),
        (dag, s) -> {
          var tracking = new Executors.Tracking(s.exec().executor());
          return check(dag, s, tracking, (w, p, ran) -> {
            var out = new ArrayList<String>();
            long completed = Probe.now();
            if (!tracking.awaitVirtualThreadsTerminated(Probe.BOUND_SECONDS)) {
              long alive = tracking.threads().stream().filter(Thread::isAlive).count();
              out.add(alive + " virtual task threads still alive " + Probe.BOUND_SECONDS
                  + " s after the run completed");
            }
            for (int v = 0; v < dag.size(); v++) {
              if (p.lastStart(v) > completed) {
                out.add(dag.spec(v).name() + " started after the run completed");
              }
            }
            return out;
          });
        });
  }

  /** Invariant 8: virtual threads, a platform pool and the caller's thread agree on outcomes. */
  @Test
  void everyExecutor_producesTheSameOutcomes() {
    Cases.forAll(CLASS + "everyExecutor_producesTheSameOutcomes", CASES,
        seed -> trial(seed, 40, RandomDags.FAILING, new Exec[] {Exec.DEFAULT}, Mode.CONTINUE),
        (dag, s) -> {
          var w = new WeftDag(dag, "executors");
          var expected = ReferenceExecutor.run(dag);
          Object first = null;
          for (var exec : new Exec[] {Exec.DEFAULT, Exec.PLATFORM_POOL, Exec.CALLER_RUNS}) {
            var setting = new Setting(exec, Mode.CONTINUE, -1);
            var probe = Probe.plain(dag);
            var ran = Runs.run(w, probe, setting, exec.executor());
            var problems = problems(w, probe, ran, setting);
            if (problems.isEmpty()) {
              problems.addAll(Invariants.matchesReference(w, ran.result(), expected));
            }
            if (!problems.isEmpty()) {
              return exec + ": " + String.join("\n    ", problems);
            }
            var outcomes = Invariants.normalized(w, ran.result());
            if (first == null) {
              first = outcomes;
            } else if (!first.equals(outcomes)) {
              return exec + " disagrees with " + Exec.DEFAULT + ":\n    " + first + "\n    "
                  + outcomes;
            }
          }
          return null;
        });
  }

  /**
   * {@return whether node {@code v} rightly ended so without a body running: a fan-out over an
   * empty list (or none), a subgraph whose inner tasks ran none (omitted, bound to null)}
   */
  private static boolean emptyOrRefused(Dag dag, int v, Outcome<?> o) {
    return !dag.spec(v).hasBody();
  }

  // ---- generation ----

  private static Trial<Setting> trial(long seed, int maxTasks, List<Behaviour> bag,
      Exec[] execs, Mode... modes) {
    var rnd = new Random(seed);
    // mostly small graphs, where interleavings are dense; one in twenty five times bigger
    var dag = new RandomDags(rnd, rnd.nextInt(20) == 0 ? 5 * maxTasks : maxTasks, bag).next();
    var setting = Setting.random(rnd, dag, execs, modes);
    dag = RandomDags.withDataShapes(dag, rnd, DATA_SHAPES, bag);
    return new Trial<>(seed, RandomDags.fit(dag, setting, rnd), setting);
  }

  // ---- checking ----

  @FunctionalInterface
  private interface Extra {
    List<String> check(WeftDag w, Probe p, Ran ran) throws Exception;
  }

  private static String check(Dag dag, Setting s, Extra extra) throws Exception {
    return check(dag, s, s.exec().executor(), extra);
  }

  /**
   * Runs {@code dag} once and applies the common invariants, then {@code extra} (given a result
   * unless the caller cancelled). {@return the violations, or null}
   */
  private static String check(Dag dag, Setting s, Executor executor, Extra extra)
      throws Exception {
    if (!s.releasesHangs(dag)) {
      return null; // a shrunk graph whose hangs nothing would release: not a counterexample
    }
    var w = new WeftDag(dag, "case");
    var probe = new Probe(dag, s.mode() == Mode.FAIL_FAST, s.trigger(), false);
    var log = new EventLog();
    var ran = Runs.run(w, probe, s, executor, 0, o -> o.withListener(log));
    var problems = problems(w, probe, ran, s);
    if (problems.isEmpty() && (ran.result() != null || ran.cancelled())) {
      problems.addAll(Invariants.events(w, probe, ran, log));
    }
    if (problems.isEmpty() && (ran.result() != null || ran.cancelled())) {
      problems.addAll(extra.check(w, probe, ran));
    }
    return problems.isEmpty() ? null : String.join("\n    ", problems.subList(0,
        Math.min(12, problems.size())));
  }

  private static List<String> problems(WeftDag w, Probe probe, Ran ran, Setting s) {
    return Invariants.afterRun(w, probe, ran, s.mode() == Mode.FAIL_FAST);
  }
}
