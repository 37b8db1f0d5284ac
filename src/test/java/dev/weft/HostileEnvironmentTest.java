package dev.weft;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.LogCapture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A hostile environment: each pluggable part Weft calls fails once per run, at its N-th call, for
 * every N from 1 to past the last call a run makes. The parts: the {@link Scheduler} (a wrapper of
 * the system one whose {@code nanoTime}, {@code schedule} or {@code sleep} throws), the {@link
 * Executor} ({@code execute} throws {@link RejectedExecutionException}; wrapping virtual threads,
 * a pool of 3 platform threads, or the calling thread), the {@link ContextPropagator} ({@code
 * capture}, {@code restore} or the scope's {@code close} throws) and a {@link RunListener} (throws
 * on its N-th event). Every injected throwable is a new instance: an exception for odd N, an
 * {@code Error} for even N, always a {@code RejectedExecutionException} from the executor.
 *
 * <p>The graph: a diamond, a fan-out of five from it (one inline), an inline root (run inside
 * {@code runAsync}), a node with a 5 s timeout, and one with a 10 ms timeout and 3 attempts (the
 * first fails, the second times out, the third succeeds), under a 60 s deadline. It runs plain
 * and failing fast, and, with a task that blocks until interrupted, cancelled by the caller and
 * ended by {@code orTimeout}; a smaller one (a diamond, the blocking task and a task that ignores
 * interrupts) is cut by a 20 ms deadline. Each run checks:
 *
 * <ul>
 *   <li>(a) its future completes within 10 s; {@code runAsync} and {@code cancel} return, or
 *       throw the injected throwable;
 *   <li>(b) no failure is lost: once injected, the throwable reaches the caller, in the result (a
 *       node's error with its causes and suppressed, {@link RunResult#failures()}, {@link
 *       RunResult#listenerFailures()}), or among the causes of the future's failure, which must
 *       then be one {@code IllegalStateException} caused by it ("the Scheduler of run ..." when
 *       the scheduler failed, else "Weft internal error ..."), or thrown
 *       by {@code runAsync} or {@code cancel}. A run that completes normally gives every node
 *       exactly one outcome and one {@code NodeEnded} event, and no failure but the injected one
 *       (the node with retries may exhaust them on a stalled machine). Exempt: a run the caller
 *       cancelled or timed out, which has no result to carry anything, and a call made after the
 *       run had completed, which nothing can carry (these are counted, and printed);
 *   <li>(c) a run that is cancelled (by the caller, {@code orTimeout}, its deadline, or an engine
 *       fault) interrupts its blocking task, as {@link Graph} documents;
 *   <li>(d) {@code runAsync} never returns, or throws, with the caller's thread interrupted.
 * </ul>
 *
 * <p>Every run has its own (virtual) caller thread, so a leaked interrupt or a hung run cannot
 * disturb the others; up to 16 run at once. All problems of a case are reported together, each
 * naming the scenario, the failing part, N, the executor and where in Weft the failing call was
 * made.
 */
class HostileEnvironmentTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** How long a blocking task waits for its interrupt: past {@link #WAIT}, so a hang shows. */
  private static final Duration BLOCKER_CAP = WAIT.plusSeconds(5);
  /** A stubborn task ignores interrupts until its run completes, or this long. */
  private static final Duration STUBBORN_CAP = Duration.ofMillis(100);
  private static final Duration FAR_DEADLINE = Duration.ofSeconds(60);
  private static final Duration NEAR_DEADLINE = Duration.ofMillis(20);
  private static final Duration FLAKY_TIMEOUT = Duration.ofMillis(10);
  private static final int PARALLEL = 16;

  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final AtomicInteger CASES = new AtomicInteger();
  private static final AtomicInteger LATE = new AtomicInteger();
  private static final AtomicInteger LEFT_TIMERS = new AtomicInteger();
  private static final Map<Kind, Set<String>> SITES = new ConcurrentHashMap<>();
  private static final long CLASS_START = System.nanoTime();

  /** The pluggable part that fails, and which of its calls. */
  enum Kind { NANO_TIME, SCHEDULE, SLEEP, EXECUTE, CAPTURE, RESTORE, CLOSE, LISTENER }

  /**
   * How a run ends, and which parts fail in it. The last three count calls from the moment the
   * run is cancelled (its deadline's timer fires; the caller cancels once every task but the
   * blocking one has ended): before, they are a plain run's, and the N-th call is then the same
   * call in every run. Parts never called from then on are left out, and so are a restore and an
   * executor refusal in the deadline's graph: one that the deadline overtakes (on a slow machine)
   * ends its node cancelled, as documented, and could not be told from a lost failure.
   */
  enum Scenario {
    PLAIN(false, false, EnumSet.allOf(Kind.class)),
    FAIL_FAST(false, false, EnumSet.allOf(Kind.class)),
    DEADLINE(true, false, EnumSet.of(Kind.NANO_TIME, Kind.SCHEDULE, Kind.CLOSE, Kind.LISTENER)),
    CANCELLED(true, true, EnumSet.of(Kind.NANO_TIME, Kind.CLOSE, Kind.LISTENER)),
    TIMED_OUT(true, true, EnumSet.of(Kind.NANO_TIME, Kind.CLOSE, Kind.LISTENER));

    final boolean blocker;
    final boolean callerEnds;
    final Set<Kind> kinds;

    Scenario(boolean blocker, boolean callerEnds, Set<Kind> kinds) {
      this.blocker = blocker;
      this.callerEnds = callerEnds;
      this.kinds = kinds;
    }

    boolean countsFromStart() {
      return this == PLAIN || this == FAIL_FAST;
    }
  }

  /** What the executor wraps. */
  enum Exec {
    VIRTUAL("virtual-thread"), POOL("platform-pool"), CALLER("caller-runs");

    final String label;

    Exec(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** What the node with retries throws itself. */
  static final class FlakyAttempt extends IOException {
    FlakyAttempt(String message) {
      super(message);
    }
  }

  /** Thrown by a hostile part for odd N. */
  static final class InjectedException extends RuntimeException {
    InjectedException(String message) {
      super(message);
    }
  }

  /** Thrown by a hostile part for even N. */
  static final class InjectedError extends Error {
    InjectedError(String message) {
      super(message);
    }
  }

  static Stream<Arguments> cases() {
    var cases = Stream.<Arguments>builder();
    for (var scenario : Scenario.values()) {
      for (var kind : Kind.values()) {
        for (var exec : Exec.values()) {
          if (scenario.callerEnds && exec == Exec.CALLER) {
            continue; // runAsync returns a completed future: nothing left to cancel
          }
          if (scenario.kinds.contains(kind)) {
            cases.add(Arguments.of(scenario, kind, exec));
          }
        }
      }
    }
    return cases.build();
  }

  /**
   * One case: a run without a fault counts the calls of the part, then runs fail it at call 1, 2,
   * ... up to twice that count plus 3, so the last ones are never reached.
   */
  @ParameterizedTest(name = "{0}, {1} fails, {2}")
  @MethodSource("cases")
  void everyRunCompletes_andNoInjectedFailureIsLost(Scenario scenario, Kind kind, Exec exec)
      throws Exception {
    CASES.incrementAndGet();
    try (var logs = new LogCapture()) { // listener failures are logged once per run: keep quiet
      var counting = new Trial(scenario, kind, exec, 0);
      runAll(List.of(counting));
      int bound = 2 * counting.calls.get() + 3;
      var trials = IntStream.rangeClosed(1, bound)
          .mapToObj(n -> new Trial(scenario, kind, exec, n)).toList();
      runAll(trials);

      var problems = new ArrayList<>(counting.problems);
      trials.forEach(t -> problems.addAll(t.problems));
      var last = trials.get(trials.size() - 1);
      if (last.calls.get() >= last.n) {
        problems.add(last.prefix() + "the bound is too small: this run made " + last.calls.get()
            + " calls, the fault-free one " + counting.calls.get());
      }
      assertTrue(problems.isEmpty(), () -> problems.size() + " problem(s) in " + (bound + 1)
          + " runs of " + scenario + ", " + kind + " failing, " + exec + ":\n  "
          + String.join("\n  ", problems.subList(0, Math.min(problems.size(), 25))));
    }
  }

  @AfterAll
  static void printFigures() {
    var sites = new StringBuilder();
    SITES.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sites
        .append(String.format("%n  %-9s failed at %s", e.getKey(), String.join(", ",
            new TreeSet<>(e.getValue())))));
    System.out.printf("[weft hostile] %,d runs in %d cases, %.1f s; %d faults injected after their"
        + " run had completed (nothing could carry them); %d runs failed by an engine fault still"
        + " had their deadline's timer pending (cancelled by the test)%s%n", RUNS.get(),
        CASES.get(), (System.nanoTime() - CLASS_START) / 1e9, LATE.get(), LEFT_TIMERS.get(),
        sites);
  }

  /** Runs every trial on its own virtual thread, {@link #PARALLEL} at a time, and waits. */
  private static void runAll(List<Trial> trials) throws InterruptedException {
    var permits = new Semaphore(PARALLEL);
    var threads = new ArrayList<Thread>();
    long bound = WAIT.multipliedBy(6).toNanos();
    for (var trial : trials) {
      if (!permits.tryAcquire(bound, NANOSECONDS)) {
        trial.problem("the test could not start this run: " + PARALLEL + " runs stuck for "
            + Duration.ofNanos(bound).toSeconds() + " s");
        threads.add(null);
        continue;
      }
      threads.add(Thread.ofVirtual().name("hostile-caller-" + trial.n).start(() -> {
        try {
          trial.run();
        } finally {
          permits.release();
        }
      }));
    }
    long until = System.nanoTime() + bound;
    for (int i = 0; i < threads.size(); i++) {
      var thread = threads.get(i);
      if (thread != null
          && !thread.join(Duration.ofNanos(Math.max(1, until - System.nanoTime())))) {
        trials.get(i).problem("the test's caller thread is stuck: " + thread);
      }
    }
  }

  /** One run, with its hostile parts, its checks and its problems. */
  private static final class Trial {
    final Scenario scenario;
    final Kind kind;
    final Exec exec;
    /** Which call of {@link #kind} throws; 0 for none. */
    final int n;
    final AtomicInteger calls = new AtomicInteger();
    /** Written by the trial's thread, or by the test's after the thread ended. */
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    final List<Node<?>> nodes = new ArrayList<>();
    final Map<String, AtomicInteger> nodeEnded = new ConcurrentHashMap<>();
    final List<Future<?>> timers = new CopyOnWriteArrayList<>();
    /** Counted down once every task but the blocker has ended. */
    final CountDownLatch quiet = new CountDownLatch(1);
    final AtomicInteger othersEnded = new AtomicInteger();
    final CountDownLatch blockerEnded = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean blockerStarted;
    volatile boolean blockerInterrupted;
    volatile Throwable injected;
    /** Whether the fault was injected after the run had completed (RunEnded, or future done). */
    volatile boolean injectedLate;
    volatile boolean runEnded;
    /** Whether calls count towards {@link #n} yet; see {@link Scenario}. */
    volatile boolean counting;
    volatile CompletableFuture<RunResult> future;
    ExecutorService pool;

    Trial(Scenario scenario, Kind kind, Exec exec, int n) {
      this.scenario = scenario;
      this.kind = kind;
      this.exec = exec;
      this.n = n;
      this.counting = scenario.countsFromStart();
    }

    String prefix() {
      return scenario + ", " + kind + " fails at call #" + n + ", " + exec + ": ";
    }

    void problem(String what) {
      problems.add(prefix() + what);
    }

    /** Counts a call of {@code part}; throws a new throwable if it is the chosen call. */
    void hit(Kind part) {
      if (part != kind || !counting || calls.incrementAndGet() != n) {
        return;
      }
      var what = "injected " + kind + " failure at call #" + n + " (" + exec + ")";
      Throwable fault = kind == Kind.EXECUTE ? new RejectedExecutionException(what)
          : n % 2 == 0 ? new InjectedError(what) : new InjectedException(what);
      injectedLate = completed();
      injected = fault;
      if (fault instanceof RuntimeException e) {
        throw e;
      }
      throw (Error) fault;
    }

    boolean completed() {
      var f = future;
      return runEnded || f != null && f.isDone();
    }

    // ---- the hostile parts ----

    final Scheduler scheduler = new Scheduler() {
      @Override
      public long nanoTime() {
        hit(Kind.NANO_TIME);
        return Scheduler.system().nanoTime();
      }

      @Override
      public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
        hit(Kind.SCHEDULE);
        // With a near deadline, counting starts when its timer fires: the first a run sets.
        Runnable deadline = () -> {
          counting = true;
          action.run();
        };
        var timer = Scheduler.system().schedule(
            scenario == Scenario.DEADLINE && !counting ? deadline : action, delay, unit);
        timers.add(timer);
        return timer;
      }

      @Override
      public void sleep(long delay, TimeUnit unit) throws InterruptedException {
        hit(Kind.SLEEP);
        Scheduler.system().sleep(delay, unit);
      }
    };

    final ContextPropagator propagator = new ContextPropagator() {
      @Override
      public Object capture() {
        hit(Kind.CAPTURE);
        return "context";
      }

      @Override
      public Scope restore(Object captured) {
        hit(Kind.RESTORE);
        return () -> hit(Kind.CLOSE);
      }
    };

    Executor executor() {
      return switch (exec) {
        case VIRTUAL -> task -> {
          hit(Kind.EXECUTE);
          Thread.startVirtualThread(task);
        };
        case POOL -> {
          pool = java.util.concurrent.Executors.newFixedThreadPool(3,
              Thread.ofPlatform().name("hostile-pool-", 0).daemon(true).factory());
          yield task -> {
            hit(Kind.EXECUTE);
            pool.execute(task);
          };
        }
        case CALLER -> task -> {
          hit(Kind.EXECUTE);
          task.run();
        };
      };
    }

    /** Registered first, so that its failure on RunEnded counts as before completion. */
    void hostileListener(RunEvent event) {
      hit(Kind.LISTENER);
    }

    void recorder(RunEvent event) {
      if (event instanceof RunEvent.NodeEnded e) {
        nodeEnded.computeIfAbsent(e.node(), k -> new AtomicInteger()).incrementAndGet();
        if (!e.node().equals("blocker") && othersEnded.incrementAndGet() == nodes.size() - 1) {
          quiet.countDown();
        }
      } else if (event instanceof RunEvent.RunEnded) {
        runEnded = true;
      }
    }

    // ---- the graphs ----

    Graph graph() {
      var options = RunOptions.defaults()
          .withExecutor(executor())
          .withScheduler(scheduler)
          .withPropagator(propagator)
          .withListener(this::hostileListener)
          .withListener(this::recorder)
          .withDeadline(scenario == Scenario.DEADLINE ? NEAR_DEADLINE : FAR_DEADLINE)
          .withFailureMode(scenario == Scenario.FAIL_FAST ? FailureMode.FAIL_FAST
              : FailureMode.CONTINUE);
      var g = Graph.builder("hostile-" + scenario.name().toLowerCase(java.util.Locale.ROOT));
      Node<String> a = add(g.task("a", () -> "a"));
      Node<String> b = add(g.task("b", a, x -> x + "b"));
      Node<String> c = add(g.task("c", a, x -> x + "c"));
      Node<String> d = add(g.task("d", b, c, (x, y) -> x + y));
      if (scenario == Scenario.DEADLINE) {
        // No policies here: a fault inside an attempt that the deadline overtakes would end the
        // node cancelled, as documented, and could not be told from a lost one.
        add(g.task("stubborn", this::stubborn));
      } else {
        for (int i = 1; i <= 5; i++) {
          var fan = g.node("fan" + i);
          if (i == 5) {
            fan.inline(); // runs on the thread that ended d
          }
          String suffix = "-" + i;
          add(fan.call(d, x -> x + suffix));
        }
        add(g.node("cheap").inline().call(() -> "cheap")); // runs inside runAsync
        add(g.node("timed").timeout(Duration.ofSeconds(5)).call(() -> "timed"));
        add(g.node("flaky").timeout(FLAKY_TIMEOUT)
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(1))
                .retryOn(IOException.class, NodeTimeoutException.class))
            .call(List.of(), HostileEnvironmentTest::flaky));
      }
      if (scenario.blocker) {
        add(g.task("blocker", this::block));
      }
      return g.options(options).build();
    }

    private <T> Node<T> add(Node<T> node) {
      nodes.add(node);
      return node;
    }

    String block() throws InterruptedException {
      blockerStarted = true;
      try {
        return release.await(BLOCKER_CAP.toNanos(), NANOSECONDS) ? "released by the test"
            : "never interrupted";
      } catch (InterruptedException e) {
        blockerInterrupted = true;
        throw e;
      } finally {
        blockerEnded.countDown();
      }
    }

    String stubborn() {
      long until = System.nanoTime() + STUBBORN_CAP.toNanos();
      while (!completed() && System.nanoTime() - until < 0) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException ignored) {
          // stubborn: it ignores the deadline's interrupt, to be cut off as a straggler
        }
      }
      return "stubborn";
    }

    // ---- the run and its checks ----

    void run() {
      RUNS.incrementAndGet();
      try {
        exercise();
      } catch (Throwable t) {
        problem("the test itself failed: " + describe(t));
      } finally {
        release.countDown();
        if (pool != null) {
          pool.shutdown();
        }
        for (var timer : timers) {
          timer.cancel(false); // no timer of a finished trial may fire during later tests
        }
      }
    }

    private void exercise() throws Exception {
      var graph = graph();
      CompletableFuture<RunResult> f;
      try {
        f = graph.runAsync(Inputs.empty());
      } catch (Throwable t) {
        callerNotInterrupted("threw");
        var fault = injected;
        note(fault);
        if (fault == null || !causes(t).contains(fault)) {
          problem("(a) runAsync threw " + describe(t) + ", which is not the injected fault"
              + (fault == null ? " (none was injected)" : " " + describe(fault)));
        }
        return;
      }
      callerNotInterrupted("returned");
      future = f;

      boolean endedByCaller = false;
      Throwable cancelThrew = null;
      if (scenario.callerEnds) {
        // nothing fails before: wait until only the blocker runs, then count from the cancel
        if (!quiet.await(WAIT.toNanos(), NANOSECONDS) || !blockerStarted || f.isDone()) {
          problem("the test's run did not get to its blocking task alone in " + WAIT.toSeconds()
              + " s; done: " + f.isDone());
          return;
        }
        endedByCaller = true;
        counting = true;
        if (scenario == Scenario.CANCELLED) {
          try {
            f.cancel(true);
            if (!f.isDone()) {
              problem("(a) cancel returned before the run ended");
            }
          } catch (Throwable t) {
            cancelThrew = t;
          }
        } else {
          f.orTimeout(1, MILLISECONDS);
        }
      }

      RunResult result = null;
      Throwable failure = null;
      try {
        result = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        problem("(a) the run's future did not complete in " + WAIT.toSeconds() + " s"
            + (cancelThrew != null ? " after cancel threw " + describe(cancelThrew) : "")
            + injectedSoFar());
      } catch (ExecutionException e) {
        failure = e.getCause();
      } catch (CancellationException e) {
        failure = e;
      }

      if (blockerStarted) {
        boolean ended = f.isDone() ? blockerEnded.await(WAIT.toNanos(), NANOSECONDS)
            : blockerEnded.getCount() == 0;
        if (!ended || !blockerInterrupted) {
          String how = !endedByCaller ? "cut by its deadline"
              : scenario == Scenario.CANCELLED ? "cancelled by its caller" : "ended by orTimeout";
          problem("(c) the run was " + how + ", yet its task 'blocker' was "
              + (ended ? "never interrupted" : "still blocked") + injectedSoFar());
        }
      }
      if (!f.isDone()) {
        return; // (a) is reported
      }
      var fault = injected;
      note(fault);
      if (cancelThrew != null && (fault == null || !causes(cancelThrew).contains(fault))) {
        problem("(a) cancel threw " + describe(cancelThrew) + ", not the injected fault");
      }
      boolean reached = fault != null && !injectedLate;
      if (result != null) {
        judgeResult(result, fault, reached);
      } else if (endedByCaller && (failure instanceof CancellationException
          || failure instanceof TimeoutException)) {
        return; // the caller gave up the result, and with it the failures in it
      } else if (fault == null || !causes(failure).contains(fault)) {
        problem("(b) the future failed with " + describe(failure) + ", which does not carry "
            + (fault == null ? "anything injected: nothing was"
            : "the injected " + describe(fault)));
      } else if (!(failure instanceof IllegalStateException)
          || !String.valueOf(failure.getMessage()).startsWith(faultPrefix())
          || failure.getCause() != fault) {
        problem("(b) the future failed with " + describe(failure) + " instead of an"
            + " IllegalStateException \"" + faultPrefix() + " ...\" caused by the injected fault");
      }
    }

    /** {@return how the future's failure starts: it names the scheduler when that failed} */
    private String faultPrefix() {
      return kind == Kind.NANO_TIME || kind == Kind.SCHEDULE || kind == Kind.SLEEP
          ? "the Scheduler of run " : "Weft internal error";
    }

    private void judgeResult(RunResult result, Throwable fault, boolean reached) {
      var failures = new ArrayList<Throwable>();
      for (var node : nodes) {
        Outcome<?> outcome;
        try {
          outcome = result.outcome(node);
        } catch (RuntimeException e) {
          problem("(b) node '" + node.name() + "' has no outcome: " + describe(e));
          continue;
        }
        if (outcome instanceof Outcome.Failed<?> failed) {
          failures.add(failed.error());
        } else if (outcome instanceof Outcome.Skipped<?> skipped) {
          failures.add(skipped.error());
        }
        var events = nodeEnded.get(node.name());
        if (events == null || events.get() != 1) {
          problem("(b) node '" + node.name() + "' ended " + outcome + " with "
              + (events == null ? 0 : events.get()) + " NodeEnded events, not 1");
        }
      }
      result.failures().forEach(f -> failures.add(f.error()));
      failures.addAll(result.listenerFailures());
      // flaky may exhaust its retries on a stalled machine (each attempt has 10 ms)
      failures.removeIf(f -> f instanceof FlakyAttempt
          || f instanceof NodeTimeoutException t && t.node().equals("flaky"));
      var everything = causes(failures);
      if (reached && !everything.contains(fault)) {
        problem("(b) the injected " + describe(fault) + " is lost: the run completed normally"
            + " and it is in no outcome, failures() or listenerFailures(); result " + result);
      }
      for (var failure : failures) {
        if (fault == null || !causes(List.of(failure)).contains(fault)) {
          problem("(b) the run failed something not injected: " + describe(failure));
        }
      }
    }

    private void callerNotInterrupted(String how) {
      if (Thread.interrupted()) {
        problem("(d) runAsync " + how + " with the caller's thread interrupted" + injectedSoFar());
      }
    }

    private String injectedSoFar() {
      var fault = injected;
      return fault == null ? "; nothing injected yet" : "; injected " + site(fault)
          + (injectedLate ? " after the run had completed" : "");
    }

    /** Counts where, and how late, a fault was injected. */
    private void note(Throwable fault) {
      if (fault == null) {
        return;
      }
      SITES.computeIfAbsent(kind, k -> ConcurrentHashMap.newKeySet()).add(site(fault));
      if (injectedLate) {
        LATE.incrementAndGet();
      }
      if (!timers.isEmpty() && !timers.get(0).isDone() && future != null
          && future.isCompletedExceptionally() && !scenario.callerEnds) {
        LEFT_TIMERS.incrementAndGet(); // the deadline's timer is the first a run sets
      }
    }
  }

  /** Attempt 1 fails, attempt 2 blocks until its timeout interrupts it, attempt 3 succeeds. */
  private static String flaky(TaskContext ctx) throws Exception {
    return switch (ctx.attempt()) {
      case 1 -> throw new FlakyAttempt("the first attempt fails");
      case 2 -> {
        Thread.sleep(5_000);
        throw new FlakyAttempt("the attempt's timeout did not interrupt it");
      }
      default -> "flaky";
    };
  }

  /** {@return every throwable reachable from {@code roots} through causes and suppressed} */
  private static Set<Throwable> causes(Collection<? extends Throwable> roots) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    var todo = new ArrayDeque<Throwable>();
    roots.forEach(t -> {
      if (t != null) {
        todo.push(t);
      }
    });
    while (!todo.isEmpty()) {
      var t = todo.pop();
      if (!seen.add(t)) {
        continue;
      }
      if (t.getCause() != null) {
        todo.push(t.getCause());
      }
      for (var s : t.getSuppressed()) {
        todo.push(s);
      }
    }
    return seen;
  }

  private static Set<Throwable> causes(Throwable root) {
    return causes(root == null ? List.of() : List.of(root));
  }

  /** {@return where in Weft the call that threw {@code fault} was made} */
  private static String site(Throwable fault) {
    for (var frame : fault.getStackTrace()) {
      var cls = frame.getClassName();
      if (cls.startsWith("dev.weft.") && !cls.startsWith(HostileEnvironmentTest.class.getName())) {
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + frame.getMethodName() + ":"
            + frame.getLineNumber();
      }
    }
    return "outside Weft";
  }

  private static String describe(Throwable t) {
    if (t == null) {
      return "null";
    }
    var text = new StringBuilder(t.toString());
    for (var c = t.getCause(); c != null && text.length() < 400; c = c.getCause()) {
      text.append(" <- ").append(c);
    }
    if (t instanceof InjectedException || t instanceof InjectedError
        || t instanceof RejectedExecutionException) {
      text.append(" from ").append(site(t));
    }
    return text.toString();
  }
}
