package dev.weft.examples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * One simulated downstream service: an HTTP server on {@code 127.0.0.1} (an ephemeral port) that
 * sleeps a latency drawn from its {@link Profile}, then answers JSON. Each request runs on its own
 * virtual thread. Its {@link Mode} can be switched while it runs; it counts its calls, by status.
 *
 * <p>A caller may send its remaining budget in the request header {@code x-budget-ms}. Like many
 * real services this one does not honour it: it sleeps its whole latency regardless. It only counts
 * the requests that arrived with a budget of zero or less ({@link #lateArrivals()}: work the
 * caller should not have sent) and those whose latency was longer than their budget ({@link
 * #overBudget()}).
 *
 * <p>Thread-safe. {@link #close()} stops the server and interrupts the requests still sleeping.
 *
 * <p>Note: the JDK server closes a keep-alive connection once more than 200 are idle, unless the
 * system property {@code sun.net.httpserver.maxIdleConnections} was raised before the first server
 * of the JVM started ({@link LoadMatrix} raises it).
 */
public final class Downstream implements AutoCloseable {
  /** What an endpoint answers: a status, a JSON body, and how many ids the request named. */
  record Reply(int status, String json, int ids) {
    static Reply ok(String json, int ids) {
      return new Reply(200, json, ids);
    }

    static Reply error(int status, String message) {
      return new Reply(status, "{\"error\":" + quote(message) + "}", 0);
    }
  }

  private static final double FLAKY_SHARE = 0.3;
  private static final int SLOW_FACTOR = 10;

  private final String name;
  private final Profile profile;
  private final Function<URI, Reply> endpoint;
  private final Random random; // java.util.Random is thread-safe
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final int port;
  private final LongAdder calls = new LongAdder();
  private final LongAdder lateArrivals = new LongAdder();
  private final LongAdder overBudget = new LongAdder();
  private final LongAdder ids = new LongAdder();
  private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
  private volatile Mode mode = Mode.HEALTHY;
  private HttpServer server; // guarded by this; null while REFUSED or closed
  private boolean closed; // guarded by this

  private Downstream(String name, Profile profile, long seed, Function<URI, Reply> endpoint) {
    this.name = name;
    this.profile = profile;
    this.endpoint = endpoint;
    this.random = new Random(seed);
    this.server = bind(0);
    this.port = server.getAddress().getPort();
  }

  /**
   * {@return a started downstream named {@code name}} {@code endpoint} answers each request (after
   * the latency, in a mode that lets it); {@code seed} seeds the latency and error draws.
   */
  static Downstream start(String name, Profile profile, long seed,
      Function<URI, Reply> endpoint) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(endpoint, "endpoint");
    return new Downstream(name, profile, seed, endpoint);
  }

  private HttpServer bind(int port) {
    try {
      var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      var s = HttpServer.create(address, 1024);
      s.setExecutor(executor);
      s.createContext("/", this::handle);
      s.start();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("downstream '" + name + "' cannot bind port " + port, e);
    }
  }

  /** {@return this downstream's name, such as {@code "price"}} */
  public String name() {
    return name;
  }

  /** {@return its latency and error profile when healthy} */
  public Profile profile() {
    return profile;
  }

  /** {@return its base URI, {@code http://127.0.0.1:PORT}; the same port in every mode} */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** {@return its current mode} */
  public Mode mode() {
    return mode;
  }

  /**
   * Switches to {@code mode}; requests that arrive from now on see it (those already sleeping keep
   * the mode they started in). Entering {@link Mode#REFUSED} closes the listening socket and cuts
   * open connections; leaving it binds the same port again.
   */
  public synchronized void mode(Mode mode) {
    Objects.requireNonNull(mode, "mode");
    if (closed) {
      throw new IllegalStateException("downstream '" + name + "' is closed");
    }
    if (mode == Mode.REFUSED && server != null) {
      server.stop(0);
      server = null;
    } else if (mode != Mode.REFUSED && server == null) {
      server = bind(port);
    }
    this.mode = mode;
  }

  /** {@return how many requests arrived} */
  public long calls() {
    return calls.sum();
  }

  /** {@return how many responses were sent, by status code, in ascending order} */
  public Map<Integer, Long> callsByStatus() {
    var m = new TreeMap<Integer, Long>();
    byStatus.forEach((status, n) -> m.put(status, n.sum()));
    return m;
  }

  /** {@return how many responses of {@code status} were sent} */
  public long calls(int status) {
    var n = byStatus.get(status);
    return n == null ? 0 : n.sum();
  }

  /** {@return how many ids the requests named: one a call, or the batch's size} */
  public long ids() {
    return ids.sum();
  }

  /** {@return how many requests arrived with {@code x-budget-ms} of zero or less} */
  public long lateArrivals() {
    return lateArrivals.sum();
  }

  /** {@return how many requests slept longer than their {@code x-budget-ms}} */
  public long overBudget() {
    return overBudget.sum();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      calls.increment();
      long budgetMs = budget(exchange);
      if (budgetMs != Long.MAX_VALUE && budgetMs <= 0) {
        lateArrivals.increment();
      }
      var m = mode;
      if (m == Mode.DOWN) {
        send(exchange, Reply.error(503, name + " unavailable"));
        return;
      }
      var latency = profile.sample(random);
      if (m == Mode.SLOW) {
        latency = latency.multipliedBy(SLOW_FACTOR);
      }
      if (latency.toMillis() > budgetMs) {
        overBudget.increment();
      }
      Thread.sleep(latency);
      if (m == Mode.FLAKY && random.nextDouble() < FLAKY_SHARE) {
        send(exchange, Reply.error(503, name + " unavailable"));
      } else if (random.nextDouble() < profile.errorRate()) {
        send(exchange, Reply.error(500, name + " failed"));
      } else {
        var reply = endpoint.apply(exchange.getRequestURI());
        ids.add(reply.ids());
        send(exchange, reply);
      }
    } catch (InterruptedException e) {
      // closing: the exchange is closed without an answer
    } catch (IOException e) {
      // the caller went away (or the socket was closed by REFUSED): nothing to answer
    }
  }

  private static long budget(HttpExchange exchange) {
    var header = exchange.getRequestHeaders().getFirst("x-budget-ms");
    if (header == null) {
      return Long.MAX_VALUE;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private void send(HttpExchange exchange, Reply reply) throws IOException {
    var body = reply.json().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "application/json");
    exchange.sendResponseHeaders(reply.status(), body.length);
    exchange.getResponseBody().write(body);
    byStatus.computeIfAbsent(reply.status(), s -> new LongAdder()).increment();
  }

  /**
   * Stops the server, closing its port and every open connection, and interrupts the requests
   * still sleeping; returns once the port is closed and those requests have ended (or after 5
   * seconds). Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server != null) {
      server.stop(0);
      server = null;
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + "@" + uri() + " " + mode;
  }

  static String quote(String s) {
    var b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
