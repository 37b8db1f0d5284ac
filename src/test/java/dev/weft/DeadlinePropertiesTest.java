package dev.weft;

import dev.weft.testing.Behaviour;
import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.EventLog;
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
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Run deadlines over random seeded graphs whose tasks sleep, nap for milliseconds, block, hang
 * until interrupted, ignore interruption for up to 100 ms ({@link Behaviour#STUBBORN}), return
 * their value when interrupted ({@link Behaviour#RETURN_ON_INTERRUPT}), fail, or fail and retry:
 * with a real deadline of 20 to 80 ms, the run completes within the straggler grace plus a generous
 * slack, every node ends once, the stragglers are all the tasks still running when the run
 * completed, cut off no earlier than the grace's end (see {@link #stragglers}), and {@code
 * deadlineExceeded()} agrees with the cancellations. The cases wait for real time, so {@link
 * #AT_ONCE} run at a time; lateness is recorded and printed ({@link Lateness}).
 */
class DeadlinePropertiesTest {
  private static final int CASES = Cases.count(1000);
  /** Cases at a time ({@code -Dweft.deadline.threads}): they mostly wait for real time. */
  static final int AT_ONCE = Integer.getInteger("weft.deadline.threads", 16);
  private static final String WHERE =
      "DeadlinePropertiesTest#deadlineRuns_completeInTime_andCutOffExactlyTheStragglers";
  /** The bound asserted in CI, over the grace: generous, for a loaded 2-core machine. */
  static final Duration SLACK = Duration.ofSeconds(1);
  /** The straggler grace {@link RunOptions#withDeadline} documents. */
  private static final long GRACE = TimeUnit.MILLISECONDS.toNanos(10);
  static final List<Behaviour> DEADLINED = RandomDags.bag(
      Behaviour.RETURN, 6, Behaviour.RETURN_NULL, 1, Behaviour.SLEEP, 2, Behaviour.NAP, 3,
      Behaviour.BLOCK, 1, Behaviour.IGNORE_INTERRUPT, 1, Behaviour.STUBBORN, 3,
      Behaviour.HANG, 2, Behaviour.THROW_UNCHECKED, 1, Behaviour.FLAKY, 2,
      Behaviour.RESTORE_INTERRUPT, 1, Behaviour.RETURN_ON_INTERRUPT, 2, Behaviour.THROW_OPAQUE, 1);
  private static final Exec[] CONCURRENT = {Exec.DEFAULT, Exec.VIRTUAL, Exec.PLATFORM_POOL};

  /**
   * Everything about a deadline case besides its graph.
   *
   * @param exec the executor (a platform pool is the case's own, of 4 threads)
   * @param failFast whether the run fails fast
   * @param deadline the run's deadline
   */
  record Deadlined(Exec exec, boolean failFast, Duration deadline) {
    @Override
    public String toString() {
      return exec + ", " + (failFast ? "FAIL_FAST" : "CONTINUE") + ", deadline "
          + deadline.toMillis() + " ms";
    }
  }

  @Test
  void deadlineRuns_completeInTime_andCutOffExactlyTheStragglers() throws Exception {
    var lateness = new Lateness();
    Cases.forAllConcurrently(WHERE, CASES, AT_ONCE, DeadlinePropertiesTest::trial,
        (dag, d) -> Invariants.report(deadlineRun(dag, d, lateness)));
    System.out.println("[weft properties]   deadlines: " + lateness);
  }

  static Trial<Deadlined> trial(long seed) {
    var rnd = new Random(seed);
    var dag = new RandomDags(rnd, 20, DEADLINED).next();
    dag = RandomDags.withRetries(dag, rnd, 0.15, 20_000);
    // hanging and stubborn elements, and tasks inside subgraphs, are cut off as node[i], node/...
    dag = RandomDags.withDataShapes(dag, rnd, SchedulingPropertiesTest.DATA_SHAPES,
        DEADLINED);
    return new Trial<>(seed, dag, new Deadlined(CONCURRENT[rnd.nextInt(CONCURRENT.length)],
        rnd.nextInt(3) == 0, Duration.ofMillis(20 + rnd.nextInt(61))));
  }

  /** Runs {@code dag} once with its deadline, records its lateness; {@return the violations} */
  static List<String> deadlineRun(Dag dag, Deadlined d, Lateness lateness) throws Exception {
    ExecutorService pool = d.exec() == Exec.PLATFORM_POOL
        ? java.util.concurrent.Executors.newFixedThreadPool(4) : null;
    try {
      var tracking = new Executors.Tracking(pool != null ? pool : d.exec().executor());
      var w = new WeftDag(dag, "deadline");
      var probe = new Probe(dag, d.failFast(), -1, false);
      var log = new EventLog();
      var setting = new Setting(d.exec(), d.failFast() ? Mode.FAIL_FAST : Mode.CONTINUE, -1);
      var ran = Runs.run(w, probe, setting, tracking, 0,
          o -> o.withDeadline(d.deadline()).withListener(log));
      var out = new ArrayList<String>();
      if (ran.problem() != null) {
        return List.of(ran.problem());
      }
      var r = ran.result();
      long late = ran.latenessNanos(d.deadline());
      lateness.add(late, r);
      lateness.ignoring((int) r.stragglers().keySet().stream().filter(name -> dag.nodes()
          .stream().anyMatch(s -> s.name().equals(name) && s.behaviour().ignoresInterrupts()))
          .count());
      lateness.returnedInterrupted((int) IntStream.range(0, dag.size())
          .filter(probe::returnedInterrupted).count());
      if (late > GRACE + SLACK.toNanos()) {
        out.add(String.format("the run completed %.1f ms after its deadline", late / 1e6));
      }
      out.addAll(stragglers(w, probe, ran, d.deadline(), d.failFast()));
      if (!probe.awaitIdle(TimeUnit.SECONDS.toMillis(Probe.BOUND_SECONDS))) {
        out.add(probe.running() + " task bodies still running " + Probe.BOUND_SECONDS
            + " s after the run completed");
        return out;
      }
      out.addAll(Invariants.afterRun(w, probe, ran, d.failFast()));
      out.addAll(deadlineExceeded(w, r, ran, d.deadline(), log));
      out.addAll(Invariants.valuesFollowFromDependencies(w, r, ReferenceExecutor.run(dag)));
      if (out.isEmpty()) {
        out.addAll(Invariants.events(w, probe, ran, log));
      }
      if (!tracking.awaitVirtualThreadsTerminated(Probe.BOUND_SECONDS)) {
        out.add("virtual task threads alive " + Probe.BOUND_SECONDS + " s after the run");
      }
      return out;
    } finally {
      if (pool != null) {
        pool.shutdownNow();
        if (!pool.awaitTermination(Probe.BOUND_SECONDS, TimeUnit.SECONDS)) {
          throw new AssertionError("a case's pool did not terminate");
        }
      }
    }
  }

  /**
   * The stragglers are exactly the tasks whose bodies still ran when the run completed, each
   * cancelled with its thread; a run with stragglers completed no earlier than its cancellation
   * (its deadline, or a fail-fast failure) plus the grace; and no task whose body ended in the
   * first half of the time to that cancellation, and 10 ms or more before it, is a straggler.
   *
   * <p>Why not "only tasks whose bodies ran until the grace ran out": a body's end is recorded
   * inside the body, and the engine learns of it only when the task's thread gets back to it. On a
   * loaded 2-core machine a thread interrupted at the deadline can wait longer than the 10 ms grace
   * for a core (CI saw 10 ms between the two), and the engine rightly reports it as a straggler:
   * its thread was still held when the grace ran out. The bounds kept here hold whatever the
   * scheduling latency, save a stall of half the deadline (10 to 40 ms) plus the grace.
   */
  static List<String> stragglers(WeftDag w, Probe p, Runs.Ran ran, Duration deadline) {
    return stragglers(w, p, ran, deadline, false);
  }

  /** {@link #stragglers}, of a run that fails fast if {@code failFast} ({@link #cancelledAt}). */
  static List<String> stragglers(WeftDag w, Probe p, Runs.Ran ran, Duration deadline,
      boolean failFast) {
    var dag = w.dag();
    var out = new ArrayList<String>();
    var stragglers = ran.result().stragglers();
    long cancelledAt = cancelledAt(w, ran.result(), deadline, failFast);
    if (!stragglers.isEmpty() && ran.completedNanos() != 0
        && ran.completedNanos() - ran.startedNanos() < cancelledAt + GRACE) {
      out.add(String.format("stragglers %s were cut off %.1f ms after the start, before the "
          + "grace after the cancellation at %.1f ms ran out", stragglers.keySet(),
          (ran.completedNanos() - ran.startedNanos()) / 1e6, cancelledAt / 1e6));
    }
    // ended at least half the time to the cancellation before it, and at least 10 ms (a stall
    // a loaded machine shows: a fail-fast failure can cancel 3 ms after the start)
    long early = ran.startedNanos() + cancelledAt
        - Math.max(cancelledAt / 2, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10));
    for (int v = 0; v < dag.size(); v++) {
      if (p.hedged(v)) {
        continue; // its calls overlap: the probe cannot tell when the last ended (HedgeInvariants)
      }
      var name = dag.spec(v).name();
      long end = p.end(v);
      boolean runningAtCompletion = p.calls(v) > 0 && (end == 0 || end > ran.completedTick());
      boolean straggler = stragglers.containsKey(name);
      if (runningAtCompletion && !straggler) {
        out.add(name + " (" + dag.spec(v).behaviour() + ") still ran when the run completed, "
            + "yet is not listed among the stragglers " + stragglers.keySet());
      }
      if (straggler && stragglers.get(name) == null) {
        out.add("straggler " + name + " without its thread");
      }
      long endNanos = p.endNanos(v);
      // a fan-out or subgraph node has no body of its own: what runs inside holds its thread
      // (a straggler cut off before its body's first line has no end: calls 0)
      if (straggler && !runningAtCompletion && p.calls(v) > 0 && endNanos != 0
          && endNanos < early && dag.spec(v).hasBody()) {
        out.add(String.format("%s (%s) is listed as a straggler, yet its body ended %.1f ms "
            + "after the start, in the first half of the deadline", name,
            dag.spec(v).behaviour(), (endNanos - ran.startedNanos()) / 1e6));
      }
    }
    return out;
  }

  /**
   * {@return when, since the start, the run was cancelled at the earliest: at its deadline, or,
   * failing fast, when a failed node ended} Stragglers are cut off a grace after it. It failed
   * fast if a node was cancelled for it, or, in a run that fails fast ({@code failFast}), if a
   * node failed that no optional edge absorbs: the nodes it cancelled may all have ended
   * otherwise (a subgraph node whose output had succeeded, its inner stragglers cut off).
   */
  static long cancelledAt(WeftDag w, RunResult r, Duration deadline, boolean failFast) {
    long at = deadline.toNanos();
    for (var span : r.spans()) {
      if (span.outcome() instanceof Outcome.Failed<?>) {
        at = Math.min(at, span.ended().toNanos());
      }
    }
    boolean failedFast = false;
    for (int v = 0; v < w.dag().size(); v++) {
      var o = r.outcome(w.node(v));
      if (o instanceof Outcome.Cancelled<?> c && c.reason().startsWith("the run failed fast")
          || failFast && o instanceof Outcome.Failed<?> && !w.dag().absorbs(v)) {
        failedFast = true;
      }
    }
    return failedFast ? at : deadline.toNanos();
  }

  /**
   * {@code deadlineExceeded()} is true if a node was cancelled by the deadline or cut off, and
   * only if the deadline really passed: not when the run completed before it, nor without a
   * cancellation unless the run took its full deadline; it reads the same as when RunEnded was
   * delivered.
   */
  static List<String> deadlineExceeded(WeftDag w, RunResult r, Runs.Ran ran, Duration deadline,
      EventLog log) {
    var out = new ArrayList<String>();
    var cancelled = new ArrayList<String>();
    for (int v = 0; v < w.dag().size(); v++) {
      if (r.outcome(w.node(v)) instanceof Outcome.Cancelled<?> c
          && c.reason().contains("deadline")) {
        cancelled.add(c.node());
      }
    }
    boolean exceeded = r.deadlineExceeded();
    if (!cancelled.isEmpty() && !exceeded) {
      out.add("deadlineExceeded() is false, yet the deadline cancelled " + cancelled);
    }
    if (exceeded && cancelled.isEmpty() && r.elapsed().compareTo(deadline) < 0) {
      out.add("deadlineExceeded() is true, yet nothing was cancelled and the run took "
          + r.elapsed() + " of its " + deadline);
    }
    if (exceeded && ran.completedNanos() - ran.startedNanos() < deadline.toNanos()) {
      out.add("deadlineExceeded() is true, yet the run completed before its deadline");
    }
    var cutByDeadline = new ArrayList<String>();
    for (var name : r.stragglers().keySet()) {
      if (cancelled.contains(name)) {
        cutByDeadline.add(name);
      }
    }
    if (!exceeded && !cutByDeadline.isEmpty()) {
      out.add("stragglers " + cutByDeadline + " cut off at the deadline without "
          + "deadlineExceeded()");
    }
    if (!Objects.equals(log.deadlineExceededAtEnd(), exceeded)) {
      out.add("deadlineExceeded() was " + log.deadlineExceededAtEnd() + " when RunEnded was "
          + "delivered, " + exceeded + " once the run completed");
    }
    return out;
  }

  /** Lateness of runs past their deadline, and straggler counts; from any number of threads. */
  static final class Lateness {
    private final List<Long> nanos = new ArrayList<>();
    private long exceeded;
    private long stragglers;
    private long ignoring;
    private long returnedInterrupted;

    synchronized void add(long lateNanos, RunResult r) {
      nanos.add(lateNanos);
      exceeded += r.deadlineExceeded() ? 1 : 0;
      stragglers += r.stragglers().size();
    }

    synchronized void ignoring(int n) {
      ignoring += n;
    }

    synchronized void returnedInterrupted(int n) {
      returnedInterrupted += n;
    }

    /** {@return how many runs completed more than {@code millis} after their deadline} */
    synchronized long laterThan(long millis) {
      return nanos.stream().filter(n -> n > millis * 1_000_000).count();
    }

    synchronized long runs() {
      return nanos.size();
    }

    @Override
    public synchronized String toString() {
      var sorted = nanos.stream().sorted().toList();
      if (sorted.isEmpty()) {
        return "no runs";
      }
      var late = sorted.stream().filter(n -> n > 0).toList();
      return String.format("%d runs, %d exceeded their deadline, %d stragglers cut off (%d of "
          + "them tasks that ignore interrupts), %d tasks returned their value when interrupted; "
          + "completion after the deadline: median %.1f ms, p99 %.1f ms, max %.1f ms (of the runs "
          + "that exceeded it); %d runs missed their deadline by more than 50 ms", sorted.size(),
          exceeded, stragglers, ignoring, returnedInterrupted, millis(late, 0.5),
          millis(late, 0.99), millis(late, 1), laterThan(50));
    }

    private static double millis(List<Long> sorted, double q) {
      return sorted.isEmpty() ? 0
          : sorted.get((int) Math.min(sorted.size() - 1, q * sorted.size())) / 1e6;
    }
  }
}
