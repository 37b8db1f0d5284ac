package dev.weft;

import static dev.weft.HedgeFigures.fmt2;
import static dev.weft.HedgeFigures.printTable;

import dev.weft.FigureClocks.LatenessProbe;
import dev.weft.FigureClocks.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link HedgeFigures}' {@code budget} mode: what a {@link RetryBudget} lets through when every
 * call fails (on a manual clock) and when every call is too slow (in real time).
 */
final class BudgetFigures {
  private BudgetFigures() {}

  // ---- every call fails; a manual clock ----

  /** A downstream that fails every call at once, counting calls per request and by kind. */
  static final class Down {
    final int[] perRequest;
    final LongAdder retries = new LongAdder();
    final LongAdder hedges = new LongAdder();
    volatile int request;

    Down(int requests) {
      this.perRequest = new int[requests];
    }

    String call() throws IOException {
      var ctx = TaskContext.current();
      synchronized (this) {
        perRequest[request]++;
      }
      if (ctx.hedge() > 0) {
        hedges.increment();
      } else if (ctx.attempt() > 1) {
        retries.increment();
      }
      throw new IOException("down");
    }
  }

  static void budgetOnAManualClock(int seconds) {
    int perSecond = 100;
    int requests = seconds * perSecond;
    System.out.printf(Locale.ROOT, "every call fails; %d requests, %d/s for %d s on a manual"
        + " clock; RetryPolicy.fixed(3, 0); budget: Finagle's defaults%n%n", requests,
        perSecond, seconds);
    var rows = new ArrayList<String[]>();
    rows.add(new String[] {"node", "calls / request", "extra calls", "of which retries / hedges",
        "refused", "extra per 10 s window", "worst budget window: extra / allowed",
        "worst sliding 10 s (10 ms steps)"});
    for (boolean hedged : new boolean[] {false, true}) {
      for (boolean budgeted : new boolean[] {false, true}) {
        var clock = new ManualClock();
        var budget = budgeted ? RetryBudget.builder("x").scheduler(clock).build() : null;
        var down = new Down(requests);
        var g = Graph.builder("outage");
        var node = g.node("search").retry(RetryPolicy.fixed(3, Duration.ZERO));
        if (hedged) {
          node.hedge(HedgePolicy.after(Duration.ofMillis(5)));
        }
        if (budget != null) {
          node.retryBudget(budget);
        }
        node.call(down::call);
        var graph = g.build();
        long succeeded = 0;
        for (int i = 0; i < requests; i++) {
          down.request = i;
          if (graph.run(Inputs.empty(), o -> o.withScheduler(clock)).succeeded()) {
            succeeded++;
          }
          clock.advance(Duration.ofMillis(1000 / perSecond));
        }
        long calls = Arrays.stream(down.perRequest).asLongStream().sum();
        long extra = calls - requests;
        var perWindow = new StringBuilder();
        for (int w = 0; w + 10 * perSecond <= requests; w += 10 * perSecond) {
          long e = 0;
          for (int i = w; i < w + 10 * perSecond; i++) {
            e += down.perRequest[i] - 1;
          }
          perWindow.append(perWindow.isEmpty() ? "" : ", ").append(e);
        }
        String name = "retry" + (hedged ? " + hedge after 5 ms" : "")
            + (budgeted ? " + budget" : "");
        rows.add(new String[] {name, fmt2((double) calls / requests),
            String.format(Locale.ROOT, "%d (%+.1f%%)", extra, 100.0 * extra / requests),
            down.retries.sum() + " / " + down.hedges.sum(),
            budget == null ? "" : Long.toString(budget.refused()), perWindow.toString(),
            worstBudgetWindow(down.perRequest, perSecond), worstSliding(down.perRequest,
            10 * perSecond)});
        if (succeeded != 0 || clock.pendingTimers() != 0) {
          System.out.println("  SURPRISE in " + name + ": " + succeeded + " runs succeeded, "
              + clock.pendingTimers() + " timers left pending");
        }
      }
    }
    printTable(rows);
  }

  /**
   * {@return the window the budget itself reads (the 10 one-second buckets up to each request)
   * where extra calls came closest to what it allows, 20% of its requests + 100}
   */
  static String worstBudgetWindow(int[] perRequest, int perSecond) {
    long worstExtra = 0;
    double worstAllowed = 1;
    int worstAt = 0;
    for (int i = 0; i < perRequest.length; i++) {
      int from = Math.max(0, (i / perSecond - 9) * perSecond);
      long extra = 0;
      for (int j = from; j <= i; j++) {
        extra += perRequest[j] - 1;
      }
      double allowed = 100 + 0.2 * (i - from + 1);
      if (extra - allowed > worstExtra - worstAllowed) {
        worstExtra = extra;
        worstAllowed = allowed;
        worstAt = i;
      }
    }
    return String.format(Locale.ROOT, "%d / %.0f (at %.2f s)", worstExtra, worstAllowed,
        worstAt / (double) perSecond);
  }

  /** {@return the most extra calls in any {@code n} consecutive requests} */
  static String worstSliding(int[] perRequest, int n) {
    long best = 0;
    long sum = 0;
    int at = 0;
    for (int i = 0; i < perRequest.length; i++) {
      sum += perRequest[i] - 1;
      if (i >= n) {
        sum -= perRequest[i - n] - 1;
      }
      if (sum > best) {
        best = sum;
        at = i;
      }
    }
    return String.format(Locale.ROOT, "%d (ending at %.2f s)", best, at / 100.0);
  }

  // ---- all slow: timeouts, hedges and retries in real time ----

  /** A downstream that answers after 50 ms; records when each call of each kind came. */
  static final class Slow {
    final ConcurrentLinkedQueue<long[]> calls = new ConcurrentLinkedQueue<>(); // {nanos, kind}
    final ConcurrentHashMap<Long, AtomicInteger> perRun = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();

    String call() throws InterruptedException {
      var ctx = TaskContext.current();
      int kind = ctx.hedge() > 0 ? 2 : ctx.attempt() > 1 ? 1 : 0; // first, retry, hedge
      calls.add(new long[] {System.nanoTime(), kind});
      perRun.computeIfAbsent(ctx.runId(), k -> new AtomicInteger()).incrementAndGet();
      inFlight.incrementAndGet();
      try {
        Thread.sleep(50);
      } finally {
        inFlight.decrementAndGet();
      }
      return "late";
    }
  }

  static Graph slowGraph(Slow down, RetryBudget budget) {
    var g = Graph.builder("slow");
    var node = g.node("search").timeout(Duration.ofMillis(20))
        .hedge(HedgePolicy.after(Duration.ofMillis(5)))
        .retry(RetryPolicy.fixed(3, Duration.ZERO));
    if (budget != null) {
      node.retryBudget(budget);
    }
    node.call(down::call);
    return g.build();
  }

  /**
   * Starts {@code perSecond} runs of each graph per second for {@code seconds}, open-loop, in
   * alternating order. {@return each graph's runs}
   */
  static List<List<CompletableFuture<RunResult>>> drive(Graph[] graphs, Scheduler[] clocks,
      int perSecond, double seconds, List<List<Long>> startedAt) {
    var futures = new ArrayList<List<CompletableFuture<RunResult>>>();
    for (int c = 0; c < graphs.length; c++) {
      futures.add(new ArrayList<>());
    }
    long start = System.nanoTime();
    long tick = 1_000_000_000L / perSecond;
    for (int i = 0; i < seconds * perSecond; i++) {
      long at = start + i * tick;
      for (long left; (left = at - System.nanoTime()) > 0; ) {
        LockSupport.parkNanos(left);
      }
      for (int k = 0; k < graphs.length; k++) {
        int c = (i + k) % graphs.length;
        var clock = clocks[c];
        startedAt.get(c).add(System.nanoTime());
        futures.get(c).add(graphs[c].runAsync(Inputs.empty(), o -> o.withScheduler(clock)));
      }
    }
    return futures;
  }

  static void allSlow(int seconds) throws Exception {
    int perSecond = 100;
    // a second of the same load first, on graphs of their own: the JIT, the carriers, the timer
    var warm = new Graph[] {slowGraph(new Slow(), null), slowGraph(new Slow(), null)};
    var warmClocks = new Scheduler[] {Scheduler.system(), Scheduler.system()};
    for (var runs : drive(warm, warmClocks, perSecond, 1, List.of(new ArrayList<>(),
        new ArrayList<>()))) {
      for (var f : runs) {
        f.get(10, TimeUnit.SECONDS);
      }
    }
    var budget = RetryBudget.builder("slow").build();
    var downs = new Slow[] {new Slow(), new Slow()};
    var graphs = new Graph[] {slowGraph(downs[0], null), slowGraph(downs[1], budget)};
    var probes = new LatenessProbe[] {new LatenessProbe(), new LatenessProbe()};
    var requestsAt = List.<List<Long>>of(new ArrayList<>(), new ArrayList<>());
    long began = System.nanoTime();
    var futures = drive(graphs, probes, perSecond, seconds, requestsAt);
    long sent = System.nanoTime();
    var rows = new ArrayList<String[]>();
    rows.add(new String[] {"node", "requests", "calls / request", "extra calls",
        "of which retries / hedges", "most calls in a run", "refused", "worst budget window:"
        + " extra / allowed", "runs that succeeded", "timers late by p50 / p99 / max, ms",
        "stragglers, calls running at the end"});
    for (int c = 0; c < 2; c++) {
      long succeeded = 0;
      long stragglers = 0;
      for (var f : futures.get(c)) {
        var r = f.get(10, TimeUnit.SECONDS);
        succeeded += r.succeeded() ? 1 : 0;
        stragglers += r.stragglers().size();
      }
      var down = downs[c];
      long requests = futures.get(c).size();
      long calls = down.calls.size();
      long retries = down.calls.stream().filter(k -> k[1] == 1).count();
      long hedges = down.calls.stream().filter(k -> k[1] == 2).count();
      long firsts = down.calls.stream().filter(k -> k[1] == 0).count();
      int most = down.perRun.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
      if (firsts != requests) {
        System.out.println("  SURPRISE: " + firsts + " first calls for " + requests + " requests");
      }
      rows.add(new String[] {c == 0 ? "timeout 20 ms + hedge 5 ms + 3 attempts"
          : "the same + budget", Long.toString(requests), fmt2((double) calls / requests),
          String.format(Locale.ROOT, "%d (%+.1f%%)", calls - requests,
              100.0 * (calls - requests) / requests), retries + " / " + hedges,
          Integer.toString(most), c == 0 ? "" : Long.toString(budget.refused()),
          c == 0 ? "" : worstRealWindow(down, requestsAt.get(c)), Long.toString(succeeded),
          probes[c].summary(), stragglers + ", " + down.inFlight.get()});
    }
    System.out.printf(Locale.ROOT, "%nall slow: a downstream answering after 50 ms, %d requests/s"
        + " of each config, open-loop, for %d s of real time (the last sent %.2f s after the"
        + " first), after 1 s of the same on other graphs; budget: Finagle's defaults (%s)%n%n",
        perSecond, seconds, (sent - began) / 1e9, budget);
    printTable(rows);
  }

  /**
   * {@return the window the budget reads (10 buckets of a second on {@code System.nanoTime}, up
   * to each extra call) where extra calls came closest to 20% of its requests + 100} Times are
   * when the call reached the downstream and when the run was started, just after the budget
   * counted them.
   */
  static String worstRealWindow(Slow down, List<Long> requestsAt) {
    var extras = down.calls.stream().filter(k -> k[1] != 0).mapToLong(k -> k[0]).sorted()
        .toArray();
    var reqs = requestsAt.stream().mapToLong(Long::longValue).sorted().toArray();
    long second = 1_000_000_000L;
    double worst = -1e9;
    String text = "";
    for (int i = 0; i < extras.length; i++) {
      long t = extras[i];
      long from = (Math.floorDiv(t, second) - 9) * second;
      long e = Arrays.stream(extras, 0, i + 1).filter(x -> x >= from).count();
      long r = Arrays.stream(reqs).filter(x -> x >= from && x <= t).count();
      double allowed = 100 + 0.2 * r;
      if (e - allowed > worst) {
        worst = e - allowed;
        text = String.format(Locale.ROOT, "%d / %.0f", e, allowed);
      }
    }
    return text;
  }
}
