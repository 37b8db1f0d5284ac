package dev.weft;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.internal.EdgeKind;
import dev.weft.internal.trace.ChromeJson;
import dev.weft.internal.trace.Dot;
import dev.weft.internal.trace.Mermaid;
import dev.weft.internal.trace.Shape;
import dev.weft.internal.trace.TextWaterfall;
import dev.weft.internal.trace.Timeline;
import dev.weft.internal.trace.Waterfall;
import dev.weft.testing.FakeScheduler;
import dev.weft.testing.GraphSyntax;
import dev.weft.testing.HtmlCheck;
import dev.weft.testing.StrictJson;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The trace of a run that loads through a {@link BatchLoader}: every export shows the calls,
 * with the tasks that waited for them, and marks the wait on those tasks. Tasks and the batch
 * function sleep on a fake clock that the test moves only once the next sleep has begun, so every
 * timestamp is exact.
 */
class BatchTraceTest {
  /**
   * {@return {@link RunResult#trace()} of {@code result}, a run of {@code graph}} Checked to be
   * the trace of its spans and its {@link RunResult#batches()}.
   */
  static Trace traced(Graph graph, RunResult result) {
    var shape = graph.shape();
    var spans = new Span[shape.size()];
    for (var s : result.spans()) {
      spans[shape.indexOf(s.node())] = s;
    }
    var built = new Trace(shape, result.runId(), result.elapsed(), spans, result.batches());
    var trace = result.trace();
    org.junit.jupiter.api.Assertions.assertEquals(built.toChromeJson(), trace.toChromeJson());
    return trace;
  }

  private static List<Map<String, Object>> events(Trace trace) {
    var root = StrictJson.object(StrictJson.parse(trace.toChromeJson()), "root");
    return StrictJson.array(root.get("traceEvents"), "traceEvents").stream()
        .map(e -> StrictJson.object(e, "event")).toList();
  }

  private static Map<String, Object> args(Map<String, Object> event) {
    return StrictJson.object(event.get("args"), "args");
  }

  private record Feed(Graph graph, Trace trace, RunResult result) {}

  /**
   * posts (10 ms) gives 3 ids; authors fans out over them, each element loading user 100 + id,
   * and header loads user 101 too: one call at 10 ms (the batch function takes 5 ms) with 3 keys
   * and 4 waiters. Then page loads user 7: a second round, 15 to 20 ms.
   */
  private static Feed feed() throws Exception {
    var clock = new FakeScheduler();
    var users = BatchLoader.of("users", (List<Integer> ids) -> {
      var m = new HashMap<Integer, String>();
      ids.forEach(id -> m.put(id, "user " + id));
      clock.sleep(5, MILLISECONDS);
      return m;
    });
    var g = Graph.builder("feed");
    Node<List<Integer>> posts = g.task("posts", () -> {
      clock.sleep(10, MILLISECONDS);
      return List.of(1, 2, 3);
    });
    Node<List<String>> authors = g.forEach("authors", posts, id -> users.load(100 + id));
    Node<String> header = g.task("header", posts, p -> users.load(101));
    g.task("page", authors, header, (a, h) -> users.load(7) + " sees " + a + " " + h);
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    clock.awaitSleeps(1); // posts
    clock.advance(Duration.ofMillis(10));
    clock.awaitSleeps(2); // the first call
    clock.advance(Duration.ofMillis(5));
    clock.awaitSleeps(3); // the second
    clock.advance(Duration.ofMillis(5));
    var result = run.get(10, SECONDS);
    result.throwIfFailed();
    return new Feed(graph, traced(graph, result), result);
  }

  @Test
  void theFixture_makesTwoCallsOfOneLoader_atExactTimes() throws Exception {
    var feed = feed();
    var batches = feed.result().batches();
    assertEquals(2, batches.size(), batches.toString());
    assertEquals(batches, feed.trace().batches());
    var first = batches.get(0);
    assertEquals(Set.of(101, 102, 103), Set.copyOf(first.keys()));
    assertEquals(WAITERS, Set.copyOf(first.waiters()));
    assertEquals(List.of(10L, 15L), List.of(first.started().toMillis(),
        first.ended().toMillis()));
    assertEquals(List.of(7), batches.get(1).keys());
    assertEquals(List.of("page"), batches.get(1).waiters());
    assertEquals(2, batches.get(1).round());
  }

  private static final Set<String> WAITERS =
      Set.of("header", "authors[0]", "authors[1]", "authors[2]");

  /** {@return a bar of the text waterfall: {@code n} of {@code c} after {@code from} blanks} */
  private static String bar(int from, int n, char c) {
    return "|" + " ".repeat(from) + String.valueOf(c).repeat(n) + " ".repeat(40 - from - n) + "|";
  }

  @Test
  void textWaterfall_hasARowPerCall_withItsWaiters_andMarksTheWaitOnTheirRows() throws Exception {
    var feed = feed();
    var waiters = String.join(", ", feed.result().batches().get(0).waiters());

    assertEquals(String.join("\n",
        "waterfall of run " + feed.trace().runId()
            + " of graph 'feed': 20.0 ms, 4 tasks, 2 batch calls of 1 loader",
        "  task                       outcome                0 ms" + " ".repeat(29) + "20.0 ms",
        "* posts                      succeeded    10.0 ms  " + bar(0, 20, '#'),
        "* authors                    succeeded     5.0 ms  " + bar(20, 10, '#'),
        "*   authors[0]               succeeded     5.0 ms  " + bar(20, 10, '~')
            + "  waited for users#1",
        "    authors[1]               succeeded     5.0 ms  " + bar(20, 10, '~')
            + "  waited for users#1",
        "    authors[2]               succeeded     5.0 ms  " + bar(20, 10, '~')
            + "  waited for users#1",
        "  header                     succeeded     5.0 ms  " + bar(20, 10, '~')
            + "  waited for users#1",
        "* page                       succeeded     5.0 ms  " + bar(30, 10, '~')
            + "  waited for users#2",
        "  batch calls",
        "    users#1 round 1, 3 keys  succeeded     5.0 ms  " + bar(20, 10, '=') + "  for "
            + waiters,
        "    users#2 round 2, 1 key   succeeded     5.0 ms  " + bar(30, 10, '=') + "  for page",
        "  # ran  . waited for a thread  ~ waited for a batch call  = batch call  | never ran"
            + "  * critical path",
        ""), feed.trace().toText());
    assertEquals(String.format("""
        critical path of run %d of graph 'feed': 20.0 ms of 20.0 ms
          posts       ran  10.0 ms  queued 0.000 ms  succeeded
          authors     ran   5.0 ms  queued 0.000 ms  succeeded
          authors[0]  ran   5.0 ms  queued 0.000 ms  succeeded  waited for users#1
          page        ran   5.0 ms  queued 0.000 ms  succeeded  waited for users#2
        """, feed.trace().runId()), feed.trace().criticalPathText());
  }

  @Test
  void chromeJson_putsEachCallOnTheLoadersTrack_withRoundKeysAndWaiters() throws Exception {
    var feed = feed();
    var events = events(feed.trace());

    var tracks = new HashMap<Object, Object>();
    var sort = new HashMap<Object, Object>();
    for (var e : events) {
      if ("thread_name".equals(e.get("name"))) {
        tracks.put(e.get("tid"), args(e).get("name"));
      } else if ("thread_sort_index".equals(e.get("name"))) {
        sort.put(e.get("tid"), args(e).get("sort_index"));
      }
    }
    var loaderTids = tracks.entrySet().stream().filter(t -> "loader users".equals(t.getValue()))
        .map(Map.Entry::getKey).toList();
    assertEquals(1, loaderTids.size(), tracks.toString());
    var loaderTid = loaderTids.getFirst();
    assertTrue(sort.containsKey(loaderTid), "the loader's track is sorted after the threads");

    var slices = events.stream().filter(e -> "X".equals(e.get("ph"))).toList();
    var calls = slices.stream().filter(e -> "loader".equals(e.get("cat"))).toList();
    assertEquals(List.of("users#1 round 1, 3 keys", "users#2 round 2, 1 key"),
        calls.stream().map(e -> e.get("name")).toList());
    var first = calls.get(0);
    assertEquals(loaderTid, first.get("tid"));
    assertEquals(loaderTid, calls.get(1).get("tid"), "the calls do not overlap: one track");
    assertEquals(0, new BigDecimal(10_000).compareTo((BigDecimal) first.get("ts")));
    assertEquals(0, new BigDecimal(5_000).compareTo((BigDecimal) first.get("dur")));
    var args = args(first);
    assertEquals("users", args.get("loader"));
    assertEquals("users#1", args.get("call"));
    assertEquals(BigDecimal.ONE, args.get("round"));
    assertEquals(new BigDecimal(3), args.get("keys"));
    assertEquals(Set.of("101", "102", "103"), Set.copyOf(StrictJson.array(args.get("first_keys"),
        "first_keys")));
    assertEquals(WAITERS, Set.copyOf(StrictJson.array(args.get("waiters"), "waiters")));
    assertEquals("succeeded", args.get("outcome"));
    assertEquals(Boolean.FALSE, args.get("shared"));
    assertEquals(List.of("page"), args(calls.get(1)).get("waiters"));
    assertEquals(new BigDecimal(2), args(calls.get(1)).get("round"));

    var waited = new HashMap<Object, Object>();
    for (var e : slices) {
      if (!"loader".equals(e.get("cat"))) {
        assertNotEquals(loaderTid, e.get("tid"), "a task on the loader's track: " + e);
        waited.put(e.get("name"), args(e).get("waited_for"));
      }
    }
    assertEquals(Map.of("posts", "-", "authors", "-", "authors[0]", List.of("users#1"),
        "authors[1]", List.of("users#1"), "authors[2]", List.of("users#1"),
        "header", List.of("users#1"), "page", List.of("users#2")),
        waited.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
            w -> w.getValue() == null ? "-" : w.getValue())));
  }

  private static final Pattern BAR = Pattern.compile("left:([\\d.]+)%;width:([\\d.]+)%");

  private static List<Double> bar(HtmlCheck.Element div) {
    var m = BAR.matcher(div.attr("style"));
    assertTrue(m.matches(), div.attr("style"));
    return List.of(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
  }

  @Test
  void html_showsARowPerCall_itsWaitersOnHoverAndBeside_andTheWaitOnTheirRows() throws Exception {
    var feed = feed();
    var page = HtmlCheck.parse(feed.trace().toHtml());

    assertTrue(page.text().contains("4 tasks: 4 succeeded; inside them 3 elements; "
        + "2 batch calls of 1 loader"), page.text());
    var legend = page.find("div", "legend").getFirst().text();
    assertTrue(legend.contains("batch call") && legend.contains("waiting for a batch call"),
        legend);
    var head = page.find("tr", "calls");
    assertEquals(1, head.size());
    assertEquals("batch calls2 calls of 1 loader", head.getFirst().text());
    var calls = page.find("tr", "call");
    assertEquals(2, calls.size());
    assertTrue(calls.stream().allMatch(r -> r.hasClass("row") && r.hasClass("sub")
        && r.hasClass("is-succeeded")));
    var names = page.find("td", "name");
    assertEquals("users#1round 1 \u00b7 3 keys", names.get(names.size() - 2).text());
    var title = calls.get(0).attr("title");
    assertTrue(title.startsWith("batch call users#1 round 1, 3 keys\nloader: users\n"), title);
    assertTrue(title.contains("\nstarted 10.0 ms, ended 15.0 ms, took 5.0 ms\n"), title);
    for (var w : WAITERS) {
      assertTrue(title.contains(w), w + " in " + title);
      assertTrue(calls.get(0).text().contains(w), w + " beside the bar: " + calls.get(0).text());
    }
    var runs = page.find("div", "call");
    assertEquals(List.of(List.of(50.0, 25.0), List.of(75.0, 25.0)),
        runs.stream().map(BatchTraceTest::bar).toList());

    // the waiting tasks' rows: the call's time marked on their bar, the call in their details
    var rows = page.find("tr", "row").stream().filter(r -> !r.hasClass("call")).toList();
    var loads = page.find("div", "load").stream().filter(d -> d.attr("style") != null).toList();
    assertEquals(5, loads.size()); // authors[0..2], header, page
    assertEquals(List.of(50.0, 25.0), bar(loads.getFirst()));
    assertEquals(List.of(75.0, 25.0), bar(loads.getLast()));
    for (var r : rows) {
      var t = r.attr("title");
      var name = t.split("[ \n]")[0];
      var expected = name.equals("page") ? "users#2 round 2, 1 key (5.0 ms)"
          : WAITERS.contains(name) ? "users#1 round 1, 3 keys (5.0 ms)" : null;
      assertEquals(expected != null, t.contains("\nwaited for batch call"), t);
      if (expected != null) {
        assertTrue(t.endsWith("\nwaited for batch call " + expected), t);
      }
    }
  }

  @Test
  void dotAndMermaid_drawTheLoader_withAnEdgeToEachNodeThatWaited() throws Exception {
    var feed = feed();
    var dot = GraphSyntax.parseDot(feed.trace().toDot());
    var loader = dot.nodes().get("l0");
    assertEquals("users\n2 calls \u00b7 2 rounds \u00b7 4 keys \u00b7 10.0 ms", loader.label());
    assertEquals("cylinder", loader.attrs().get("shape"));
    assertTrue(GraphSyntax.dotText(loader.attrs().get("tooltip"))
        .contains("users#2 round 2, 1 key: succeeded, 5.0 ms"));
    assertEquals(Set.of("authors", "header", "page"), dot.edges().stream()
        .filter(e -> e.from().equals("l0"))
        .map(e -> dot.nodes().get(e.to()).label().split("\n")[0]).collect(Collectors.toSet()));
    assertEquals(List.of(5, 7), List.of(dot.nodes().size(), dot.edges().size()),
        "4 nodes and 4 edges, the loader and its 3 edges");

    var mermaid = GraphSyntax.parseMermaid(feed.trace().toMermaid());
    assertEquals("users\n2 calls \u00b7 2 rounds \u00b7 4 keys \u00b7 10.0 ms",
        mermaid.nodes().get("l0").label());
    assertEquals("loader", mermaid.classOf().get("l0"));
    var loads = mermaid.edges().stream().filter(e -> e.from().equals("l0")).toList();
    assertEquals(Set.of("authors", "header", "page"), loads.stream()
        .map(e -> mermaid.nodes().get(e.to()).label().split("\n")[0])
        .collect(Collectors.toSet()));
    assertTrue(loads.stream().allMatch(e -> e.label().equals("loads") && e.arrow().equals("-.->")));
    assertEquals(List.of(4, 5, 6), loads.stream().map(GraphSyntax.MermaidEdge::index).toList(),
        "after the graph's own edges, whose link styles keep their numbers");
  }

  /** A run that loads nothing is drawn as it was before loaders existed. */
  @Test
  void aRunThatLoadsNothing_isDrawnTheSameWithAndWithoutItsBatches() {
    var g = Graph.builder("plain");
    Node<List<Integer>> ids = g.task("ids", () -> List.of(1, 2));
    g.forEach("each", ids, i -> i + 1);
    var graph = g.build();
    var result = graph.run(Inputs.empty());
    var shape = graph.shape();
    var spans = new Span[shape.size()];
    for (var s : result.spans()) {
      spans[shape.indexOf(s.node())] = s;
    }
    var plain = new Trace(shape, result.runId(), result.elapsed(), spans); // as before loaders
    var traced = traced(graph, result);

    assertEquals(List.of(), result.batches());
    assertEquals(plain.toHtml(), traced.toHtml());
    assertEquals(plain.toChromeJson(), traced.toChromeJson());
    assertEquals(plain.toDot(), traced.toDot());
    assertEquals(plain.toMermaid(), traced.toMermaid());
    assertEquals(plain.criticalPathText(), traced.criticalPathText());
    assertFalse(plain.toHtml().contains("batch call"));
    assertFalse(plain.toText().contains("batch call"));
  }

  /**
   * host runs a subgraph whose profile loads a user, cards runs it per element, and reviews loads
   * one too: one call, whose waiters are written as paths ({@code host/profile}, one {@code
   * cards/profile} for every element) and shown as the trace names them.
   */
  @Test
  void waitersInsideSubgraphsAndElements_areMatchedToTheirSpans() {
    var users = BatchLoader.of("users", (List<Integer> ids) -> {
      var m = new HashMap<Integer, String>();
      ids.forEach(id -> m.put(id, "user " + id));
      return m;
    });
    var h = Graph.builder("host-card");
    Input<Integer> hostId = h.input("hostId", Integer.class);
    Node<String> profile = h.task("profile", hostId, users::load);
    var card = Subgraph.of(h.build(), profile);
    var g = Graph.builder("listing");
    Node<Integer> id = g.task("id", () -> 1);
    g.subgraph("host", card.bind(hostId, id));
    g.task("reviews", id, i -> users.load(i + 1));
    Node<List<Integer>> ids = g.task("ids", () -> List.of(3, 4));
    g.node("cards").forEach(ids, hostId, card);
    var graph = g.build();
    // timers never fire: only the run going quiet sends the keys, all in one call
    var result = graph.run(Inputs.empty(), o -> o.withScheduler(new FakeScheduler()));
    result.throwIfFailed();
    var trace = traced(graph, result);

    var batch = result.batches().getFirst();
    assertEquals(1, result.batches().size(), result.batches().toString());
    assertEquals(Set.of("host/profile", "reviews", "cards/profile"), Set.copyOf(batch.waiters()));
    var call = events(trace).stream().filter(e -> "loader".equals(e.get("cat"))).findFirst()
        .orElseThrow();
    var shown = Set.of("host \u203a profile", "reviews", "cards[0] \u203a profile",
        "cards[1] \u203a profile");
    assertEquals(shown, Set.copyOf(StrictJson.array(args(call).get("waiters"), "waiters")));
    var waited = events(trace).stream().filter(e -> "X".equals(e.get("ph"))
        && args(e).containsKey("waited_for")).map(e -> e.get("name")).collect(Collectors.toSet());
    assertEquals(shown, waited);
    var text = trace.toText();
    for (var name : shown) {
      assertTrue(Pattern.compile("\n\\s+" + Pattern.quote(name) + " .*waited for users#1\n")
          .matcher(text).find(), name + " in\n" + text);
    }
    var dot = GraphSyntax.parseDot(trace.toDot());
    assertEquals(Set.of("host", "reviews", "cards"), dot.edges().stream()
        .filter(e -> e.from().equals("l0"))
        .map(e -> dot.nodes().get(e.to()).label().split("\n")[0]).collect(Collectors.toSet()));
  }

  /** Keys whose toString is hostile, or throws, or says nothing. */
  private record Key(String text) {
    @Override
    public String toString() {
      if (text == null) {
        throw new IllegalStateException("no text");
      }
      return text.equals("null") ? null : text;
    }
  }

  /** Loader names, keys and waiters are untrusted text: every export escapes them. */
  @Test
  void hostileLoaderNamesKeysAndFailures_areEscapedInEveryExport() {
    var names = ExportsTest.HOSTILE;
    var shape = new Shape("hostile", names, new boolean[names.size()],
        new int[names.size()][0], new EdgeKind[names.size()][0]);
    var spans = new Span[names.size()];
    var batches = new ArrayList<Batch>();
    var error = new IOException("503 <b>\"down\"</b> & \u0007 \\");
    for (int i = 0; i < names.size(); i++) {
      var name = names.get(i);
      spans[i] = new Span(name, new Outcome.Succeeded<>(name, 1), ms(i), ms(i), ms(i + 2), 1,
          1, "t");
      var keys = List.<Object>of(new Key(name), new Key(null), new Key("null"),
          new Key("x" + "\ud83e\uddf5".repeat(80)), i);
      batches.add(new Batch(name, name + "#1", 1, keys, ms(i), ms(i + 1.5),
          i % 2 == 0 ? Outcome.Status.FAILED : Outcome.Status.SUCCEEDED,
          i % 2 == 0 ? error : null, 1, List.of(name), false));
    }
    var run = Timeline.of(shape, 9, ms(names.size() + 1), spans, batches);

    // JSON: strict, and every name, key and waiter round-trips
    var root = StrictJson.object(StrictJson.parse(ChromeJson.render(run)), "root");
    var calls = StrictJson.array(root.get("traceEvents"), "traceEvents").stream()
        .map(e -> StrictJson.object(e, "event")).filter(e -> "loader".equals(e.get("cat")))
        .toList();
    assertEquals(names.size(), calls.size());
    var tracks = StrictJson.array(root.get("traceEvents"), "traceEvents").stream()
        .map(e -> StrictJson.object(e, "event"))
        .filter(e -> "thread_name".equals(e.get("name"))).map(e -> args(e).get("name"))
        .collect(Collectors.toSet());
    for (int i = 0; i < names.size(); i++) {
      var name = names.get(i);
      var call = calls.stream().filter(e -> name.equals(args(e).get("loader"))).findFirst()
          .orElseThrow(() -> new AssertionError("no call of loader " + name));
      var a = args(call);
      assertEquals(name + "#1 round 1, 5 keys", call.get("name"));
      assertEquals(List.of(name), a.get("waiters"));
      var keys = StrictJson.array(a.get("first_keys"), "first_keys");
      assertEquals(name, keys.get(0));
      assertEquals(Key.class.getName() + " (its toString() threw "
          + IllegalStateException.class.getName() + ")", keys.get(1));
      assertEquals(Key.class.getName(), keys.get(2));
      assertEquals("x" + "\ud83e\uddf5".repeat(59) + "\u2026", keys.get(3), "cut between pairs");
      assertEquals(i % 2 == 0 ? "java.io.IOException: " + error.getMessage() : null,
          a.get("error"));
      assertTrue(tracks.contains("loader " + name), name);
    }

    // HTML: well-formed, nothing became a tag, every name in a row and its details
    var html = Waterfall.render(run);
    var page = HtmlCheck.parse(html);
    assertFalse(html.contains("<script>"), "a name became a tag");
    assertFalse(html.contains("<b>\""), "an error became a tag");
    var rows = page.find("tr", "call");
    assertEquals(names.size(), rows.size());
    for (int i = 0; i < names.size(); i++) {
      var name = names.get(i);
      var row = rows.stream().filter(r -> r.attr("title").startsWith("batch call " + name
          + "#1 round 1, 5 keys\nloader: " + name + "\n")).findFirst()
          .orElseThrow(() -> new AssertionError("no row of loader " + name));
      var title = row.attr("title");
      assertTrue(title.contains("\nkeys: " + name + ", " + Key.class.getName()), title);
      assertTrue(title.contains("\nwaiting: " + name), title);
      assertEquals(i % 2 == 0, title.contains("\nerror: java.io.IOException: 503 <b>\"down\"</b>"
          + " & \ufffd \\"), title);
      assertTrue(row.text().contains(name + "#1"), row.text());
    }

    // DOT and Mermaid: well-formed, each loader labelled with its name
    var dot = GraphSyntax.parseDot(Dot.run(run));
    var mermaid = GraphSyntax.parseMermaid(Mermaid.run(run));
    for (int i = 0; i < names.size(); i++) {
      var summary = "\n1 call \u00b7 1 round \u00b7 5 keys \u00b7 1.5 ms"
          + (i % 2 == 0 ? " \u00b7 1 not succeeded" : "");
      assertEquals(names.get(i) + summary, dot.nodes().get("l" + i).label());
      assertEquals((names.get(i).isEmpty() ? "\u200b" : names.get(i)) + summary,
          mermaid.nodes().get("l" + i).label());
    }

    // text: one line a row, control characters shown as spaces
    var text = TextWaterfall.render(run);
    var lines = text.split("\n");
    assertEquals(2 + names.size() + 1 + names.size() + 1, lines.length, text);
    assertTrue(text.contains("  two lines#1 round 1, 5 keys"), text);
  }

  /** Overlapping calls of a loader (a round split by maxBatchSize) go on tracks of their own. */
  @Test
  void chromeJson_overlappingCallsOfOneLoader_goOnTracksOfTheirOwn() {
    var shape = new Shape("split", List.of("a", "b"), new boolean[2], new int[2][0],
        new EdgeKind[2][0]);
    var spans = new Span[] {
        new Span("a", new Outcome.Succeeded<>("a", 1), ms(0), ms(0), ms(10), 1, 3, "t3"),
        new Span("b", new Outcome.Succeeded<>("b", 1), ms(0), ms(0), ms(10), 1, 5, "t5")};
    var ok = Outcome.Status.SUCCEEDED;
    var batches = List.of(
        new Batch("users", "users#1", 1, List.of(1, 2), ms(1), ms(6), ok, null, 1, List.of("a"), false),
        new Batch("users", "users#2", 1, List.of(3), ms(2), ms(4), ok, null, 1, List.of("b"), false),
        new Batch("users", "users#3", 2, List.of(4), ms(6), ms(9), ok, null, 1, List.of("a", "b"), false),
        new Batch("photos", "photos#1", 1, List.of(4), ms(1), ms(9), ok, null, 1, List.of("b"), false));
    var root = StrictJson.object(StrictJson.parse(ChromeJson.render(
        Timeline.of(shape, 4, ms(10), spans, batches))), "root");
    var events = StrictJson.array(root.get("traceEvents"), "traceEvents").stream()
        .map(e -> StrictJson.object(e, "event")).toList();

    var tracks = new HashMap<String, Object>();
    for (var e : events) {
      if ("thread_name".equals(e.get("name"))) {
        tracks.put((String) args(e).get("name"), e.get("tid"));
      }
    }
    assertEquals(Set.of("thread #3 t3", "thread #5 t5", "loader users", "loader users (2)",
        "loader photos"), tracks.keySet());
    assertEquals(List.of(new BigDecimal(6), new BigDecimal(7), new BigDecimal(8)),
        List.of(tracks.get("loader users"), tracks.get("loader users (2)"),
            tracks.get("loader photos")), "after every thread's id, in loader order");
    var onTrack = new HashMap<String, Object>();
    for (var e : events) {
      if ("loader".equals(e.get("cat"))) {
        onTrack.put((String) e.get("name"), e.get("tid"));
      }
    }
    assertEquals(Map.of("users#1 round 1, 2 keys", tracks.get("loader users"),
        "users#2 round 1, 1 key", tracks.get("loader users (2)"),
        "users#3 round 2, 1 key", tracks.get("loader users"),
        "photos#1 round 1, 1 key", tracks.get("loader photos")), onTrack);
  }

  private static Duration ms(double millis) {
    return Duration.ofNanos(Math.round(millis * 1e6));
  }
}
