package dev.weft.examples.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@link LoadMatrix}'s results as a Markdown table and as a self-contained HTML page (inline
 * SVG, no script, nothing fetched): per rate, the per-second p99 of both sides over the matrix,
 * each cell's fault window shaded and labelled, the share of errors below, then the table.
 */
final class MatrixReport {
  private static final String WEFT = "#1f62b4";
  private static final String BASELINE = "#e8730c";
  private static final Map<Mode, String> SHADES = Map.of(Mode.SLOW, "#f2c14e", Mode.DOWN,
      "#d9534f", Mode.FLAKY, "#9b6fd1", Mode.REFUSED, "#6b6b6b", Mode.HEALTHY, "#ffffff");
  private static final String[] COLUMNS = {"cell", "rate", "side", "p50 ms", "p99 ms",
      "p99.9 ms", "rps", "errors (non-2xx)", "partial sections (sampled)", "breaker transitions",
      "lost", "inflight after", "over interval", "late arrivals", "calls/req"};

  private final List<CellResult> results;
  private final LoadMatrix.Options options;
  private final String saturation;
  private final double seconds;

  MatrixReport(List<CellResult> results, LoadMatrix.Options options, String saturation,
      double seconds) {
    this.results = List.copyOf(results);
    this.options = options;
    this.saturation = saturation;
    this.seconds = seconds;
  }

  private List<String> row(CellResult r) {
    return List.of(r.cell(), r.rateLabel(), r.side(), ms(r.quantile(0.5)), ms(r.quantile(0.99)),
        ms(r.quantile(0.999)), String.format(Locale.ROOT, "%.1f", r.rps()), r.errorsText(),
        r.partialText(), r.transitionsText(), String.valueOf(r.lost()),
        String.valueOf(r.inflightAfter()), String.valueOf(r.overInterval()),
        String.valueOf(r.lateArrivals()), String.format(Locale.ROOT, "%.1f", r.callsPerRequest()));
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
  }

  private List<String> notes() {
    var notes = new ArrayList<String>();
    notes.add(String.format(Locale.ROOT, "%s; %.0f s per cell and side; deadline %d ms "
        + "(x-deadline-ms); listings %s; whole run %.0f s.",
        ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), options.seconds(),
        options.deadline().toMillis(), options.ids(), seconds));
    if (saturation != null) {
      notes.add(saturation + ".");
    }
    notes.add("Latency percentiles are over every answered h2load request (any status), from its "
        + "per-request log; h2load sends at a constant rate over connections started out of "
        + "phase, each sending every 2 x deadline, so no send waits on a response unless the "
        + "response is slower than that ('over interval', which bounds coordinated omission; "
        + "0 means none).");
    notes.add("Partial sections: from x-partial on about 50 requests per run sent by a JDK client "
        + "beside h2load (h2load records no headers), within the stated rate.");
    notes.add("Breaker transitions: GET /stats before and after the run. Lost: requests planned "
        + "that never ended or were cut off as hung. Inflight after: /stats once the run has "
        + "ended (must be 0). Late arrivals: downstream calls that came with x-budget-ms <= 0. "
        + "Calls/req: downstream calls per answered request.");
    return notes;
  }

  Path writeMarkdown(Path file) throws IOException {
    var b = new StringBuilder("# Load matrix\n\n");
    notes().forEach(n -> b.append("- ").append(n).append('\n'));
    b.append("\n| ").append(String.join(" | ", COLUMNS)).append(" |\n|");
    for (int i = 0; i < COLUMNS.length; i++) {
      b.append(i < 3 || i >= 7 && i <= 9 ? "---|" : "--:|");
    }
    b.append('\n');
    for (var r : results) {
      b.append("| ").append(String.join(" | ", row(r).stream()
          .map(s -> s.replace("|", "\\|")).toList())).append(" |\n");
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.writeString(file, b);
  }

  Path writeHtml(Path file) throws IOException {
    var b = new StringBuilder("""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Weft load matrix</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
        h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:24px 0 4px}
        ul{margin:4px 0 12px;padding-left:20px;color:#444}
        table{border-collapse:collapse;font-size:12px} td,th{border:1px solid #ddd;padding:2px 6px}
        th{background:#f4f4f4} td.n{text-align:right;font-variant-numeric:tabular-nums}
        tr.weft td:nth-child(3){color:#1f62b4} tr.baseline td:nth-child(3){color:#e8730c}
        .bad{background:#fde2e1}
        svg text{font:11px system-ui,sans-serif}
        </style></head><body>
        <h1>Weft load matrix: the Weft graph and the CompletableFuture baseline</h1>
        <ul>
        """);
    notes().forEach(n -> b.append("<li>").append(esc(n)).append("</li>\n"));
    b.append("</ul>\n");
    var byRate = new LinkedHashMap<String, List<CellResult>>();
    results.forEach(r -> byRate.computeIfAbsent(r.rateLabel(), k -> new ArrayList<>()).add(r));
    byRate.forEach((rate, rs) -> {
      b.append("<h2>").append(esc(rate)).append(" req/s: p99 per second, and share of "
          + "non-2xx</h2>\n");
      chart(b, rs);
    });
    b.append("<h2>All cells</h2>\n<table><tr>");
    for (var c : COLUMNS) {
      b.append("<th>").append(esc(c)).append("</th>");
    }
    b.append("</tr>\n");
    for (var r : results) {
      b.append("<tr class=\"").append(r.side()).append("\">");
      var cells = row(r);
      for (int i = 0; i < cells.size(); i++) {
        boolean numeric = i >= 3 && i <= 6 || i >= 10;
        boolean bad = i == 10 && r.lost() > 0 || i == 11 && r.inflightAfter() > 0
            || i == 12 && r.overInterval() > 0;
        b.append("<td class=\"").append(numeric ? "n" : "").append(bad ? " bad" : "")
            .append("\">").append(esc(cells.get(i))).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n</body></html>\n");
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.writeString(file, b);
  }

  /** One rate's chart: cells side by side, both sides' per-second p99 overlaid in each. */
  private void chart(StringBuilder b, List<CellResult> rs) {
    var cells = new ArrayList<String>();
    rs.forEach(r -> {
      if (!cells.contains(r.cell())) {
        cells.add(r.cell());
      }
    });
    double slotSeconds = rs.stream().flatMap(r -> r.series().stream())
        .mapToDouble(p -> p[0] + 1).max().orElse(1);
    double top = rs.stream().flatMap(r -> r.series().stream()).mapToDouble(p -> p[1])
        .filter(v -> !Double.isNaN(v)).max().orElse(100);
    double yMax = 1000;
    for (double v : new double[] {1000, 2000, 5000, 10000, 20000, 50000, 100000}) {
      yMax = v;
      if (v >= top * 1.1) {
        break;
      }
    }
    double bottom = rs.stream().flatMap(r -> r.series().stream()).mapToDouble(p -> p[1])
        .filter(v -> !Double.isNaN(v)).min().orElse(1);
    double yMin = Math.max(1, Math.pow(10, Math.floor(Math.log10(bottom / 1.2))));
    int left = 72;
    int right = 16;
    int width = 1320;
    int plotTop = 150;
    int plotH = 300;
    int errTop = plotTop + plotH + 28;
    int errH = 90;
    int height = errTop + errH + 40;
    double plotW = width - left - right;
    double slot = plotW / cells.size();

    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
        .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width)
        .append(' ').append(height).append("\">\n");
    // legend
    b.append(String.format(Locale.ROOT, "<g><line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" "
        + "stroke=\"%s\" stroke-width=\"2\"/><text x=\"%d\" y=\"18\">Weft graph</text>"
        + "<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"%s\" stroke-width=\"2\" "
        + "stroke-dasharray=\"5 3\"/><text x=\"%d\" y=\"18\">CompletableFuture baseline</text>",
        left, left + 24, WEFT, left + 30, left + 130, left + 154, BASELINE, left + 160));
    int lx = left + 360;
    for (var m : List.of(Mode.SLOW, Mode.DOWN, Mode.FLAKY, Mode.REFUSED)) {
      b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"6\" width=\"14\" height=\"14\" "
          + "fill=\"%s\" fill-opacity=\"0.35\"/><text x=\"%d\" y=\"18\">%s</text>", lx,
          SHADES.get(m), lx + 18, m.name().toLowerCase(Locale.ROOT) + " window"));
      lx += 110;
    }
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\">dashed grey: deadline %d ms; "
        + "x: seconds within each cell</text></g>%n", lx + 10, options.deadline().toMillis()));

    // fault windows and cell labels
    for (int i = 0; i < cells.size(); i++) {
      var name = cells.get(i);
      var r = rs.stream().filter(x -> x.cell().equals(name)).findFirst().orElseThrow();
      double x = left + i * slot;
      if (r.mode() != null) {
        b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
            + "height=\"%d\" fill=\"%s\" fill-opacity=\"0.22\"><title>%s: %s %s for the whole "
            + "cell</title></rect>%n", x, plotTop, slot, errTop + errH - plotTop,
            SHADES.get(r.mode()), esc(name), esc(r.fault()),
            r.mode().name().toLowerCase(Locale.ROOT)));
      }
      b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
          + "stroke=\"#ccc\"/>%n", x, plotTop - 130, x, errTop + errH));
      var label = r.mode() == null ? "healthy"
          : r.fault() + " " + r.mode().name().toLowerCase(Locale.ROOT);
      b.append(String.format(Locale.ROOT, "<text transform=\"translate(%.1f,%d) rotate(-90)\" "
          + "text-anchor=\"start\">%s</text>%n", x + slot / 2 + 4, plotTop - 4, esc(label)));
    }
    // y grid (log)
    for (double v : new double[] {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
        20000, 50000}) {
      if (v > yMax) {
        break;
      }
      if (v < yMin) {
        continue;
      }
      double y = y(v, yMin, yMax, plotTop, plotH);
      b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
          + "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left, y,
          width - right, y, left - 4, y + 4,
          v >= 1000 ? (int) (v / 1000) + " s" : (int) v + " ms"));
    }
    double dy = y(options.deadline().toMillis(), yMin, yMax, plotTop, plotH);
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
        + "stroke=\"#888\" stroke-dasharray=\"2 3\"/>%n", left, dy, width - right, dy));
    b.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" "
        + "text-anchor=\"middle\">p99 per second (log)</text>%n", plotTop + plotH / 2));
    // error panel axes
    for (int pct : new int[] {0, 50, 100}) {
      double y = errTop + errH - pct / 100.0 * errH;
      b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
          + "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>%n", left,
          y, width - right, y, left - 4, y + 4, pct));
    }
    b.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" "
        + "text-anchor=\"middle\">non-2xx</text>%n", errTop + errH / 2));

    // the lines
    for (int i = 0; i < cells.size(); i++) {
      var name = cells.get(i);
      double x0 = left + i * slot + slot * 0.04;
      double w = slot * 0.92;
      for (var r : rs) {
        if (!r.cell().equals(name)) {
          continue;
        }
        var color = r.side().equals("weft") ? WEFT : BASELINE;
        var dash = r.side().equals("weft") ? "" : " stroke-dasharray=\"5 3\"";
        var p99 = new StringBuilder();
        var err = new StringBuilder();
        var dots = new StringBuilder();
        for (var p : r.series()) {
          double x = x0 + (p[0] + 0.5) / slotSeconds * w;
          double ey = errTop + errH - p[2] * errH;
          err.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, ey));
          if (!Double.isNaN(p[1])) {
            double y = y(p[1], yMin, yMax, plotTop, plotH);
            p99.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" "
                + "fill=\"%s\"><title>%s, %s, second %d: p99 %.1f ms, %.0f%% non-2xx</title>"
                + "</circle>", x, y, color, esc(name), r.side(), (int) p[0], p[1], p[2] * 100));
          }
        }
        b.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
            + "stroke-width=\"1.8\"%s/>%s%n", p99.toString().trim(), color, dash, dots));
        b.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
            + "stroke-width=\"1.5\"%s/>%n", err.toString().trim(), color, dash));
      }
    }
    b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%d\" "
        + "fill=\"none\" stroke=\"#999\"/><rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%d\" "
        + "fill=\"none\" stroke=\"#999\"/>%n", left, plotTop, plotW, plotH, left, errTop, plotW,
        errH));
    b.append("</svg>\n");
  }

  private static double y(double v, double min, double max, int top, int h) {
    double f = (Math.log10(Math.max(v, min)) - Math.log10(min))
        / (Math.log10(max) - Math.log10(min));
    return top + h - Math.min(1, f) * h;
  }

  private static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
