package dev.weft.examples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * The listing-page service: {@code GET /listings/{id}} runs the {@link WeftPage} graph, {@code GET
 * /baseline/listings/{id}} the same page hand-wired with futures ({@link BaselinePage}), side by
 * side on one {@code HttpServer} bound to the loopback interface, a virtual thread per request.
 * The page's deadline is the request's {@code x-deadline-ms} header (400 ms by default); the
 * response's {@code x-partial} header lists the optional sections it left out. {@code GET /stats}
 * reports the requests in flight on each side and every breaker transition so far.
 *
 * <p>Answers: 200 with the page; 404 for a listing that does not exist; 502 when a required
 * section (the listing, its price) failed; 504 when the deadline passed first. Thread-safe; {@link
 * #close} stops the server and returns once it has.
 */
public final class ListingService implements AutoCloseable {
  /** The deadline of a page whose request does not say. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofMillis(400);

  private final HttpServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Calls calls;
  private final WeftPage weft;
  private final BaselinePage baseline;
  private final AtomicInteger weftInFlight = new AtomicInteger();
  private final AtomicInteger baselineInFlight = new AtomicInteger();

  private ListingService(Map<String, URI> downstreams) throws IOException {
    this.calls = new Calls(downstreams);
    this.weft = new WeftPage(calls);
    this.baseline = new BaselinePage(calls);
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        1024);
    server.setExecutor(threads);
    server.createContext("/listings/", exchange -> page(exchange, "/listings/", weftInFlight,
        weft::serve));
    server.createContext("/baseline/listings/", exchange -> page(exchange,
        "/baseline/listings/", baselineInFlight, baseline::serve));
    server.createContext("/stats", this::stats);
    server.start();
  }

  /** Starts the service against the downstreams at {@code downstreams} (name to base URI). */
  public static ListingService start(Map<String, URI> downstreams) throws IOException {
    return new ListingService(downstreams);
  }

  /** Starts the service against the downstreams of {@code fleet}. */
  public static ListingService start(Fleet fleet) throws IOException {
    var uris = new LinkedHashMap<String, URI>();
    for (var name : Fleet.NAMES) {
      uris.put(name, fleet.uri(name));
    }
    return start(uris);
  }

  /** {@return the service's base URI, {@code http://127.0.0.1:port/}} */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** {@return the Weft page's breakers, by downstream} */
  public Map<String, dev.weft.CircuitBreaker> breakers() {
    return weft.breakers();
  }

  private void page(HttpExchange exchange, String prefix, AtomicInteger inFlight,
      BiFunction<Long, Duration, WeftPage.Answer> serve) throws IOException {
    inFlight.incrementAndGet();
    try (exchange) {
      long id;
      Duration deadline;
      try {
        id = Long.parseLong(exchange.getRequestURI().getPath().substring(prefix.length()));
        var header = exchange.getRequestHeaders().getFirst("x-deadline-ms");
        deadline = header == null ? DEFAULT_DEADLINE : Duration.ofMillis(Long.parseLong(header));
      } catch (NumberFormatException e) {
        send(exchange, 400, Json.write(Map.of("error", "bad listing id or x-deadline-ms")), "");
        return;
      }
      WeftPage.Answer answer;
      try {
        answer = serve.apply(id, deadline);
      } catch (RuntimeException e) {
        answer = new WeftPage.Answer(500, Json.write(Map.of("error", e.toString())),
            java.util.List.of());
      }
      send(exchange, answer.status(), answer.body(), String.join(",", answer.partial()));
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void stats(HttpExchange exchange) throws IOException {
    try (exchange) {
      var out = new LinkedHashMap<String, Object>();
      out.put("weft", Map.of("inflight", (long) weftInFlight.get(), "breakers",
          weft.transitions()));
      out.put("baseline", Map.of("inflight", (long) baselineInFlight.get(), "breakers",
          baseline.transitions()));
      send(exchange, 200, Json.write(out), "");
    }
  }

  private static void send(HttpExchange exchange, int status, String body, String partial)
      throws IOException {
    var bytes = body.getBytes(StandardCharsets.UTF_8);
    var headers = exchange.getResponseHeaders();
    headers.set("content-type", "application/json");
    if (!partial.isEmpty()) {
      headers.set("x-partial", partial);
    }
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  /** Stops accepting requests, lets those in flight finish (up to 1 s), and stops its threads. */
  @Override
  public void close() {
    server.stop(1);
    threads.shutdownNow();
    baseline.close();
    calls.close();
  }
}
