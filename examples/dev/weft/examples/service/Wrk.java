package dev.weft.examples.service;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Finding the near-saturation rate once, with closed-loop wrk runs. */
final class Wrk {
  static final int CONNECTIONS = 256;
  static final int SECONDS = 3;
  static final double SHARE = 0.8;
  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)(ms|s|m)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

  private Wrk() {}

  /** The rate found, and how. */
  record Saturation(double rate, double weft, double baseline, String text) {}

  /** {@return wrk's version line, or null when it is not installed} */
  static String version() {
    try {
      var p = new ProcessBuilder("wrk", "-v").redirectErrorStream(true).start();
      var out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor(10, TimeUnit.SECONDS);
      return out.startsWith("wrk") ? out.lines().findFirst().orElse(out) : null;
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }

  /**
   * {@return {@value #SHARE} of the lower 2xx throughput of the two sides}, each measured with
   * {@value #CONNECTIONS} connections for {@value #SECONDS} s, asking for {@code paths} in turn.
   */
  static Saturation nearSaturation(URI service, List<String> paths, Duration deadline, Path dir)
      throws IOException, InterruptedException {
    double weft = goodput(service, "", paths, deadline, dir);
    double baseline = goodput(service, "/baseline", paths, deadline, dir);
    double rate = Math.max(10, Math.floor(SHARE * Math.min(weft, baseline) / 10) * 10);
    var text = String.format(Locale.ROOT, "near saturation: %.0f req/s = %.0f%% of the lower "
        + "closed-loop 2xx throughput (wrk -t1 -c%d -d%ds: weft %.0f, baseline %.0f req/s)",
        rate, SHARE * 100, CONNECTIONS, SECONDS, weft, baseline);
    return new Saturation(rate, weft, baseline, text);
  }

  private static double goodput(URI service, String prefix, List<String> paths, Duration deadline,
      Path dir) throws IOException, InterruptedException {
    var script = dir.resolve("wrk" + prefix.replace('/', '-') + ".lua");
    Files.writeString(script, "local paths = {"
        + paths.stream().map(p -> "\"" + prefix + p + "\"").collect(Collectors.joining(", "))
        + "}\nlocal i = 0\nwrk.headers[\"x-deadline-ms\"] = \"" + deadline.toMillis() + "\"\n"
        + "request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\n"
        + "end\n");
    var p = new ProcessBuilder("wrk", "-t1", "-c" + CONNECTIONS, "-d" + SECONDS + "s",
        "--timeout", "5s", "-s", script.toString(), service.toString())
        .redirectErrorStream(true).start();
    var out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(SECONDS + 30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("wrk did not finish");
    }
    Files.writeString(dir.resolve("wrk" + prefix.replace('/', '-') + ".out"), out);
    var total = TOTAL.matcher(out);
    if (!total.find()) {
      throw new IllegalStateException("wrk printed no total:\n" + out);
    }
    double seconds = Double.parseDouble(total.group(2)) * switch (total.group(3)) {
      case "ms" -> 1e-3;
      case "m" -> 60;
      default -> 1;
    };
    var bad = NON_2XX.matcher(out);
    long good = Long.parseLong(total.group(1)) - (bad.find() ? Long.parseLong(bad.group(1)) : 0);
    return good / seconds;
  }
}
