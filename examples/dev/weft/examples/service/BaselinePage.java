package dev.weft.examples.service;

import dev.weft.examples.service.Calls.NotFound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The same listing page hand-wired with {@code CompletableFuture}, as a competent engineer would
 * write it without Weft: the same calls, timeouts, retries (2 attempts, 2 ms apart, never on a
 * 404) and fallbacks (optional sections left out, a placeholder per photo), the users fetched in
 * one batch call, and the page's deadline as an {@code orTimeout} on the whole. Each downstream has
 * a {@linkplain Breaker hand-written breaker} of a few lines: 10 failures in a row open it for 1 s,
 * then one call probes. What it does not have, because each would be a library of its own: hedging,
 * a retry budget, skipping late sections, and cancelling the calls of a page that gave up (their
 * threads run on until their own timeouts). Thread-safe: one instance serves every request.
 */
public final class BaselinePage {
  /** Ten consecutive failures open it for 1 s; then one call probes. Records its transitions. */
  static final class Breaker {
    private final List<String> transitions = new CopyOnWriteArrayList<>();
    private int failures;
    private long openUntil;
    private boolean probing;

    synchronized boolean allow() {
      if (openUntil == 0) {
        return true;
      }
      if (System.nanoTime() < openUntil || probing) {
        return false;
      }
      probing = true; // half-open: one probe
      transitions.add("OPEN->HALF_OPEN");
      return true;
    }

    synchronized void success() {
      if (probing) { // the probe answered: close
        transitions.add("HALF_OPEN->CLOSED");
        openUntil = 0;
        probing = false;
      }
      if (openUntil == 0) {
        failures = 0; // a call admitted before it opened does not close it
      }
    }

    synchronized void failure() {
      if (probing) {
        transitions.add("HALF_OPEN->OPEN");
        openUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        probing = false;
      } else if (openUntil == 0 && ++failures >= 10) {
        transitions.add("CLOSED->OPEN");
        openUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      }
    }

    List<String> transitions() {
      return List.copyOf(transitions);
    }
  }

  private final Calls calls;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, Breaker> breakers = new LinkedHashMap<>();

  BaselinePage(Calls calls) {
    this.calls = calls;
    for (var name : List.of("listing", "host", "price", "photos", "reviews", "users",
        "availability", "similar")) {
      breakers.put(name, new Breaker());
    }
  }

  /** One downstream call on a virtual thread: the breaker, 2 attempts, a timeout per attempt. */
  private CompletableFuture<Object> call(String name, String path, long timeoutMs,
      long deadlineAt) {
    return attempt(name, path, timeoutMs, deadlineAt).exceptionallyCompose(first -> {
      var cause = unwrap(first);
      if (cause instanceof NotFound || cause instanceof BreakerOpen) {
        return CompletableFuture.failedFuture(cause);
      }
      return CompletableFuture.supplyAsync(() -> null,
          CompletableFuture.delayedExecutor(2, TimeUnit.MILLISECONDS, threads))
          .thenCompose(x -> attempt(name, path, timeoutMs, deadlineAt));
    });
  }

  private CompletableFuture<Object> attempt(String name, String path, long timeoutMs,
      long deadlineAt) {
    var breaker = breakers.get(name);
    if (!breaker.allow()) {
      return CompletableFuture.failedFuture(new BreakerOpen(name));
    }
    long left = Math.min(timeoutMs, TimeUnit.NANOSECONDS.toMillis(deadlineAt - System.nanoTime()));
    return CompletableFuture.supplyAsync(unchecked(() -> calls.get(name, path,
            Duration.ofMillis(left))), threads)
        .orTimeout(Math.max(1, left), TimeUnit.MILLISECONDS)
        .whenComplete((value, failure) -> {
          if (failure == null || unwrap(failure) instanceof NotFound) {
            breaker.success();
          } else {
            breaker.failure();
          }
        });
  }

  /** The breaker is open: the call was not made. */
  static final class BreakerOpen extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BreakerOpen(String name) {
      super("breaker of " + name + " is open", null, false, false);
    }
  }

  /** A call that may throw, as a Supplier for supplyAsync. */
  @FunctionalInterface
  interface Call {
    Object get() throws Exception;
  }

  private static Supplier<Object> unchecked(Call call) {
    return () -> {
      try {
        return call.get();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    };
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static <T> CompletableFuture<T> orNull(CompletableFuture<T> f) {
    return f.exceptionally(t -> null);
  }

  /** Serves one page within {@code deadline}. */
  WeftPage.Answer serve(long id, Duration deadline) {
    long deadlineAt = System.nanoTime() + deadline.toNanos();
    var listing = call("listing", "/listings/" + id, 100, deadlineAt)
        .thenApply(WeftPage.Listing::of);
    var host = orNull(listing.thenCompose(l -> call("host", "/hosts/" + l.hostId(), 80,
        deadlineAt)));
    var price = listing.thenCompose(l -> call("price", "/prices/" + l.id(), 120, deadlineAt));
    var photos = listing.thenCompose(l -> {
      var each = new ArrayList<CompletableFuture<Object>>();
      for (long p : l.photoIds()) {
        each.add(call("photos", "/photos/" + p, 80, deadlineAt)
            .exceptionally(t -> WeftPage.PLACEHOLDER));
      }
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
          .thenApply(x -> each.stream().map(CompletableFuture::join).toList());
    });
    var reviews = orNull(call("reviews", "/reviews?listing=" + id, 150, deadlineAt));
    var authors = orNull(reviews.thenCompose(rs -> {
      if (rs == null) {
        return CompletableFuture.completedFuture(null);
      }
      var ids = new ArrayList<String>();
      for (var r : Json.array(rs)) {
        var author = String.valueOf(Json.object(r).get("authorId"));
        if (!ids.contains(author)) {
          ids.add(author);
        }
      }
      return ids.isEmpty() ? CompletableFuture.completedFuture((Object) Map.of())
          : call("users", "/users?ids=" + String.join(",", ids), 100, deadlineAt);
    }));
    var availability = orNull(call("availability", "/availability/" + id, 150, deadlineAt));
    var similar = orNull(call("similar", "/similar/" + id, 150, deadlineAt));
    var all = CompletableFuture.allOf(listing, host, price, photos, reviews, authors,
        availability, similar);
    try {
      all.get(Math.max(0, deadlineAt - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return new WeftPage.Answer(504, Json.write(Map.of("error", "deadline of "
          + deadline.toMillis() + " ms exceeded")), List.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new WeftPage.Answer(503, Json.write(Map.of("error", "interrupted")), List.of());
    } catch (ExecutionException e) {
      var cause = unwrap(e);
      if (listing.isCompletedExceptionally() && cause instanceof NotFound) {
        return new WeftPage.Answer(404, Json.write(Map.of("error", "no listing " + id)),
            List.of());
      }
      return new WeftPage.Answer(502, Json.write(Map.of("error", cause.toString())), List.of());
    }
    var out = new LinkedHashMap<String, Object>();
    var partial = new java.util.HashSet<String>();
    out.put("listing", listing.join().json());
    out.put("price", price.join());
    var photoList = photos.join();
    out.put("photos", photoList);
    put(out, partial, "host", host.join());
    if (photoList.contains(WeftPage.PLACEHOLDER)) {
      partial.add("photos");
    }
    var names = new LinkedHashMap<Long, String>();
    if (authors.join() != null) {
      Json.object(authors.join()).forEach((key, user) -> names.put(Long.parseLong(key),
          String.valueOf(Json.object(user).get("name"))));
    }
    var rs = reviews.join();
    if (rs == null) {
      partial.add("reviews");
    } else {
      var withAuthors = new ArrayList<Object>();
      for (var r : Json.array(rs)) {
        var review = new LinkedHashMap<>(Json.object(r));
        review.put("author", names.getOrDefault(Json.number(review.get("authorId")), "a guest"));
        withAuthors.add(review);
      }
      out.put("reviews", withAuthors);
    }
    if (authors.join() == null) {
      partial.add("authors");
    }
    put(out, partial, "availability", availability.join());
    put(out, partial, "similar", similar.join());
    return new WeftPage.Answer(200, Json.write(out),
        WeftPage.OPTIONAL.stream().filter(partial::contains).toList());
  }

  private static void put(Map<String, Object> out, java.util.Set<String> partial, String name,
      Object value) {
    if (value == null) {
      partial.add(name);
    } else {
      out.put(name, value);
    }
  }

  /** {@return the state changes of every breaker so far, by downstream} */
  Map<String, List<String>> transitions() {
    var out = new LinkedHashMap<String, List<String>>();
    breakers.forEach((name, b) -> out.put(name, b.transitions()));
    return out;
  }

  /** Stops the baseline's threads. */
  void close() {
    threads.shutdownNow();
  }
}
