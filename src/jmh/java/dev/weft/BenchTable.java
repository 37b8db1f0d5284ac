package dev.weft;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Turns JMH's CSV results ({@code -rf csv}, with {@code -prof gc}) into the Markdown table of
 * BENCHMARKS.md: one row per benchmark, parameter and implementation, with µs per run, µs per node,
 * runs per second and bytes allocated per node per run; prints it, and writes it to the second
 * argument if given. Not a benchmark; {@code bench/run.sh} runs it after the suite:
 *
 * <pre>{@code
 * mvn -q -Pjmh test-compile exec:exec -Dexample=dev.weft.BenchTable \
 *     -Dexample.args="target/jmh-result.csv target/jmh-table.md"
 * }</pre>
 */
public final class BenchTable {
  private BenchTable() {}

  // implementations in the order the table shows them; anything else follows
  private static final List<String> ORDER =
      List.of("weft", "weftInline", "cfInline", "cfVirtual", "criticalPath");

  // benchmark classes in the order the table shows them (JMH reports by mode, then name)
  private static final List<String> CLASSES = List.of("RunBenchmark", "ThroughputBenchmark",
      "LongChainBenchmark", "DiamondIoBenchmark", "BuildBenchmark", "PolicyBenchmark",
      "EventsBenchmark", "TaskContextBenchmark");

  /** One primary result and the allocation measured with it. */
  private static final class Row {
    String benchmark;
    String method;
    String params;
    double score;
    double error;
    String unit;
    double bytesPerOp = Double.NaN;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      throw new IllegalArgumentException("usage: BenchTable <jmh-result.csv> [<table.md>]");
    }
    var out = new StringBuilder();
    var lines = Files.readAllLines(Path.of(args[0]));
    var groups = new LinkedHashMap<String, List<Row>>();
    var primary = new LinkedHashMap<String, Row>();
    for (var line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      var cells = parse(line);
      var params = new ArrayList<String>();
      for (int i = 7; i < cells.size(); i++) {
        if (!cells.get(i).isEmpty()) {
          params.add(cells.get(i));
        }
      }
      var name = cells.get(0);
      int colon = name.indexOf(':');
      var full = colon < 0 ? name : name.substring(0, colon);
      var key = full + " " + String.join(",", params);
      if (colon >= 0) {
        var row = primary.get(key);
        if (row != null && name.endsWith(":gc.alloc.rate.norm")) {
          row.bytesPerOp = number(cells.get(4));
        }
        continue;
      }
      var row = new Row();
      int dot = full.lastIndexOf('.');
      row.benchmark = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
      row.method = full.substring(dot + 1);
      row.params = String.join(",", params);
      row.score = number(cells.get(4));
      row.error = number(cells.get(5));
      row.unit = cells.get(6);
      primary.put(key, row);
      groups.computeIfAbsent(row.benchmark + " " + row.params, k -> new ArrayList<>()).add(row);
    }

    out.append("| benchmark | shape or param | impl | nodes | µs/run | µs/node | ops/s "
        + "| B/op/node |\n");
    out.append("|---|---|---|--:|--:|--:|--:|--:|\n");
    var sorted = new ArrayList<>(groups.values());
    sorted.sort((a, b) -> Integer.compare(CLASSES.indexOf(a.get(0).benchmark) & Integer.MAX_VALUE,
        CLASSES.indexOf(b.get(0).benchmark) & Integer.MAX_VALUE));
    for (var rows : sorted) {
      rows.sort((a, b) -> Integer.compare(rank(a.method), rank(b.method)));
      for (var r : rows) {
        int nodes = nodes(r);
        String perRun = "–";
        String perNode = "–";
        String opsPerSecond = "–";
        if (r.unit.endsWith("/op")) {
          double scale = micros(r.unit);
          perRun = withError(r.score * scale, r.error * scale);
          // diamond-io's time is its sleeps: per node it would mean nothing
          perNode = nodes > 0 && !r.benchmark.equals("DiamondIoBenchmark")
              ? round(r.score * scale / nodes) : "–";
        } else {
          double scale = perSecond(r.unit);
          opsPerSecond = withError(r.score * scale, r.error * scale);
        }
        var perNodeBytes = nodes > 0 && !Double.isNaN(r.bytesPerOp)
            ? round(r.bytesPerOp / nodes) : "–";
        out.append(String.format("| %s | %s | %s | %s | %s | %s | %s | %s |%n", r.benchmark,
            r.params.isEmpty() ? "–" : r.params, r.method, nodes > 0 ? nodes : "–", perRun,
            perNode, opsPerSecond, perNodeBytes));
      }
    }
    out.append("\nµs/node = µs/run ÷ nodes; B/op/node = gc.alloc.rate.norm ÷ nodes; ± is JMH's "
        + "99.9% interval.\nThroughputBenchmark: 4 callers. diamond-io: critical path 5 × 1 ms, "
        + "measured as criticalPath.\n");
    System.out.print(out);
    if (args.length == 2) {
      Files.writeString(Path.of(args[1]), out);
    }
  }

  private static int rank(String method) {
    int i = ORDER.indexOf(method);
    return i < 0 ? ORDER.size() : i;
  }

  /** {@return the nodes one operation runs or builds, or 0 where per node means nothing} */
  private static int nodes(Row r) {
    if (r.method.equals("criticalPath")) {
      return 0;
    }
    switch (r.benchmark) {
      case "PolicyBenchmark":
        return PolicyBenchmark.LENGTH;
      case "EventsBenchmark":
        return EventsBenchmark.LENGTH;
      case "TaskContextBenchmark":
        return TaskContextBenchmark.WIDTH + (r.params.startsWith("fanout") ? 2 : 1);
      default:
        try {
          return Shapes.of(r.params).size();
        } catch (IllegalArgumentException e) {
          return 0;
        }
    }
  }

  private static double micros(String unit) {
    return switch (unit) {
      case "ns/op" -> 1e-3;
      case "us/op" -> 1;
      case "ms/op" -> 1e3;
      case "s/op" -> 1e6;
      default -> throw new IllegalArgumentException("unit " + unit);
    };
  }

  private static double perSecond(String unit) {
    return switch (unit) {
      case "ops/s" -> 1;
      case "ops/ms" -> 1e3;
      case "ops/us" -> 1e6;
      case "ops/ns" -> 1e9;
      default -> throw new IllegalArgumentException("unit " + unit);
    };
  }

  private static String withError(double score, double error) {
    return Double.isNaN(error) ? round(score) : round(score) + " ± " + round(error);
  }

  /** {@return {@code x} to 3 significant digits, without exponent} */
  private static String round(double x) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      return "–";
    }
    return new BigDecimal(x).round(new MathContext(3)).stripTrailingZeros().toPlainString();
  }

  private static double number(String cell) {
    return cell.equals("NaN") || cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
  }

  /** Splits one CSV line, honouring double quotes. */
  private static List<String> parse(String line) {
    var cells = new ArrayList<String>();
    var cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    cells.add(cell.toString());
    return cells;
  }
}
