package dev.weft;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * The figures of hedged calls and retry budgets: real-clock latency distributions and call
 * counts, not a JMH benchmark. Run from the project directory:
 *
 * <pre>{@code
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.HedgeFigures -Dexample.args="hedge 3000"
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.HedgeFigures \
 *     -Dexample.args="hedge 3000 none p95 p95x2 p99x2"
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.HedgeFigures -Dexample.args="budget 60 10"
 * }</pre>
 *
 * <ul>
 *   <li>{@code hedge RUNS [LANE...]}: a 20-way fan-out over a downstream whose call sleeps 5 ms,
 *       and 200 ms for 1% of calls (seeded). Each lane is one graph: {@code none} (not hedged) or
 *       {@code pQ[xH][mD]}: {@code HedgePolicy.percentile(Q / 100)}, with {@code withMaxHedges(H)}
 *       and {@code withMinDelay(D ms)} if given; the default lanes are {@code none p95 p95x2}.
 *       The lanes run in lockstep rounds, one run of each started together (in a shuffled
 *       order) and awaited, so the machine's noise falls on all alike; {@code RUNS / 10} rounds
 *       (at least 50) warm the JIT and the lanes' latency histories first. Prints each lane's run
 *       latency percentiles, calls, hedges, the hedge delays seen in the spans, how late the hedge
 *       timers fired, and checks (a slow first attempt never hedged, more attempts than {@code 1
 *       + maxHedges}, a downstream call still running after its run returned, stragglers).
 *   <li>{@code budget SIM_SECONDS REAL_SECONDS}: a downstream failing every call at once, a node
 *       with {@code RetryPolicy.fixed(3, Duration.ZERO)}, with and without a hedge and a {@code
 *       RetryBudget} of Finagle's defaults, 100 requests per second for {@code SIM_SECONDS} on a
 *       manual clock (10 ms between requests); then the "all slow" case in real time for {@code
 *       REAL_SECONDS}: a downstream answering after 50 ms, a node with a 20 ms timeout, a hedge
 *       after 5 ms and 3 attempts, 100 requests per second started open-loop, with and without a
 *       budget (both at once).
 * </ul>
 */
public final class HedgeFigures {
  private HedgeFigures() {}

  static final int FAN_OUT = 20;
  static final long FAST_MS = 5;
  static final long SLOW_MS = 200;

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "hedge";
    System.out.printf(Locale.ROOT, "JDK %s, %d cores, load average %.1f at the start%n",
        Runtime.version(), Runtime.getRuntime().availableProcessors(), load());
    switch (mode) {
      case "hedge" -> {
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        var specs = args.length > 2 ? List.of(args).subList(2, args.length)
            : List.of("none", "p95", "p95x2");
        hedge(runs, specs.stream().map(HedgeFigures::lane).toList());
      }
      case "budget" -> {
        BudgetFigures.budgetOnAManualClock(args.length > 1 ? Integer.parseInt(args[1]) : 60);
        BudgetFigures.allSlow(args.length > 2 ? Integer.parseInt(args[2]) : 10);
      }
      default -> throw new IllegalArgumentException(
          "usage: HedgeFigures hedge RUNS [none|pQ[xH][mD]...] | budget SIM_SECONDS REAL_SECONDS");
    }
    System.out.printf(Locale.ROOT, "load average %.1f at the end%n", load());
  }

  /** {@return the 1-minute load average from /proc/loadavg (Linux), NaN elsewhere} */
  static double load() {
    try {
      var text = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"));
      return Double.parseDouble(text.split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN; // the tests' module does not read java.management
    }
  }

  // ---- hedge: a 20-way fan-out, 1% of calls slow ----

  /** The photo service: 5 ms a call, 200 ms for 1% of them; counts what it is sent. */
  static final class Photos {
    private final Random random;
    final LongAdder calls = new LongAdder();
    final LongAdder hedgeCalls = new LongAdder();
    final LongAdder slowCalls = new LongAdder();
    final AtomicInteger inFlight = new AtomicInteger();
    // how long a fast call really slept, in 10 us bins up to 50 ms
    final AtomicLongArray fastSlept = new AtomicLongArray(5000);

    Photos(long seed) {
      this.random = new Random(seed); // thread-safe; the order of draws follows the threads'
    }

    String photo(int id) throws InterruptedException {
      calls.increment();
      if (TaskContext.current().hedge() > 0) {
        hedgeCalls.increment();
      }
      boolean slow = random.nextInt(100) == 0;
      if (slow) {
        slowCalls.increment();
      }
      inFlight.incrementAndGet();
      long t0 = System.nanoTime();
      try {
        Thread.sleep(slow ? SLOW_MS : FAST_MS);
        if (!slow) {
          fastSlept.incrementAndGet((int) Math.min(4999, (System.nanoTime() - t0) / 10_000));
        }
      } finally {
        inFlight.decrementAndGet();
      }
      return "photo:" + id;
    }

    /** {@return the share {@code q} of fast calls slept at most this long, in ms} */
    double fastPercentile(double q) {
      long total = 0;
      for (int b = 0; b < fastSlept.length(); b++) {
        total += fastSlept.get(b);
      }
      long rank = (long) Math.ceil(q * total);
      long seen = 0;
      for (int b = 0; b < fastSlept.length(); b++) {
        seen += fastSlept.get(b);
        if (seen >= rank) {
          return (b + 1) / 100.0;
        }
      }
      return Double.NaN;
    }
  }

  /** One configuration: its graph, its downstream and what its measured runs showed. */
  static final class Lane {
    final String name;
    final HedgePolicy policy; // null: not hedged
    final Photos photos;
    final FigureClocks.LatenessProbe timers = new FigureClocks.LatenessProbe();
    final Graph graph;
    final Inputs inputs;
    final List<Double> latencies = new ArrayList<>();
    final List<Double> hedgeDelays = new ArrayList<>();
    final List<Integer> hedgeRuns = new ArrayList<>(); // the measured run of each hedge delay
    long callsAtStart;
    long hedgeCallsAtStart;
    long slowCallsAtStart;
    long attemptsSent; // from the spans: one child per attempt sent
    long failed;
    long notHedged; // a first attempt ran >= 100 ms and no hedge was sent beside it
    long overMax; // an element with more than 1 + maxHedges attempts
    long leftRunning; // downstream calls still running once every run of the round returned
    long stragglers;

    Lane(String name, HedgePolicy policy) {
      this.name = name;
      this.policy = policy;
      this.photos = new Photos(42);
      var g = Graph.builder("page");
      Input<List<Integer>> ids = g.input("ids");
      var photosNode = g.node("photos");
      if (policy != null) {
        photosNode.hedge(policy);
      }
      photosNode.forEach(ids, (Integer id) -> photos.photo(id));
      this.graph = g.build();
      var list = new ArrayList<Integer>();
      for (int i = 0; i < FAN_OUT; i++) {
        list.add(i);
      }
      this.inputs = Inputs.of(ids, List.copyOf(list));
    }

    void startMeasuring() {
      timers.reset();
      callsAtStart = photos.calls.sum();
      hedgeCallsAtStart = photos.hedgeCalls.sum();
      slowCallsAtStart = photos.slowCalls.sum();
    }

    long calls() {
      return photos.calls.sum() - callsAtStart;
    }

    void record(RunResult result) {
      latencies.add(result.elapsed().toNanos() / 1e6);
      if (!result.succeeded()) {
        failed++;
      }
      stragglers += result.stragglers().size();
      int most = policy == null ? 1 : 1 + policy.maxHedges();
      for (var span : result.spans()) {
        for (var element : span.children()) {
          var tries = element.children();
          int sent = tries.isEmpty() ? 1 : tries.size();
          attemptsSent += sent;
          if (sent > most) {
            overMax++;
          }
          if (policy != null && !tries.isEmpty()) {
            var first = tries.get(0);
            if (tries.size() == 1 && first.ran().toMillis() >= 100) {
              if (notHedged++ < 5) {
                System.out.printf(Locale.ROOT,
                    "  SURPRISE %s: run %d, %s ran %.1f ms, no hedge (run %s, %s)%n", name,
                    latencies.size() - 1, first.label(), first.ran().toNanos() / 1e6,
                    result.elapsed(), first.outcome().status());
              }
            }
            if (tries.size() > 1) {
              hedgeDelays.add(tries.get(1).started().minus(first.started()).toNanos() / 1e6);
              hedgeRuns.add(latencies.size() - 1);
            }
          }
        }
      }
    }
  }

  private static final Pattern LANE =
      Pattern.compile("p([0-9.]+)(?:x([0-9]+))?(?:m([0-9.]+))?");

  static Lane lane(String spec) {
    if (spec.equals("none")) {
      return new Lane(spec, null);
    }
    var m = LANE.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException("a lane is none or pQ[xH][mD], not " + spec);
    }
    var p = HedgePolicy.percentile(Double.parseDouble(m.group(1)) / 100);
    if (m.group(2) != null) {
      p = p.withMaxHedges(Integer.parseInt(m.group(2)));
    }
    if (m.group(3) != null) {
      p = p.withMinDelay(Duration.ofNanos(Math.round(Double.parseDouble(m.group(3)) * 1e6)));
    }
    return new Lane(spec, p);
  }

  static void hedge(int runs, List<Lane> lanes) throws Exception {
    int warm = Math.max(50, runs / 10);
    var order = new ArrayList<>(lanes);
    var shuffle = new Random(7);
    long began = System.nanoTime();
    for (int r = 0; r < warm + runs; r++) {
      if (r == warm) {
        lanes.forEach(Lane::startMeasuring);
      }
      Collections.shuffle(order, shuffle);
      var futures = new ArrayList<CompletableFuture<RunResult>>();
      for (var lane : order) {
        futures.add(lane.graph.runAsync(lane.inputs, o -> o.withScheduler(lane.timers)));
      }
      for (int i = 0; i < order.size(); i++) {
        var result = futures.get(i).get(10, TimeUnit.SECONDS);
        if (r >= warm) {
          order.get(i).record(result);
        }
      }
      for (var lane : order) {
        if (r >= warm) {
          lane.leftRunning += lane.photos.inFlight.get();
        }
      }
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    System.out.printf(Locale.ROOT, "%d-way fan-out, calls of %d ms, %d ms for 1%% of calls; %d"
        + " runs per lane after %d warm-up rounds, lanes in lockstep rounds; %.0f s%n%n",
        FAN_OUT, FAST_MS, SLOW_MS, runs, warm, seconds);
    hedgeTable(lanes, runs);
    ladder(lanes);
    histogram(lanes);
  }

  static void hedgeTable(List<Lane> lanes, int runs) {
    long base = lanes.stream().filter(l -> l.policy == null).mapToLong(Lane::calls).findFirst()
        .orElse((long) runs * FAN_OUT);
    var rows = new ArrayList<String[]>();
    rows.add(row("lane", lanes, l -> l.policy == null ? "none" : l.policy + minDelay(l.name)));
    double[] qs = {0.5, 0.9, 0.99, 0.999, 1.0};
    String[] names = {"p50", "p90", "p99", "p99.9", "max"};
    for (int i = 0; i < qs.length; i++) {
      double q = qs[i];
      rows.add(row("run latency " + names[i] + ", ms", lanes,
          l -> fmt(percentile(l.latencies, q))));
    }
    rows.add(row("mean, ms", lanes, l -> fmt(l.latencies.stream().mapToDouble(d -> d)
        .average().orElse(Double.NaN))));
    rows.add(row("runs of 100 ms or more", lanes,
        l -> Long.toString(l.latencies.stream().filter(d -> d >= 100).count())));
    rows.add(row("calls the downstream saw", lanes, l -> Long.toString(l.calls())));
    rows.add(row("extra calls, % of the unhedged lane's", lanes,
        l -> String.format(Locale.ROOT, "%+.2f%%", 100.0 * (l.calls() - base) / base)));
    rows.add(row("attempts sent (spans), extra %", lanes, l -> String.format(Locale.ROOT,
        "%d (%+.2f%%)", l.attemptsSent, 100.0 * (l.attemptsSent - base) / base)));
    rows.add(row("hedge calls that reached the downstream", lanes,
        l -> Long.toString(l.photos.hedgeCalls.sum() - l.hedgeCallsAtStart)));
    rows.add(row("slow calls (200 ms) drawn", lanes,
        l -> Long.toString(l.photos.slowCalls.sum() - l.slowCallsAtStart)));
    rows.add(row("hedge delay seen, p5 / p50 / p95, ms", lanes, l -> l.hedgeDelays.isEmpty()
        ? "" : fmt(percentile(l.hedgeDelays, 0.05)) + " / " + fmt(percentile(l.hedgeDelays, 0.5))
            + " / " + fmt(percentile(l.hedgeDelays, 0.95))));
    rows.add(row("hedge delay seen, median per tenth of the runs, ms", lanes,
        l -> l.policy == null ? "" : drift(l, runs)));
    rows.add(row("hedge timers fired late by p50 / p99 / max, ms", lanes,
        l -> l.policy == null ? "" : l.timers.summary()));
    rows.add(row("a fast call's real sleep, p50 / p95 / p99, ms", lanes,
        l -> fmt(l.photos.fastPercentile(0.5)) + " / " + fmt(l.photos.fastPercentile(0.95))
            + " / " + fmt(l.photos.fastPercentile(0.99))));
    rows.add(row("failed runs / stragglers", lanes, l -> l.failed + " / " + l.stragglers));
    rows.add(row("slow first attempts not hedged", lanes, l -> Long.toString(l.notHedged)));
    rows.add(row("elements over 1 + maxHedges attempts", lanes, l -> Long.toString(l.overMax)));
    rows.add(row("calls running after their run returned", lanes,
        l -> Long.toString(l.leftRunning)));
    printTable(rows);
  }

  /** {@return the median hedge delay of each tenth of the measured runs: does it drift?} */
  private static String drift(Lane lane, int runs) {
    var out = new StringBuilder();
    for (int t = 0; t < 10; t++) {
      var tenth = new ArrayList<Double>();
      for (int i = 0; i < lane.hedgeDelays.size(); i++) {
        if (lane.hedgeRuns.get(i) * 10L / runs == t) {
          tenth.add(lane.hedgeDelays.get(i));
        }
      }
      out.append(t == 0 ? "" : ", ").append(tenth.isEmpty() ? "-" : fmt(percentile(tenth, 0.5)));
    }
    return out.toString();
  }

  private static String minDelay(String spec) {
    int m = spec.indexOf('m');
    return m < 0 ? "" : ", minDelay " + spec.substring(m + 1) + " ms";
  }

  /** The percentiles as bars, linear in time, scaled to the longest p99.9. */
  static void ladder(List<Lane> lanes) {
    double[] qs = {0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 1.0};
    String[] names = {"p50", "p90", "p95", "p99", "p99.5", "p99.9", "max"};
    double top = lanes.stream().mapToDouble(l -> percentile(l.latencies, 1.0)).max().orElse(1);
    int width = 40;
    System.out.println("\n```");
    System.out.println("run latency, ms (bar: 0 to " + fmt(top) + " ms)");
    for (var lane : lanes) {
      System.out.println(lane.name);
      for (int i = 0; i < qs.length; i++) {
        double v = percentile(lane.latencies, qs[i]);
        int n = (int) Math.max(1, Math.round(width * v / top));
        System.out.printf(Locale.ROOT, "  %-6s %7.1f |%s%n", names[i], v, "#".repeat(n));
      }
    }
    System.out.println("```");
  }

  /** Runs per latency band, side by side; bars are log10 of the count. */
  static void histogram(List<Lane> lanes) {
    double[] edges = {0, 5.5, 6, 7, 8, 10, 12, 15, 20, 50, 100, 200, 205, 210, 250, 1e9};
    System.out.println("\n```");
    var head = new StringBuilder(String.format(Locale.ROOT, "%-14s", "run, ms"));
    for (var lane : lanes) {
      head.append(String.format(Locale.ROOT, " %-22s", lane.name));
    }
    System.out.println(head.toString().stripTrailing());
    for (int b = 0; b + 1 < edges.length; b++) {
      double lo = edges[b];
      double hi = edges[b + 1];
      var line = new StringBuilder(String.format(Locale.ROOT, "%-14s",
          hi > 1e8 ? ">= " + fmt(lo) : fmt(lo) + " - " + fmt(hi)));
      for (var lane : lanes) {
        long n = lane.latencies.stream().filter(d -> d >= lo && d < hi).count();
        var bar = n == 0 ? "" : "#".repeat(1 + (int) Math.round(3 * Math.log10(n)));
        line.append(String.format(Locale.ROOT, " %5d %-16s", n, bar));
      }
      System.out.println(line.toString().stripTrailing());
    }
    System.out.println("```");
  }

  // ---- output ----

  private static String[] row(String what, List<Lane> lanes,
      java.util.function.Function<Lane, String> cell) {
    var row = new String[lanes.size() + 1];
    row[0] = what;
    for (int i = 0; i < lanes.size(); i++) {
      row[i + 1] = cell.apply(lanes.get(i));
    }
    return row;
  }

  static void printTable(List<String[]> rows) {
    for (int r = 0; r < rows.size(); r++) {
      System.out.println("| " + String.join(" | ", rows.get(r)) + " |");
      if (r == 0) {
        var sep = new StringBuilder("|---|");
        sep.append("--:|".repeat(rows.get(0).length - 1));
        System.out.println(sep);
      }
    }
  }

  /** {@return the nearest-rank percentile {@code q} of {@code values}} */
  static double percentile(List<Double> values, double q) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    var s = values.stream().mapToDouble(d -> d).sorted().toArray();
    return s[(int) Math.max(0, Math.ceil(q * s.length) - 1)];
  }

  static String fmt(double d) {
    return String.format(Locale.ROOT, d >= 100 ? "%.0f" : d >= 10 ? "%.1f" : "%.2f", d);
  }

  static String fmt2(double d) {
    return String.format(Locale.ROOT, "%.2f", d);
  }
}
