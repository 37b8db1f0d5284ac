package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.service.Fleet;
import dev.weft.examples.service.Mode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulated downstreams of the example service: their JSON, their modes switched while they
 * run, their counters, and that closing them frees their ports. A few dozen requests on loopback;
 * waits are bounded by the client's timeout; no assertion that anything is fast.
 */
class FleetTest {
  private static Fleet fleet;
  private static HttpClient client;

  @BeforeAll
  static void start() {
    fleet = Fleet.start();
    client = newClient();
  }

  @AfterAll
  static void stop() {
    client.close();
    fleet.close();
  }

  @AfterEach
  void healthy() {
    fleet.healthy();
  }

  private static HttpClient newClient() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> get(String name, String path, String... headers)
      throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(fleet.uri(name).resolve(path))
        .timeout(Duration.ofSeconds(20));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The body of a 200, asking again after one of the rare (0.2%) simulated 500s. */
  private static String ok(String name, String path) throws IOException, InterruptedException {
    for (int attempt = 0; ; attempt++) {
      var r = get(name, path);
      if (r.statusCode() != 500 || attempt == 3) {
        assertEquals(200, r.statusCode(), name + " " + path + ": " + r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        return r.body();
      }
    }
  }

  @Test
  void eachDownstream_answersItsJson_decidedByTheIds() throws Exception {
    assertEquals("{\"id\":7,\"title\":\"Flat 7\",\"city\":\"Lisbon\",\"hostId\":1007,"
        + "\"photoIds\":[70,71,72,73]}", ok("listing", "/listings/7"));
    assertEquals("{\"id\":1007,\"name\":\"Host 1007\",\"superhost\":true}",
        ok("host", "/hosts/1007"));
    assertEquals("{\"listingId\":7,\"nightly\":12300,\"currency\":\"EUR\"}",
        ok("price", "/prices/7"));
    assertEquals("{\"id\":70,\"url\":\"https://img.example/70.jpg\"}", ok("photos", "/photos/70"));
    assertEquals("[{\"authorId\":8,\"stars\":4,\"text\":\"great host\"},"
        + "{\"authorId\":1,\"stars\":5,\"text\":\"too far from the beach\"}]",
        ok("reviews", "/reviews?listing=7"));
    assertEquals("[]", ok("reviews", "/reviews?listing=10"));
    assertEquals("{\"3\":{\"id\":3,\"name\":\"User 3\"},\"5\":{\"id\":5,\"name\":\"User 5\"},"
        + "\"9\":{\"id\":9,\"name\":\"User 9\"}}", ok("users", "/users?ids=3,5,9,3"));
    assertEquals("{\"listingId\":7,\"nights\":[\"2026-12-03\",\"2026-12-04\"]}",
        ok("availability", "/availability/7"));
    assertEquals("[8,9,10]", ok("similar", "/similar/7"));

    assertEquals(ok("listing", "/listings/7"), ok("listing", "/listings/7"), "not deterministic");
    var unknown = get("listing", "/listings/1000000");
    if (unknown.statusCode() == 500) {
      unknown = get("listing", "/listings/1000000");
    }
    assertEquals(404, unknown.statusCode());
    assertEquals("{\"error\":\"no listing 1000000\"}", unknown.body());
  }

  @Test
  void calls_areCounted_byDownstream_andStatus_andBatchSize() throws Exception {
    var users = fleet.get("users");
    long calls = users.calls();
    long answered = users.calls(200) + users.calls(500);
    long ok = users.calls(200);
    long ids = users.ids();

    ok("users", "/users?ids=1,2");
    ok("users", "/users?ids=4,4,5,6");

    assertEquals(2, users.calls(200) - ok);
    assertEquals(users.calls() - calls, users.calls(200) + users.calls(500) - answered);
    assertEquals(5, users.ids() - ids, "distinct ids named by the 2 calls");
    assertEquals(users.calls(), fleet.calls().get("users"));
    assertEquals(Fleet.NAMES, List.copyOf(fleet.calls().keySet()));
  }

  @Test
  void down_answers503AtOnce_slow_isTenTimesSlower_andModesSwitchBack() throws Exception {
    fleet.mode("price", Mode.DOWN);
    var late = fleet.get("price").overBudget();
    var down = get("price", "/prices/7", "x-budget-ms", "0");
    assertEquals(503, down.statusCode());
    assertEquals("{\"error\":\"price unavailable\"}", down.body());
    assertEquals("application/json", down.headers().firstValue("content-type").orElse(""));
    // at once: a DOWN call draws no latency, so it never sleeps past a budget of 0
    assertEquals(late, fleet.get("price").overBudget());

    var host = fleet.get("host");
    fleet.mode("host", Mode.SLOW);
    var slow = new ArrayList<Long>();
    for (int i = 0; i < 15; i++) {
      long start = System.nanoTime();
      get("host", "/hosts/1");
      slow.add(System.nanoTime() - start);
    }
    long healthyMedian = host.profile().p50().toNanos();
    assertTrue(median(slow) > 3 * healthyMedian,
        "SLOW median " + median(slow) / 1e6 + " ms, healthy median " + healthyMedian / 1e6 + " ms");

    fleet.healthy();
    assertEquals(Mode.HEALTHY, host.mode());
    ok("price", "/prices/7");
  }

  @Test
  void flaky_answers503ToAboutThreeCallsInTen() throws Exception {
    fleet.mode("photos", Mode.FLAKY);
    var photos = fleet.get("photos");
    long before = photos.calls(503);
    for (int i = 0; i < 200; i++) {
      int status = get("photos", "/photos/" + i).statusCode();
      assertTrue(status == 200 || status == 503 || status == 500, "status " + status);
    }
    long unavailable = photos.calls(503) - before;
    assertTrue(unavailable >= 30 && unavailable <= 95, unavailable + " of 200 answered 503");
  }

  @Test
  void lateArrivals_countRequestsWithNoBudgetLeft() throws Exception {
    var host = fleet.get("host");
    long late = host.lateArrivals();
    get("host", "/hosts/1", "x-budget-ms", "0");
    get("host", "/hosts/1", "x-budget-ms", "-12");
    get("host", "/hosts/1", "x-budget-ms", "5000");
    get("host", "/hosts/1");
    assertEquals(late + 2, host.lateArrivals());
  }

  @Test
  void refused_closesThePort_andHealthyBindsItAgain() throws Exception {
    var uri = fleet.uri("similar");
    fleet.mode("similar", Mode.REFUSED);
    assertThrows(ConnectException.class, () -> connect(uri));

    fleet.mode("similar", Mode.HEALTHY);
    assertEquals(uri, fleet.uri("similar"));
    try (var fresh = newClient()) {
      var r = fresh.send(HttpRequest.newBuilder(uri.resolve("/similar/1"))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(r.statusCode() == 200 || r.statusCode() == 500, "status " + r.statusCode());
    }
  }

  @Test
  void close_freesEveryPort() throws Exception {
    var other = Fleet.start();
    var uris = Fleet.NAMES.stream().map(other::uri).toList();
    for (var uri : uris) {
      connect(uri); // listening
    }
    other.close();
    for (var uri : uris) {
      assertThrows(ConnectException.class, () -> connect(uri), uri + " still listening");
    }
    other.close(); // idempotent
  }

  private static void connect(URI uri) throws IOException {
    try (var s = new Socket()) {
      s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
    }
  }

  private static long median(List<Long> xs) {
    var sorted = new ArrayList<>(xs);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
