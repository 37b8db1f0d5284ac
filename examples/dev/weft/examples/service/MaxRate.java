package dev.weft.examples.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The highest constant rate at which each side's p99 stays under the page's deadline, the Weft
 * graph's against the baseline's, with the fleet healthy: {@code LoadMatrix --max-rate}.
 *
 * <pre>
 * mvn -q test-compile exec:exec -Dexample=dev.weft.examples.service.LoadMatrix \
 *     -Dexample.args="--max-rate"                                 # under 3 minutes
 * mvn -q test-compile exec:exec -Dexample=dev.weft.examples.service.LoadMatrix \
 *     -Dexample.args="--max-rate --from=100 --step=50 --max=600 --seconds=4"
 * </pre>
 *
 * Options (besides LoadMatrix's {@code --seconds=S} per step, 4 here, {@code --ids}, {@code
 * --deadline-ms} and {@code --out}): {@code --from=R} the first rate (100 req/s); {@code --step=N}
 * climb by N req/s (by default the ladder 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten: 100,
 * 150, 200, 300, 400...); {@code --max=R} the highest rate tried (1200: beyond it h2load's
 * connections would tick more often than every 2 x deadline); {@code --resolution=N} how close
 * the bracket is bisected (10 req/s); {@code --budget-s=T} the whole search's time (160 s).
 *
 * <h2>The search</h2>
 * Each side climbs from {@code --from} until a step fails, then bisects between the highest rate
 * that passed and the lowest that failed until they are {@code --resolution} apart (from 0 when
 * the first rate fails). A step is one LoadMatrix run at the rate, healthy: h2load at a constant
 * rate with its per-request log, the JDK sampler beside it within the rate; then every breaker
 * is brought back to closed before the next step. The sides' steps alternate, and which goes
 * first alternates from round to round, so that drift on the machine falls on both alike. A
 * round that would take the search past {@code --budget-s} is not started; the result then says
 * which bracket was left open. p99 over a few seconds is an estimate and need not fall with the
 * rate, so a figure found is good to about one bisection step.
 *
 * <h2>Pass</h2>
 * A step passes when the p99 of every answered h2load request (any status) is under the deadline,
 * fewer than {@value #ERROR_SHARE_PERCENT}% of h2load's requests were answered other than 2xx
 * (failed streams included), none was lost and none was still in flight 5 s after the run. A
 * partial page (200 with {@code x-partial}) passes: it kept the deadline by leaving out an
 * optional section, as it is built to; the sampled partial sections are shown. Coordinated
 * omission is bounded as in the matrix (see {@link H2load}): each connection sends every 2 x
 * deadline, so only a response slower than that ("over interval") can have deferred a send, and
 * in a passing step those are fewer than 1%.
 *
 * <p>Prints each side's steps and the result; appends a section to {@code
 * target/load-matrix-max-rate.md}. Not thread-safe: one search, run once.
 */
final class MaxRate {
  static final int ERROR_SHARE_PERCENT = 1;
  /** The default ladder's steps within a power of ten. */
  private static final double[] LADDER = {1, 1.5, 2, 3, 4, 5, 6, 8};

  /** The search's options; the step's length is LoadMatrix's {@code --seconds}. */
  record Settings(double from, double step, double max, double resolution, double budgetSeconds) {
    static final List<String> KEYS = List.of("from", "step", "max", "resolution", "budget-s");

    static Settings parse(Map<String, String> m) {
      var s = new Settings(Double.parseDouble(m.getOrDefault("from", "100")),
          Double.parseDouble(m.getOrDefault("step", "0")),
          Double.parseDouble(m.getOrDefault("max", "1200")),
          Double.parseDouble(m.getOrDefault("resolution", "10")),
          Double.parseDouble(m.getOrDefault("budget-s", "160")));
      if (!(s.from >= 1 && s.max >= s.from && s.step >= 0 && s.resolution >= 1
          && s.budgetSeconds > 0)) {
        throw new IllegalArgumentException("--max-rate needs 1 <= --from <= --max, --step >= 0, "
            + "--resolution >= 1, --budget-s > 0: " + s);
      }
      return s;
    }

    /** {@return the rate the climb tries after {@code rate}} */
    double above(double rate) {
      if (step > 0) {
        return rate + step;
      }
      for (int e = (int) Math.floor(Math.log10(rate)); ; e++) {
        for (var m : LADDER) {
          double v = m * Math.pow(10, e);
          if (v > rate * (1 + 1e-9)) {
            return v;
          }
        }
      }
    }

    String ladderText() {
      if (step > 0) {
        return "by " + fmt(step) + " req/s";
      }
      var b = new StringBuilder();
      for (double r = from; r <= max && b.length() < 40; r = above(r)) {
        b.append(fmt(r)).append(", ");
      }
      return b + "...";
    }
  }

  /** One step: its run, and the error texts of the sampled answers that were not 2xx. */
  record Step(CellResult result, List<String> failures) {}

  /** Runs one side at one rate. */
  interface Runner {
    Step run(String side, double rate) throws Exception;
  }

  /** One step of a side's search and why it failed (empty when it passed). */
  private record Trial(int order, double rate, Step step, List<String> why) {
    boolean passed() {
      return why.isEmpty();
    }
  }

  /** One side's search: climb, then bisect. Only touched by the thread running the search. */
  private static final class Search {
    final String side;
    final List<Trial> trials = new ArrayList<>();
    double pass; // the highest rate that passed, 0 while none has
    double fail = Double.NaN; // the lowest rate that failed, NaN while climbing
    boolean done;

    Search(String side) {
      this.side = side;
    }

    /** {@return the next rate to try, or NaN when the search is over} */
    double next(Settings s) {
      if (Double.isNaN(fail)) {
        if (trials.isEmpty()) {
          return s.from;
        }
        return pass >= s.max ? Double.NaN : Math.min(s.max, s.above(pass));
      }
      return fail - pass <= s.resolution ? Double.NaN : Math.round((pass + fail) / 2);
    }

    void record(Trial t) {
      trials.add(t);
      if (t.passed()) {
        pass = Math.max(pass, t.rate);
      } else {
        fail = Double.isNaN(fail) ? t.rate : Math.min(fail, t.rate);
      }
    }

    String result() {
      return side + " " + (pass == 0 ? "none" : fmt(pass) + "/s");
    }

    /** {@return what bounds the result: the first failing rate, the --max, or the budget} */
    String bound(Settings s) {
      if (Double.isNaN(fail)) {
        return side + (pass >= s.max ? " passed the --max" : " still climbing (budget)");
      }
      var text = side + " fails at " + fmt(fail) + "/s";
      return fail - pass > s.resolution ? text + " (not narrowed: budget)" : text;
    }
  }

  private final Settings settings;
  private final double seconds;
  private final Duration deadline;
  private final List<Long> ids;
  private final List<String> sides;
  private final Runner runner;
  private final Wrk.Pause recover;

  MaxRate(Settings settings, double seconds, Duration deadline, List<Long> ids,
      List<String> sides, Runner runner, Wrk.Pause recover) {
    this.settings = settings;
    this.seconds = seconds;
    this.deadline = deadline;
    this.ids = List.copyOf(ids);
    this.sides = List.copyOf(sides);
    this.runner = runner;
    this.recover = recover;
  }

  /** Runs the search, prints it, and appends it to {@code report}. */
  void run(Path report) throws Exception {
    System.out.printf(Locale.ROOT, "max rate: each side climbs %s to %s, %.0f s a step, then "
        + "bisects to %s req/s; pass: p99 < %d ms, < %d%% non-2xx, 0 lost; budget %.0f s%n",
        settings.ladderText(), fmt(settings.max), seconds, fmt(settings.resolution),
        deadline.toMillis(), ERROR_SHARE_PERCENT, settings.budgetSeconds);
    long started = System.nanoTime();
    var searches = sides.stream().map(Search::new).toList();
    double stepsTook = 0; // seconds, recovery included
    int order = 0;
    boolean budget = false;
    for (int round = 0; ; round++) {
      var turn = searches.stream().filter(s -> !Double.isNaN(s.next(settings))).toList();
      if (turn.isEmpty()) {
        break;
      }
      double elapsed = (System.nanoTime() - started) / 1e9;
      double stepCost = order == 0 ? seconds + 3 : stepsTook / order; // a guess until timed
      if (elapsed + turn.size() * stepCost > settings.budgetSeconds) {
        budget = true;
        break;
      }
      for (var search : round % 2 == 0 ? turn : turn.reversed()) {
        double rate = search.next(settings);
        long t0 = System.nanoTime();
        var step = runner.run(search.side, rate);
        recover.run();
        var trial = new Trial(++order, rate, step, why(step.result()));
        search.record(trial);
        System.out.println(line(search.side, trial));
        stepsTook += (System.nanoTime() - t0) / 1e9;
      }
    }
    double took = (System.nanoTime() - started) / 1e9;

    var result = "highest rate with p99 under " + deadline.toMillis() + " ms and < "
        + ERROR_SHARE_PERCENT + "% errors: " + searches.stream().map(Search::result)
        .collect(Collectors.joining(", "));
    var bounds = "(" + searches.stream().map(s -> s.bound(settings))
        .collect(Collectors.joining("; ")) + String.format(Locale.ROOT, "; %d steps in %.0f s%s)",
        order, took, budget ? ", stopped by --budget-s" : "");
    System.out.println();
    for (var s : searches) {
      System.out.print(table(s));
      System.out.println();
    }
    System.out.println(result);
    System.out.println(bounds);
    append(report, searches, result, bounds);
    System.out.println("appended to " + report.toAbsolutePath());
  }

  /** {@return why {@code r} fails, empty when it passes} */
  private List<String> why(CellResult r) {
    var why = new ArrayList<String>();
    if (!(r.quantile(0.99) < deadline.toMillis())) { // NaN (nothing answered) fails too
      why.add("p99");
    }
    if (!(errorShare(r) < ERROR_SHARE_PERCENT / 100.0)) {
      why.add("errors");
    }
    if (r.lost() > 0) {
      why.add("lost");
    }
    if (r.inflightAfter() > 0) {
      why.add("inflight");
    }
    return why;
  }

  /** {@return the share of h2load's logged requests that were not answered 2xx} */
  private static double errorShare(CellResult r) {
    long total = r.statuses().values().stream().mapToLong(Long::longValue).sum();
    return total == 0 ? 1 : (double) r.errors() / total;
  }

  private static String errors(CellResult r) {
    if (r.errors() == 0) {
      return "0";
    }
    var text = r.errorsText();
    return String.format(Locale.ROOT, "%.1f%% %s", 100 * errorShare(r),
        text.substring(text.indexOf('(')));
  }

  private static String verdict(Trial t) {
    return t.passed() ? "pass" : "FAIL " + String.join(", ", t.why);
  }

  /** The sampled non-2xx answers, the same texts counted: {@code "504 deadline... x3"}. */
  private static String failures(Step step) {
    if (step.failures().isEmpty()) {
      return "-";
    }
    var counts = new LinkedHashMap<String, Integer>();
    step.failures().forEach(f -> counts.merge(f, 1, Integer::sum));
    return counts.entrySet().stream().sorted(Map.Entry.comparingByValue(Comparator.reverseOrder()))
        .limit(3).map(e -> e.getKey() + " x" + e.getValue())
        .collect(Collectors.joining("; "));
  }

  private String line(String side, Trial t) {
    var r = t.step.result();
    var text = String.format(Locale.ROOT, "  %-8s %6s/s  p50 %6.1f  p99 %6.1f  p99.9 %6.1f ms  "
        + "%6.1f rps  errors %s  lost %d  over-interval %d  partial %s  breakers %s  %s", side,
        fmt(t.rate), r.quantile(0.5), r.quantile(0.99), r.quantile(0.999), r.rps(), errors(r),
        r.lost(), r.overInterval(), r.partialText(), r.transitionsText(), verdict(t));
    return t.step.failures().isEmpty() ? text
        : text + "\n             sampled non-2xx: " + failures(t.step);
  }

  private static String table(Search s) {
    var b = new StringBuilder(s.side).append('\n').append(String.format(Locale.ROOT,
        "  %6s %7s %8s %8s  %-24s %5s %9s  %s%n", "rate", "rps", "p50 ms", "p99 ms", "non-2xx",
        "lost", "over-int", "verdict"));
    for (var t : byRate(s)) {
      var r = t.step.result();
      b.append(String.format(Locale.ROOT, "  %6s %7.1f %8.1f %8.1f  %-24s %5d %9d  %s%n",
          fmt(t.rate), r.rps(), r.quantile(0.5), r.quantile(0.99), errors(r), r.lost(),
          r.overInterval(), verdict(t)));
    }
    return b.toString();
  }

  private static List<Trial> byRate(Search s) {
    return s.trials.stream().sorted(Comparator.comparingDouble(Trial::rate)).toList();
  }

  private void append(Path file, List<Search> searches, String result, String bounds)
      throws IOException {
    var b = new StringBuilder();
    if (!Files.exists(file)) {
      b.append("# Load matrix: the highest rate under the deadline\n\n");
    }
    var now = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS);
    b.append("## ").append(now.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .append("\n\n**").append(result).append("** ").append(bounds).append("\n\n");
    b.append(String.format(Locale.ROOT, "- Healthy fleet; listings %s; deadline %d ms "
        + "(x-deadline-ms); %.0f s a step. Each side climbs %s up to %s req/s, then bisects "
        + "between the highest passing and the lowest failing rate to %s req/s; the sides' "
        + "steps alternate; every breaker is closed again before the next step.%n", ids,
        deadline.toMillis(), seconds, settings.ladderText(), fmt(settings.max),
        fmt(settings.resolution)));
    b.append("- Pass: p99 under the deadline over every answered h2load request (any status, "
        + "from its per-request log), under " + ERROR_SHARE_PERCENT + "% of h2load's requests "
        + "answered other than 2xx (failed streams included), none lost, none in flight after. "
        + "A partial page is a 200 and passes.\n");
    b.append("- h2load sends at a constant rate over connections started out of phase, each "
        + "sending every 2 x deadline, so no send waits on a response unless the response is "
        + "slower than that ('over int.', which bounds coordinated omission; 0 means none).\n");
    b.append("- Partial sections and sampled non-2xx: about 50 requests per step sent by a JDK "
        + "client beside h2load, within the stated rate; a non-2xx answer's body names what "
        + "failed.\n");
    for (var s : searches) {
      b.append("\n### ").append(s.side).append("\n\n| # | rate | rps | p50 ms | p99 ms | "
          + "p99.9 ms | non-2xx | lost | over int. | partial (sampled) | breakers | "
          + "sampled non-2xx | verdict |\n|--:|--:|--:|--:|--:|--:|---|--:|--:|---|---|---|---|\n");
      for (var t : byRate(s)) {
        var r = t.step.result();
        var cells = List.of(String.valueOf(t.order), fmt(t.rate),
            String.format(Locale.ROOT, "%.1f", r.rps()), ms(r.quantile(0.5)),
            ms(r.quantile(0.99)), ms(r.quantile(0.999)), errors(r), String.valueOf(r.lost()),
            String.valueOf(r.overInterval()), r.partialText(), r.transitionsText(),
            failures(t.step), verdict(t));
        b.append("| ").append(cells.stream().map(c -> c.replace("|", "\\|"))
            .collect(Collectors.joining(" | "))).append(" |\n");
      }
    }
    b.append('\n');
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, b, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
  }

  private static String fmt(double rate) {
    return rate == Math.rint(rate) ? String.valueOf((long) rate)
        : String.format(Locale.ROOT, "%.1f", rate);
  }
}
