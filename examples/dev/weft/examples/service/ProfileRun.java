package dev.weft.examples.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
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
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * One side of the listing service at one constant rate under JFR, to see where its CPU goes: the
 * fleet of downstreams in a JVM of its own (a child process), the service in this one, h2load a
 * third process, so this JVM's CPU time is the service's alone. Needs h2load ({@code bash
 * scripts/install-loadgen.sh}).
 *
 * <pre>
 * mvn -q -o test-compile exec:exec -Dexample=dev.weft.examples.service.ProfileRun \
 *     -Dexample.args="--rate=300 --seconds=25"
 * $JDK/bin/jfr view hot-methods target/profile/weft.jfr
 * </pre>
 *
 * Options: {@code --sides=weft,baseline} in this order; {@code --rate=300} req/s; {@code
 * --seconds=25} per side; {@code --warm-s=20} of h2load at the rate on each side, both before
 * either is measured (after 3 s at 100/s each, as LoadMatrix warms up), not recorded; {@code
 * --deadline-ms=400}; {@code --out=target/profile}; {@code --one-jvm} runs the fleet in this JVM
 * too (as LoadMatrix does); {@code --weft-events} records Weft's own JFR events too (off by
 * default: they cost the Weft side alone). For each side: a JFR recording ({@code profile}
 * settings, plus {@code jdk.CPUTimeSample}) of the measured seconds only, dumped to {@code
 * OUT/SIDE.jfr}, and a line with the pages answered, their latency, this JVM's CPU time (and the
 * fleet's) per page, downstream calls per page, TCP connects and resets sent in this network
 * namespace ({@code /proc/net/snmp}, h2load's own connections included), and the breaker
 * transitions. Allocation, GC and threads are in the recording ({@code
 * jdk.ObjectAllocationSample}, {@code jdk.GarbageCollection}, {@code jdk.JavaThreadStatistics}).
 * Prints a summary and writes it to {@code OUT/summary.txt}.
 */
public final class ProfileRun {
  private ProfileRun() {}

  public static void main(String[] args) throws Exception {
    var m = new LinkedHashMap<String, String>();
    for (var a : args) {
      int eq = a.indexOf('=');
      m.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "" : a.substring(eq + 1));
    }
    System.setProperty("sun.net.httpserver.maxIdleConnections", "100000");
    if (m.containsKey("fleet")) {
      fleet();
      return;
    }
    var sides = List.of(m.getOrDefault("sides", "weft,baseline").split(","));
    double rate = Double.parseDouble(m.getOrDefault("rate", "300"));
    double seconds = Double.parseDouble(m.getOrDefault("seconds", "25"));
    double warm = Double.parseDouble(m.getOrDefault("warm-s", "20"));
    var deadline = Duration.ofMillis(Long.parseLong(m.getOrDefault("deadline-ms", "400")));
    var out = Files.createDirectories(Path.of(m.getOrDefault("out", "target/profile")));
    boolean oneJvm = m.containsKey("one-jvm");
    boolean weftEvents = m.containsKey("weft-events");
    if (H2load.version() == null) {
      System.err.println("ProfileRun needs h2load: bash scripts/install-loadgen.sh");
      System.exit(2);
    }

    Process child = null;
    Fleet local = null;
    BufferedReader childOut = null;
    PrintStream childIn = null;
    var uris = new LinkedHashMap<String, URI>();
    if (oneJvm) {
      local = Fleet.start();
      for (var name : Fleet.NAMES) {
        uris.put(name, local.uri(name));
      }
    } else {
      var java = ProcessHandle.current().info().command().orElse("java");
      child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          ProfileRun.class.getName(), "--fleet").redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      childOut = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8));
      childIn = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
      String line;
      while (uris.size() < Fleet.NAMES.size() && (line = childOut.readLine()) != null) {
        var f = line.split(" ");
        if (f.length == 3 && f[0].equals("fleet")) {
          uris.put(f[1], URI.create(f[2]));
        }
      }
    }
    var lines = new ArrayList<String>();
    try (var service = ListingService.start(uris)) {
      System.out.println("service at " + service.uri() + (oneJvm ? ", fleet in this JVM"
          : ", fleet in pid " + child.pid()));
      for (var side : List.of("weft", "baseline")) { // as LoadMatrix warms up: 100/s, 3 s each
        H2load.run(H2load.Plan.of(targets(service, side), 100, 3, deadline),
            out.resolve(side + "-warm100.tsv"));
      }
      for (var side : sides) { // then both at the rate, before either is measured: the JIT settles
        if (warm > 0) {
          H2load.run(H2load.Plan.of(targets(service, side), rate, warm, deadline),
              out.resolve(side + "-warm.tsv"));
        }
      }
      for (var side : sides) {
        var targets = targets(service, side);
        Thread.sleep(3000); // breakers a warm-up opened close again (open for 1 s, then probes)
        long cpu0 = cpu(ProcessHandle.current());
        long fleetCpu0 = child == null ? 0 : cpu(child.toHandle());
        long calls0 = calls(local, childIn, childOut);
        var stats0 = stats(service);
        long[] tcp0 = tcp();
        var recording = new Recording(Configuration.getConfiguration("profile"));
        recording.enable("jdk.CPUTimeSample").with("throttle", "10ms"); // JDK 25, Linux
        if (!weftEvents) { // Weft's own events cost the Weft side alone: off unless asked for
          for (var e : List.of("dev.weft.Run", "dev.weft.NodeExecution",
              "dev.weft.BatchExecution")) {
            recording.disable(e);
          }
        }
        recording.setName(side);
        recording.start();
        long t0 = System.nanoTime();
        var run = H2load.run(H2load.Plan.of(targets, rate, seconds, deadline),
            out.resolve(side + ".tsv"));
        long wall = System.nanoTime() - t0;
        recording.stop();
        long cpu = cpu(ProcessHandle.current()) - cpu0;
        long fleetCpu = child == null ? 0 : cpu(child.toHandle()) - fleetCpu0;
        long calls = calls(local, childIn, childOut) - calls0;
        long[] tcp1 = tcp();
        var stats = stats(service);
        var jfr = out.resolve(side + ".jfr");
        recording.dump(jfr);
        recording.close();

        var statuses = new TreeMap<Integer, Long>();
        run.samples().forEach(s -> statuses.merge(s.status(), 1L, Long::sum));
        long ok = run.samples().stream().filter(s -> s.status() / 100 == 2).count();
        long answered = run.samples().stream().filter(s -> s.status() > 0).count();
        var lat = run.samples().stream().filter(s -> s.status() > 0)
            .mapToDouble(s -> s.latencyMicros() / 1e3).sorted().toArray();
        var line = String.format(Locale.ROOT, "%-8s rate %.0f/s  %.1f s  answered %d (%s)  "
            + "p50 %.1f  p99 %.1f ms  service CPU %.2f s = %.0f%% of 1 core = %.2f ms/page  "
            + "fleet CPU %.2f s = %.2f ms/page  downstream calls %.2f/page  connects %d "
            + "(h2load's %d of them), resets sent %d  breakers %s  %s", side, rate,
            wall / 1e9, answered, statuses, quantile(lat, 0.5), quantile(lat, 0.99), cpu / 1e9,
            100.0 * cpu / wall, cpu / 1e6 / Math.max(1, answered), fleetCpu / 1e9,
            fleetCpu / 1e6 / Math.max(1, answered), (double) calls / Math.max(1, answered),
            tcp1[0] - tcp0[0], run.samples().isEmpty() ? 0 : H2load.Plan.of(targets, rate,
            seconds, deadline).connections(), tcp1[1] - tcp0[1],
            transitions(stats0.get(side), stats.get(side)), jfr);
        System.out.println(line);
        lines.add(line);
        if (ok == 0) {
          System.out.println("  no page answered 2xx: " + run.output());
        }
      }
    } finally {
      if (local != null) {
        local.close();
      }
      if (child != null) {
        childIn.close(); // the fleet stops at the end of its input
        if (!child.waitFor(10, TimeUnit.SECONDS)) {
          child.destroy();
        }
      }
    }
    Files.write(out.resolve("summary.txt"), lines);
  }

  private static List<URI> targets(ListingService service, String side) {
    return List.of(7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L).stream()
        .map(id -> service.uri().resolve((side.equals("weft") ? "" : "/baseline")
            + "/listings/" + id)).toList();
  }

  private static Map<String, ServiceStats> stats(ListingService service) throws Exception {
    try (var client = java.net.http.HttpClient.newHttpClient()) {
      var r = client.send(java.net.http.HttpRequest.newBuilder(service.uri().resolve("/stats"))
          .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      return ServiceStats.parse(r.body());
    }
  }

  /** {@return the breaker transitions between two readings, by downstream, with any} */
  private static String transitions(ServiceStats before, ServiceStats after) {
    var b = new StringBuilder();
    after.breakers().forEach((name, log) -> {
      int was = before.breakers().getOrDefault(name, List.of()).size();
      if (log.size() > was) {
        long opened = log.subList(was, log.size()).stream().filter(t -> t.endsWith("->OPEN"))
            .count();
        b.append(b.isEmpty() ? "" : ", ").append(name).append(' ').append(log.size() - was)
            .append(" (").append(opened).append(" to OPEN)");
      }
    });
    return b.isEmpty() ? "-" : b.toString();
  }

  /**
   * {@return the TCP counters {@code ActiveOpens} (connects) and {@code OutRsts} (resets sent) of
   * this network namespace, from {@code /proc/net/snmp}; zeros where there is none}
   */
  private static long[] tcp() {
    try {
      var lines = Files.readAllLines(Path.of("/proc/net/snmp")).stream()
          .filter(l -> l.startsWith("Tcp:")).toList();
      var keys = List.of(lines.get(0).split("\\s+"));
      var values = lines.get(1).split("\\s+");
      return new long[] {Long.parseLong(values[keys.indexOf("ActiveOpens")]),
          Long.parseLong(values[keys.indexOf("OutRsts")])};
    } catch (IOException | RuntimeException e) {
      return new long[2];
    }
  }

  /** The child: starts the fleet, prints its URIs, answers "calls", ends with its input. */
  private static void fleet() throws IOException {
    try (var fleet = Fleet.start()) {
      for (var name : Fleet.NAMES) {
        System.out.println("fleet " + name + " " + fleet.uri(name));
      }
      System.out.flush();
      var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        if (line.equals("calls")) {
          System.out.println("calls " + totalCalls(fleet));
          System.out.flush();
        }
      }
    }
  }

  private static long totalCalls(Fleet fleet) {
    return fleet.calls().values().stream().mapToLong(Long::longValue).sum();
  }

  private static long calls(Fleet local, PrintStream in, BufferedReader out) throws IOException {
    if (local != null) {
      return totalCalls(local);
    }
    in.println("calls");
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("calls ")) {
        return Long.parseLong(line.substring(6).trim());
      }
    }
    throw new IOException("the fleet's JVM ended");
  }

  private static long cpu(ProcessHandle p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static double quantile(double[] sorted, double q) {
    return sorted.length == 0 ? Double.NaN
        : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
