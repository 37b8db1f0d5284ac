package dev.weft.examples.service;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The service's calls to its downstreams, over one shared {@link HttpClient} (HTTP/1.1 on the
 * loopback interface). Every call carries the caller's remaining budget as {@code x-budget-ms},
 * and a request timeout of that budget, so a call never outlives the page it is for even when
 * its thread is not interrupted. Thread-safe.
 *
 * <p>Failures: a 404 is {@link NotFound} (the caller's input was bad: it must not open a breaker
 * or be retried); another non-2xx answer is {@link Unavailable}; transport failures are the
 * client's {@code IOException}s; an interrupt ends the call with {@link InterruptedException}.
 */
public final class Calls {
  /** The downstream answered 404: the thing asked for does not exist. */
  public static final class NotFound extends IOException {
    private static final long serialVersionUID = 1L;

    NotFound(String what) {
      super(what);
    }
  }

  /** The downstream answered with an error status (5xx, 429...). */
  public static final class Unavailable extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Unavailable(String what, int status) {
      super(what + ": HTTP " + status);
      this.status = status;
    }

    /** {@return the HTTP status the downstream answered with} */
    public int status() {
      return status;
    }
  }

  private static final Duration MAX_BUDGET = Duration.ofSeconds(10);

  private final HttpClient client;
  private final Map<String, URI> downstreams;

  /** Calls to the downstreams at {@code downstreams} (name to base URI). */
  public Calls(Map<String, URI> downstreams) {
    this.downstreams = Map.copyOf(downstreams);
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofMillis(200)).build();
  }

  /**
   * {@return the parsed JSON that downstream {@code name} answers to {@code GET path}} Sends
   * {@code budget} (what the caller has left) along; a budget already spent fails at once.
   */
  public Object get(String name, String path, Duration budget)
      throws IOException, InterruptedException {
    long ms = budget.compareTo(MAX_BUDGET) > 0 ? MAX_BUDGET.toMillis() : budget.toMillis();
    if (ms <= 0) {
      throw new Unavailable(name + path + " not sent: no budget left", 504);
    }
    var request = HttpRequest.newBuilder(downstreams.get(name).resolve(path))
        .timeout(Duration.ofMillis(ms)).header("x-budget-ms", Long.toString(ms)).GET().build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    int status = response.statusCode();
    if (status == 404) {
      throw new NotFound(name + path + ": not found");
    }
    if (status / 100 != 2) {
      throw new Unavailable(name + path, status);
    }
    return Json.parse(response.body());
  }

  /** Closes the client's connections. */
  public void close() {
    client.close();
  }
}
