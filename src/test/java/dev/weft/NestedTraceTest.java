package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.internal.EdgeKind;
import dev.weft.internal.trace.Shape;
import dev.weft.internal.trace.Timeline;
import dev.weft.testing.HtmlCheck;
import dev.weft.testing.StrictJson;
import dev.weft.testing.SteppedClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The trace of runs with fan-out and subgraph nodes: the critical path descends into what ran
 * inside them, and every export shows it nested under its node. Tasks sleep on a fake clock that
 * the test moves only once what it waits for has ended, so every timestamp is exact.
 */
class NestedTraceTest {
  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static List<String> labels(List<Span> spans) {
    return spans.stream().map(Span::label).toList();
  }

  private static List<Map<String, Object>> events(Trace trace) {
    var root = StrictJson.object(StrictJson.parse(trace.toChromeJson()), "root");
    return StrictJson.array(root.get("traceEvents"), "traceEvents").stream()
        .map(e -> StrictJson.object(e, "event"))
        .filter(e -> "X".equals(e.get("ph")))
        .toList();
  }

  private static Map<String, Object> args(Map<String, Object> event) {
    return StrictJson.object(event.get("args"), "args");
  }

  /** The name cells of the waterfall's rows, as text, in page order. */
  private static List<String> rowNames(HtmlCheck.Page page) {
    return page.find("td", "name").stream().map(HtmlCheck.Element::text).toList();
  }

  /**
   * ids (10 ms) fans out to photos[0..3] (photo 2 takes 40 ms, the others 10) beside other
   * (20 ms); page (1 ms) needs both.
   */
  @Test
  void fanOut_criticalPathDescendsIntoTheElementThatEndedLast() throws Exception {
    var clock = new SteppedClock();
    var g = Graph.builder("gallery");
    Node<List<Integer>> ids = g.task("ids", () -> clock.sleep(10, List.of(0, 1, 2, 3)));
    Node<List<String>> photos = g.forEach("photos", ids,
        id -> clock.sleep(id == 2 ? 40 : 10, "photo-" + id));
    Node<String> other = g.task("other", ids, x -> clock.sleep(20, "other"));
    g.task("page", photos, other, (p, o) -> clock.sleep(1, "page"));
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> clock.options(graph));
    clock.advance(1, 10);
    clock.awaitEnded("ids");
    clock.advance(5, 10);
    clock.awaitEnded("photos[0]", "photos[1]", "photos[3]");
    clock.advance(2, 10);
    clock.awaitEnded("other");
    clock.advance(1, 20);
    clock.awaitEnded("photos[2]", "photos");
    clock.advance(1, 1);
    var trace = run.get(10, SECONDS).trace();

    var path = trace.criticalPath();
    assertEquals(List.of("ids", "photos", "photos[2]", "page"), labels(path));
    assertEquals(2, path.get(2).element());
    assertEquals(List.of(ms(10), ms(50)), List.of(path.get(2).started(), path.get(2).ended()));
    assertEquals(String.format("""
        critical path of run %d of graph 'gallery': 51.0 ms of 51.0 ms
          ids        ran  10.0 ms  queued 0.000 ms  succeeded
          photos     ran  40.0 ms  queued 0.000 ms  succeeded
          photos[2]  ran  40.0 ms  queued 0.000 ms  succeeded
          page       ran   1.0 ms  queued 0.000 ms  succeeded
        """, trace.runId()), trace.criticalPathText());

    var page = HtmlCheck.parse(trace.toHtml());
    assertEquals(List.of("\u25c6ids", "\u25c6photos4 elements", "photos[0]", "photos[1]",
        "\u25c6photos[2]", "photos[3]", "other", "\u25c6page"), rowNames(page));
    assertEquals(trace.criticalPath().size(), page.find("tr", "crit").size());
    assertEquals(4, page.find("tr", "sub").size());
    assertTrue(page.text().contains("critical path, 51.0 ms: ids \u2192 photos (photos[2]) "
        + "\u2192 page"), page.text());

    var elements = events(trace).stream().filter(e -> args(e).containsKey("element")).toList();
    assertEquals(List.of("photos[0]", "photos[1]", "photos[2]", "photos[3]"),
        elements.stream().map(e -> e.get("name")).toList());
    for (var e : elements) {
      assertEquals("photos", args(e).get("parent"));
      assertEquals("photos", args(e).get("node"));
      assertEquals("photos[2]".equals(e.get("name")), args(e).get("critical"), e.toString());
    }
  }

  /** The inner graph of {@code host}: card (5 ms) needs profile (30 ms) and avatar (10 ms). */
  private static Graph hostCard(SteppedClock clock, Input<String>[] hostId, Node<String>[] card) {
    var h = Graph.builder("host-card");
    hostId[0] = h.input("hostId", String.class);
    Node<String> profile = h.task("profile", hostId[0], id -> clock.sleep(30, "profile " + id));
    Node<String> avatar = h.task("avatar", hostId[0], id -> clock.sleep(10, "avatar " + id));
    card[0] = h.task("card", profile, avatar, (p, a) -> clock.sleep(5, p + "/" + a));
    return h.build();
  }

  /**
   * listing (10 ms) feeds host, a subgraph (profile 30 ms, avatar 10 ms, then card 5 ms), and
   * reviews (20 ms); page (1 ms) needs both.
   */
  @Test
  void subgraph_criticalPathDescendsAlongTheInnerRunsOwnCriticalPath() throws Exception {
    var clock = new SteppedClock();
    @SuppressWarnings("unchecked")
    Input<String>[] hostId = new Input[1];
    @SuppressWarnings("unchecked")
    Node<String>[] card = new Node[1];
    var inner = hostCard(clock, hostId, card);
    var g = Graph.builder("listing-page");
    Node<String> listing = g.task("listing", () -> clock.sleep(10, "h1"));
    Node<String> host = g.subgraph("host", Subgraph.of(inner, card[0]).bind(hostId[0], listing));
    Node<String> reviews = g.task("reviews", listing, l -> clock.sleep(20, "reviews"));
    g.task("page", host, reviews, (h, r) -> clock.sleep(1, h + r));
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> clock.options(graph));
    clock.advance(1, 10);
    clock.awaitEnded("listing");
    clock.advance(3, 10);
    clock.awaitEnded("avatar");
    clock.advance(2, 10);
    clock.awaitEnded("reviews");
    clock.advance(1, 10);
    clock.awaitEnded("profile");
    clock.advance(1, 5);
    clock.awaitEnded("card", "host");
    clock.advance(1, 1);
    var trace = run.get(10, SECONDS).trace();

    var path = trace.criticalPath();
    assertEquals(List.of("listing", "host", "profile", "card", "page"), labels(path));
    assertEquals(List.of(ms(10), ms(10), ms(40)),
        List.of(path.get(2).ready(), path.get(2).started(), path.get(2).ended()));
    assertEquals(List.of(ms(40), ms(45)), List.of(path.get(3).started(), path.get(3).ended()));
    assertEquals(String.format("""
        critical path of run %d of graph 'listing-page': 46.0 ms of 46.0 ms
          listing         ran  10.0 ms  queued 0.000 ms  succeeded
          host            ran  35.0 ms  queued 0.000 ms  succeeded
          host \u203a profile  ran  30.0 ms  queued 0.000 ms  succeeded
          host \u203a card     ran   5.0 ms  queued 0.000 ms  succeeded
          page            ran   1.0 ms  queued 0.000 ms  succeeded
        """, trace.runId()), trace.criticalPathText());

    var page = HtmlCheck.parse(trace.toHtml());
    assertEquals(List.of("\u25c6listing", "\u25c6host3 tasks", "\u25c6host \u203a profile",
        "host \u203a avatar", "\u25c6host \u203a card", "reviews", "\u25c6page"),
        rowNames(page));
    assertTrue(page.text().contains("listing \u2192 host (profile \u2192 card) \u2192 page"),
        page.text());
    assertEquals(1, page.find("tbody", "grp").size());
    assertEquals("", page.find("input", null).getFirst().attr("checked"), "a small group is open");

    var byName = new HashMap<String, Map<String, Object>>();
    events(trace).forEach(e -> byName.put((String) e.get("name"), e));
    var profile = byName.get("host \u203a profile");
    assertNotNull(profile, byName.keySet().toString());
    assertEquals("host", args(profile).get("parent"));
    assertEquals("profile", args(profile).get("node"));
    assertEquals(true, args(profile).get("critical"));
    assertEquals(false, args(byName.get("host \u203a avatar")).get("critical"));
    assertFalse(args(byName.get("host")).containsKey("parent"));
    assertFalse(args(profile).containsKey("element"));
    assertTrue(trace.toDot().contains("host"));
    assertTrue(trace.toMermaid().contains("host"));
  }

  /**
   * Each element of photos runs a subgraph: resize (10 ms; 30 ms for photo 1), then store (5 ms).
   * The path descends into the element, then into the run inside it.
   */
  @Test
  void fanOutOfSubgraphs_criticalPathDescendsTwice_andLabelsNameTheElement() throws Exception {
    var clock = new SteppedClock();
    var p = Graph.builder("photo");
    Input<Integer> photoId = p.input("photoId", Integer.class);
    Node<Integer> resize = p.task("resize", photoId, id -> clock.sleep(id == 1 ? 30 : 10, id));
    Node<String> store = p.task("store", resize, id -> clock.sleep(5, "stored-" + id));
    var photo = p.build();
    var g = Graph.builder("album");
    Node<List<Integer>> ids = g.task("ids", () -> clock.sleep(10, List.of(0, 1, 2)));
    Node<List<String>> photos = g.node("photos").forEach(ids, photoId, Subgraph.of(photo, store));
    g.task("page", photos, s -> clock.sleep(1, s.size()));
    var graph = g.build();

    var run = graph.runAsync(Inputs.empty(), o -> clock.options(graph));
    clock.advance(1, 10);
    clock.awaitEnded("ids");
    clock.advance(3, 10);
    clock.awaitEnded("resize", "resize");
    clock.advance(3, 5);
    clock.awaitEnded("store", "store", "photos[0]", "photos[2]");
    clock.advance(1, 15);
    clock.awaitEnded("resize");
    clock.advance(1, 5);
    clock.awaitEnded("store", "photos[1]", "photos");
    clock.advance(1, 1);
    var trace = run.get(10, SECONDS).trace();

    assertEquals(List.of("ids", "photos", "photos[1]", "resize", "store", "page"),
        labels(trace.criticalPath()));
    assertTrue(trace.criticalPathText().contains("\n  photos[1] \u203a store   ran   5.0 ms"),
        trace.criticalPathText());

    var page = HtmlCheck.parse(trace.toHtml());
    var names = rowNames(page);
    assertEquals(List.of("\u25c6ids", "\u25c6photos3 elements", "photos[0]",
        "photos[0] \u203a resize", "photos[0] \u203a store", "\u25c6photos[1]",
        "\u25c6photos[1] \u203a resize", "\u25c6photos[1] \u203a store", "photos[2]",
        "photos[2] \u203a resize", "photos[2] \u203a store", "\u25c6page"), names);
    assertTrue(page.text().contains("ids \u2192 photos (photos[1] (resize \u2192 store)) \u2192 "
        + "page"), page.text());

    var stores = events(trace).stream()
        .filter(e -> "photos[1] \u203a store".equals(e.get("name"))).toList();
    assertEquals(1, stores.size());
    assertEquals("photos[1]", args(stores.getFirst()).get("parent"));
    assertEquals(true, args(stores.getFirst()).get("critical"));
  }

  private static Span task(String name, long ready, long started, long ended) {
    return new Span(name, new Outcome.Succeeded<>(name, name), ms(ready), ms(started), ms(ended),
        1, 1, "main");
  }

  /**
   * Without the inner graph's shape (a timeline built by hand), each step inside a subgraph is
   * preceded by the task that ended last no later than the step became ready.
   */
  @Test
  void subgraphWithoutItsShape_chainsItsTasksByReadiness() {
    var inside = List.of(task("a", 0, 0, 20), task("b", 0, 0, 30), task("d", 20, 20, 25),
        task("c", 30, 30, 45));
    var host = new Span("host", new Outcome.Succeeded<>("host", "h"), ms(0), ms(0), ms(50), 1, 1,
        "main", -1, inside);
    var shape = new Shape("outer", List.of("host"), new boolean[1], new int[][] {{}},
        new EdgeKind[][] {{}});
    var run = Timeline.of(shape, 1, ms(50), new Span[] {host});

    assertEquals(List.of("host", "b", "c"), labels(run.criticalPath()));
    assertEquals(List.of("host", "host \u203a b", "host \u203a c"),
        run.steps().stream().map(Timeline.Step::label).toList());
    assertTrue(run.critical(inside.get(1)));
    assertFalse(run.critical(inside.get(0)));
  }

  /** A node omitted by its condition reads as omitted in the waterfall, not as a blank bar. */
  @Test
  void omittedNode_isLabelledInTheWaterfall() {
    var g = Graph.builder("conditional");
    Node<Boolean> wanted = g.task("wanted", () -> false);
    g.node("extra").when(wanted, w -> w).call(() -> "extra");
    var trace = g.build().run(Inputs.empty()).trace();

    var page = HtmlCheck.parse(trace.toHtml());
    var extra = page.find("tr", "is-omitted");
    assertEquals(1, extra.size());
    assertTrue(extra.getFirst().attr("title").contains("outcome: omitted"),
        extra.getFirst().attr("title"));
    assertTrue(page.style().contains(".badge.omitted{color:#57606a"), "omitted badge has text"
        + " colour");
  }

  /** A fan-out of 10,000 elements opens folded, keeping only its critical element in view. */
  @Test
  void largeFanOut_startsFolded_andHasARowPerElement() {
    var g = Graph.builder("wide");
    Node<List<Integer>> items = g.task("items", () -> IntStream.range(0, 10_000).boxed().toList());
    g.forEach("each", items, i -> i);
    var trace = g.build().run(Inputs.empty(), o -> o.withExecutor(Runnable::run)).trace();

    var page = HtmlCheck.parse(trace.toHtml());
    assertEquals(10_000, page.find("tr", "sub").size());
    assertFalse(page.find("input", null).getFirst().attr("checked") != null);
    assertEquals(1, page.find("tr", "sub").stream().filter(r -> r.hasClass("crit")).count());
    assertEquals(10_000, events(trace).stream().filter(e -> args(e).containsKey("element"))
        .count());
  }
}
