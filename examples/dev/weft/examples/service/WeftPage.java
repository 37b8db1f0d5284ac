package dev.weft.examples.service;

import dev.weft.BatchLoader;
import dev.weft.CircuitBreaker;
import dev.weft.Dep;
import dev.weft.Graph;
import dev.weft.HedgePolicy;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.Outcome;
import dev.weft.RetryBudget;
import dev.weft.RetryPolicy;
import dev.weft.RunResult;
import dev.weft.TaskContext;
import dev.weft.examples.service.Calls.NotFound;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The listing page as one Weft graph, declared once per service and run once per request:
 *
 * <pre>
 * listing ─┬─ host (optional)          price             availability (optional)
 *          ├─ photoIds ── photos[i] (hedged at p95, placeholder on failure)
 *          └─ ...        reviews (optional) ── authorIds ── authors (a batch loader, optional)
 * similar (optional, skipped when late)                                      ──> page
 * </pre>
 *
 * Every downstream has its own timeout, retries within a shared {@link RetryBudget}, and a
 * {@link CircuitBreaker} that ignores 404s; the run's deadline comes from the request. Thread-safe:
 * one instance serves every request.
 */
public final class WeftPage {
  /** A listing as the listing service returns it. */
  record Listing(long id, long hostId, List<Long> photoIds, Map<String, Object> json) {
    static Listing of(Object value) {
      var json = Json.object(value);
      var photos = new ArrayList<Long>();
      for (var p : Json.array(json.get("photoIds"))) {
        photos.add(Json.number(p));
      }
      return new Listing(Json.number(json.get("id")), Json.number(json.get("hostId")),
          List.copyOf(photos), json);
    }
  }

  static final Map<String, Object> PLACEHOLDER = Map.of("id", 0L, "url", "placeholder.jpg");
  /** The optional sections, in the order {@code x-partial} lists them. */
  static final List<String> OPTIONAL = List.of("host", "photos", "reviews", "authors",
      "availability", "similar");

  private static final RetryPolicy RETRY = RetryPolicy.exponential(2, Duration.ofMillis(2))
      .withMaxDelay(Duration.ofMillis(10)).abortOn(NotFound.class);

  private final Calls calls;
  private final Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();
  private final Map<String, RetryBudget> budgets = new LinkedHashMap<>();
  private final Map<String, List<String>> transitions = new ConcurrentHashMap<>();
  private final BatchLoader<Long, String> users;
  private final Graph graph;
  private final Input<Long> listingId;
  private final Node<Map<String, Object>> page;
  private final Map<String, Node<?>> sections = new LinkedHashMap<>();
  private final Node<Listing> listing;
  private final Node<Map<String, Object>> price;
  private final Node<List<Map<String, Object>>> photos;

  WeftPage(Calls calls) {
    this.calls = calls;
    for (var name : List.of("listing", "host", "price", "photos", "reviews", "users",
        "availability", "similar")) {
      var log = new CopyOnWriteArrayList<String>();
      transitions.put(name, log);
      breakers.put(name, CircuitBreaker.builder(name).slidingWindow(50).minimumCalls(30)
          .failureRateThreshold(0.5).openDuration(Duration.ofSeconds(1)).halfOpenProbes(3)
          .ignoreOn(NotFound.class)
          .onStateChange(t -> log.add(t.from() + "->" + t.to())).build());
      budgets.put(name, RetryBudget.builder(name).build());
    }
    users = BatchLoader.of("users", this::users).timeout(Duration.ofMillis(100))
        .circuitBreaker(breakers.get("users"));

    var g = Graph.builder("listing-page");
    listingId = g.input("listingId", Long.class);
    listing = guarded(g, "listing", 100).call(listingId,
        id -> Listing.of(calls.get("listing", "/listings/" + id, budget())));
    Node<Map<String, Object>> host = guarded(g, "host", 80).call(listing,
        l -> Json.object(calls.get("host", "/hosts/" + l.hostId(), budget())));
    price = guarded(g, "price", 120).call(listing,
        l -> Json.object(calls.get("price", "/prices/" + l.id(), budget())));
    Node<List<Long>> photoIds = g.node("photoIds").inline().call(listing, Listing::photoIds);
    photos = g.node("photos").timeout(Duration.ofMillis(80))
        .hedge(HedgePolicy.percentile(0.95).withMinDelay(Duration.ofMillis(2)))
        .retryBudget(budgets.get("photos")).circuitBreaker(breakers.get("photos"))
        .fallback(PLACEHOLDER)
        .forEach(photoIds, (Long p) -> Json.object(calls.get("photos", "/photos/" + p, budget())));
    Node<List<Object>> reviews = guarded(g, "reviews", 150).call(listingId,
        id -> Json.array(calls.get("reviews", "/reviews?listing=" + id, budget())));
    Node<List<Long>> authorIds = g.node("authorIds").inline().call(reviews, WeftPage::authorIds);
    Node<Map<Long, String>> authors = g.node("authors").call(authorIds, users::loadMany);
    Node<Object> availability = guarded(g, "availability", 150).call(listingId,
        id -> calls.get("availability", "/availability/" + id, budget()));
    Node<Object> similar = guarded(g, "similar", 150).skipWhenLate().call(listingId,
        id -> calls.get("similar", "/similar/" + id, budget()));
    sections.put("host", host);
    sections.put("reviews", reviews);
    sections.put("authors", authors);
    sections.put("availability", availability);
    sections.put("similar", similar);
    List<Dep<?>> parts = List.of(listing, price, photos, host.optional(), reviews.optional(),
        authors.optional(), availability.optional(), similar.optional());
    page = g.node("page").call(parts, ctx -> {
      var out = new LinkedHashMap<String, Object>();
      out.put("listing", ctx.get(listing).json());
      out.put("price", ctx.get(price));
      out.put("photos", ctx.get(photos));
      ctx.get(host.optional()).ifPresent(h -> out.put("host", h));
      var names = ctx.get(authors.optional()).orElse(Map.of());
      ctx.get(reviews.optional()).ifPresent(rs -> out.put("reviews", withAuthors(rs, names)));
      ctx.get(availability.optional()).ifPresent(a -> out.put("availability", a));
      ctx.get(similar.optional()).ifPresent(s -> out.put("similar", s));
      return out;
    });
    graph = g.build();
  }

  private dev.weft.NodeBuilder<Object> guarded(dev.weft.GraphBuilder g, String name, long ms) {
    return g.node(name).timeout(Duration.ofMillis(ms)).retry(RETRY)
        .retryBudget(budgets.get(name)).circuitBreaker(breakers.get(name));
  }

  private static Duration budget() {
    return TaskContext.current().remaining();
  }

  private Map<Long, String> users(List<Long> ids) throws IOException, InterruptedException {
    var query = new StringBuilder();
    for (var id : ids) {
      query.append(query.isEmpty() ? "" : ",").append(id);
    }
    // the loader's own timeout bounds the call (a batch serves several tasks, not one budget)
    var json = Json.object(calls.get("users", "/users?ids=" + query, Duration.ofMillis(100)));
    var names = new LinkedHashMap<Long, String>();
    json.forEach((key, user) -> names.put(Long.parseLong(key),
        String.valueOf(Json.object(user).get("name"))));
    return names;
  }

  private static List<Long> authorIds(List<Object> reviews) {
    var ids = new ArrayList<Long>();
    for (var r : reviews) {
      long id = Json.number(Json.object(r).get("authorId"));
      if (!ids.contains(id)) {
        ids.add(id);
      }
    }
    return ids;
  }

  private static List<Object> withAuthors(List<Object> reviews, Map<Long, String> names) {
    var out = new ArrayList<Object>();
    for (var r : reviews) {
      var review = new LinkedHashMap<>(Json.object(r));
      review.put("author", names.getOrDefault(Json.number(review.get("authorId")),
          "a guest"));
      out.add(review);
    }
    return out;
  }

  /** What one request gets: its status, its body, the sections it left out. */
  record Answer(int status, String body, List<String> partial) {}

  /** Serves one page within {@code deadline}. */
  Answer serve(long id, Duration deadline) {
    RunResult result = graph.run(Inputs.of(listingId, id), o -> o.withDeadline(deadline));
    if (result.outcome(page) instanceof Outcome.Succeeded<Map<String, Object>> ok) {
      var partial = new ArrayList<String>();
      for (var name : OPTIONAL) {
        if (name.equals("photos")) {
          if (ok.value().get("photos") instanceof List<?> list && list.contains(PLACEHOLDER)) {
            partial.add(name);
          }
        } else if (!(result.outcome(sections.get(name)) instanceof Outcome.Succeeded)) {
          partial.add(name);
        }
      }
      return new Answer(200, Json.write(ok.value()), partial);
    }
    if (result.outcome(listing) instanceof Outcome.Failed<?> f && f.error() instanceof NotFound) {
      return new Answer(404, Json.write(Map.of("error", "no listing " + id)), List.of());
    }
    if (result.deadlineExceeded()) {
      return new Answer(504, Json.write(Map.of("error", "deadline of " + deadline.toMillis()
          + " ms exceeded")), List.of());
    }
    var why = "page failed";
    for (var required : List.of(listing, price, photos, page)) { // what the page could not lack
      if (result.outcome(required) instanceof Outcome.Failed<?> f) {
        why = f.error().toString();
        break;
      }
    }
    return new Answer(502, Json.write(Map.of("error", why)), List.of());
  }

  /** {@return the state changes of every breaker so far, by downstream} */
  Map<String, List<String>> transitions() {
    var out = new LinkedHashMap<String, List<String>>();
    transitions.forEach((name, log) -> out.put(name, List.copyOf(log)));
    return out;
  }

  /** {@return the breakers, by downstream} */
  Map<String, CircuitBreaker> breakers() {
    return breakers;
  }
}
