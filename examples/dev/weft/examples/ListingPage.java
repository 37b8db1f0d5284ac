package dev.weft.examples;

import dev.weft.BatchLoader;
import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.LoaderStats;
import dev.weft.Node;
import dev.weft.Outcome;
import dev.weft.RunResult;
import dev.weft.Span;
import dev.weft.Subgraph;
import dev.weft.Trace;
import dev.weft.examples.Downstreams.HostCard;
import dev.weft.examples.Downstreams.Listing;
import dev.weft.examples.Downstreams.Photo;
import dev.weft.examples.Downstreams.Quote;
import dev.weft.examples.Downstreams.Review;
import dev.weft.examples.Downstreams.Upsell;
import dev.weft.examples.Downstreams.User;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A listing page hydrated from simulated downstreams ({@link Downstreams}), its shape set by the
 * data: the listing's photos fetched one element per id, each under its own timeout with a
 * placeholder as fallback (photo 13 hangs); the host section a subgraph ({@link HostSection})
 * that {@link HostPage} reuses; the reviews section reading the reviews' whole outcome; an upsell
 * only for premium viewers. Users (the viewer, the reviews' authors, the similar listings' hosts)
 * and listings come through two {@link BatchLoader}s: each round of keys is one call to the
 * service, and a key is fetched once per run (user 9 is gone: only the review that names them
 * shows a former guest).
 *
 * <p>{@code main} renders the page for a viewer who is not premium, then for one who is, then the
 * host page, each page's run with the calls its loaders made; prints the first run's waterfall
 * (elements and the nested subgraph included) and critical path; and writes its HTML waterfall to
 * {@code target/listing-page.html}. A JVM's first run is slow to start, and can split or merge a
 * round. Run it with
 * {@code mvn -q test-compile exec:exec}; add {@code -Dexample.args=--trace} to also write every
 * export of the run (Chrome JSON, Graphviz DOT, Mermaid, HTML) into {@code target/weft-trace/}.
 */
public final class ListingPage {
  private ListingPage() {}

  /** What the page shows. */
  public record Page(Listing listing, HostCard host, Quote price, List<Photo> photos,
      String reviews, List<Similar> similar, Optional<Upsell> upsell) {}

  /** A listing like this one, with its host's name. */
  public record Similar(String title, String host) {
    @Override
    public String toString() {
      return title + " (" + host + ")";
    }
  }

  // Loaders, declared once like the graph: the keys a run's tasks ask for go out together, one
  // call per loader, once every task is waiting on a loader or done, or once the run has made no
  // progress for 1 ms (these services sleep where Weft cannot see, as a socket read would). Each
  // key is fetched once a run.
  public static final BatchLoader<Long, User> USERS = BatchLoader.of("users", Downstreams::users);
  public static final BatchLoader<Long, Listing> LISTINGS =
      BatchLoader.of("listings", Downstreams::listings);

  // The graph, declared once at start-up and shared by every request.
  public static final Input<Long> LISTING_ID;
  public static final Input<Long> VIEWER_ID;
  public static final Node<List<Photo>> PHOTOS;
  public static final Node<HostCard> HOST;
  public static final Node<List<Similar>> SIMILAR;
  public static final Node<Upsell> UPSELL;
  public static final Node<Page> PAGE;
  /** The host section as this graph binds it: {@link HostSection#SUBGRAPH} on its host id. */
  public static final Subgraph<HostCard> HOST_SECTION;
  public static final Graph GRAPH;

  static {
    var g = Graph.builder("listing-page");
    LISTING_ID = g.input("listingId", Long.class);
    VIEWER_ID = g.input("viewerId", Long.class);
    Node<Listing> listing = g.task("listing", LISTING_ID, LISTINGS::load);

    // Fan-out: one element per photo id, every policy applied per element.
    Node<List<Long>> photoIds = g.task("photoIds", listing, Listing::photoIds);
    PHOTOS = g.node("photos")
        .timeout(Duration.ofMillis(100))
        .fallback(Photo.PLACEHOLDER)
        .maxConcurrency(4)
        .forEach(photoIds, Downstreams::photo);

    // Subgraph: the host-card graph as one node, its input bound to a node of this graph.
    Node<Long> hostId = g.task("hostId", listing, Listing::hostId);
    HOST_SECTION = HostSection.SUBGRAPH.bind(HostSection.HOST_ID, hostId);
    HOST = g.node("host").timeout(Duration.ofMillis(500)).subgraph(HOST_SECTION);

    Node<Quote> price = g.task("price", listing, Downstreams::price);

    // Loads from a fan-out: one call to the user service for every author; one the service no
    // longer knows fails only its own element, which falls back.
    Node<List<Review>> reviews = g.task("reviews", LISTING_ID, Downstreams::reviews);
    Node<List<User>> authors = g.node("authors").fallback(User.FORMER_GUEST)
        .forEach(reviews, review -> USERS.load(review.authorId()));
    // Outcome edge: the section always renders, and knows why there are no reviews.
    Node<String> reviewsSection = g.task("reviewsSection", reviews.outcome(),
        authors.orElse(List.of()), (outcome, by) -> switch (outcome) {
          case Outcome.Succeeded<List<Review>> s -> s.value().size() + " reviews, by "
              + by.stream().map(User::name).collect(Collectors.joining(", "));
          case Outcome.Failed<?> f -> "unavailable (" + f.error().getMessage() + ")";
          default -> "unavailable";
        });

    // Two levels of data, two rounds: the listings in one call, then their hosts in one.
    Node<List<Long>> similarIds = g.task("similarIds", LISTING_ID, Downstreams::similar);
    SIMILAR = g.forEach("similar", similarIds, id -> {
      Listing other = LISTINGS.load(id);
      return new Similar(other.title(), USERS.load(other.hostId()).name());
    });

    // Condition: the upsell runs only for premium viewers; otherwise it is Omitted.
    Node<User> viewer = g.task("viewer", VIEWER_ID, USERS::load);
    UPSELL = g.node("upsell").when(viewer, User::premium).call(listing, Downstreams::upsell);

    var upsell = UPSELL.optional(); // empty when omitted
    PAGE = g.task("page", List.of(listing, HOST, price, PHOTOS, reviewsSection, SIMILAR, upsell),
        ctx -> new Page(ctx.get(listing), ctx.get(HOST), ctx.get(price), ctx.get(PHOTOS),
            ctx.get(reviewsSection), ctx.get(SIMILAR), ctx.get(upsell)));
    GRAPH = g.build();
  }

  /** {@return the run of the page for one listing and viewer} */
  public static RunResult render(long listingId, long viewerId) {
    return GRAPH.run(Inputs.of(LISTING_ID, listingId).and(VIEWER_ID, viewerId));
  }

  /** Runs between the cold run the example shows and the warm one. */
  static final int WARM_UP_RUNS = 10;

  public static void main(String[] args) throws IOException {
    RunResult result = render(42, 1);
    Page page = result.get(PAGE);
    long placeholders = page.photos().stream().filter(p -> p == Photo.PLACEHOLDER).count();
    System.out.println("== " + page.listing().title() + ", " + page.listing().city()
        + " (graph " + GRAPH.name() + ", viewer 1, not premium)");
    System.out.println("host:    " + page.host());
    System.out.println("price:   $" + page.price().nightlyUsd() + " / night");
    System.out.println("photos:  " + page.photos().stream().map(Photo::url).toList()
        + (placeholders == 0 ? "" : ", " + placeholders + " timed out: placeholder shown"));
    System.out.println("reviews: " + page.reviews());
    System.out.println("similar: " + page.similar());
    System.out.println("upsell:  " + page.upsell().map(Upsell::offer).orElse("none")
        + " (" + result.outcome(UPSELL) + ")");
    System.out.print(calls(result));

    RunResult premium = render(42, 2);
    System.out.println("== the same listing for viewer 2, premium");
    System.out.println("upsell:  " + premium.get(PAGE).upsell().map(Upsell::offer).orElse("none"));
    System.out.print(calls(premium));

    RunResult hostRun = HostPage.render(7);
    HostPage.Page hostPage = hostRun.get(HostPage.PAGE);
    System.out.println("== host page (graph " + HostPage.GRAPH.name() + ", the same "
        + HostSection.GRAPH.name() + " subgraph)");
    System.out.println("host:    " + hostPage.host());
    System.out.println("listings: " + hostPage.listings());

    // The first run in a JVM is cold: its classes (Weft's, the example's, the JDK's HTTP-free
    // parts it uses) load and nothing is compiled yet, so its waits are the JVM's, not Weft's
    // scheduling. The same page again after a few runs shows what a serving process sees.
    System.out.println();
    System.out.printf(Locale.ROOT, "run %d of %s took %.1f ms: cold, the first run in this JVM"
        + " (classes load, nothing is compiled yet)%n", result.runId(), result.graph(),
        millis(result.elapsed()));
    System.out.print(waterfall(result));
    RunResult warm = result;
    for (int i = 0; i < WARM_UP_RUNS; i++) {
      warm = render(42, 1);
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "run %d of %s took %.1f ms: warm, the same page after %d more"
        + " runs%n", warm.runId(), warm.graph(), millis(warm.elapsed()), WARM_UP_RUNS);
    System.out.print(waterfall(warm));
    Trace trace = warm.trace();
    System.out.println();
    System.out.print(trace.criticalPathText());
    Path html = Path.of("target", "listing-page.html");
    Files.createDirectories(html.getParent());
    Files.writeString(html, trace.toHtml());
    System.out.println("waterfall written to " + html.toAbsolutePath());
    if (List.of(args).contains("--trace")) {
      writeTrace(trace);
    }
  }

  /**
   * {@return what the run's loaders did: the calls they made, against the calls one per load
   * would have made; and per loader its calls, loads and distinct keys}
   */
  public static String calls(RunResult result) {
    var stats = result.loaders().stream().sorted(Comparator.comparing(LoaderStats::loader))
        .toList();
    return String.format(Locale.ROOT, "loaders: %s to the services, %d without batching (one per"
        + " load)%n         %s%n", calls(stats.stream().mapToInt(LoaderStats::batches).sum()),
        stats.stream().mapToLong(LoaderStats::keysRequested).sum(), stats.stream()
            .map(s -> s.loader() + " " + calls(s.batches()) + " for " + s.keysRequested()
                + " loads of " + s.keysFetched() + " keys")
            .collect(Collectors.joining(", ")));
  }

  private static String calls(int n) {
    return n + (n == 1 ? " call" : " calls");
  }

  /**
   * {@return the run as a text waterfall: a row per node, and under it, indented, a row per
   * element of a fan-out or per task of a subgraph; dots while it waited, {@code =} while it ran}
   */
  public static String waterfall(RunResult result) {
    long total = 1;
    for (Span s : result.spans()) {
      total = Math.max(total, s.ended().toNanos());
    }
    var sb = new StringBuilder();
    for (Span s : result.spans()) {
      row(sb, s, 0, total);
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, Span s, int depth, long total) {
    int width = 48;
    int ready = (int) (width * s.ready().toNanos() / total);
    int started = (int) (width * s.started().toNanos() / total);
    int ended = Math.max(started + 1, (int) (width * s.ended().toNanos() / total));
    var bar = " ".repeat(ready) + ".".repeat(started - ready) + "=".repeat(ended - started);
    sb.append(String.format(Locale.ROOT, "%-18s %-9s %7.1f ms |%-" + width + "s|%n",
        "  ".repeat(depth) + s.label(), s.outcome().status().label(), millis(s.ran()), bar));
    for (Span child : s.children()) {
      row(sb, child, depth + 1, total);
    }
  }

  /** Writes every picture of the run next to each other. */
  static void writeTrace(Trace trace) throws IOException {
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

  private static double millis(Duration d) {
    return d.toNanos() / 1e6;
  }
}
