package dev.weft;

import static dev.weft.internal.EdgeKind.OPTIONAL;
import static dev.weft.internal.EdgeKind.ORDER;
import static dev.weft.internal.EdgeKind.ORDER_OPTIONAL;
import static dev.weft.internal.EdgeKind.REQUIRED;
import static dev.weft.testing.StrictJson.array;
import static dev.weft.testing.StrictJson.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.internal.EdgeKind;
import dev.weft.internal.trace.ChromeJson;
import dev.weft.internal.trace.Dot;
import dev.weft.internal.trace.Mermaid;
import dev.weft.internal.trace.Palette;
import dev.weft.internal.trace.Shape;
import dev.weft.internal.trace.Timeline;
import dev.weft.internal.trace.Waterfall;
import dev.weft.testing.GraphSyntax;
import dev.weft.testing.HtmlCheck;
import dev.weft.testing.StrictJson;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The exports of graphs and runs: DOT and Mermaid well-formed whatever the node names, runs
 * coloured by outcome with the critical path highlighted, Chrome trace JSON that a strict parser
 * accepts, and a self-contained, escaped HTML waterfall.
 */
class ExportsTest {
  /** Names that break naive quoting in DOT, Mermaid, JSON or HTML. */
  static final List<String> HOSTILE = List.of("say \"hi\"", "back\\slash\\", "two\nlines",
      "<script>alert(1)</script>", "a & b &amp; c &#60;", "#35; entity", "`tick` |pipe|",
      "{brace} [bracket] (paren);", "graph", "node", "subgraph", "end", "-> --> ==> -.->",
      "ünïcødé 🧵 日本", "  spaced  ", "%% comment", "style:#x;", "\\n not a newline", "it's",
      "");

  private static Duration ms(double millis) {
    return Duration.ofNanos(Math.round(millis * 1e6));
  }

  /** {@return how Mermaid shows a name: it refuses empty labels, so "" is a zero-width space} */
  private static String mermaidName(String name) {
    return name.isEmpty() ? "\u200b" : name;
  }

  private record Expected(String from, String to, String kind) {}

  /** A graph of hostile names, chained with every kind of edge, and the edges it should have. */
  private record Hostile(Graph graph, Input<String> in, List<Expected> edges) {}

  private static Hostile hostileGraph() {
    var g = Graph.builder("g \"quoted\" <&> \\ \n end");
    Input<String> in = g.input("in \"put\"", String.class);
    var edges = new ArrayList<Expected>();
    Node<String> prev = g.task("first", in, s -> s);
    edges.add(new Expected(in.name(), "first", "required"));
    for (int i = 0; i < HOSTILE.size(); i++) {
      var name = HOSTILE.get(i);
      var kind = List.of(REQUIRED, OPTIONAL, ORDER, ORDER_OPTIONAL).get(i % 4);
      prev = switch (kind) {
        case REQUIRED -> g.task(name, in, prev, (a, b) -> a + b);
        case OPTIONAL, OR_ELSE -> g.task(name, in, prev.orElse(""), (a, b) -> a + b);
        case ORDER -> g.node(name).after(prev).call(in, a -> a);
        case ORDER_OPTIONAL -> g.node(name).after(prev.optional()).call(in, a -> a);
        case OUTCOME -> g.task(name, in, prev.outcome(), (a, b) -> a + b.node());
      };
      edges.add(new Expected(in.name(), name, "required"));
      edges.add(new Expected(i == 0 ? "first" : HOSTILE.get(i - 1), name, kind.label()));
    }
    return new Hostile(g.build(), in, edges);
  }

  // A run with every outcome: in -> fetch -> page; in -> flaky (fails) -> dependent (skipped);
  // fetch ..> late (cancelled) ..> page.
  static final String FLAKY = "flaky <\"svc\"> & co #1";
  static final Shape SHAPE = new Shape("run \"fixture\"",
      List.of("in", "fetch", FLAKY, "dependent", "late", "page"),
      new boolean[] {true, false, false, false, false, false},
      new int[][] {{}, {0}, {0}, {2}, {1}, {1, 2, 3, 4}},
      new EdgeKind[][] {{}, {REQUIRED}, {REQUIRED}, {REQUIRED}, {ORDER},
          {REQUIRED, OPTIONAL, OPTIONAL, ORDER_OPTIONAL}});
  static final IOException ERROR = new IOException("503 \"unavailable\" <html>\u0007 \\ done");
  static final List<Span> SPANS = List.of(
      new Span("fetch", new Outcome.Succeeded<>("fetch", "x"), ms(0), ms(1), ms(31), 1,
          21, "weft-1"),
      new Span(FLAKY, new Outcome.Failed<>(FLAKY, ERROR), ms(0), ms(2), ms(12), 3, 22, ""),
      new Span("dependent", new Outcome.Skipped<>("dependent", FLAKY, ERROR), ms(12), ms(12),
          ms(12), 0, 0, ""),
      new Span("late", new Outcome.Cancelled<>("late", "the run was cancelled by its caller"),
          ms(31), ms(31), ms(31), 0, 0, ""),
      new Span("page", new Outcome.Succeeded<>("page", "p"), ms(31), ms(33), ms(40), 1,
          21, "weft-1"));
  /** The fixture's critical path: page ended last, and fetch is the dependency it waited for. */
  static final List<String> CRITICAL = List.of("fetch", "page");
  /** The fixture as a run: 40 ms long, its critical path computed from its spans. */
  static final Timeline RUN = run(SHAPE, 7, ms(40), SPANS);

  /** {@return a run of {@code shape} with these spans, each matched to its node by name} */
  private static Timeline run(Shape shape, long runId, Duration elapsed, List<Span> spans) {
    var byVertex = new Span[shape.size()];
    for (var s : spans) {
      for (int v = 0; v < shape.size(); v++) {
        if (shape.name(v).equals(s.node())) {
          byVertex[v] = s;
        }
      }
    }
    return Timeline.of(shape, runId, elapsed, byVertex);
  }

  /** {@return the shape of a graph of unconnected tasks with these names} */
  private static Shape tasks(String graph, List<String> names) {
    return new Shape(graph, names, new boolean[names.size()], new int[names.size()][0],
        new EdgeKind[names.size()][0]);
  }

  private static List<String> names(List<Span> spans) {
    return spans.stream().map(Span::node).toList();
  }

  // ---- graph DOT and Mermaid

  @Test
  void graphDot_isWellFormed_declaresEveryNodeUnderItsName_andLabelsEdgesByKind() {
    var hostile = hostileGraph();
    var dot = GraphSyntax.parseDot(hostile.graph().toDot());

    assertEquals(hostile.graph().name(), GraphSyntax.dotText(dot.name()));
    assertEquals(HOSTILE.size() + 2, dot.nodes().size());
    assertEquals("parallelogram", dot.named(hostile.in().name()).attrs().get("shape"));
    for (var name : HOSTILE) {
      assertEquals(name, dot.named(name).label());
      assertEquals("box", dot.named(name).attrs().get("shape"), name);
    }
    var edges = new HashSet<Expected>();
    for (var e : dot.edges()) {
      var kind = GraphSyntax.dotText(e.attrs().get("label"));
      edges.add(new Expected(dot.nodes().get(e.from()).label(), dot.nodes().get(e.to()).label(),
          kind));
      var style = switch (kind) {
        case "required" -> null;
        case "optional" -> "dashed";
        default -> "dotted";
      };
      assertEquals(style, e.attrs().get("style"), "style of a " + kind + " edge");
    }
    assertEquals(new HashSet<>(hostile.edges()), edges);
  }

  @Test
  void graphMermaid_isWellFormed_declaresEveryNodeUnderItsName_andLabelsEdgesByKind() {
    var hostile = hostileGraph();
    var mermaid = GraphSyntax.parseMermaid(hostile.graph().toMermaid());

    assertEquals("graph '" + hostile.graph().name() + "'", mermaid.title());
    assertEquals(HOSTILE.size() + 2, mermaid.nodes().size());
    assertTrue(mermaid.named(hostile.in().name()).input());
    for (var name : HOSTILE) {
      var shown = mermaidName(name);
      assertEquals(shown, mermaid.named(shown).label());
      assertFalse(mermaid.named(shown).input(), name);
    }
    var edges = new HashSet<Expected>();
    for (var e : mermaid.edges()) {
      edges.add(new Expected(mermaid.nodes().get(e.from()).label().replace("\u200b", ""),
          mermaid.nodes().get(e.to()).label().replace("\u200b", ""), e.label()));
      assertEquals(e.label().equals("required") ? "-->" : "-.->", e.arrow(), e.label());
      var style = mermaid.linkStyles().get(e.index());
      assertEquals(e.label().startsWith("ordering"), style != null
          && style.contains("stroke-dasharray"), "ordering edges dotted: " + e);
    }
    assertEquals(new HashSet<>(hostile.edges()), edges);
  }

  // ---- run DOT and Mermaid

  @Test
  void criticalPathOfTheFixture_endsWithTheLastTask_andGoesBackThroughTheDependencyEndedLast() {
    assertEquals(CRITICAL, names(RUN.criticalPath()));
    assertEquals(List.of("fetch", FLAKY, "dependent", "late", "page"), names(RUN.spans()));
  }

  @Test
  void runDot_fillsTasksByOutcome_leavesInputsNeutral_andLabelsTimeAndAttempts() {
    var dot = GraphSyntax.parseDot(Dot.run(RUN));

    assertEquals(Map.of("in", Palette.INPUT, "fetch", Palette.SUCCEEDED, FLAKY, Palette.FAILED,
        "dependent", Palette.SKIPPED, "late", Palette.CANCELLED, "page", Palette.SUCCEEDED),
        fills(dot));
    assertEquals("fetch\n30.0 ms · 1 attempt", dot.named("fetch").label());
    assertEquals(FLAKY + "\nfailed · 10.0 ms · 3 attempts", dot.named(FLAKY).label());
    assertEquals("dependent\nskipped", dot.named("dependent").label());
    assertEquals("late\ncancelled", dot.named("late").label());
    var tooltip = GraphSyntax.dotText(dot.named(FLAKY).attrs().get("tooltip"));
    assertTrue(tooltip.contains("error: java.io.IOException: 503 \"unavailable\""), tooltip);
  }

  private static Map<String, String> fills(GraphSyntax.Dot dot) {
    var fills = new HashMap<String, String>();
    for (var n : dot.nodes().values()) {
      fills.put(n.label().split("\n")[0], GraphSyntax.dotText(n.attrs().get("fillcolor")));
    }
    return fills;
  }

  @Test
  void runDot_drawsCriticalNodesAndTheEdgeBetweenThemBold() {
    var dot = GraphSyntax.parseDot(Dot.run(RUN));

    var bold = new HashSet<String>();
    for (var n : dot.nodes().values()) {
      if ("3".equals(n.attrs().get("penwidth"))) {
        bold.add(n.label().split("\n")[0]);
      }
    }
    assertEquals(Set.of("fetch", "page"), bold);
    var boldEdges = dot.edges().stream().filter(e -> "3".equals(e.attrs().get("penwidth")))
        .map(e -> dot.nodes().get(e.from()).label().split("\n")[0] + " -> "
            + dot.nodes().get(e.to()).label().split("\n")[0]).toList();
    assertEquals(List.of("fetch -> page"), boldEdges);
  }

  @Test
  void runMermaid_classesTasksByOutcome_andThickensTheCriticalPath() {
    var mermaid = GraphSyntax.parseMermaid(Mermaid.run(RUN));

    var classes = new HashMap<String, String>();
    mermaid.classOf().forEach((id, cls) -> classes.put(
        mermaid.nodes().get(id).label().split("\n")[0], cls));
    assertEquals(Map.of("in", "input", "fetch", "succeeded", FLAKY, "failed",
        "dependent", "skipped", "late", "cancelled", "page", "succeeded"), classes);
    assertTrue(mermaid.classDefs().get("failed").contains("fill:" + Palette.FAILED));
    assertTrue(mermaid.classDefs().get("cancelled").contains("fill:" + Palette.CANCELLED));
    assertEquals(FLAKY + "\nfailed · 10.0 ms · 3 attempts", mermaid.named(FLAKY).label());
    var thickNodes = new HashSet<String>();
    mermaid.styles().forEach((id, style) -> {
      if (style.contains("stroke-width:4px")) {
        thickNodes.add(mermaid.nodes().get(id).label().split("\n")[0]);
      }
    });
    assertEquals(Set.of("fetch", "page"), thickNodes);
    var thickEdges = mermaid.edges().stream()
        .filter(e -> mermaid.linkStyles().getOrDefault(e.index(), "").contains("stroke-width"))
        .map(e -> mermaid.nodes().get(e.from()).label().split("\n")[0] + " " + e.arrow() + " "
            + mermaid.nodes().get(e.to()).label().split("\n")[0]).toList();
    assertEquals(List.of("fetch ==> page"), thickEdges);
  }

  /** Only a path's own steps are highlighted, not a shortcut between two of its nodes. */
  @Test
  void runExports_highlightOnlyEdgesBetweenConsecutiveCriticalNodes() {
    var shape = new Shape("chain", List.of("a", "b", "c"), new boolean[3],
        new int[][] {{}, {0}, {1, 0}}, new EdgeKind[][] {{}, {REQUIRED}, {OPTIONAL, REQUIRED}});
    var spans = List.of(
        new Span("a", new Outcome.Succeeded<>("a", 1), ms(0), ms(0), ms(5), 1, 1, "t"),
        new Span("b", new Outcome.Succeeded<>("b", 1), ms(5), ms(5), ms(9), 1, 1, "t"),
        new Span("c", new Outcome.Succeeded<>("c", 1), ms(9), ms(9), ms(10), 1, 1, "t"));
    var run = run(shape, 1, ms(10), spans);
    assertEquals(List.of("a", "b", "c"), names(run.criticalPath()));

    var dot = GraphSyntax.parseDot(Dot.run(run));
    assertEquals(List.of("n0 -> n1", "n1 -> n2"), dot.edges().stream()
        .filter(e -> "3".equals(e.attrs().get("penwidth"))).map(e -> e.from() + " -> " + e.to())
        .toList());
    var mermaid = GraphSyntax.parseMermaid(Mermaid.run(run));
    assertEquals(Set.of(0, 1), mermaid.linkStyles().keySet());
    assertEquals("-->", mermaid.edges().get(2).arrow());
  }

  // ---- Chrome trace-event JSON

  @Test
  void chromeJson_parsesStrictly_andEveryEventHasTheRequiredKeys() {
    var root = object(StrictJson.parse(ChromeJson.render(RUN)), "root");

    assertEquals("ms", root.get("displayTimeUnit"));
    var events = array(root.get("traceEvents"), "traceEvents");
    int complete = 0;
    for (var e : events) {
      var event = object(e, "event");
      assertInstanceOf(String.class, event.get("name"), "name of " + event);
      assertInstanceOf(String.class, event.get("ph"), "ph of " + event);
      for (var key : List.of("ts", "pid", "tid")) {
        assertInstanceOf(BigDecimal.class, event.get(key), key + " of " + event);
      }
      assertTrue(Set.of("X", "M").contains(event.get("ph")), "phase of " + event);
      if (event.get("ph").equals("X")) {
        complete++;
        assertInstanceOf(BigDecimal.class, event.get("dur"), "dur of " + event);
        assertEquals(new BigDecimal(7), event.get("pid"));
      }
    }
    assertEquals(SPANS.size(), complete);
  }

  @Test
  void chromeJson_putsEachTaskOnItsThreadInMicroseconds_withItsDetailsAsArgs() {
    var events = array(object(StrictJson.parse(ChromeJson.render(RUN)), "root")
        .get("traceEvents"), "traceEvents");
    var slices = new HashMap<String, Map<String, Object>>();
    var threadNames = new HashMap<BigDecimal, Object>();
    for (var e : events) {
      var event = object(e, "event");
      if (event.get("ph").equals("X")) {
        slices.put((String) event.get("name"), event);
      } else if (event.get("name").equals("thread_name")) {
        threadNames.put((BigDecimal) event.get("tid"), object(event.get("args"), "args")
            .get("name"));
      }
    }
    var fetch = slices.get("fetch");
    assertEquals("succeeded", fetch.get("cat"));
    assertEquals(0, new BigDecimal(1000).compareTo((BigDecimal) fetch.get("ts")));
    assertEquals(0, new BigDecimal(30000).compareTo((BigDecimal) fetch.get("dur")));
    assertEquals(new BigDecimal(21), fetch.get("tid"));
    var args = object(fetch.get("args"), "args");
    assertEquals(Boolean.TRUE, args.get("critical"));
    assertEquals(0, BigDecimal.ONE.compareTo((BigDecimal) args.get("queued_ms")));
    assertEquals(0, new BigDecimal(30).compareTo((BigDecimal) args.get("ran_ms")));
    assertEquals("#21 weft-1", args.get("thread"));

    var flaky = object(slices.get(FLAKY).get("args"), "args");
    assertEquals("failed", flaky.get("outcome"));
    assertEquals(new BigDecimal(3), flaky.get("attempts"));
    assertEquals(Boolean.FALSE, flaky.get("critical"));
    assertEquals("java.io.IOException: " + ERROR.getMessage(), flaky.get("error"));
    assertEquals(new BigDecimal(22), slices.get(FLAKY).get("tid"));
    assertEquals("skipped", slices.get("dependent").get("cat"));
    assertEquals(FLAKY, object(slices.get("dependent").get("args"), "args").get("cause"));

    var notRun = slices.get("late").get("tid");
    assertEquals(notRun, slices.get("dependent").get("tid"));
    assertFalse(Set.of(new BigDecimal(21), new BigDecimal(22)).contains(notRun));
    assertEquals(Map.of(new BigDecimal(21), "thread #21 weft-1", new BigDecimal(22),
        "thread #22", notRun, "never ran (skipped or cancelled before starting)"), threadNames);
  }

  @Test
  void chromeJson_escapesEveryString_soItRoundTrips() {
    var names = new ArrayList<>(HOSTILE);
    names.addAll(List.of("ctl \u0000\u0001\u001f\u007f\b\f\r\t", "lone \ud800 high",
        "lone \udc00 low", "sep \u2028\u2029", "/slash/"));
    var spans = new ArrayList<Span>();
    for (int i = 0; i < names.size(); i++) {
      var name = names.get(i);
      spans.add(new Span(name, new Outcome.Failed<>(name, new IllegalStateException(name)),
          ms(i), ms(i), ms(i + 0.0015), 1, i + 1, name));
    }
    var graph = String.join("|", names);
    var run = run(tasks(graph, names), 1, ms(names.size()), spans);
    var root = object(StrictJson.parse(ChromeJson.render(run)), "root");

    var slices = new ArrayList<String>();
    var errors = new ArrayList<Object>();
    Object process = null;
    for (var e : array(root.get("traceEvents"), "traceEvents")) {
      var event = object(e, "event");
      if (event.get("ph").equals("X")) {
        slices.add((String) event.get("name"));
        errors.add(object(event.get("args"), "args").get("error"));
      } else if (event.get("name").equals("process_name")) {
        process = object(event.get("args"), "args").get("name");
      }
    }
    assertEquals(names, slices);
    assertEquals(names.stream().map(n -> "java.lang.IllegalStateException: " + n).toList(),
        errors);
    assertEquals("graph '" + graph + "' run 1", process);
  }

  @Test
  void exportsOfARunWithoutTasks_areWellFormed() {
    var shape = new Shape("empty", List.of("in"), new boolean[] {true}, new int[][] {{}},
        new EdgeKind[][] {{}});
    var run = run(shape, 3, Duration.ZERO, List.of());
    assertEquals(List.of(), run.criticalPath());
    var root = object(StrictJson.parse(ChromeJson.render(run)), "root");
    assertEquals(1, array(root.get("traceEvents"), "traceEvents").size()); // the process name
    assertEquals(1, GraphSyntax.parseDot(Dot.run(run)).nodes().size());
    assertEquals(1, GraphSyntax.parseMermaid(Mermaid.run(run)).nodes().size());
    var page = HtmlCheck.parse(Waterfall.render(run));
    assertTrue(page.text().contains("this run had no tasks"), page.text());
  }

  // ---- HTML waterfall

  private static final List<String> EXTERNAL = List.of("http:", "https:", "ftp:", "//", "src=",
      "href=", "url(", "@import", "<script", "<link", "<iframe", "<img", "<object", "<embed");

  @Test
  void html_isSelfContained_noUrlNoScriptNoLink() {
    var html = Waterfall.render(RUN).toLowerCase(Locale.ROOT);
    for (var external : EXTERNAL) {
      assertFalse(html.contains(external), "the page contains " + external);
    }
    var page = HtmlCheck.parse(html);
    assertTrue(page.style().contains(".wait"), "inline style sheet");
  }

  @Test
  void html_isWellFormed_andShowsEveryHostileNameEscaped() {
    var spans = new ArrayList<Span>();
    for (int i = 0; i < HOSTILE.size(); i++) {
      var name = HOSTILE.get(i);
      spans.add(new Span(name, new Outcome.Failed<>(name, new IOException(name)), ms(i),
          ms(i + 0.5), ms(i + 1), 1, 1, name));
    }
    var graph = "graph <b>\"bold\"</b> & 'co'";
    var run = run(tasks(graph, HOSTILE), 1, ms(HOSTILE.size()), spans);
    assertEquals(List.of(spans.getLast()), run.criticalPath()); // it ended last
    var html = Waterfall.render(run);
    var page = HtmlCheck.parse(html);

    assertFalse(html.contains("<script"), "a node name became a tag");
    assertFalse(html.contains("<b>\""), "the graph name became a tag");
    assertEquals(graph, page.find("h1", null).getFirst().text());
    var rows = page.find("tr", "row");
    assertEquals(HOSTILE.size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      var name = HOSTILE.get(i);
      var title = rows.get(i).attr("title");
      assertTrue(title.startsWith(name + (i == rows.size() - 1 ? " (critical path)\n" : "\n")),
          title);
      assertTrue(title.contains("error: java.io.IOException: " + name), title);
      assertTrue(title.contains("thread: #1 " + name), title);
      assertTrue(rows.get(i).text().contains(name), rows.get(i).text());
    }
  }

  private static final Pattern BAR = Pattern.compile("left:([\\d.]+)%;width:([\\d.]+)%");

  private static double[] bar(HtmlCheck.Element div) {
    var m = BAR.matcher(div.attr("style"));
    assertTrue(m.matches(), div.attr("style"));
    return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
  }

  @Test
  void html_drawsARowPerTaskInStartOrder_withDistinctWaitAndRunSegments() {
    var page = HtmlCheck.parse(Waterfall.render(RUN));

    var rows = page.find("tr", "row");
    assertEquals(List.of("fetch", FLAKY, "dependent", "late", "page"), rows.stream()
        .map(r -> r.attr("title").split("\n")[0].replace(" (critical path)", "")).toList());
    var waits = page.find("div", "wait").stream().filter(d -> d.attr("style") != null).toList();
    var runs = page.find("div", "run");
    assertEquals(SPANS.size(), runs.size());
    assertEquals(3, waits.size()); // fetch, flaky and page waited; the others never ran
    // page: ready at 31 ms of 40, waited 2 ms, ran 7 ms
    assertEquals(77.5, bar(waits.get(2))[0], 1e-3);
    assertEquals(5.0, bar(waits.get(2))[1], 1e-3);
    assertEquals(82.5, bar(runs.get(4))[0], 1e-3);
    assertEquals(17.5, bar(runs.get(4))[1], 1e-3);
    assertTrue(runs.get(4).hasClass("succeeded"));
    assertTrue(runs.get(1).hasClass("failed"));
    assertTrue(runs.get(2).hasClass("skipped"));
    assertTrue(runs.get(3).hasClass("cancelled"));
  }

  @Test
  void html_marksCriticalRows_hasATimeAxis_andDetailsOnHover() {
    var page = HtmlCheck.parse(Waterfall.render(RUN));

    var rows = page.find("tr", "row");
    assertEquals(List.of(true, false, false, false, true), rows.stream()
        .map(r -> r.hasClass("crit")).toList());
    assertEquals("0 ms5 ms10 ms15 ms20 ms25 ms30 ms35 ms40 ms",
        page.find("div", "axis").getFirst().text());
    assertTrue(page.text().contains("critical path, 40.0 ms: fetch \u2192 page"), page.text());
    assertEquals("""
        flaky <"svc"> & co #1
        outcome: failed, 3 attempts
        ready 0.000 ms, started 2.0 ms, ended 12.0 ms
        waited 2.0 ms, ran 10.0 ms
        thread: #22\s
        error: java.io.IOException: 503 "unavailable" <html>\ufffd \\ done""",
        rows.get(1).attr("title"));
    assertTrue(rows.get(2).attr("title").contains("thread: none (never ran)\nerror: skipped: '"
        + FLAKY + "' failed with java.io.IOException"), rows.get(2).attr("title"));
  }

  // ---- a real run

  @Test
  void exportsOfARealRunWithHostileNames_areWellFormed_andNameEveryNode() {
    var hostile = hostileGraph();
    var trace = hostile.graph().run(Inputs.of(hostile.in(), "x")).trace();

    var dot = GraphSyntax.parseDot(trace.toDot());
    var mermaid = GraphSyntax.parseMermaid(trace.toMermaid());
    var page = HtmlCheck.parse(trace.toHtml());
    var events = array(object(StrictJson.parse(trace.toChromeJson()), "root").get("traceEvents"),
        "traceEvents");
    var titles = page.find("tr", "row").stream().map(r -> r.attr("title")).toList();
    for (var name : HOSTILE) {
      assertEquals(Palette.SUCCEEDED, GraphSyntax.dotText(dot.named(name).attrs()
          .get("fillcolor")), name);
      assertEquals("succeeded", mermaid.classOf().get(mermaid.named(mermaidName(name)).id()),
          name);
      assertTrue(titles.stream().anyMatch(t -> t.startsWith(name + "\n")
          || t.startsWith(name + " (critical path)\n")), name);
      assertTrue(events.stream().anyMatch(e -> name.equals(object(e, "event").get("name"))),
          name);
    }
    assertEquals(trace.criticalPath().size(), page.find("tr", "crit").size());
  }
}
