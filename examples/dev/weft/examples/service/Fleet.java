package dev.weft.examples.service;

import dev.weft.examples.service.Downstream.Reply;
import java.net.URI;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The eight simulated downstreams of the listing page, each its own HTTP server on loopback:
 *
 * <pre>
 * name          p50/p99 ms  endpoint                  answers, for listing 7
 * listing        8 /  40    GET /listings/{id}        {"id":7,"title":"Flat 7","city":"Lisbon",
 *                                                      "hostId":1007,"photoIds":[70,71,72,73]}
 * host           6 /  30    GET /hosts/{id}           {"id":1007,"name":"Host 1007",
 *                                                      "superhost":true}
 * price         10 /  60    GET /prices/{listingId}   {"listingId":7,"nightly":12300,
 *                                                      "currency":"EUR"}
 * photos         5 /  50    GET /photos/{photoId}     {"id":70,"url":"https://img.example/70.jpg"}
 * reviews       12 /  80    GET /reviews?listing=7    [{"authorId":8,"stars":4,
 *                                                      "text":"great host"},...]
 * users          6 /  40    GET /users?ids=3,5,9      {"3":{"id":3,"name":"User 3"},"5":{...}}
 * availability  15 / 120    GET /availability/{id}    {"listingId":7,"nights":["2026-12-03",
 *                                                      "2026-12-04"]}
 * similar       20 / 200    GET /similar/{listingId}  [8,9,10]
 * </pre>
 *
 * Each answers 500 to 0.2% of calls when healthy. A listing's id decides its content: {@code
 * 3 + id % 6} photos with ids {@code 10 * id + k}; host {@code 1000 + id % 97}; {@code id % 5}
 * reviews by authors among users 1 to 12 (so a batch loader has duplicates to merge). Listings of
 * id 1,000,000 and over do not exist: 404 {@code {"error":"no listing 1000000"}}. Every body is
 * JSON; a 503 says {@code {"error":"<name> unavailable"}}.
 *
 * <pre>{@code
 * try (var fleet = Fleet.start()) {
 *   fleet.mode("price", Mode.SLOW);   // from now on price takes ten times as long
 *   ... call fleet.uri("price").resolve("/prices/7") ...
 *   fleet.healthy();
 * }
 * }</pre>
 *
 * <p>Thread-safe. Latency and errors are drawn from a random generator seeded per downstream, so
 * a run is reproducible as far as the order of concurrent requests allows.
 */
public final class Fleet implements AutoCloseable {
  /** The downstreams' names, in the order they start. */
  public static final List<String> NAMES = List.of(
      "listing", "host", "price", "photos", "reviews", "users", "availability", "similar");

  /** Listings of this id and over do not exist. */
  public static final long UNKNOWN_LISTINGS = 1_000_000;

  private static final double ERROR_RATE = 0.002;
  private static final List<String> CITIES =
      List.of("Lisbon", "Porto", "Madrid", "Paris", "Berlin", "Rome", "Vienna");
  private static final List<String> TEXTS =
      List.of("lovely", "quiet", "great host", "too far from the beach", "would stay again");
  private static final LocalDate FIRST_NIGHT = LocalDate.of(2026, 12, 1);

  private final Map<String, Downstream> downstreams;

  private Fleet(Map<String, Downstream> downstreams) {
    this.downstreams = downstreams;
  }

  /** {@return the eight downstreams, started and healthy} */
  public static Fleet start() {
    var started = new LinkedHashMap<String, Downstream>();
    try {
      start(started, "listing", 8, 40, Fleet::listing);
      start(started, "host", 6, 30, one("/hosts/", id ->
          "{\"id\":" + id + ",\"name\":\"Host " + id + "\",\"superhost\":" + (id % 3 != 0) + "}"));
      start(started, "price", 10, 60, one("/prices/", id ->
          "{\"listingId\":" + id + ",\"nightly\":" + (3200 + id % 100 * 1300)
              + ",\"currency\":\"EUR\"}"));
      start(started, "photos", 5, 50, one("/photos/", id ->
          "{\"id\":" + id + ",\"url\":\"https://img.example/" + id + ".jpg\"}"));
      start(started, "reviews", 12, 80, Fleet::reviews);
      start(started, "users", 6, 40, Fleet::users);
      start(started, "availability", 15, 120, one("/availability/", Fleet::availability));
      start(started, "similar", 20, 200, one("/similar/", id ->
          "[" + (id + 1) + "," + (id + 2) + "," + (id + 3) + "]"));
    } catch (RuntimeException e) {
      started.values().forEach(Downstream::close);
      throw e;
    }
    return new Fleet(started);
  }

  private static void start(Map<String, Downstream> started, String name, long p50, long p99,
      Function<URI, Reply> endpoint) {
    long seed = 0x5EED_0000L + NAMES.indexOf(name);
    var profile = Profile.ofMillis(p50, p99, ERROR_RATE);
    started.put(name, Downstream.start(name, profile, seed, endpoint));
  }

  /** {@return the downstream named {@code name}} */
  public Downstream get(String name) {
    Objects.requireNonNull(name, "name");
    var d = downstreams.get(name);
    if (d == null) {
      throw new IllegalArgumentException("no downstream '" + name + "'; there are " + NAMES);
    }
    return d;
  }

  /** {@return the base URI of the downstream named {@code name}} */
  public URI uri(String name) {
    return get(name).uri();
  }

  /** Switches the downstream named {@code name} to {@code mode}. */
  public void mode(String name, Mode mode) {
    get(name).mode(mode);
  }

  /** Switches every downstream back to {@link Mode#HEALTHY}. */
  public void healthy() {
    downstreams.values().forEach(d -> d.mode(Mode.HEALTHY));
  }

  /** {@return the downstreams in start order} */
  public List<Downstream> downstreams() {
    return List.copyOf(downstreams.values());
  }

  /** {@return how many calls each downstream has had, by name, in start order} */
  public Map<String, Long> calls() {
    var m = new LinkedHashMap<String, Long>();
    downstreams.forEach((name, d) -> m.put(name, d.calls()));
    return m;
  }

  /** Stops every downstream; returns once every port is closed. */
  @Override
  public void close() {
    downstreams.values().forEach(Downstream::close);
  }

  // The endpoints. Each parses its path, and answers 404 to a path it does not know.

  private static Function<URI, Reply> one(String prefix, Function<Long, String> body) {
    return uri -> {
      var id = id(uri, prefix);
      return id == null ? noRoute(uri) : Reply.ok(body.apply(id), 1);
    };
  }

  private static Reply listing(URI uri) {
    var id = id(uri, "/listings/");
    if (id == null) {
      return noRoute(uri);
    }
    if (id >= UNKNOWN_LISTINGS || id < 0) {
      return Reply.error(404, "no listing " + id);
    }
    var photos = new ArrayList<Long>();
    for (int k = 0; k < 3 + id % 6; k++) {
      photos.add(10 * id + k);
    }
    return Reply.ok("{\"id\":" + id + ",\"title\":\"Flat " + id + "\",\"city\":\""
        + CITIES.get((int) (id % CITIES.size())) + "\",\"hostId\":" + (1000 + id % 97)
        + ",\"photoIds\":" + list(photos) + "}", 1);
  }

  private static Reply reviews(URI uri) {
    var listing = uri.getPath().equals("/reviews") ? query(uri, "listing") : null;
    Long id = listing == null ? null : parse(listing);
    if (id == null) {
      return noRoute(uri);
    }
    var reviews = new ArrayList<String>();
    for (int k = 0; k < id % 5; k++) {
      long author = (id + 5L * k) % 12 + 1;
      reviews.add("{\"authorId\":" + author + ",\"stars\":" + (3 + (id + k) % 3) + ",\"text\":\""
          + TEXTS.get((int) ((id + k) % TEXTS.size())) + "\"}");
    }
    return Reply.ok("[" + String.join(",", reviews) + "]", 1);
  }

  private static Reply users(URI uri) {
    var ids = uri.getPath().equals("/users") ? query(uri, "ids") : null;
    if (ids == null) {
      return noRoute(uri);
    }
    var unique = new LinkedHashSet<Long>();
    for (var s : ids.split(",")) {
      if (s.isBlank()) {
        continue;
      }
      var id = parse(s.trim());
      if (id == null) {
        return Reply.error(400, "bad user id '" + s + "'");
      }
      unique.add(id);
    }
    var body = unique.stream()
        .map(id -> "\"" + id + "\":{\"id\":" + id + ",\"name\":\"User " + id + "\"}")
        .collect(Collectors.joining(",", "{", "}"));
    return Reply.ok(body, unique.size());
  }

  private static String availability(long id) {
    var nights = new ArrayList<String>();
    for (int k = 0; k < 1 + id % 3; k++) {
      nights.add("\"" + FIRST_NIGHT.plusDays(id % 5 + k) + "\"");
    }
    return "{\"listingId\":" + id + ",\"nights\":[" + String.join(",", nights) + "]}";
  }

  private static Reply noRoute(URI uri) {
    return Reply.error(404, "no route " + uri.getPath());
  }

  /** {@return the id after {@code prefix} in the path, or null if the path is not prefix + id} */
  private static Long id(URI uri, String prefix) {
    var path = uri.getPath();
    return path.startsWith(prefix) ? parse(path.substring(prefix.length())) : null;
  }

  private static Long parse(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String query(URI uri, String key) {
    var q = uri.getRawQuery();
    if (q == null) {
      return null;
    }
    for (var pair : q.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(key)) {
        return java.net.URLDecoder.decode(pair.substring(eq + 1),
            java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static String list(List<Long> ids) {
    return ids.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
  }
}
