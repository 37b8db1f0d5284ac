package dev.weft;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.EventLog;
import dev.weft.testing.InstantScheduler;
import dev.weft.testing.Invariants;
import dev.weft.testing.Probe;
import dev.weft.testing.RandomDags;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.Runs;
import dev.weft.testing.Runs.Exec;
import dev.weft.testing.Runs.Mode;
import dev.weft.testing.Runs.Setting;
import dev.weft.testing.WeftDag;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Retry bounds and listener consistency over random seeded graphs whose tasks fail a few times
 * and then succeed ({@link Behaviour#FLAKY}), or always fail, under random retry policies (fixed,
 * exponential, jittered; some aborting on unchecked exceptions). Backoff runs on an {@link
 * InstantScheduler}, so no delay really waits, or with delays of microseconds on the system
 * scheduler. Every case also gets the checks of {@link SchedulingPropertiesTest}: readiness, one
 * consistent outcome per node, no body left running, and the {@link EventLog} contract.
 */
class ResiliencePropertiesTest {
  private static final int CASES = Cases.count(1000);
  private static final String CLASS = "ResiliencePropertiesTest#";
  private static final List<Behaviour> RETRYING = RandomDags.bag(
      Behaviour.RETURN, 6, Behaviour.RETURN_NULL, 1, Behaviour.FLAKY, 6,
      Behaviour.THROW_CHECKED, 1, Behaviour.THROW_UNCHECKED, 1, Behaviour.THROW_ERROR, 1,
      Behaviour.SLEEP, 1, Behaviour.BLOCK, 1, Behaviour.THROW_OPAQUE, 1,
      Behaviour.RESTORE_INTERRUPT, 1);
  private static final long INSTANT_MAX_DELAY = 50_000_000;
  private static final long REAL_MAX_DELAY = 20_000;

  /**
   * Everything about a case besides its graph.
   *
   * @param setting executor and mode, or cancellation by the caller
   * @param instant whether backoff runs on an {@link InstantScheduler} (else real microseconds)
   */
  record Retrying(Setting setting, boolean instant) {
    @Override
    public String toString() {
      return setting + (instant ? ", instant backoff" : ", real backoff of microseconds");
    }
  }

  /**
   * In CONTINUE mode a task is called exactly as often as the reference says: once unless it
   * failed with what its policy retries, then until it succeeds or has used maxAttempts; so
   * never more than maxAttempts, a task failing fewer times than it may be tried succeeds with
   * the reference's value, one that always fails is tried exactly maxAttempts times unless its
   * failure is not retryable (an Error, or an unchecked exception the policy aborts on); its span
   * counts those calls, and each announced delay lies within the policy.
   */
  @Test
  void retries_stayWithinMaxAttempts_andRecoverWithTheReferenceValue() {
    var recovered = new AtomicLong();
    var exhausted = new AtomicLong();
    var aborted = new AtomicLong();
    Cases.forAll(CLASS + "retries_stayWithinMaxAttempts_andRecoverWithTheReferenceValue", CASES,
        seed -> trial(seed, RETRYING, 0.3, Mode.CONTINUE),
        (dag, params) -> check(dag, params, (w, p, ran) -> {
          var expected = ReferenceExecutor.run(dag);
          var out = Invariants.matchesReference(w, ran.result(), expected);
          for (int v = 0; v < dag.size(); v++) {
            var spec = dag.spec(v);
            if (spec.input()) {
              continue;
            }
            int calls = p.calls(v);
            if (calls != expected.get(v).attempts()) {
              out.add(spec.name() + " (" + spec.behaviour() + " x" + spec.flakes() + ", "
                  + spec.retry() + ") was called " + calls + " times; the reference expects "
                  + expected.get(v).attempts());
            }
            boolean ok = ran.result().outcome(w.node(v)) instanceof Outcome.Succeeded;
            int max = spec.maxCalls();
            recovered.addAndGet(ok && calls > 1 ? 1 : 0);
            exhausted.addAndGet(!ok && max > 1 && calls == max ? 1 : 0);
            aborted.addAndGet(!ok && max > 1 && calls == 1 ? 1 : 0);
          }
          return out;
        }));
    System.out.println("[weft properties]   retries: " + recovered + " tasks recovered by "
        + "retrying, " + exhausted + " failed after maxAttempts, " + aborted + " failed at once "
        + "on a failure their policy does not retry");
  }

  /**
   * With retries, in both failure modes, cancelled by the caller or by interrupting the thread
   * blocked in {@code run}, on every executor: the events of every run keep the listener
   * contract ({@link EventLog#check}: RunStarted first, RunEnded last; per node one NodeEnded
   * whose span is the result's; per attempt one NodeStarted closed by one NodeRetried or the
   * NodeEnded; NodeReady before NodeStarted and after every dependency's NodeEnded), and the
   * critical path is a chain of real edges ending at the last task to end.
   */
  @Test
  void listenerEvents_pairEveryAttempt_followCausality_andMatchTheResult() {
    var bag = new ArrayList<>(RandomDags.FAILING);
    bag.addAll(RandomDags.bag(Behaviour.FLAKY, 4, Behaviour.HANG, 1));
    var events = new AtomicLong();
    var retries = new AtomicLong();
    Cases.forAll(CLASS + "listenerEvents_pairEveryAttempt_followCausality_andMatchTheResult",
        CASES, seed -> trial(seed, bag, 0.15, Mode.values()),
        (dag, params) -> check(dag, params, (w, p, ran) -> List.of(), (log, r) -> {
          var all = log.entries();
          events.addAndGet(all.size());
          retries.addAndGet(all.stream()
              .filter(e -> e.event() instanceof RunEvent.NodeRetried).count());
        }));
    System.out.println("[weft properties]   events: " + events + " delivered, " + retries
        + " of them NodeRetried");
  }

  // ---- generation ----

  private static Trial<Retrying> trial(long seed, List<Behaviour> bag, double retryShare,
      Mode... modes) {
    var rnd = new Random(seed);
    var dag = new RandomDags(rnd, rnd.nextInt(20) == 0 ? 120 : 30, bag).next();
    boolean instant = rnd.nextInt(4) != 0;
    dag = RandomDags.withRetries(dag, rnd, retryShare,
        instant ? INSTANT_MAX_DELAY : REAL_MAX_DELAY);
    var setting = Setting.random(rnd, dag, Exec.values(), modes);
    // fan-outs retry per element (FLAKY elements): what the reference counts per element
    dag = RandomDags.withDataShapes(dag, rnd, SchedulingPropertiesTest.DATA_SHAPES, bag);
    return new Trial<>(seed, RandomDags.fit(dag, setting, rnd), new Retrying(setting, instant));
  }

  // ---- checking ----

  @FunctionalInterface
  private interface Extra {
    List<String> check(WeftDag w, Probe p, Runs.Ran ran) throws Exception;
  }

  @FunctionalInterface
  private interface Observer {
    void saw(EventLog log, RunResult r);
  }

  private static String check(Dag dag, Retrying params, Extra extra) throws Exception {
    return check(dag, params, extra, (log, r) -> {});
  }

  /**
   * Runs {@code dag} once with a recording listener and applies the common invariants and the
   * event checks, then {@code extra} (given a result unless the caller cancelled).
   */
  private static String check(Dag dag, Retrying params, Extra extra, Observer observer)
      throws Exception {
    var s = params.setting();
    if (!s.releasesHangs(dag)) {
      return null; // a shrunk graph whose hangs nothing would release: not a counterexample
    }
    var w = new WeftDag(dag, "retrying");
    var probe = new Probe(dag, s.mode() == Mode.FAIL_FAST, s.trigger(), false);
    var log = new EventLog();
    Scheduler clock = params.instant() ? new InstantScheduler() : Scheduler.system();
    var ran = Runs.run(w, probe, s, s.exec().executor(), 0,
        o -> o.withScheduler(clock).withListener(log));
    var problems = Invariants.afterRun(w, probe, ran, s.mode() == Mode.FAIL_FAST);
    if (problems.isEmpty() && (ran.result() != null || ran.cancelled())) {
      problems.addAll(Invariants.events(w, probe, ran, log));
      observer.saw(log, ran.result());
    }
    if (problems.isEmpty() && ran.result() != null) {
      problems.addAll(extra.check(w, probe, ran));
    }
    return Invariants.report(problems);
  }
}
