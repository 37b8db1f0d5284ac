package dev.weft.examples.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one side (Weft or the baseline) did in one cell of the {@link LoadMatrix}.
 *
 * @param cell the cell's name, such as {@code "price-slow"} or {@code "healthy"}
 * @param fault the downstream at fault, or null when healthy
 * @param mode its mode, or null when healthy
 * @param rateLabel how the rate was chosen, such as {@code "100"} or {@code "near-sat 640"}
 * @param rate requests a second offered (h2load and the sampler together)
 * @param side {@code "weft"} or {@code "baseline"}
 * @param latenciesMs every answered h2load request's latency (ms), sorted
 * @param rps answered requests a second, h2load's and the sampler's
 * @param errors h2load requests not answered 2xx (including failed streams)
 * @param statuses h2load's answers by status (-1: failed stream)
 * @param sampled how many sampled requests answered
 * @param partial by section, how many sampled pages left it out
 * @param transitions the breaker transitions during the run, by downstream
 * @param lost h2load requests never ended or cut off as hung, plus sampled ones unanswered
 * @param inflightAfter what {@code /stats} said was in flight once the run had ended
 * @param overInterval h2load responses slower than their connection's send interval
 * @param lateArrivals downstream calls that arrived with no budget left
 * @param downstreamCalls calls the downstreams had during the run
 * @param series per second since the run's start: {second, p99 ms, share of non-2xx}
 */
record CellResult(String cell, String fault, Mode mode, String rateLabel, double rate, String side,
    double[] latenciesMs, double rps, long errors, Map<Integer, Long> statuses, int sampled,
    Map<String, Integer> partial, Map<String, List<String>> transitions, long lost,
    long inflightAfter, long overInterval, long lateArrivals, long downstreamCalls,
    List<double[]> series) {

  /** {@return the {@code q} quantile of the latencies (nearest rank), NaN when there are none} */
  double quantile(double q) {
    if (latenciesMs.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(q * latenciesMs.length);
    return latenciesMs[Math.max(0, Math.min(latenciesMs.length - 1, rank - 1))];
  }

  /** {@return the answered requests h2load logged} */
  int answered() {
    return latenciesMs.length;
  }

  /** {@return downstream calls per answered request} */
  double callsPerRequest() {
    int n = answered() + sampled;
    return n == 0 ? 0 : (double) downstreamCalls / n;
  }

  /** {@return the partial sections as text: {@code "availability 48/50, similar 3/50"}, or "-"} */
  String partialText() {
    if (partial.isEmpty()) {
      return sampled == 0 ? "n/a" : "-";
    }
    return partial.entrySet().stream().map(e -> e.getKey() + " " + e.getValue() + "/" + sampled)
        .collect(Collectors.joining(", "));
  }

  /** {@return the transitions as text: {@code "price CLOSED->OPEN->HALF_OPEN"}, or "-"} */
  String transitionsText() {
    if (transitions.isEmpty()) {
      return "-";
    }
    return transitions.entrySet().stream()
        .map(e -> e.getKey() + " " + chain(e.getValue()))
        .collect(Collectors.joining("; "));
  }

  /** {@return the errors by status, such as {@code "503:12 504:3"}, or "0"} */
  String errorsText() {
    if (errors == 0) {
      return "0";
    }
    return errors + " (" + statuses.entrySet().stream().filter(e -> e.getKey() / 100 != 2)
        .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(" ")) + ")";
  }

  /** "CLOSED->OPEN", "OPEN->HALF_OPEN" become "CLOSED->OPEN->HALF_OPEN"; shortened when long. */
  private static String chain(List<String> ts) {
    var parts = new ArrayList<String>();
    String last = null;
    for (var t : ts) {
      int arrow = t.indexOf("->");
      var from = arrow < 0 ? t : t.substring(0, arrow);
      var to = arrow < 0 ? "" : t.substring(arrow + 2);
      if (last == null || !last.equals(from)) {
        if (last != null) {
          parts.add("|");
        }
        parts.add(from);
      }
      parts.add(to);
      last = to;
    }
    var text = String.join("->", parts).replace("->|->", ", ");
    if (ts.size() > 6) {
      int opens = (int) ts.stream().filter(t -> t.endsWith("->OPEN")).count();
      return ts.size() + " transitions (" + opens + " to OPEN), ends " + last;
    }
    return text;
  }

  /** {@return the per-second p99 series of {@code samples} (start µs, status, latency µs)} */
  static List<double[]> series(List<H2load.Sample> samples) {
    var out = new ArrayList<double[]>();
    if (samples.isEmpty()) {
      return out;
    }
    long t0 = samples.get(0).startMicros();
    int seconds = (int) ((samples.get(samples.size() - 1).startMicros() - t0) / 1_000_000) + 1;
    var buckets = new ArrayList<List<H2load.Sample>>();
    for (int i = 0; i < seconds; i++) {
      buckets.add(new ArrayList<>());
    }
    for (var s : samples) {
      buckets.get((int) ((s.startMicros() - t0) / 1_000_000)).add(s);
    }
    // the last second holds only the run's tail: a few requests would make a misleading point
    var counts = buckets.stream().mapToInt(List::size).sorted().toArray();
    int enough = Math.max(3, counts[counts.length / 2] / 4);
    for (int i = 0; i < seconds; i++) {
      var b = buckets.get(i);
      if (b.size() < enough) {
        continue;
      }
      var lat = b.stream().filter(s -> s.status() > 0).mapToDouble(s -> s.latencyMicros() / 1e3)
          .sorted().toArray();
      double p99 = lat.length == 0 ? Double.NaN
          : lat[Math.max(0, (int) Math.ceil(0.99 * lat.length) - 1)];
      double bad = b.stream().filter(s -> s.status() / 100 != 2).count() / (double) b.size();
      out.add(new double[] {i, p99, bad});
    }
    return out;
  }

  @Override
  public String toString() {
    return cell + " " + rateLabel + " " + side + " p99 " + quantile(0.99) + " " + Arrays.toString(
        new long[] {errors, lost});
  }
}
