package dev.weft.examples;

import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.Outcome;
import dev.weft.RunResult;
import dev.weft.Span;
import dev.weft.Trace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A listing page hydrated from eight simulated downstream services. The reviews service is down,
 * so the page renders without reviews (an optional edge) instead of failing.
 *
 * <p>Run it with {@code mvn -q test-compile exec:exec}; add {@code -Dexample.args=--trace} to
 * also print the critical path and write the run's trace (Chrome JSON for Perfetto, Graphviz DOT,
 * Mermaid, an HTML waterfall) into {@code target/weft-trace/}.
 */
public final class ListingPage {
  record Listing(long id, String title, long hostId, String city) {}

  record User(long id, String name, boolean superhost) {}

  record Quote(long listingId, int nightlyUsd) {}

  record Review(String author, int stars) {}

  record Page(Listing listing, User host, Quote price, List<String> photos, List<String> nights,
      List<Review> reviews, List<Long> similar, Optional<String> translation) {}

  /** Stand-ins for RPC clients: each sleeps as long as its real counterpart typically takes. */
  static final class Services {
    static Listing listing(long id) throws InterruptedException {
      Thread.sleep(30);
      return new Listing(id, "Loft by the canal", 7L, "Amsterdam");
    }

    static User user(long id) throws InterruptedException {
      Thread.sleep(20);
      return new User(id, "Maartje", true);
    }

    static Quote price(Listing listing) throws InterruptedException {
      Thread.sleep(45);
      return new Quote(listing.id(), 180);
    }

    static List<String> photos(long id) throws InterruptedException {
      Thread.sleep(15);
      return List.of("canal.jpg", "kitchen.jpg", "bedroom.jpg");
    }

    static List<String> availability(long id) throws InterruptedException {
      Thread.sleep(25);
      return List.of("2026-12-04", "2026-12-05", "2026-12-06");
    }

    static List<Review> reviews(long id) throws IOException, InterruptedException {
      Thread.sleep(10);
      throw new IOException("reviews-service: 503 Service Unavailable");
    }

    static List<Long> similar(Listing listing) throws InterruptedException {
      Thread.sleep(50);
      return List.of(101L, 202L, 303L);
    }

    static String translate(Listing listing, User host) throws InterruptedException {
      Thread.sleep(10);
      return "Loft aan de gracht (host: " + host.name() + ")";
    }
  }

  /** The graph, declared once at start-up and shared by every request. */
  static final Graph GRAPH;
  static final Input<Long> LISTING_ID;
  static final Node<Page> PAGE;
  static final Node<List<Review>> REVIEWS;

  static {
    var g = Graph.builder("listing-page");
    LISTING_ID = g.input("listingId", Long.class);
    Node<Listing> listing = g.task("listing", LISTING_ID, Services::listing);
    Node<User> host = g.task("host", listing, l -> Services.user(l.hostId()));
    Node<Quote> price = g.task("price", listing, Services::price);
    Node<List<String>> photos = g.task("photos", LISTING_ID, Services::photos);
    Node<List<String>> nights = g.task("availability", LISTING_ID, Services::availability);
    REVIEWS = g.task("reviews", LISTING_ID, Services::reviews);
    Node<List<Long>> similar = g.task("similar", listing, Services::similar);
    Node<String> translation = g.task("translation", listing, host, Services::translate);
    // More than four dependencies: the general form reads each through the context.
    var reviewsOrNone = REVIEWS.orElse(List.of());
    var maybeTranslation = translation.optional();
    PAGE = g.task("page",
        List.of(listing, host, price, photos, nights, reviewsOrNone, similar, maybeTranslation),
        ctx -> new Page(ctx.get(listing), ctx.get(host), ctx.get(price), ctx.get(photos),
            ctx.get(nights), ctx.get(reviewsOrNone), ctx.get(similar),
            ctx.get(maybeTranslation)));
    GRAPH = g.build();
  }

  public static void main(String[] args) throws IOException {
    RunResult result = GRAPH.run(Inputs.of(LISTING_ID, 42L));
    Page page = result.get(PAGE);

    System.out.println("== " + page.listing().title() + " in " + page.listing().city());
    System.out.println("host:        " + page.host().name()
        + (page.host().superhost() ? " (superhost)" : ""));
    System.out.println("price:       $" + page.price().nightlyUsd() + " / night");
    System.out.println("photos:      " + page.photos());
    System.out.println("free nights: " + page.nights());
    System.out.println("reviews:     " + (page.reviews().isEmpty() ? "(unavailable)"
        : page.reviews()));
    System.out.println("similar:     " + page.similar());
    System.out.println("translation: " + page.translation().orElse("-"));
    System.out.println();
    System.out.printf("%-13s %-10s %8s %8s %8s%n", "node", "outcome", "ready", "start", "end");
    for (Span span : result.spans()) {
      System.out.printf("%-13s %-10s %6.1fms %6.1fms %6.1fms%n", span.node(),
          span.outcome().status().label(), millis(span.ready()),
          millis(span.started()), millis(span.ended()));
    }
    System.out.printf("run took %.1f ms; run one after another, the calls would take 205 ms%n",
        millis(result.elapsed()));
    if (result.outcome(REVIEWS) instanceof Outcome.Failed<?> failed) {
      System.out.println("partial page: reviews failed with " + failed.error().getMessage());
    }
    if (List.of(args).contains("--trace")) {
      writeTrace(result);
    }
  }

  /** Prints the critical path and writes the pictures of the run next to each other. */
  static void writeTrace(RunResult result) throws IOException {
    Trace trace = result.trace();
    System.out.println();
    System.out.print(trace.criticalPathText());
    Path dir = Path.of("target", "weft-trace");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("trace.json"), trace.toChromeJson());
    Files.writeString(dir.resolve("graph.dot"), GRAPH.toDot());
    Files.writeString(dir.resolve("run.dot"), trace.toDot());
    Files.writeString(dir.resolve("run.mmd"), trace.toMermaid());
    Files.writeString(dir.resolve("waterfall.html"), trace.toHtml());
    System.out.println("trace written to " + dir.toAbsolutePath()
        + ": trace.json, graph.dot, run.dot, run.mmd, waterfall.html");
  }

  private static double millis(java.time.Duration d) {
    return d.toNanos() / 1e6;
  }
}
