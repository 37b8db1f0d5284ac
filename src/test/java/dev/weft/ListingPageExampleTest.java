package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.Downstreams.Photo;
import dev.weft.examples.HostPage;
import dev.weft.examples.HostSection;
import dev.weft.examples.ListingPage;
import dev.weft.testing.StdOut;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * The README's main example: a listing page whose photos fan out per id, whose host section is a
 * subgraph shared with the host page, and whose upsell is for premium viewers only.
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
    assertEquals(List.of("reviews"), result.failures().stream().map(Outcome::node).toList(),
        "only the reviews service is down");
    assertTrue(result.get(ListingPage.PAGE).reviews().startsWith("unavailable (reviews-service"));
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
  void main_printsBothPagesTheWaterfallAndCriticalPath_andWritesTheTrace() throws Exception {
    var text = StdOut.of(() -> ListingPage.main(new String[] {"--trace"}));
    assertTrue(text.contains("1 timed out: placeholder shown"), text);
    assertTrue(text.contains("reviews: unavailable (reviews-service: 503"), text);
    assertTrue(text.contains("upsell:  none (Omitted[node=upsell, cause=upsell])"), text);
    assertTrue(text.contains("upsell:  early check-in"), text);
    assertTrue(text.contains("listings: [Loft by the canal $180"), text);
    assertTrue(text.contains("\n  photos[2] "), "element rows in the waterfall:\n" + text);
    assertTrue(text.contains("\n  profile "), "subgraph rows in the waterfall:\n" + text);
    assertTrue(text.contains("critical path of run"), text);
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

  private static Span span(RunResult result, String node) {
    return result.spans().stream().filter(s -> s.node().equals(node)).findFirst().orElseThrow();
  }
}
