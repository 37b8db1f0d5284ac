package dev.weft.examples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * STUB, TO BE DELETED when {@code ListingService} lands: a stand-in with the same HTTP contract,
 * so that {@link LoadMatrix} can be tried end to end. Both paths run the same hand-wired
 * CompletableFuture fan-out (no Weft graph); each path has its own inflight count and its own
 * naive breakers (open after 5 failures in a row, half-open after a second). The listing is
 * required (404, or 502 when it fails, 504 when it is late); every other section is optional and
 * named in {@code x-partial} when it is missing at the deadline.
 */
final class StubService implements AutoCloseable {
  private static final Pattern HOST = Pattern.compile("\"hostId\":(\\d+)");
  private static final Pattern PHOTOS = Pattern.compile("\"photoIds\":\\[([0-9,]*)]");
  private static final Pattern AUTHORS = Pattern.compile("\"authorId\":(\\d+)");
  private static final List<String> SECTIONS =
      List.of("host", "price", "photos", "reviews", "availability", "similar");

  private final Fleet fleet;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient client;
  private final HttpServer server;
  private final Side weft = new Side();
  private final Side baseline = new Side();

  /** One path's counters and breakers. */
  private static final class Side {
    final AtomicInteger inflight = new AtomicInteger();
    final Map<String, Breaker> breakers = new ConcurrentHashMap<>();

    Breaker breaker(String name) {
      return breakers.computeIfAbsent(name, n -> new Breaker());
    }
  }

  private static final class Breaker {
    final List<String> transitions = new CopyOnWriteArrayList<>();
    String state = "CLOSED"; // guarded by this
    int failures; // guarded by this
    long openedAt; // guarded by this

    synchronized boolean permit() {
      if (state.equals("OPEN") && System.nanoTime() - openedAt > 1_000_000_000L) {
        move("HALF_OPEN");
      }
      return !state.equals("OPEN");
    }

    synchronized void record(boolean ok) {
      if (ok) {
        failures = 0;
        if (!state.equals("CLOSED")) {
          move("CLOSED");
        }
      } else if (state.equals("HALF_OPEN") || ++failures >= 5) {
        failures = 0;
        openedAt = System.nanoTime();
        if (!state.equals("OPEN")) {
          move("OPEN");
        }
      }
    }

    private void move(String to) {
      transitions.add(state + "->" + to);
      state = to;
    }
  }

  private StubService(Fleet fleet) throws IOException {
    this.fleet = fleet;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .executor(executor).connectTimeout(Duration.ofSeconds(2)).build();
    var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    this.server = HttpServer.create(address, 1024);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static StubService start(Fleet fleet) {
    try {
      return new StubService(fleet);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      var path = exchange.getRequestURI().getPath();
      if (path.equals("/stats")) {
        send(exchange, 200, "{\"weft\":" + stats(weft) + ",\"baseline\":" + stats(baseline) + "}",
            null);
        return;
      }
      var side = path.startsWith("/baseline/") ? baseline : weft;
      var prefix = side == baseline ? "/baseline/listings/" : "/listings/";
      if (!path.startsWith(prefix)) {
        send(exchange, 404, "{\"error\":\"no route\"}", null);
        return;
      }
      side.inflight.incrementAndGet();
      try {
        long id = Long.parseLong(path.substring(prefix.length()));
        var header = exchange.getRequestHeaders().getFirst("x-deadline-ms");
        long deadline = System.nanoTime()
            + TimeUnit.MILLISECONDS.toNanos(header == null ? 250 : Long.parseLong(header));
        page(exchange, side, id, deadline);
      } finally {
        side.inflight.decrementAndGet();
      }
    }
  }

  private void page(HttpExchange exchange, Side side, long id, long deadline) throws IOException {
    HttpResponse<String> listing;
    try {
      listing = call(side, "listing", "/listings/" + id, deadline).get(left(deadline),
          TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      send(exchange, 504, "{\"error\":\"deadline\"}", null);
      return;
    } catch (Exception e) {
      send(exchange, 502, "{\"error\":\"listing failed\"}", null);
      return;
    }
    if (listing.statusCode() == 404) {
      send(exchange, 404, listing.body(), null);
      return;
    }
    if (listing.statusCode() != 200) {
      send(exchange, 502, "{\"error\":\"listing failed\"}", null);
      return;
    }
    var body = listing.body();
    var hostId = find(HOST, body);
    var photoIds = find(PHOTOS, body);
    var parts = new LinkedHashMap<String, CompletableFuture<String>>();
    parts.put("host", json(call(side, "host", "/hosts/" + hostId, deadline)));
    parts.put("price", json(call(side, "price", "/prices/" + id, deadline)));
    var photos = new ArrayList<CompletableFuture<String>>();
    for (var p : photoIds.split(",")) {
      photos.add(json(call(side, "photos", "/photos/" + p, deadline)));
    }
    parts.put("photos", CompletableFuture.allOf(photos.toArray(CompletableFuture[]::new))
        .thenApply(v -> photos.stream().map(CompletableFuture::join)
            .collect(Collectors.joining(",", "[", "]"))));
    parts.put("reviews", json(call(side, "reviews", "/reviews?listing=" + id, deadline))
        .thenCompose(reviews -> {
          var authors = AUTHORS.matcher(reviews).results().map(m -> m.group(1)).distinct()
              .collect(Collectors.joining(","));
          return json(call(side, "users", "/users?ids=" + authors, deadline))
              .thenApply(users -> "{\"reviews\":" + reviews + ",\"authors\":" + users + "}");
        }));
    parts.put("availability", json(call(side, "availability", "/availability/" + id, deadline)));
    parts.put("similar", json(call(side, "similar", "/similar/" + id, deadline)));
    try {
      CompletableFuture.allOf(parts.values().toArray(CompletableFuture[]::new))
          .get(left(deadline), TimeUnit.NANOSECONDS);
    } catch (Exception e) {
      // late or failed sections are left out below
    }
    var page = new StringBuilder("{\"listing\":").append(body);
    var partial = new ArrayList<String>();
    for (var section : SECTIONS) {
      var f = parts.get(section);
      if (f.isDone() && !f.isCompletedExceptionally()) {
        page.append(",\"").append(section).append("\":").append(f.join());
      } else {
        partial.add(section);
        f.cancel(true);
      }
    }
    send(exchange, 200, page.append('}').toString(), String.join(",", partial));
  }

  private CompletableFuture<HttpResponse<String>> call(Side side, String name, String path,
      long deadline) {
    var breaker = side.breaker(name);
    long left = left(deadline);
    if (!breaker.permit() || left <= 0) {
      return CompletableFuture.failedFuture(new IllegalStateException(name + " not called"));
    }
    var request = HttpRequest.newBuilder(fleet.uri(name).resolve(path))
        .timeout(Duration.ofNanos(left))
        .header("x-budget-ms", String.valueOf(TimeUnit.NANOSECONDS.toMillis(left))).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) ->
        breaker.record(e == null && r.statusCode() < 500));
  }

  private static CompletableFuture<String> json(CompletableFuture<HttpResponse<String>> call) {
    return call.thenApply(r -> {
      if (r.statusCode() != 200) {
        throw new IllegalStateException(r.uri() + " answered " + r.statusCode());
      }
      return r.body();
    });
  }

  private static long left(long deadline) {
    return deadline - System.nanoTime();
  }

  private static String find(Pattern p, String s) {
    var m = p.matcher(s);
    return m.find() ? m.group(1) : "";
  }

  private static String stats(Side side) {
    var breakers = side.breakers.entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\":" + e.getValue().transitions.stream()
            .map(t -> "\"" + t + "\"").collect(Collectors.joining(",", "[", "]")))
        .collect(Collectors.joining(",", "{", "}"));
    return "{\"inflight\":" + side.inflight.get() + ",\"breakers\":" + breakers + "}";
  }

  private static void send(HttpExchange exchange, int status, String json, String partial)
      throws IOException {
    var bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "application/json");
    if (partial != null && !partial.isEmpty()) {
      exchange.getResponseHeaders().set("x-partial", partial);
    }
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
    client.close();
    executor.shutdownNow();
  }
}
