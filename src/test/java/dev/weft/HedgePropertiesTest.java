package dev.weft;

import static dev.weft.testing.ReferenceExecutor.Kind.FAILED;
import static dev.weft.testing.ReferenceExecutor.Kind.SUCCEEDED;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.EventLog;
import dev.weft.testing.HedgeInvariants;
import dev.weft.testing.Invariants;
import dev.weft.testing.Probe;
import dev.weft.testing.RandomDags;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.ReferenceExecutor.Expected;
import dev.weft.testing.Runs;
import dev.weft.testing.Runs.Exec;
import dev.weft.testing.Runs.Mode;
import dev.weft.testing.Runs.Ran;
import dev.weft.testing.Runs.Setting;
import dev.weft.testing.SafeText;
import dev.weft.testing.WeftDag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Hedged nodes and fan-outs ({@link HedgePolicy#after}, 1 to 3 hedges after a real delay of up to
 * 300 us, so hedges do fire on the system scheduler) among random seeded graphs whose tasks
 * return, sleep, block, hang until interrupted, ignore interrupts, return when interrupted,
 * throw, or fail a few times first, with retries around the hedges: in CONTINUE and FAIL_FAST
 * mode, cancelled by the caller (the future, or the thread blocked in {@code run}), and under a
 * run deadline, on every executor. Every case gets the checks of {@link SchedulingPropertiesTest}
 * (readiness, one consistent outcome per node and element, no body running once the run
 * completed but the stragglers it reported, the {@link EventLog} contract), those of {@link
 * HedgeInvariants} (calls per attempt, the winner among the attempt spans, losers cancelled,
 * failed or late, every hedge a straggler of a straggling task), the hedge events of {@link
 * EventLog} (one HedgeStarted then one HedgeEnded per attempt sent, inside the task's attempt,
 * matching its span), the hedges' threads terminating, and the caller's interrupt status left
 * clear.
 */
class HedgePropertiesTest {
  private static final int CASES = Cases.count(1500);
  private static final String CLASS = "HedgePropertiesTest#";
  /** How often a task (or a fan-out) is hedged. */
  private static final double HEDGES = 0.4;
  private static final long MAX_HEDGE_DELAY = 300_000;
  private static final Duration GRACE = Duration.ofMillis(10);
  private static final Exec[] CONCURRENT = {Exec.DEFAULT, Exec.VIRTUAL, Exec.PLATFORM_POOL};
  static final List<Behaviour> HEDGED = RandomDags.bag(
      Behaviour.RETURN, 6, Behaviour.RETURN_NULL, 1, Behaviour.SLEEP, 3, Behaviour.BLOCK, 2,
      Behaviour.IGNORE_INTERRUPT, 2, Behaviour.RESTORE_INTERRUPT, 1,
      Behaviour.RETURN_ON_INTERRUPT, 2, Behaviour.THROW_CHECKED, 1, Behaviour.THROW_UNCHECKED, 1,
      Behaviour.THROW_ERROR, 1, Behaviour.THROW_OPAQUE, 1, Behaviour.FLAKY, 3);
  /** {@link #HEDGED} with naps of milliseconds and tasks that ignore interrupts for longer. */
  static final List<Behaviour> DEADLINED = RandomDags.bag(
      Behaviour.RETURN, 6, Behaviour.RETURN_NULL, 1, Behaviour.SLEEP, 2, Behaviour.NAP, 3,
      Behaviour.BLOCK, 1, Behaviour.IGNORE_INTERRUPT, 2, Behaviour.STUBBORN, 2, Behaviour.HANG, 2,
      Behaviour.THROW_UNCHECKED, 1, Behaviour.FLAKY, 2, Behaviour.RETURN_ON_INTERRUPT, 2,
      Behaviour.THROW_OPAQUE, 1);

  /**
   * Everything about a case besides its graph.
   *
   * @param setting executor and mode, or cancellation by the caller
   * @param deadline the run's deadline, or null
   */
  record Hedging(Setting setting, Duration deadline) {
    @Override
    public String toString() {
      return setting + (deadline == null ? "" : ", deadline " + deadline.toMillis() + " ms");
    }
  }

  /**
   * In CONTINUE mode every node ends as the reference says, hedged or not: a hedged task fails
   * only once every attempt of its last attempt set failed, and is called exactly {@code (1 +
   * maxHedges)} times per attempt then; one that succeeds is called at least as often as the
   * reference needs and at most as its policies allow. In FAIL_FAST mode a task (or a hedge)
   * that starts after the first unabsorbed failure is interrupted, and whatever succeeded did so
   * with the reference's value.
   */
  @Test
  void hedgedNodes_endAsTheReferenceSays_withinTheirCalls_inBothFailureModes() {
    var stats = new Stats();
    Cases.forAll(CLASS + "hedgedNodes_endAsTheReferenceSays_withinTheirCalls_inBothFailureModes",
        CASES, seed -> trial(seed, HEDGED, Exec.values(), false, Mode.CONTINUE, Mode.FAIL_FAST),
        (dag, h) -> check(dag, h, stats, (w, p, ran) -> {
          var expected = ReferenceExecutor.run(dag);
          return h.setting().mode() == Mode.CONTINUE ? continued(w, p, ran, expected, stats)
              : failedFast(w, p, ran, expected);
        }));
    System.out.println("[weft properties]   hedges: " + stats);
  }

  /**
   * Cancelled by the caller, through the future or by interrupting the thread blocked in {@code
   * run}, once some task or a hang started: every hedge of every node is stopped, nothing but the
   * reported stragglers runs once the run completed, every hedge thread terminates, and what
   * succeeded did so with the value its dependencies give.
   */
  @Test
  void cancelledRuns_stopEveryHedge_andLeaveNoThreadBehind() {
    var bag = new ArrayList<>(HEDGED);
    bag.addAll(RandomDags.bag(Behaviour.HANG, 2));
    var stats = new Stats();
    Cases.forAll(CLASS + "cancelledRuns_stopEveryHedge_andLeaveNoThreadBehind", CASES,
        seed -> trial(seed, bag, CONCURRENT, false, Mode.CANCEL, Mode.INTERRUPT_CALLER),
        (dag, h) -> check(dag, h, stats, (w, p, ran) -> ran.result() == null ? List.of()
            : Invariants.valuesFollowFromDependencies(w, ran.result(),
            ReferenceExecutor.run(dag))));
    System.out.println("[weft properties]   hedges: " + stats);
  }

  /**
   * With a real deadline of 20 to 60 ms, among tasks that nap, hang and ignore interrupts for up
   * to 100 ms: the run completes within the grace plus a generous slack, every hedge ends with
   * its task, the stragglers are tasks still running (a hedge listed only beside its task), and
   * what succeeded did so with the value its dependencies give. The cases wait for real time, so
   * {@link DeadlinePropertiesTest#AT_ONCE} run at a time.
   */
  @Test
  void deadlineRuns_endEveryHedgeWithItsTask_andCutOffOnlyStragglers() throws Exception {
    var stats = new Stats();
    Cases.forAllConcurrently(
        CLASS + "deadlineRuns_endEveryHedgeWithItsTask_andCutOffOnlyStragglers", CASES / 2,
        DeadlinePropertiesTest.AT_ONCE,
        seed -> trial(seed, DEADLINED, CONCURRENT, true, Mode.CONTINUE, Mode.FAIL_FAST),
        (dag, h) -> deadlined(dag, h, stats));
    System.out.println("[weft properties]   hedges: " + stats);
  }

  // ---- generation ----

  /** {@return a case; with a deadline, its hangs are left for the deadline to release} */
  static Trial<Hedging> trial(long seed, List<Behaviour> bag, Exec[] execs,
      boolean deadlined, Mode... modes) {
    var rnd = new Random(seed);
    var dag = new RandomDags(rnd, rnd.nextInt(20) == 0 ? 60 : 20, bag).next();
    dag = RandomDags.withRetries(dag, rnd, 0.15, 20_000);
    var setting = Setting.random(rnd, dag, execs, modes);
    dag = RandomDags.withDataShapes(dag, rnd, SchedulingPropertiesTest.DATA_SHAPES, bag);
    // before fitting the hangs: hedges change which tasks fail, and so which failure frees them
    dag = RandomDags.withHedges(dag, rnd, HEDGES, MAX_HEDGE_DELAY);
    if (!deadlined) {
      return new Trial<>(seed, RandomDags.fit(dag, setting, rnd), new Hedging(setting, null));
    }
    return new Trial<>(seed, dag, new Hedging(setting, Duration.ofMillis(20 + rnd.nextInt(41))));
  }

  // ---- checking ----

  @FunctionalInterface
  private interface Extra {
    List<String> check(WeftDag w, Probe p, Ran ran) throws Exception;
  }

  /**
   * Runs {@code dag} once with a recording listener and applies the common invariants, the hedge
   * invariants and the event checks, then {@code extra}. {@return the violations, or null}
   */
  private static String check(Dag dag, Hedging h, Stats stats, Extra extra) throws Exception {
    var s = h.setting();
    if (!s.releasesHangs(dag)) {
      return null; // a shrunk graph whose hangs nothing would release: not a counterexample
    }
    var w = new WeftDag(dag, "hedging");
    var probe = new Probe(dag, s.mode() == Mode.FAIL_FAST, s.trigger(), false);
    var log = new EventLog();
    var ran = Runs.run(w, probe, s, s.exec().executor(), 0, o -> o.withListener(log));
    var problems = common(w, probe, ran, log, s.mode() == Mode.FAIL_FAST);
    if (problems.isEmpty() && ran.result() != null) {
      problems.addAll(extra.check(w, probe, ran));
    }
    stats.add(dag, probe, log);
    return Invariants.report(problems);
  }

  /**
   * The checks of every run: those of {@link Invariants#afterRun}, the caller's interrupt status,
   * {@link HedgeInvariants} on the result (or on the one RunEnded carried, once every body
   * ended, if the caller cancelled the run), the events, and the hedges' threads.
   */
  private static List<String> common(WeftDag w, Probe probe, Ran ran, EventLog log,
      boolean failFast) throws InterruptedException {
    var problems = Invariants.afterRun(w, probe, ran, failFast);
    if (Thread.interrupted()) {
      problems.add("the run left the interrupt status of the thread that waited for it set");
    }
    if (!problems.isEmpty() || ran.result() == null && !ran.cancelled()) {
      return problems;
    }
    var r = ran.result() != null ? ran.result() : log.awaitResult(Probe.BOUND_SECONDS);
    if (r != null && probe.awaitIdle(TimeUnit.SECONDS.toMillis(Probe.BOUND_SECONDS))) {
      problems.addAll(HedgeInvariants.afterRun(w, probe, r));
    }
    problems.addAll(Invariants.events(w, probe, ran, log));
    problems.addAll(HedgeInvariants.threadsEnd(probe));
    return problems;
  }

  /**
   * CONTINUE: the reference's outcomes; a task the reference fails is called exactly as often as
   * it says (every call of every attempt sent, and failed), one it succeeds at least as often,
   * and never more than its policies allow. Called less often than the reference says, a hedged
   * task closed an attempt set before sending all its hedges: the known race {@link
   * HedgeInvariants#STRICT} lets pass (counted in {@code stats}), whose effects on outcomes
   * downstream the reference cannot tell, so then the case checks nothing more here.
   */
  private static List<String> continued(WeftDag w, Probe p, Ran ran, List<Expected> expected,
      Stats stats) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    boolean early = false;
    for (int v = 0; v < dag.size(); v++) {
      var spec = dag.spec(v);
      var e = expected.get(v);
      if (spec.hedging() == null) {
        continue;
      }
      if (spec.hasBody()) {
        early |= calls(spec.name(), spec, p.calls(v), e, out);
      } else if (spec.fanOut() != null && e.elements() != null && e.kind() != FAILED) {
        // a fan-out that stops at a failure may stop its elements: only when none failed
        for (int i = 0; i < e.elements().size(); i++) {
          early |= calls(spec.name() + "[" + i + "]", Dag.element(spec, i),
              p.calls(p.layout().element(v, i)), e.elements().get(i), out);
        }
      }
    }
    if (early && !HedgeInvariants.STRICT) {
      stats.closedEarly();
      return List.of();
    }
    out.addAll(0, Invariants.matchesReference(w, ran.result(), expected));
    return out;
  }

  /**
   * Adds to {@code out} what is wrong with the {@code calls} of hedged task {@code label}, which
   * the reference expects to end as {@code e} says. {@return whether it was called less often than
   * the reference says}
   */
  private static boolean calls(String label, Dag.Spec spec, int calls, Expected e,
      List<String> out) {
    boolean wrong = switch (e.kind()) {
      case FAILED -> calls != e.attempts();
      case SUCCEEDED -> calls < e.attempts() || calls > spec.maxCalls();
      default -> false;
    };
    if (wrong) {
      out.add(label + " (" + spec.behaviour() + " x" + spec.flakes() + ", " + spec.hedging()
          + ", " + spec.retry() + ") was called " + calls + " times; the reference expects "
          + (e.kind() == FAILED ? "" : "at least ") + e.attempts());
    }
    return calls < e.attempts() && (e.kind() == FAILED || e.kind() == SUCCEEDED);
  }

  /**
   * FAIL_FAST: a task or hedge that starts after the first unabsorbed failure is interrupted;
   * what succeeded did so with the reference's value; what failed did so as the reference says,
   * unless it fails a few times first (the run's cancellation stops its retries and hedges, so
   * it may fail where the reference recovers); the reference's unabsorbed failure happens.
   */
  private static List<String> failedFast(WeftDag w, Probe p, Ran ran, List<Expected> expected) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var r = ran.result();
    boolean failed = false;
    var tainted = tainted(w, r, expected);
    for (int v = 0; v < dag.size(); v++) {
      var spec = dag.spec(v);
      var name = spec.name();
      var e = expected.get(v);
      var o = r.outcome(w.node(v));
      failed |= o instanceof Outcome.Failed && !dag.absorbs(v);
      if (p.startedLate(v) && p.interrupts(v) == 0) {
        out.add(name + " started after the failure and was not interrupted");
      }
      if (o instanceof Outcome.Succeeded<?> ok && !tainted.get(v)
          && (e.kind() != SUCCEEDED || !sameButCancelled(spec, e.value(), ok.value()))) {
        out.add(name + " succeeded with " + ok.value() + "; the reference: " + e);
      }
      if (o instanceof Outcome.Failed<?> f && spec.behaviour() != Behaviour.FLAKY
          && spec.sub() == null && !HedgeInvariants.cancelledAsFailure(p, v, f.error())
          && (e.kind() != FAILED
          || !ReferenceExecutor.matches(e.error(), f.error()))) {
        out.add(name + " failed with " + SafeText.of(f.error()) + "; the reference: " + e);
      }
    }
    if (ReferenceExecutor.hasUnabsorbedFailure(dag, expected) && !failed) {
      out.add("the reference fails a node that no optional edge absorbs, the run did not");
    }
    return out;
  }

  /**
   * {@return whether {@code actual}, what node {@code spec} succeeded with, is the reference's
   * {@code expected}} A collecting fan-out's elements may rightly end otherwise: cancelled, by
   * the run's cancellation, which they may see before their node does; or failed, an element
   * that fails a few times first and whose retries or hedges the cancellation stopped.
   */
  private static boolean sameButCancelled(Dag.Spec spec, Object expected, Object actual) {
    if (spec.fanOut() == null || !spec.fanOut().collect() || !(expected instanceof List<?> e)
        || !(actual instanceof List<?> a) || e.size() != a.size()) {
      return ReferenceExecutor.same(expected, actual);
    }
    for (int i = 0; i < e.size(); i++) {
      boolean stopped = a.get(i) instanceof Outcome.Cancelled<?>
          || a.get(i) instanceof Outcome.Failed<?> && spec.fanOut().element(i) == Behaviour.FLAKY;
      if (!stopped && !ReferenceExecutor.same(e.get(i), a.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@return the nodes whose values may rightly differ from the reference's because a fan-out's
   * did: what depends on a collecting fan-out whose elements the cancellation reached ({@link
   * #sameButCancelled}); and a fan-out with the known throwable in its list (see {@link
   * HedgeInvariants#STRICT}), with what depends on it}
   */
  private static java.util.BitSet tainted(WeftDag w, RunResult r, List<Expected> expected) {
    var dag = w.dag();
    var differs = new java.util.BitSet();
    var out = new java.util.BitSet();
    for (int v = 0; v < dag.size(); v++) {
      if (dag.spec(v).fanOut() == null
          || !(r.outcome(w.node(v)) instanceof Outcome.Succeeded<?> ok)) {
        continue;
      }
      boolean thrown = ok.value() instanceof List<?> list
          && list.stream().anyMatch(x -> x instanceof Throwable);
      if (thrown && !HedgeInvariants.STRICT) {
        out.set(v);
        differs.set(v);
      } else if (expected.get(v).kind() != SUCCEEDED
          || !ReferenceExecutor.same(expected.get(v).value(), ok.value())) {
        differs.set(v);
      }
    }
    var up = dag.ancestors();
    for (int v = 0; v < dag.size(); v++) {
      if (up[v].intersects(differs)) {
        out.set(v);
      }
    }
    return out;
  }

  /**
   * Runs {@code dag} once with its deadline (a platform pool is the case's own): completed
   * within the grace plus {@link DeadlinePropertiesTest#SLACK} after it; the common checks; the
   * stragglers and {@code deadlineExceeded()} as {@link DeadlinePropertiesTest} checks them (for
   * the tasks that are not hedged: a hedged task's calls overlap, so the probe cannot tell when
   * its last one ended); values that follow from the dependencies' outcomes.
   */
  static String deadlined(Dag dag, Hedging h, Stats stats) throws Exception {
    var s = h.setting();
    ExecutorService pool = s.exec() == Exec.PLATFORM_POOL ? Executors.newFixedThreadPool(4)
        : null;
    try {
      var w = new WeftDag(dag, "hedging-deadline");
      var probe = new Probe(dag, s.mode() == Mode.FAIL_FAST, -1, false);
      var log = new EventLog();
      var ran = Runs.run(w, probe, s, pool != null ? pool : s.exec().executor(), 0,
          o -> o.withDeadline(h.deadline()).withListener(log));
      if (ran.problem() != null) {
        return ran.problem();
      }
      var out = new ArrayList<String>();
      long late = ran.latenessNanos(h.deadline());
      if (late > GRACE.toNanos() + DeadlinePropertiesTest.SLACK.toNanos()) {
        out.add(String.format("the run completed %.1f ms after its deadline", late / 1e6));
      }
      out.addAll(DeadlinePropertiesTest.stragglers(w, probe, ran, h.deadline(),
          s.mode() == Mode.FAIL_FAST));
      out.addAll(common(w, probe, ran, log, s.mode() == Mode.FAIL_FAST));
      out.addAll(DeadlinePropertiesTest.deadlineExceeded(w, ran.result(), ran, h.deadline(),
          log));
      out.addAll(Invariants.valuesFollowFromDependencies(w, ran.result(),
          ReferenceExecutor.run(dag)));
      stats.add(dag, probe, log);
      stats.stragglers(ran.result());
      return Invariants.report(out);
    } finally {
      if (pool != null) {
        pool.shutdownNow();
        if (!pool.awaitTermination(Probe.BOUND_SECONDS, TimeUnit.SECONDS)) {
          throw new AssertionError("a case's pool did not terminate");
        }
      }
    }
  }

  /** What the hedges did over a property's cases, printed once it passed; thread-safe. */
  static final class Stats {
    private final AtomicLong hedgedTasks = new AtomicLong();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong won = new AtomicLong();
    private final AtomicLong lostLate = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong stragglers = new AtomicLong();
    private final AtomicLong cancelledWinners = new AtomicLong();
    private final AtomicLong closedEarly = new AtomicLong();

    void add(Dag dag, Probe p, EventLog log) {
      hedgedTasks.addAndGet(dag.nodes().stream().filter(x -> x.hedging() != null).count());
      for (var e : log.entries()) {
        if (e.event() instanceof RunEvent.HedgeStarted hs && hs.hedge() > 0) {
          started.incrementAndGet();
        } else if (e.event() instanceof RunEvent.HedgeEnded he) {
          switch (he.span().outcome()) {
            case Outcome.Succeeded<?> ok -> (he.hedge() > 0 ? won : lostLate).incrementAndGet();
            case Outcome.Cancelled<?> c -> cancelled.incrementAndGet();
            case Outcome.Failed<?> f -> failed.incrementAndGet();
            default -> {}
          }
        } else if (e.event() instanceof RunEvent.NodeEnded ne
            && HedgeInvariants.cancelledWithAWinner(ne.span())
            || e.event() instanceof RunEvent.ElementEnded ee
            && HedgeInvariants.cancelledWithAWinner(ee.span())) {
          cancelledWinners.incrementAndGet();
        }
      }
    }

    void closedEarly() {
      closedEarly.incrementAndGet();
    }

    void stragglers(RunResult r) {
      stragglers.addAndGet(r.stragglers().keySet().stream().filter(k -> k.contains(" (hedge "))
          .count());
    }

    @Override
    public String toString() {
      return hedgedTasks + " hedged nodes, " + started + " hedges sent; attempts ended: " + won
          + " hedges succeeded, " + lostLate + " first attempts succeeded, " + cancelled
          + " cancelled, " + failed + " failed; " + stragglers + " hedges cut off as stragglers; "
          + cancelledWinners + " hedged tasks cancelled although an attempt had won; "
          + closedEarly + " cases where an attempt set closed before all its hedges were sent";
    }
  }
}
