package dev.weft.examples;

import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.RunResult;
import dev.weft.Subgraph;
import dev.weft.examples.Downstreams.HostCard;
import dev.weft.examples.Downstreams.Listing;
import dev.weft.examples.Downstreams.Quote;
import java.time.Duration;
import java.util.List;

/**
 * A second page built on the same host section as {@link ListingPage}: a host's profile page,
 * with the {@link HostSection} subgraph bound to this graph's own input, and a card per listing of
 * the host, each card a small subgraph of its own run once per listing id (a fan-out whose
 * elements are subgraphs).
 *
 * <p>Run it with {@code mvn -q test-compile exec:exec -Dexample=dev.weft.examples.HostPage}.
 */
public final class HostPage {
  private HostPage() {}

  /** One listing of the host, as the page lists it. */
  public record Card(String title, int nightlyUsd) {
    @Override
    public String toString() {
      return title + " $" + nightlyUsd;
    }
  }

  /** What the page shows. */
  public record Page(HostCard host, List<Card> listings) {}

  // The listing card: a graph run once per listing id.
  static final Input<Long> CARD_LISTING_ID;
  static final Subgraph<Card> LISTING_CARD;

  static {
    var c = Graph.builder("listing-card");
    CARD_LISTING_ID = c.input("listingId", Long.class);
    Node<Listing> listing = c.task("listing", CARD_LISTING_ID, Downstreams::listing);
    Node<Quote> price = c.task("price", listing, Downstreams::price);
    Node<Card> card = c.task("card", listing, price, (l, p) -> new Card(l.title(), p.nightlyUsd()));
    LISTING_CARD = Subgraph.of(c.build(), card);
  }

  public static final Input<Long> HOST_ID;
  public static final Node<HostCard> HOST;
  public static final Node<Page> PAGE;
  /** The host section as this graph binds it: {@link HostSection#SUBGRAPH} on {@link #HOST_ID}. */
  public static final Subgraph<HostCard> HOST_SECTION;
  public static final Graph GRAPH;

  static {
    var g = Graph.builder("host-page");
    HOST_ID = g.input("hostId", Long.class);
    HOST_SECTION = HostSection.SUBGRAPH.bind(HostSection.HOST_ID, HOST_ID);
    HOST = g.node("host").timeout(Duration.ofMillis(500)).subgraph(HOST_SECTION);
    Node<List<Long>> listingIds = g.task("listingIds", HOST_ID, Downstreams::listingsOf);
    Node<List<Card>> cards = g.node("cards").maxConcurrency(4)
        .forEach(listingIds, CARD_LISTING_ID, LISTING_CARD);
    PAGE = g.task("page", HOST, cards, Page::new);
    GRAPH = g.build();
  }

  /** {@return the run of the page for one host} */
  public static RunResult render(long hostId) {
    return GRAPH.run(Inputs.of(HOST_ID, hostId));
  }

  public static void main(String[] args) {
    RunResult result = render(7);
    Page page = result.get(PAGE);
    System.out.println("== host page");
    System.out.println("host:     " + page.host());
    System.out.println("listings: " + page.listings());
    System.out.println();
    System.out.print(ListingPage.waterfall(result));
  }
}
