package dev.weft.examples.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of h2load (HTTP/1.1) at a constant arrival rate, and what it reports.
 *
 * <h2>Arrival schedule, and coordinated omission</h2>
 * {@code h2load --rps=r} gives each connection a timer that fires every {@code 1/r} seconds and
 * sends one request per tick. On HTTP/1.1 a connection has one request in flight; a tick that
 * comes while the previous response is still awaited is remembered and its request sent as soon
 * as that response arrives, and h2load logs that request's start as the moment it was
 * <em>sent</em>, not when it was due. So h2load is open-loop only while every response on a
 * connection comes back within {@code 1/r}; beyond that it coordinates with the server and the
 * wait before sending is omitted from the latency (measured on h2load 1.52: a burst of ticks
 * missed while a connection waited goes out back to back when it frees).
 *
 * <p>What this class does about it:
 * <ul>
 *   <li>It spreads the rate over enough connections that each ticks every {@code
 *       2 x deadline} or slower: a service that keeps its own deadline answers long before the
 *       next tick, so no tick is ever deferred. (Capped at {@value #MAX_CONNECTIONS}
 *       connections.)
 *   <li>It staggers the connections' start ({@code -r/--rate-period}) over one tick interval, so
 *       their timers are out of phase and the arrivals are even: without it every connection
 *       ticks at the same instant and the "rate" is a burst of {@code c} requests every
 *       {@code 1/r}.
 *   <li>It counts the responses slower than the tick interval ({@link Result#overInterval()}):
 *       only those can have deferred a later send, each by at most its own latency minus the
 *       interval. 0 means the run was open-loop throughout; anything else bounds the omission.
 * </ul>
 * What it does not guarantee: the client and the server share 2 cores, so a stalled h2load
 * (descheduled) delays sends it then logs as sent late, unseen; and a saturated server is measured
 * at the rate it could take, not the rate offered, once its responses exceed the interval.
 */
final class H2load {
  static final int MAX_CONNECTIONS = 1000;
  private static final Pattern FINISHED =
      Pattern.compile("finished in ([0-9.]+)(ms|s|us),");
  private static final Pattern REQUESTS = Pattern.compile("requests: (\\d+) total, (\\d+) started, "
      + "(\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");

  private H2load() {}

  /**
   * What to run: {@code rate} requests a second in total, spread over {@code connections}, for
   * {@code requests} requests, cycling through {@code uris}.
   */
  record Plan(List<URI> uris, double rate, int connections, int requests, Duration deadline) {
    /** {@return a plan of about {@code seconds} at {@code rate}, connections chosen as above} */
    static Plan of(List<URI> uris, double rate, double seconds, Duration deadline) {
      double interval = 2 * deadline.toNanos() / 1e9; // seconds between one connection's sends
      int c = (int) Math.ceil(rate * interval);
      c = Math.max(4, Math.min(MAX_CONNECTIONS, c));
      int perConnection = (int) Math.max(1, Math.round(rate * seconds / c));
      return new Plan(List.copyOf(uris), rate, c, c * perConnection, deadline);
    }

    /** {@return seconds between two sends on one connection} */
    double interval() {
      return connections / rate;
    }

    /** {@return how long the run should take: the stagger, then its requests at the rate} */
    double seconds() {
      return requests / rate + interval();
    }
  }

  /** One logged request: when it was sent (µs since the epoch), status (-1: failed), latency. */
  record Sample(long startMicros, int status, long latencyMicros) {}

  /**
   * What a run reports.
   *
   * @param samples every logged request, by start time
   * @param total the requests planned
   * @param started the requests sent
   * @param done the requests that ended (answered, failed or timed out)
   * @param timedOut the requests h2load gave up on: no byte on their connection for a while
   * @param seconds h2load's own elapsed time
   * @param overInterval responses slower than a connection's interval: possible deferred sends
   * @param killed whether h2load had to be stopped after its time was up
   */
  record Result(List<Sample> samples, long total, long started, long done, long timedOut,
      double seconds, long overInterval, boolean killed, String output) {
    /** {@return requests not ended or cut off as hung, and those h2load never got to send} */
    long lost() {
      return total - done + timedOut;
    }
  }

  /** {@return the version line h2load prints, or null when it is not installed} */
  static String version() {
    try {
      var p = new ProcessBuilder("h2load", "--version").redirectErrorStream(true).start();
      var out = new String(p.getInputStream().readAllBytes()).trim();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }

  /** Runs {@code plan}, writing h2load's per-request log to {@code log}; bounded in time. */
  static Result run(Plan plan, Path log) throws InterruptedException {
    // ramp: k connections every p ms, k/p as close to the rate as whole milliseconds allow (within
    // 2%), so that the connections start evenly spread over one interval, and send so ever after
    int perPeriod = 1;
    int periodMs = (int) Math.max(1, Math.round(1000 / plan.rate()));
    for (int k = 1; k <= 100; k++) {
      int p = (int) Math.max(1, Math.round(1000.0 * k / plan.rate()));
      if (Math.abs(1000.0 * k / p - plan.rate()) <= 0.02 * plan.rate()) {
        perPeriod = k;
        periodMs = p;
        break;
      }
    }
    long inactivity = Math.max(5, (long) Math.ceil(4 * plan.interval()));
    var cmd = new ArrayList<>(List.of("h2load", "--h1", "-t1",
        "-c" + plan.connections(), "-n" + plan.requests(),
        "--rps=" + String.format(java.util.Locale.ROOT, "%.4f", plan.rate() / plan.connections()),
        "-r" + perPeriod, "--rate-period=" + periodMs + "ms",
        "-N" + inactivity + "s",
        "-H", "x-deadline-ms: " + plan.deadline().toMillis(),
        "--log-file=" + log));
    plan.uris().forEach(u -> cmd.add(u.toString()));
    try {
      Files.deleteIfExists(log);
      var out = log.resolveSibling(log.getFileName() + ".out");
      var p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
          .start();
      long bound = (long) Math.ceil(plan.seconds()) + 30;
      boolean killed = !p.waitFor(bound, TimeUnit.SECONDS);
      if (killed) {
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
      var output = Files.readString(out);
      var samples = Files.exists(log) ? read(log) : List.<Sample>of();
      long interval = (long) (plan.interval() * 1e6);
      long over = samples.stream().filter(s -> s.latencyMicros() > interval).count();
      var m = REQUESTS.matcher(output);
      var f = FINISHED.matcher(output);
      if (killed || !m.find()) {
        // no summary: what the log holds is what ended
        return new Result(samples, plan.requests(), samples.size(), samples.size(), 0,
            Double.NaN, over, killed, output);
      }
      double seconds = f.find() ? seconds(f) : Double.NaN;
      return new Result(samples, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
          Long.parseLong(m.group(3)), Long.parseLong(m.group(7)), seconds, over, false, output);
    } catch (IOException e) {
      throw new UncheckedIOException("h2load failed: " + String.join(" ", cmd), e);
    }
  }

  private static double seconds(Matcher f) {
    double v = Double.parseDouble(f.group(1));
    return switch (f.group(2)) {
      case "ms" -> v / 1e3;
      case "us" -> v / 1e6;
      default -> v;
    };
  }

  private static List<Sample> read(Path log) throws IOException {
    var samples = new ArrayList<Sample>();
    for (var line : Files.readAllLines(log)) {
      var cols = line.split("\t");
      if (cols.length >= 3) {
        samples.add(new Sample(Long.parseLong(cols[0]), Integer.parseInt(cols[1]),
            Long.parseLong(cols[2])));
      }
    }
    samples.sort(Comparator.comparingLong(Sample::startMicros));
    return samples;
  }
}
