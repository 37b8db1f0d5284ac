package dev.weft.examples;

import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Node;
import dev.weft.Subgraph;
import dev.weft.examples.Downstreams.HostCard;
import dev.weft.examples.Downstreams.Profile;

/**
 * The host section of a page, a graph of its own ({@code host-card}: profile, rating and
 * response time in parallel, then the card), declared once and used as a node by every page that
 * shows a host: {@link ListingPage} and {@link HostPage} each bind its {@link #HOST_ID} input to
 * a node of their own.
 *
 * <pre>{@code
 * Node<HostCard> host = g.node("host")
 *     .subgraph(HostSection.SUBGRAPH.bind(HostSection.HOST_ID, hostId));
 * }</pre>
 */
public final class HostSection {
  private HostSection() {}

  /** The host-card graph's one input. */
  public static final Input<Long> HOST_ID;
  /** The card, the subgraph's value. */
  public static final Node<HostCard> CARD;
  /** The host-card graph. */
  public static final Graph GRAPH;
  /** The graph as a subgraph whose value is the card; unbound, so any graph can bind it. */
  public static final Subgraph<HostCard> SUBGRAPH;

  static {
    var g = Graph.builder("host-card");
    HOST_ID = g.input("hostId", Long.class);
    Node<Profile> profile = g.task("profile", HOST_ID, Downstreams::profile);
    Node<Double> rating = g.task("rating", HOST_ID, Downstreams::rating);
    Node<String> responds = g.task("responds", HOST_ID, Downstreams::responseTime);
    CARD = g.task("card", profile, rating, responds, HostCard::new);
    GRAPH = g.build();
    SUBGRAPH = Subgraph.of(GRAPH, CARD);
  }
}
