package dev.weft.examples.service;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The resilience matrix: the listing service under a constant arrival rate while one downstream
 * at a time is slow, down or flaky, the Weft graph and the hand-wired CompletableFuture baseline
 * side by side. Needs h2load and wrk ({@code bash scripts/install-loadgen.sh}).
 *
 * <pre>
 * mvn -q test-compile exec:exec -Dexample=dev.weft.examples.service.LoadMatrix \
 *     -Dexample.args="--seconds=5 --rates=100,auto --cells=*"      # about 10 minutes
 * mvn -q test-compile exec:exec -Dexample=dev.weft.examples.service.LoadMatrix \
 *     -Dexample.args="--quick"                                    # 2 cells, 3 s each
 * mvn -q test-compile exec:exec -Dexample=dev.weft.examples.service.LoadMatrix \
 *     -Dexample.args="--max-rate"                                 # under 3 minutes
 * </pre>
 *
 * Options: {@code --seconds=S} per cell and side (5); {@code --rates=100,auto} requests a second,
 * {@code auto} meaning near saturation (below); {@code --cells=GLOB,...} such as {@code
 * healthy,price-*,*-down} (all); {@code --modes=slow,down,flaky} (add {@code refused} for
 * connection-refused cells); {@code --ids=7,8,...} the listings asked for; {@code
 * --deadline-ms=400}; {@code --out=target}; {@code --quick}. {@code --max-rate} runs no matrix but
 * looks for the highest constant rate each side keeps its p99 under the deadline at, healthy
 * (see {@link MaxRate}, which has its own options).
 *
 * <h2>What a cell is</h2>
 * Cells are {@code healthy}, then for each of the eight downstreams in turn {@code NAME-slow},
 * {@code NAME-down}, {@code NAME-flaky}. A cell sets the fault, runs one side then the other
 * (which goes first alternates from cell to cell), each for {@code S} seconds at the same rate
 * against its own path, then heals the fleet and sends light traffic until every breaker is
 * closed again (at most 8 s), so that a cell starts where the last one did not leave off.
 *
 * <h2>Measuring</h2>
 * h2load sends the load at a fixed rate and logs every request (see {@link H2load} for how the
 * schedule is kept open-loop and how coordinated omission is bounded: the "over interval" column
 * must be 0). p50, p99, p99.9 and the per-second p99 come from its log, over the answered
 * requests of every status. h2load records no headers, so a sampler sends about 50 of the cell's
 * requests itself with the JDK client, spread over the run, and counts the sections in their
 * {@code x-partial}; its rate is taken off h2load's, so the offered rate stays as stated.
 * Breaker transitions are the difference of {@code GET /stats} before and after the run; lost
 * requests are those h2load planned but did not see end or cut off as hung after seconds without
 * a byte (plus sampled ones that got no answer), and the service's
 * {@code inflight} must be back to 0 after the run (waited for up to 5 s).
 *
 * <h2>Near saturation</h2>
 * Once, before the matrix, with the fleet healthy, a closed-loop {@code wrk} ramp (8, 16, 32, 64,
 * 128 connections, 2 s a step, until the rate passes its peak) measures each side's peak rate of
 * complete pages (200 without {@code x-partial}); the near-saturation rate is 80% of the lower
 * side's, so both sides are compared at the same rate (see {@link Wrk}).
 *
 * <p>Fails (after writing its reports) when a run lost a request or left one in flight.
 *
 * <p>Writes {@code target/load-matrix.md} and {@code target/load-matrix.html}; h2load's logs go to
 * {@code target/load-matrix/}.
 */
public final class LoadMatrix {
  private static final List<String> SIDES = List.of("weft", "baseline");
  /** The sampler keeps the body of a non-2xx answer, which says what failed; a 2xx's it drops. */
  private static final HttpResponse.BodyHandler<String> BODY_UNLESS_2XX =
      info -> info.statusCode() / 100 == 2 ? HttpResponse.BodySubscribers.replacing(null)
          : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);

  private final Options options;
  private final Fleet fleet;
  private final URI service;
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final Path logs;

  private LoadMatrix(Options options, Fleet fleet, URI service) throws IOException {
    this.options = options;
    this.fleet = fleet;
    this.service = service;
    this.logs = Files.createDirectories(options.out.resolve("load-matrix"));
  }

  /** The command line, parsed; {@code maxRate} is null unless {@code --max-rate}. */
  record Options(double seconds, List<String> rates, List<String> cells, List<Mode> modes,
      List<Long> ids, Duration deadline, Path out, boolean quick, MaxRate.Settings maxRate) {
    static Options parse(String[] args) {
      var m = new LinkedHashMap<String, String>();
      for (var a : args) {
        if (!a.startsWith("--")) {
          throw new IllegalArgumentException("unknown argument '" + a + "'");
        }
        int eq = a.indexOf('=');
        m.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "" : a.substring(eq + 1));
      }
      boolean quick = m.containsKey("quick");
      boolean maxRate = m.containsKey("max-rate");
      var seconds = Double.parseDouble(m.getOrDefault("seconds",
          maxRate ? "4" : quick ? "3" : "5"));
      var rates = List.of(m.getOrDefault("rates", quick ? "100" : "100,auto").split(","));
      var cells = List.of(m.getOrDefault("cells", quick ? "healthy,availability-down" : "*")
          .split(","));
      var modes = List.of(m.getOrDefault("modes", "slow,down,flaky").split(",")).stream()
          .map(s -> Mode.valueOf(s.trim().toUpperCase(Locale.ROOT))).toList();
      var ids = List.of(m.getOrDefault("ids", "7,8,9,10,11,12,13,14").split(",")).stream()
          .map(s -> Long.parseLong(s.trim())).toList();
      var deadline = Duration.ofMillis(Long.parseLong(m.getOrDefault("deadline-ms",
          Long.toString(ListingService.DEFAULT_DEADLINE.toMillis()))));
      var matrixOnly = List.of("quick", "rates", "cells", "modes");
      var known = new ArrayList<>(List.of("max-rate", "seconds", "ids", "deadline-ms", "out"));
      known.addAll(matrixOnly);
      known.addAll(MaxRate.Settings.KEYS);
      for (var k : m.keySet()) {
        if (!known.contains(k)) {
          throw new IllegalArgumentException("unknown option --" + k + "; options: " + known);
        }
        if (maxRate && matrixOnly.contains(k)) {
          throw new IllegalArgumentException("--" + k + " does not apply to --max-rate");
        }
        if (!maxRate && MaxRate.Settings.KEYS.contains(k)) {
          throw new IllegalArgumentException("--" + k + " needs --max-rate");
        }
      }
      return new Options(seconds, rates, cells, modes, ids, deadline,
          Path.of(m.getOrDefault("out", "target")), quick,
          maxRate ? MaxRate.Settings.parse(m) : null);
    }
  }

  /** A fault to inject, or none: {@code healthy}. */
  record Cell(String name, String downstream, Mode mode) {}

  private static final Cell HEALTHY = new Cell("healthy", null, null);

  /** A side's run in a cell, and the error texts of the sampled answers that were not 2xx. */
  private record SideRun(CellResult result, List<String> failures) {
    MaxRate.Step step() {
      return new MaxRate.Step(result, failures);
    }
  }

  public static void main(String[] args) throws Exception {
    // before any HTTP server of this JVM starts: the JDK server would otherwise close keep-alive
    // connections beyond 200 idle ones, and h2load holds rate/2 x deadline-ish of them
    System.setProperty("sun.net.httpserver.maxIdleConnections", "100000");
    var options = Options.parse(args);
    var h2load = H2load.version();
    var wrk = Wrk.version();
    boolean needsWrk = options.maxRate == null && options.rates.contains("auto");
    if (h2load == null || (wrk == null && needsWrk)) {
      System.err.println("LoadMatrix needs h2load and wrk: bash scripts/install-loadgen.sh");
      System.exit(2);
    }
    System.out.println(h2load + "; " + (wrk == null ? "no wrk" : wrk));
    try (var fleet = Fleet.start(); var service = ListingService.start(fleet)) {
      System.out.println("service: ListingService at " + service.uri());
      new LoadMatrix(options, fleet, service.uri()).run();
    }
  }

  private void run() throws Exception {
    if (options.maxRate != null) {
      warmUp();
      new MaxRate(options.maxRate, options.seconds, options.deadline, options.ids, SIDES,
          (side, rate) -> runSide(HEALTHY, "max-rate " + Math.round(rate), rate, side).step(),
          this::recover).run(options.out.resolve("load-matrix-max-rate.md"));
      return;
    }
    var cells = cells();
    if (cells.isEmpty()) {
      throw new IllegalArgumentException("no cell matches --cells=" + options.cells);
    }
    long started = System.nanoTime();
    warmUp();
    var rates = new ArrayList<Map.Entry<String, Double>>();
    String saturation = null;
    for (var r : options.rates) {
      if (r.equals("auto")) {
        var found = Wrk.nearSaturation(service, paths(), options.deadline, logs, this::recover);
        saturation = found.text();
        System.out.println(saturation);
        recover(); // the overload opened breakers
        rates.add(Map.entry("near-sat " + Math.round(found.rate()), found.rate()));
      } else {
        rates.add(Map.entry(r, Double.parseDouble(r)));
      }
    }
    double estimate = rates.size() * cells.size() * 2 * (options.seconds + 0.9);
    System.out.printf(Locale.ROOT, "%d cells x %d rates x 2 sides, %.0f s each: about %.1f min%n",
        cells.size(), rates.size(), options.seconds, estimate / 60);

    var results = new ArrayList<CellResult>();
    int n = 0;
    for (var rate : rates) {
      for (var cell : cells) {
        if (cell.downstream() != null) {
          fleet.mode(cell.downstream(), cell.mode());
        }
        var order = n++ % 2 == 0 ? SIDES : SIDES.reversed();
        for (var side : order) {
          var r = runSide(cell, rate.getKey(), rate.getValue(), side).result();
          results.add(r);
          System.out.println(line(r));
        }
        fleet.healthy();
        recover();
      }
    }
    var report = new MatrixReport(results, options, saturation,
        (System.nanoTime() - started) / 1e9);
    var md = report.writeMarkdown(options.out.resolve("load-matrix.md"));
    var html = report.writeHtml(options.out.resolve("load-matrix.html"));
    System.out.println();
    System.out.print(Files.readString(md));
    System.out.println("wrote " + md.toAbsolutePath() + " and " + html.toAbsolutePath());
    long lost = results.stream().filter(r -> r.lost() > 0 || r.inflightAfter() > 0).count();
    long over = results.stream().filter(r -> r.overInterval() > 0).count();
    System.out.printf("%d of %d runs lost requests or left some in flight; %d had responses "
        + "slower than their send interval (possible coordinated omission)%n", lost,
        results.size(), over);
    if (lost > 0) {
      throw new IllegalStateException(lost + " runs lost requests or left some in flight");
    }
  }

  private List<Cell> cells() {
    var all = new ArrayList<Cell>();
    all.add(HEALTHY);
    for (var name : Fleet.NAMES) {
      for (var mode : options.modes) {
        all.add(new Cell(name + "-" + mode.name().toLowerCase(Locale.ROOT), name, mode));
      }
    }
    var patterns = options.cells.stream()
        .map(g -> Pattern.compile(g.trim().replace(".", "\\.").replace("*", ".*"))).toList();
    return all.stream().filter(c -> patterns.stream().anyMatch(p -> p.matcher(c.name()).matches()))
        .toList();
  }

  private List<String> paths() {
    return options.ids.stream().map(id -> "/listings/" + id).toList();
  }

  private String prefix(String side) {
    return side.equals("weft") ? "" : "/baseline";
  }

  /** Both sides, healthy, not recorded: the JIT and the connection pools warm up. */
  private void warmUp() throws Exception {
    double seconds = options.quick ? 2 : 3;
    for (var side : SIDES) {
      var uris = paths().stream().map(p -> service.resolve(prefix(side) + p)).toList();
      H2load.run(H2load.Plan.of(uris, 100, seconds, options.deadline),
          logs.resolve("warm-up-" + side + ".tsv"));
    }
    recover();
    System.out.println("warmed up");
  }

  private SideRun runSide(Cell cell, String rateLabel, double rate, String side)
      throws Exception {
    var uris = paths().stream().map(p -> service.resolve(prefix(side) + p)).toList();
    int sample = (int) Math.min(50, Math.max(10, Math.round(0.1 * rate * options.seconds)));
    double samplerRate = sample / options.seconds;
    var plan = H2load.Plan.of(uris, rate - samplerRate, options.seconds, options.deadline);

    var before = stats().get(side);
    long lateBefore = lateArrivals();
    long callsBefore = totalCalls();
    var sampler = CompletableFuture.supplyAsync(() -> sample(uris, sample, plan.seconds()),
        runnable -> Thread.ofVirtual().start(runnable));
    var log = logs.resolve(rateLabel.replace(' ', '-') + "-" + cell.name() + "-" + side + ".tsv");
    var run = H2load.run(plan, log);
    var sampled = sampler.get((long) plan.seconds() + 60, TimeUnit.SECONDS);
    long inflight = inflightAfter(side);
    var after = stats().get(side);

    var statuses = new TreeMap<Integer, Long>();
    run.samples().forEach(s -> statuses.merge(s.status(), 1L, Long::sum));
    long errors = run.samples().stream().filter(s -> s.status() / 100 != 2).count();
    var latencies = run.samples().stream().filter(s -> s.status() > 0)
        .mapToDouble(s -> s.latencyMicros() / 1e3).sorted().toArray();
    double seconds = Double.isNaN(run.seconds()) ? plan.seconds() : run.seconds();
    double rps = (latencies.length + sampled.answered()) / seconds;
    return new SideRun(new CellResult(cell.name(), cell.downstream(), cell.mode(), rateLabel,
        rate, side, latencies, rps, errors, statuses, sampled.answered(), sampled.partial(),
        after.since(before), run.lost() + sampled.lost(), inflight, run.overInterval(),
        lateArrivals() - lateBefore, totalCalls() - callsBefore, CellResult.series(run.samples())),
        sampled.failures());
  }

  /**
   * What the sampler saw: answered requests, how many pages left out each section, and each
   * non-2xx answer as its status and error text, such as {@code "504 deadline of 400 ms
   * exceeded"}.
   */
  private record Sampled(int answered, Map<String, Integer> partial, int lost,
      List<String> failures) {}

  /** Sends {@code count} requests evenly over {@code seconds}, counting x-partial sections. */
  private Sampled sample(List<URI> uris, int count, double seconds) {
    var calls = new ArrayList<CompletableFuture<HttpResponse<String>>>();
    long start = System.nanoTime();
    long step = (long) (seconds * 1e9 / count);
    try {
      for (int i = 0; i < count; i++) {
        long wait = start + i * step - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(Duration.ofNanos(wait));
        }
        var request = HttpRequest.newBuilder(uris.get(i % uris.size()))
            .header("x-deadline-ms", String.valueOf(options.deadline.toMillis()))
            .timeout(Duration.ofSeconds(30)).build();
        calls.add(client.sendAsync(request, BODY_UNLESS_2XX));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    var partial = new TreeMap<String, Integer>();
    var failures = new ArrayList<String>();
    int answered = 0;
    for (var c : calls) {
      try {
        var r = c.get(40, TimeUnit.SECONDS);
        answered++;
        if (r.statusCode() / 100 != 2) {
          failures.add(r.statusCode() + " " + errorText(r.body()));
        }
        for (var s : r.headers().firstValue("x-partial").orElse("").split(",")) {
          if (!s.isBlank()) {
            partial.merge(s.trim(), 1, Integer::sum);
          }
        }
      } catch (Exception e) {
        c.cancel(true);
      }
    }
    return new Sampled(answered, partial, count - answered, failures);
  }

  /** {@return the {@code "error"} of a JSON error body, or the body itself, shortened} */
  private static String errorText(String body) {
    try {
      if (Json.object(Json.parse(body)).get("error") instanceof String error) {
        return error;
      }
    } catch (RuntimeException e) {
      // not a JSON error body: the text as it is
    }
    return body.length() > 200 ? body.substring(0, 200) + "..." : body;
  }

  private Map<String, ServiceStats> stats() throws IOException, InterruptedException {
    var r = client.send(HttpRequest.newBuilder(service.resolve("/stats"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET /stats answered " + r.statusCode() + ": " + r.body());
    }
    return ServiceStats.parse(r.body());
  }

  /** {@return the side's inflight once it is 0, or what it still is after 5 s} */
  private long inflightAfter(String side) throws IOException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      long inflight = stats().get(side).inflight();
      if (inflight == 0 || System.nanoTime() > end) {
        return inflight;
      }
      Thread.sleep(50);
    }
  }

  /** Light traffic to both sides until every breaker is closed: at most 8 s. */
  private void recover() throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    while (true) {
      var open = new ArrayList<String>();
      stats().forEach((side, s) -> s.states().forEach((name, state) -> {
        if (!state.equals("CLOSED")) {
          open.add(side + "/" + name + " " + state);
        }
      }));
      if (open.isEmpty()) {
        return;
      }
      if (System.nanoTime() > end) {
        System.out.println("  not recovered after 8 s: " + open);
        return;
      }
      var calls = new ArrayList<CompletableFuture<?>>();
      for (var side : SIDES) {
        for (var p : paths()) {
          calls.add(client.sendAsync(HttpRequest.newBuilder(service.resolve(prefix(side) + p))
              .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()));
        }
      }
      for (var c : calls) {
        try {
          c.get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
          // recovery traffic: only the breakers' states matter
        }
      }
      Thread.sleep(200);
    }
  }

  private long lateArrivals() {
    return fleet.downstreams().stream().mapToLong(Downstream::lateArrivals).sum();
  }

  private long totalCalls() {
    return fleet.calls().values().stream().mapToLong(Long::longValue).sum();
  }

  private static String line(CellResult r) {
    return String.format(Locale.ROOT,
        "%-20s %-13s %-8s p50 %6.1f  p99 %6.1f  p99.9 %6.1f ms  %6.1f rps  errors %s  "
            + "partial %s  breakers %s  lost %d  inflight %d  over-interval %d",
        r.cell(), r.rateLabel(), r.side(), r.quantile(0.5), r.quantile(0.99), r.quantile(0.999),
        r.rps(), r.errorsText(), r.partialText(), r.transitionsText(), r.lost(),
        r.inflightAfter(), r.overInterval());
  }
}
