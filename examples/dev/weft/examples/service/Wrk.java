package dev.weft.examples.service;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Finding the near-saturation rate once, with short closed-loop wrk runs: each connection sends a
 * request as soon as the last is answered. A Lua hook counts the complete pages (200 without
 * {@code x-partial}), because a page service with a deadline keeps answering when overloaded,
 * with partial pages, 504s and breaker fast-fails that cost little; the rate that counts is that
 * of complete pages.
 *
 * <p>One closed-loop run at a high concurrency would overshoot: the overload opens breakers and
 * every page comes back partial. So it ramps instead: {@link #STEPS} connections, {@value
 * #SECONDS} s each, and stops once the complete-page rate falls below 95% of the best so far (the
 * knee is passed). The best is the side's capacity; the near-saturation rate is {@value #SHARE}
 * of the lower side's, so that both sides are compared at the same rate.
 */
final class Wrk {
  static final List<Integer> STEPS = List.of(8, 16, 32, 64, 128);
  static final int SECONDS = 2;
  static final double SHARE = 0.8;
  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)(ms|s|m)");
  private static final Pattern COMPLETE = Pattern.compile("complete pages: (\\d+)");

  /** Rotates the paths; counts, per thread, the 200s without x-partial; prints the sum. */
  private static final String LUA = """
      request = function()
        i = i % #paths + 1
        return wrk.format("GET", paths[i])
      end
      complete = 0
      response = function(status, headers, body)
        if status == 200 then
          local partial = nil
          for k, v in pairs(headers) do
            if string.lower(k) == "x-partial" and v ~= "" then partial = v end
          end
          if partial == nil then complete = complete + 1 end
        end
      end
      local threads = {}
      setup = function(thread) table.insert(threads, thread) end
      done = function(summary, latency, requests)
        local n = 0
        for _, t in ipairs(threads) do n = n + t:get("complete") end
        io.write(string.format("complete pages: %d\\n", n))
      end
      """;

  private Wrk() {}

  /** Something to do between the two sides' ramps (heal the breakers). */
  interface Pause {
    void run() throws Exception;
  }

  /** The rate found, and how. */
  record Saturation(double rate, String text) {}

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

  /** {@return the near-saturation rate of the service, asking for {@code paths} in turn} */
  static Saturation nearSaturation(URI service, List<String> paths, Duration deadline, Path dir,
      Pause between) throws Exception {
    var weft = ramp(service, "", paths, deadline, dir);
    between.run();
    var baseline = ramp(service, "/baseline", paths, deadline, dir);
    double lower = Math.min(weft.best(), baseline.best());
    double rate = Math.max(10, Math.floor(SHARE * lower / 10) * 10);
    var text = String.format(Locale.ROOT, "near saturation: %.0f req/s = %.0f%% of the lower "
        + "peak rate of complete pages in a closed-loop wrk ramp (-t1, %d s a step; connections: "
        + "complete pages/s) weft %s; baseline %s", rate, SHARE * 100, SECONDS, weft, baseline);
    return new Saturation(rate, text);
  }

  /** A side's ramp: complete pages a second at each step run. */
  private record Ramp(List<int[]> steps) {
    double best() {
      return steps.stream().mapToInt(s -> s[1]).max().orElse(0);
    }

    @Override
    public String toString() {
      return steps.stream().map(s -> s[0] + ": " + s[1]).collect(Collectors.joining(", "));
    }
  }

  private static Ramp ramp(URI service, String prefix, List<String> paths, Duration deadline,
      Path dir) throws IOException, InterruptedException {
    var script = dir.resolve("wrk" + prefix.replace('/', '-') + ".lua");
    Files.writeString(script, "local paths = {"
        + paths.stream().map(p -> "\"" + prefix + p + "\"").collect(Collectors.joining(", "))
        + "}\nlocal i = 0\nwrk.headers[\"x-deadline-ms\"] = \"" + deadline.toMillis() + "\"\n"
        + LUA);
    var steps = new ArrayList<int[]>();
    double best = 0;
    for (int c : STEPS) {
      double complete = completePages(service, script, c,
          dir.resolve("wrk" + prefix.replace('/', '-') + "-c" + c + ".out"));
      steps.add(new int[] {c, (int) Math.round(complete)});
      if (complete < 0.95 * best) {
        break;
      }
      best = Math.max(best, complete);
    }
    return new Ramp(steps);
  }

  private static double completePages(URI service, Path script, int connections, Path out)
      throws IOException, InterruptedException {
    var p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + SECONDS + "s",
        "--timeout", "5s", "-s", script.toString(), service.toString())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(SECONDS + 30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("wrk did not finish in " + (SECONDS + 30) + " s");
    }
    var text = Files.readString(out);
    var total = TOTAL.matcher(text);
    var complete = COMPLETE.matcher(text);
    if (!total.find() || !complete.find()) {
      throw new IllegalStateException("wrk printed no totals:\n" + text);
    }
    double seconds = Double.parseDouble(total.group(2)) * switch (total.group(3)) {
      case "ms" -> 1e-3;
      case "m" -> 60;
      default -> 1;
    };
    return Long.parseLong(complete.group(1)) / seconds;
  }
}
