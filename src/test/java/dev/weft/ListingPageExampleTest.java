package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.Downstreams;
import dev.weft.examples.Downstreams.Photo;
import dev.weft.examples.HostPage;
import dev.weft.examples.HostSection;
import dev.weft.examples.ListingPage;
import dev.weft.testing.StdOut;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's main example: a listing page whose photos fan out per id, whose host section is a
 * subgraph shared with the host page, whose upsell is for premium viewers only, and whose users
 * and listings come through batch loaders.
 */
class ListingPageExampleTest {
  @Test
  void hangingPhoto_timesOut_andIsReplacedByThePlaceholder_theOthersArrive() {
    var result = ListingPage.render(42, 1);
    var photos = result.get(ListingPage.PHOTOS);
    assertEquals(6, photos.size(), photos.toString());
    for (int i = 0; i < photos.size(); i++) {
      if (i == 2) {
        assertSame(Photo.PLACEHOLDER, photos.get(i), "photo 13 hangs");
      } else {
        assertNotEquals(Photo.PLACEHOLDER, photos.get(i), "photo " + i);
      }
    }
    var span = span(result, "photos");
    assertEquals(List.of("photos[0]", "photos[1]", "photos[2]", "photos[3]", "photos[4]",
        "photos[5]"), span.children().stream().map(Span::label).toList());
    assertTrue(span.children().get(2).ran().toMillis() >= 100,
        "the hanging photo ran until its 100 ms timeout: " + span.children().get(2));
  }

  @Test
  void upsell_isOmittedForAViewerWhoIsNotPremium_andNotAFailure() {
    var result = ListingPage.render(42, 1);
    assertEquals(new Outcome.Omitted<>("upsell", "upsell"), result.outcome(ListingPage.UPSELL));
    assertTrue(result.get(ListingPage.PAGE).upsell().isEmpty());
    assertEquals(List.of(), result.failures(), "the hanging photo and the gone author fall back");
  }

  @Test
  void upsell_isShownToAPremiumViewer() {
    var result = ListingPage.render(42, 2);
    assertInstanceOf(Outcome.Succeeded.class, result.outcome(ListingPage.UPSELL));
    assertEquals("early check-in at Loft by the canal for $25",
        result.get(ListingPage.PAGE).upsell().orElseThrow().offer());
  }

  @Test
  void hostSection_isTheHostCardSubgraph_nestedUnderTheHostNode() {
    var result = ListingPage.render(42, 1);
    assertEquals("Maartje (superhost), 4.9 stars, replies within an hour",
        result.get(ListingPage.PAGE).host().toString());
    var children = span(result, "host").children().stream().map(Span::node).sorted().toList();
    assertEquals(List.of("card", "profile", "rating", "responds"), children);
  }

  @Test
  void bothPages_runTheSameHostCardSubgraph_underTheirHostNode() {
    assertSame(HostSection.GRAPH, ListingPage.HOST_SECTION.graph());
    assertSame(HostSection.GRAPH, HostPage.HOST_SECTION.graph());
    var nested = new ConcurrentLinkedQueue<String>();
    RunListener listener = event -> {
      if (event instanceof RunEvent.RunStarted s && s.nested()) {
        nested.add(s.graph() + " under " + s.parentNode());
      }
    };
    ListingPage.GRAPH.run(Inputs.of(ListingPage.LISTING_ID, 42L).and(ListingPage.VIEWER_ID, 1L),
        o -> o.withListener(listener));
    assertEquals(List.of("host-card under host"), List.copyOf(nested));
    nested.clear();
    var host = HostPage.GRAPH.run(Inputs.of(HostPage.HOST_ID, 7L), o -> o.withListener(listener));
    assertEquals(List.of("host-card under host", "listing-card under cards",
        "listing-card under cards", "listing-card under cards"),
        nested.stream().sorted().toList());
    var page = host.get(HostPage.PAGE);
    assertEquals(ListingPage.render(42, 1).get(ListingPage.PAGE).host(), page.host());
    assertEquals("[Loft by the canal $180, Houseboat on the Amstel $200, Attic room $220]",
        page.listings().toString());
  }

  @Test
  void authorsAndSimilarListings_loadThroughTheLoaders_eachKeyOnce_aGoneUserFailingOnlyItsLoad() {
    var result = ListingPage.render(42, 1);
    var page = result.get(ListingPage.PAGE);
    assertEquals("5 reviews, by Noor, Jun, Noor, Lena, a former guest", page.reviews());
    assertEquals("[Houseboat on the Amstel (Maartje), Attic room (Maartje), Studio by the park"
        + " (Jun)]", page.similar().toString());
    // users: the viewer; 5 authors (3 twice, 9 gone); 3 hosts (7 twice, 4 an author already)
    assertEquals(List.of(9L, 6L, 3L), keys(figures(result, "users")));
    // listings: this one; then the 3 similar ones
    assertEquals(List.of(4L, 4L, 0L), keys(figures(result, "listings")));
    for (var loader : List.of("users", "listings")) {
      var keys = result.batches().stream().filter(b -> b.loader().equals(loader))
          .flatMap(b -> b.keys().stream()).toList();
      assertEquals(keys.stream().distinct().toList(), keys, loader + ": a key sent twice");
    }
    var gone = result.batches().stream().filter(b -> b.keys().contains(9L)).toList();
    assertEquals(1, gone.size(), "user 9 is asked for once: " + result.batches());
    assertEquals(Outcome.Status.SUCCEEDED, gone.get(0).status(), "the call does not fail for it");
  }

  /**
   * One call per round of data: users for the viewer, then the authors, then the similar
   * listings' hosts; listings for this one, then the similar ones. The services are called
   * exactly as often as the loaders report. The rounds rest on timing (the simulated services
   * sleep, out of Weft's sight, so the loaders' maxDelay backstop closes each round), and a JVM
   * that stalls, compiling or loading classes, can split or merge one; so the ideal is required
   * of one of five renders, and the rest of each.
   */
  @Test
  void eachRoundOfData_isOneCallPerService_insteadOfOnePerLoad() {
    var made = new java.util.ArrayList<String>();
    for (int i = 0; i < 5 && !made.contains("users 3, listings 2"); i++) {
      int users = Downstreams.userServiceCalls();
      int listings = Downstreams.listingServiceCalls();
      var result = ListingPage.render(42, 1);
      var u = figures(result, "users");
      var l = figures(result, "listings");
      assertEquals(u.batches(), Downstreams.userServiceCalls() - users, "user service calls");
      assertEquals(l.batches(), Downstreams.listingServiceCalls() - listings,
          "listing service calls");
      assertEquals(u.rounds(), u.batches(), "no maxBatchSize: one call per round");
      made.add("users " + u.batches() + ", listings " + l.batches());
    }
    assertTrue(made.contains("users 3, listings 2"), "calls per render: " + made);
  }

  @Test
  void main_printsBothPagesTheWaterfallAndCriticalPath_andWritesTheTrace() throws Exception {
    var text = StdOut.of(() -> ListingPage.main(new String[] {"--trace"}));
    assertTrue(text.contains("1 timed out: placeholder shown"), text);
    assertTrue(text.contains("reviews: 5 reviews, by Noor, Jun, Noor, Lena, a former guest"),
        text);
    assertTrue(text.contains("similar: [Houseboat on the Amstel (Maartje)"), text);
    // once per page: the viewer's and the premium viewer's
    var loaders = Pattern.compile("\nloaders: \\d+ calls? to the services, 13 without batching"
        + " \\(one per load\\)\n {9}listings \\d+ calls? for 4 loads of 4 keys, users \\d+ calls?"
        + " for 9 loads of 6 keys\n").matcher(text).results().count();
    assertEquals(2, loaders, text);
    assertTrue(text.contains("upsell:  none (Omitted[node=upsell, cause=upsell])"), text);
    assertTrue(text.contains("upsell:  early check-in"), text);
    assertTrue(text.contains("listings: [Loft by the canal $180"), text);
    assertTrue(text.contains("\n  photos[2] "), "element rows in the waterfall:\n" + text);
    assertTrue(text.contains("\n  profile "), "subgraph rows in the waterfall:\n" + text);
    assertTrue(text.contains("critical path of run"), text);
    // a cold run and a warm one, each named as such, each with its waterfall
    assertTrue(Pattern.compile("\nrun \\d+ of listing-page took [\\d.]+ ms: cold, the first run"
        + " in this JVM").matcher(text).find(), text);
    assertTrue(Pattern.compile("\nrun \\d+ of listing-page took [\\d.]+ ms: warm, the same page"
        + " after 10 more runs\n").matcher(text).find(), text);
    assertTrue(Pattern.compile("\n  photos\\[2\\] ").matcher(text).results().count() >= 2,
        "both waterfalls show the elements:\n" + text);
    var html = Path.of("target", "listing-page.html");
    assertTrue(text.contains("waterfall written to " + html.toAbsolutePath()), text);
    var dir = Path.of("target", "weft-trace");
    var files = List.of(html, dir.resolve("trace.json"), dir.resolve("graph.dot"),
        dir.resolve("run.dot"), dir.resolve("run.mmd"), dir.resolve("waterfall.html"));
    for (var path : files) {
      assertTrue(Files.size(path) > 0, path + " should be written");
      assertTrue(Files.getLastModifiedTime(path).toMillis() > System.currentTimeMillis() - 600_000,
          path + " should be fresh");
    }
    assertTrue(Files.readString(html).contains("photos"));
  }

  private static LoaderStats figures(RunResult result, String loader) {
    return result.loaders().stream().filter(s -> s.loader().equals(loader)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + loader + " in " + result.loaders()));
  }

  /** {@return keys requested, fetched and saved: what timing cannot change} */
  private static List<Long> keys(LoaderStats s) {
    return List.of(s.keysRequested(), s.keysFetched(), s.duplicatesSaved());
  }

  private static Span span(RunResult result, String node) {
    return result.spans().stream().filter(s -> s.node().equals(node)).findFirst().orElseThrow();
  }
}
