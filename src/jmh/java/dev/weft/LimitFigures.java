package dev.weft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The adaptive limit's figures, from a discrete-event simulation in simulated time (nothing
 * sleeps; ten simulated minutes take seconds); not a benchmark, and nothing here is asserted in
 * unit tests. Run from the project directory:
 *
 * <pre>{@code
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.LimitFigures -Dexample.args="all"
 * mvn -q -o -Pjmh test-compile exec:exec -Dexample=dev.weft.LimitFigures -Dexample.args="settle 42"
 * }</pre>
 *
 * Modes: {@code settle}, {@code drift}, {@code shed}, {@code compare} or {@code all}, then a seed
 * (by default 42).
 *
 * <h2>The model</h2>
 * <ul>
 *   <li><b>Downstream:</b> 100 workers and a FIFO queue in front of them; each call takes 9 ms
 *       plus an exponential 1 ms (mean 10 ms, p99 13.6 ms). So latency is the base 10 ms while
 *       at most 100 calls are in flight and grows with the queue beyond; capacity is 100 / 10 ms
 *       = 10,000 calls/s. A call the client gave up on (timed out) still takes its worker: the
 *       downstream cannot tell.
 *   <li><b>Clients:</b> Poisson arrivals at a multiple of capacity. Each request waits for a
 *       place up to a bulkhead's {@code maxWait} (0 or 20 ms, as each figure says), then its call
 *       has a 50 ms timeout; its deadline is 100 ms from arrival.
 *   <li><b>Limiter:</b> a real {@link Bulkhead} with {@code AdaptiveLimit.of(20, 10, 1000)} and
 *       the defaults otherwise, driven through the two package-private methods Weft's attempts
 *       use underneath: {@code tryAcquire(criticality)} and {@code release(start, end, sample)},
 *       with the simulated clock's times. The simulation keeps the waiting callers itself (a
 *       blocking wait cannot run in simulated time), in the bulkhead's order: most critical
 *       first, arrival order within a criticality, nobody ahead of a waiter at least as critical.
 * </ul>
 *
 * <h2>Definitions</h2>
 * <ul>
 *   <li><b>goodput:</b> requests answered successfully within their deadline, per second, over
 *       the capacity (10,000/s): 100% is the downstream doing nothing but useful work.
 *   <li><b>call p99:</b> the 99th percentile of successful calls' durations (from taking the
 *       place to the answer); <b>end-to-end p99</b> adds the wait for a place.
 *   <li><b>unloaded p99:</b> the call p99 at half the capacity, where no queue forms.
 * </ul>
 */
public final class LimitFigures {
  static final long MS = 1_000_000L;
  static final long SECOND = 1_000 * MS;
  static final int WORKERS = 100;
  static final double CAPACITY = WORKERS * SECOND / (10.0 * MS); // calls per second
  static final long TIMEOUT = 50 * MS;
  static final long DEADLINE = 100 * MS;
  static final Criticality[] LEVELS = Criticality.values();

  private LimitFigures() {}

  public static void main(String[] args) {
    String mode = args.length > 0 ? args[0] : "all";
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
    System.out.println("JDK " + Runtime.version() + "; simulated time; seed " + seed
        + "; downstream of " + WORKERS + " workers, 9 ms + exp(1 ms) per call, capacity "
        + (int) CAPACITY + "/s");
    switch (mode) {
      case "settle" -> settle(seed);
      case "drift" -> drift(seed);
      case "shed" -> shed(seed);
      case "compare" -> compare(seed);
      case "slowdown" -> slowdown(seed);
      case "all" -> {
        settle(seed);
        drift(seed);
        shed(seed);
        compare(seed);
        slowdown(seed);
      }
      default -> throw new IllegalArgumentException(
          "usage: LimitFigures settle|drift|shed|compare|slowdown|all [SEED]");
    }
  }

  static Bulkhead adaptive(Consumer<Bulkhead.LimitChange> listener) {
    return Bulkhead.builder("downstream").adaptiveLimit(AdaptiveLimit.of(20, 10, 1000))
        .onLimitChange(listener).build();
  }

  static Bulkhead fixed(int limit) {
    return Bulkhead.builder("downstream").maxConcurrent(limit).build();
  }

  // ---- the scenarios ----

  /** The limit's first 10 s at 1.5x capacity, then goodput and p99 over the next 50 s. */
  static void settle(long seed) {
    System.out.println();
    System.out.println("## settle: 1.5x capacity, all DEFAULT, maxWait 0, 60 s");
    var unloaded = new Sim(LimitFigures::adaptive, 0.5, 0, 0, seed);
    unloaded.run(60 * SECOND, 10 * SECOND);
    var sim = new Sim(LimitFigures::adaptive, 1.5, 0, 0, seed);
    sim.run(60 * SECOND, 10 * SECOND);
    var line = new StringBuilder("limit at t = ");
    for (int i = 1; i <= 20; i++) {
      line.append(String.format(Locale.ROOT, "%.1fs:%d ", i / 10.0, sim.limitAt(i * SECOND / 10)));
    }
    System.out.println(line.toString().trim());
    line = new StringBuilder("limit at t = ");
    for (int s = 3; s <= 10; s++) {
      line.append(s).append("s:").append(sim.limitAt(s * SECOND)).append(' ');
    }
    System.out.println(line.toString().trim());
    System.out.println("limit in [80, 120] from t = " + secs(sim.settledSince(80, 120, 60 * SECOND))
        + " s on, to 60 s; over 10..60 s: " + sim.limitStats(10 * SECOND, 60 * SECOND));
    System.out.println("over 10..60 s: " + sim.summary());
    System.out.println(String.format(Locale.ROOT,
        "unloaded (0.5x): call p99 %.2f ms; loaded call p99 / unloaded = %.2f, end-to-end / "
            + "unloaded = %.2f", unloaded.callP99() / 1e6, sim.callP99() / unloaded.callP99(),
        sim.endToEndP99() / unloaded.callP99()));
    System.out.println("limit changes in 60 s: " + sim.changes + " (" + sim.causes() + ")");
    var waiting = new Sim(LimitFigures::adaptive, 1.5, 0, 20 * MS, seed);
    waiting.run(60 * SECOND, 10 * SECOND);
    System.out.println("the same with maxWait 20 ms, over 10..60 s: " + waiting.summary() + "; "
        + waiting.limitStats(10 * SECOND, 60 * SECOND));
  }

  /** Ten minutes of steady overload: the limit's spread per minute. */
  static void drift(long seed) {
    System.out.println();
    System.out.println("## drift: 1.5x capacity, all DEFAULT, maxWait 0, 10 simulated minutes");
    var sim = new Sim(LimitFigures::adaptive, 1.5, 0, 0, seed);
    sim.run(600 * SECOND, 10 * SECOND);
    System.out.println("| minute | limit min | limit max | limit mean | baseline at end (ms) |");
    System.out.println("|---|---|---|---|---|");
    for (int m = 0; m < 10; m++) {
      var stats = sim.limitStatsArray(m * 60 * SECOND, (m + 1) * 60 * SECOND);
      System.out.println(String.format(Locale.ROOT, "| %d | %d | %d | %.1f | %.3f |", m + 1,
          (int) stats[0], (int) stats[1], stats[2], sim.baselineAt((m + 1) * 60 * SECOND) / 1e6));
    }
    System.out.println("over 10..600 s: " + sim.summary());
  }

  /** 2x capacity, half CRITICAL, half SHEDDABLE, waiting 20 ms and not at all. */
  static void shed(long seed) {
    System.out.println();
    System.out.println("## shed: 2x capacity, half CRITICAL, half SHEDDABLE, 60 s, measured over "
        + "10..60 s");
    System.out.println("| maxWait | criticality | offered/s | succeeded | refused | timed out | "
        + "end-to-end p99 (ms) |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (long wait : new long[] {20 * MS, 0}) {
      var sim = new Sim(LimitFigures::adaptive, 2.0, 0.5, wait, seed);
      sim.run(60 * SECOND, 10 * SECOND);
      for (var c : new Criticality[] {Criticality.CRITICAL, Criticality.SHEDDABLE}) {
        int i = c.ordinal();
        long offered = sim.offered[i];
        System.out.println(String.format(Locale.ROOT,
            "| %d ms | %s | %d | %.2f%% | %.2f%% | %.2f%% | %s |", wait / MS, c, offered / 50,
            100.0 * sim.served[i] / offered, 100.0 * sim.refused[i] / offered,
            100.0 * sim.timedOut[i] / offered, ms(sim.p99(sim.endToEndByLevel[i]))));
      }
      System.out.println("maxWait " + wait / MS + " ms: " + sim.summary() + "; "
          + sim.limitStats(10 * SECOND, 60 * SECOND));
    }
  }

  /** The same 1.5x load behind other limiters, for scale. */
  static void compare(long seed) {
    System.out.println();
    System.out.println("## compare: 1.5x capacity, all DEFAULT, maxWait 0, 60 s, measured over "
        + "10..60 s");
    System.out.println("| limiter | goodput | call p99 (ms) | end-to-end p99 (ms) | refused | "
        + "timed out |");
    System.out.println("|---|---|---|---|---|---|");
    var names = new ArrayList<String>();
    var limiters = new ArrayList<Function<Consumer<Bulkhead.LimitChange>, Bulkhead>>();
    names.add("adaptive, initial 20 (10..1000)");
    limiters.add(LimitFigures::adaptive);
    for (int limit : new int[] {100, 150, 400, 1000}) {
      names.add("fixed " + limit);
      limiters.add(listener -> fixed(limit));
    }
    for (int i = 0; i < names.size(); i++) {
      var sim = new Sim(limiters.get(i), 1.5, 0, 0, seed);
      sim.run(60 * SECOND, 10 * SECOND);
      System.out.println(String.format(Locale.ROOT,
          "| %s | %.1f%% | %s | %s | %.1f%% | %.1f%% |", names.get(i), sim.goodput(),
          ms(sim.callP99()), ms(sim.endToEndP99()),
          100.0 * sum(sim.refused) / sum(sim.offered),
          100.0 * sum(sim.timedOut) / sum(sim.offered)));
    }
  }

  /** The downstream's calls take twice as long from 30 s to 90 s, then recover. */
  static void slowdown(long seed) {
    System.out.println();
    System.out.println("## slowdown: 1.5x capacity, all DEFAULT, maxWait 0; calls take twice as "
        + "long (18 ms + exp(2 ms)) from 30 s to 90 s");
    var sim = new Sim(LimitFigures::adaptive, 1.5, 0, 0, seed);
    sim.slowFrom = 30 * SECOND;
    sim.slowUntil = 90 * SECOND;
    sim.run(120 * SECOND, 0);
    var line = new StringBuilder("limit (baseline ms) at t = ");
    for (int t : new int[] {29, 30, 31, 32, 33, 34, 35, 40, 50, 60, 89, 90, 91, 92, 95, 100, 120}) {
      line.append(String.format(Locale.ROOT, "%ds:%d (%.1f) ", t, sim.limitAt(t * SECOND),
          sim.baselineAt(t * SECOND) / 1e6));
    }
    System.out.println(line.toString().trim());
    for (long[] span : new long[][] {{10, 30}, {40, 90}, {100, 120}}) {
      System.out.println(span[0] + "..." + span[1] + " s: "
          + sim.limitStats(span[0] * SECOND, span[1] * SECOND));
    }
    System.out.println("limit changes: " + sim.causes());
  }

  static long sum(long[] values) {
    return Arrays.stream(values).sum();
  }

  /** {@return nanoseconds in ms with two decimals, or a dash when there is no such figure} */
  static String ms(double nanos) {
    return Double.isNaN(nanos) ? "–" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }

  static String secs(long nanos) {
    return String.format(Locale.ROOT, "%.2f", nanos / 1e9);
  }

  // ---- the simulation ----

  /** A request: waiting for a place, then calling, then done. */
  static final class Request {
    final long arrival;
    final int level;
    long start;
    boolean waiting;
    boolean calling;

    Request(long arrival, int level) {
      this.arrival = arrival;
      this.level = level;
    }
  }

  record Event(long at, long seq, int kind, Request request) {}

  static final int ARRIVAL = 0;
  static final int SERVED = 1;
  static final int TIMED_OUT = 2;
  static final int WAIT_OVER = 3;
  static final int TICK = 4;
  static final long TICK_NANOS = 10 * MS;

  static final class Sim {
    final Bulkhead bulkhead;
    final double rate; // arrivals per second
    final double criticalShare; // the rest is SHEDDABLE; 0 means all DEFAULT
    final long maxWait; // how long a request waits for a place
    long slowFrom = Long.MAX_VALUE; // calls take twice as long from slowFrom to slowUntil
    long slowUntil = Long.MAX_VALUE;
    final SplittableRandom random;
    final PriorityQueue<Event> events = new PriorityQueue<>(
        (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    long now;
    long seq;
    long measureFrom;
    // the downstream
    int busy;
    final ArrayDeque<Request> queue = new ArrayDeque<>();
    // callers waiting for a place, per criticality (lazily purged of those who gave up)
    @SuppressWarnings("unchecked")
    final ArrayDeque<Request>[] waiters = new ArrayDeque[] {new ArrayDeque<>(), new ArrayDeque<>(),
        new ArrayDeque<>()};
    final int[] waitingCount = new int[3];
    // measured from measureFrom on, per criticality
    final long[] offered = new long[3];
    final long[] served = new long[3];
    final long[] refused = new long[3];
    final long[] timedOut = new long[3];
    final Samples calls = new Samples();
    final Samples endToEnd = new Samples();
    final Samples[] endToEndByLevel = {new Samples(), new Samples(), new Samples()};
    // the limit every tick, and the baseline after each change
    final Samples limits = new Samples();
    final List<long[]> baselines = new ArrayList<>();
    int changes;
    final int[] causes = new int[Bulkhead.LimitChange.Cause.values().length];

    Sim(Function<Consumer<Bulkhead.LimitChange>, Bulkhead> limiter, double load,
        double criticalShare, long maxWait, long seed) {
      this.maxWait = maxWait;
      this.bulkhead = limiter.apply(change -> {
        changes++;
        causes[change.cause().ordinal()]++;
        baselines.add(new long[] {now, change.baseline().toNanos()});
      });
      this.rate = load * CAPACITY;
      this.criticalShare = criticalShare;
      this.random = new SplittableRandom(seed);
    }

    void run(long until, long measureFrom) {
      this.measureFrom = measureFrom;
      at(0, ARRIVAL, null);
      at(0, TICK, null);
      while (!events.isEmpty()) {
        var e = events.poll();
        if (e.at > until) {
          break;
        }
        now = e.at;
        switch (e.kind) {
          case ARRIVAL -> arrive();
          case SERVED -> served(e.request);
          case TIMED_OUT -> timedOut(e.request);
          case WAIT_OVER -> waitOver(e.request);
          case TICK -> {
            limits.add(bulkhead.limit());
            at(now + TICK_NANOS, TICK, null);
          }
          default -> throw new AssertionError(e.kind);
        }
      }
    }

    void at(long when, int kind, Request request) {
      events.add(new Event(when, seq++, kind, request));
    }

    boolean measured(Request r) {
      return r.arrival >= measureFrom;
    }

    void arrive() {
      at(now + (long) (-Math.log(1 - random.nextDouble()) / rate * SECOND), ARRIVAL, null);
      int level = criticalShare == 0 ? Criticality.DEFAULT.ordinal()
          : random.nextDouble() < criticalShare ? Criticality.CRITICAL.ordinal()
          : Criticality.SHEDDABLE.ordinal();
      var r = new Request(now, level);
      if (measured(r)) {
        offered[level]++;
      }
      boolean ahead = false;
      for (int i = 0; i <= level; i++) {
        ahead |= waitingCount[i] > 0;
      }
      if (!ahead && bulkhead.tryAcquire(LEVELS[level])) {
        call(r);
        return;
      }
      r.waiting = true;
      waiters[level].addLast(r);
      waitingCount[level]++;
      grant();
      if (r.waiting && maxWait == 0) {
        waitOver(r); // as the bulkhead: queued behind others, it may still be granted at once
      } else if (r.waiting) {
        at(now + maxWait, WAIT_OVER, r);
      }
    }

    void grant() {
      for (int level = 0; level < waiters.length; level++) {
        var q = waiters[level];
        while (!q.isEmpty()) {
          var head = q.peekFirst();
          if (!head.waiting) {
            q.pollFirst(); // gave up already
            continue;
          }
          if (!bulkhead.tryAcquire(LEVELS[level])) {
            return;
          }
          q.pollFirst();
          head.waiting = false;
          waitingCount[level]--;
          call(head);
        }
      }
    }

    void waitOver(Request r) {
      if (r.waiting) {
        r.waiting = false;
        waitingCount[r.level]--;
        if (measured(r)) {
          refused[r.level]++;
        }
      }
    }

    void call(Request r) {
      r.start = now;
      r.calling = true;
      at(now + TIMEOUT, TIMED_OUT, r);
      if (busy < WORKERS) {
        busy++;
        at(now + serviceTime(), SERVED, r);
      } else {
        queue.addLast(r);
      }
    }

    long serviceTime() {
      long time = 9 * MS + (long) (-Math.log(1 - random.nextDouble()) * MS);
      return now >= slowFrom && now < slowUntil ? 2 * time : time;
    }

    void served(Request r) {
      var next = queue.pollFirst();
      if (next != null) {
        at(now + serviceTime(), SERVED, next);
      } else {
        busy--;
      }
      if (!r.calling) {
        return; // timed out already: the worker was wasted
      }
      r.calling = false;
      bulkhead.release(r.start, now, Bulkhead.Sample.SUCCEEDED);
      if (measured(r)) {
        if (now - r.arrival <= DEADLINE) {
          served[r.level]++;
        }
        calls.add(now - r.start);
        endToEnd.add(now - r.arrival);
        endToEndByLevel[r.level].add(now - r.arrival);
      }
      grant();
    }

    void timedOut(Request r) {
      if (!r.calling) {
        return;
      }
      r.calling = false;
      bulkhead.release(r.start, now, Bulkhead.Sample.DROPPED);
      if (measured(r)) {
        timedOut[r.level]++;
      }
      grant();
    }

    // ---- readings ----

    int limitAt(long t) {
      return (int) limits.values[(int) Math.min(limits.size - 1, t / TICK_NANOS)];
    }

    /** {@return from when on the limit stayed within [lo, hi] until {@code end}} */
    long settledSince(int lo, int hi, long end) {
      int last = (int) Math.min(limits.size - 1, end / TICK_NANOS);
      int i = last;
      while (i >= 0 && limits.values[i] >= lo && limits.values[i] <= hi) {
        i--;
      }
      return (i + 1) * TICK_NANOS;
    }

    double[] limitStatsArray(long from, long to) {
      double min = Double.MAX_VALUE;
      double max = 0;
      double sum = 0;
      int n = 0;
      for (int i = (int) (from / TICK_NANOS); i < Math.min(limits.size, to / TICK_NANOS); i++) {
        double v = limits.values[i];
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
        n++;
      }
      return new double[] {min, max, sum / n};
    }

    String limitStats(long from, long to) {
      var s = limitStatsArray(from, to);
      return String.format(Locale.ROOT, "limit min %d, max %d, mean %.1f", (int) s[0],
          (int) s[1], s[2]);
    }

    double baselineAt(long t) {
      double last = 0;
      for (var b : baselines) {
        if (b[0] <= t) {
          last = b[1];
        }
      }
      return last;
    }

    double goodput() {
      if (sum(served) == 0 && measureFrom == 0) {
        return 0;
      }
      double seconds = (now - measureFrom) / 1e9;
      return 100.0 * sum(served) / seconds / CAPACITY;
    }

    double callP99() {
      return p99(calls);
    }

    double endToEndP99() {
      return p99(endToEnd);
    }

    double p99(Samples s) {
      return s.percentile(0.99);
    }

    String summary() {
      return String.format(Locale.ROOT, "goodput %.1f%% of capacity; call p50 %.2f ms, p99 "
              + "%.2f ms; end-to-end p99 %.2f ms; refused %.1f%%, timed out %.2f%% of offered",
          goodput(), calls.percentile(0.5) / 1e6, callP99() / 1e6, endToEndP99() / 1e6,
          100.0 * sum(refused) / sum(offered), 100.0 * sum(timedOut) / sum(offered));
    }

    String causes() {
      var out = new StringBuilder();
      for (var c : Bulkhead.LimitChange.Cause.values()) {
        if (causes[c.ordinal()] > 0) {
          out.append(out.isEmpty() ? "" : ", ").append(c).append(' ').append(causes[c.ordinal()]);
        }
      }
      return out.toString();
    }
  }

  /** A growable array of longs with percentiles. */
  static final class Samples {
    long[] values = new long[1024];
    int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    double percentile(double p) {
      if (size == 0) {
        return Double.NaN;
      }
      var sorted = Arrays.copyOf(values, size);
      Arrays.sort(sorted);
      return sorted[(int) Math.min(size - 1, Math.ceil(p * size) - 1)];
    }
  }
}
