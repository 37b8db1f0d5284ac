package dev.weft.examples;

import dev.weft.Graph;
import dev.weft.HedgePolicy;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.Outcome;
import dev.weft.RetryBudget;
import dev.weft.RetryPolicy;
import dev.weft.RunOptions;
import dev.weft.RunResult;
import dev.weft.TaskContext;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A search page that asks 20 index shards at once, each a long-tailed downstream: most answers
 * take 4 ms, one in 50 takes 150 ms (a garbage-collection pause, a cold cache). With 20 shards,
 * a third of the pages would wait for a slow one.
 *
 * <ul>
 *   <li>Phase 1 hedges every shard call once it has run longer than the shard's own recent p95,
 *       and once more after as long again: the page's tail shrinks to a few times the body, for
 *       a few percent more calls. The same pages without hedging are shown beside it.
 *   <li>Phase 2 takes the shards down: every call fails. Each call may be tried 3 times, but the
 *       shards' retry budget lets only 20% of the calls (plus a small reserve) be retried, so the
 *       outage costs the shards 1.2 times their load, not 3 times; each failure says why it was
 *       not retried. The page collects every shard's outcome ({@code forEachOutcome}), so it is
 *       served with what answered.
 * </ul>
 *
 * <p>Run it with {@code mvn -q test-compile exec:exec -Dexample=dev.weft.examples.TailLatency}.
 * Timings are this machine's, and noisy on a busy one.
 */
public final class TailLatency {
  /** The simulated shards: seeded, so every run of the example sees the same slow calls. */
  static final class Shards {
    static final AtomicInteger CALLS = new AtomicInteger();
    static final AtomicInteger HEDGES = new AtomicInteger();
    static volatile boolean down;
    private static final Random RANDOM = new Random(7);

    static List<String> search(String query, int shard) throws IOException, InterruptedException {
      CALLS.incrementAndGet();
      if (TaskContext.current().hedge() > 0) {
        HEDGES.incrementAndGet(); // a real client would send this as a header: "x-hedge: 1"
      }
      if (down) {
        throw new IOException("shard " + shard + ": 503 Service Unavailable");
      }
      boolean slow;
      synchronized (RANDOM) {
        slow = RANDOM.nextInt(50) == 0;
      }
      Thread.sleep(slow ? 150 : 4);
      return List.of(query + "@" + shard);
    }
  }

  static final List<Integer> SHARDS = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
      15, 16, 17, 18, 19);

  /** The shards' budget: 20% of calls, plus a reserve of 1 per second over 10 s. */
  static final RetryBudget SHARD_BUDGET = RetryBudget.builder("shards").ratio(0.2)
      .minPerSecond(1).build();

  /** One shard's part of a query. */
  record Ask(String query, int shard) {}

  record Page(Graph graph, Input<String> query, Node<List<Outcome<List<String>>>> results) {
    RunResult run(String q) {
      return graph.run(Inputs.of(query, q));
    }
  }

  /** The page, its shard calls hedged at their p95 or not, retried within {@code budget}. */
  static Page page(boolean hedged, RetryBudget budget) {
    var g = Graph.builder(hedged ? "search-hedged" : "search")
        .options(RunOptions.defaults().withDeadline(Duration.ofSeconds(2)));
    var query = g.input("query", String.class);
    Node<List<Ask>> shards = g.task("shards", query,
        q -> SHARDS.stream().map(shard -> new Ask(q, shard)).toList());
    var results = g.node("results");
    if (hedged) {
      results.hedge(HedgePolicy.percentile(0.95).withMinDelay(Duration.ofMillis(1))
          .withMaxHedges(2));
    }
    results.retry(RetryPolicy.fixed(3, Duration.ZERO).retryOn(IOException.class));
    if (budget != null) {
      results.retryBudget(budget);
    }
    Node<List<Outcome<List<String>>>> node = results.forEachOutcome(shards, (Ask ask) -> Shards.search(ask.query(), ask.shard()));
    return new Page(g.build(), query, node);
  }

  public static void main(String[] args) {
    int pages = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    var plain = page(false, null);
    var hedged = page(true, null);
    for (int i = 0; i < 10; i++) { // warm both, and fill the hedged shards' history
      plain.run("warm");
      hedged.run("warm");
    }

    System.out.println("== phase 1: " + pages + " pages of 20 shard calls, 1 call in 50 slow");
    var without = new long[pages];
    var with = new long[pages];
    int plainCalls = 0;
    int hedgedCalls = 0;
    int hedgesBefore = Shards.HEDGES.get();
    for (int i = 0; i < pages; i++) { // alternating, so machine noise falls on both alike
      int before = Shards.CALLS.get();
      without[i] = plain.run("q" + i).elapsed().toNanos();
      plainCalls += Shards.CALLS.get() - before;
      before = Shards.CALLS.get();
      with[i] = hedged.run("q" + i).elapsed().toNanos();
      hedgedCalls += Shards.CALLS.get() - before;
    }
    int hedges = Shards.HEDGES.get() - hedgesBefore;
    System.out.printf("%-16s %8s %8s %8s %8s%n", "", "p50", "p90", "p99", "max");
    System.out.println(row("without hedging", without));
    System.out.println(row("hedged at p95", with));
    System.out.printf("calls: %d without hedging, %d hedged (%d hedges, %+.1f%%)%n", plainCalls,
        hedgedCalls, hedges, 100.0 * (hedgedCalls - plainCalls) / plainCalls);
    System.out.println();

    System.out.println("== phase 2: the shards are down; each call may be tried 3 times");
    // A budget of its own: in a service, the healthy calls of the last 10 s would pay into it
    // too, and let that many more retries through at the start of an outage.
    var budgeted = page(false, SHARD_BUDGET);
    Shards.down = true;
    int outagePages = 20;
    int before = Shards.CALLS.get();
    RunResult last = null;
    int answered = 0;
    for (int i = 0; i < outagePages; i++) {
      last = budgeted.run("down" + i);
      answered += (int) last.get(budgeted.results()).stream()
          .filter(o -> o instanceof Outcome.Succeeded).count();
    }
    int calls = Shards.CALLS.get() - before;
    int requests = outagePages * SHARDS.size();
    System.out.printf("%d shard requests, %d calls (%+.0f%%; without a budget: %d, +200%%)%n",
        requests, calls, 100.0 * (calls - requests) / requests, 3 * requests);
    System.out.println("budget: " + SHARD_BUDGET);
    System.out.println("shards answered: " + answered + " of " + requests
        + "; the pages are served empty, at once");
    if (last.get(budgeted.results()).get(0) instanceof Outcome.Failed<?> failed) {
      System.out.println("a shard's failure: " + failed.error().getMessage());
      Arrays.stream(failed.error().getSuppressed()).forEach(s -> System.out.println(
          "  attached: " + s.getMessage()));
    }
    Shards.down = false;
  }

  private static String row(String name, long[] nanos) {
    var sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("%-16s %6.1fms %6.1fms %6.1fms %6.1fms", name, ms(sorted, 0.50),
        ms(sorted, 0.90), ms(sorted, 0.99), sorted[sorted.length - 1] / 1e6);
  }

  private static double ms(long[] sorted, double q) {
    return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }

  private TailLatency() {}
}
