package dev.weft.examples;

import dev.weft.ContextPropagator;
import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.RunEvent;
import dev.weft.RunListener;
import dev.weft.RunOptions;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An OpenTelemetry-style tracing bridge written against Weft's {@link RunListener} and {@link
 * ContextPropagator} only: every node of a run becomes a child span of the caller's current span,
 * and task code that logs sees the caller's trace id. The tracing API is a tiny stand-in defined
 * below ({@link FakeTracer}); with OpenTelemetry, {@code startSpan} is {@code
 * tracer.spanBuilder(name).setParent(...).startSpan()} and the thread-local is its {@code Context}.
 *
 * <p>Run it with {@code mvn -q test-compile exec:exec -Dexample=dev.weft.examples.TracingBridge}.
 */
public final class TracingBridge {
  private TracingBridge() {}

  // ---- the bridge ----

  /** {@return {@code options} that trace each node as a child span of the caller's span} */
  static RunOptions traced(RunOptions options) {
    var callers = new ConcurrentHashMap<Long, SpanContext>(); // run id -> the caller's span
    var open = new ConcurrentHashMap<String, FakeSpan>(); // "run id/node" -> the node's span
    RunListener spans = event -> {
      switch (event) {
        // delivered on the caller's thread, so its current span is the parent of the nodes
        case RunEvent.RunStarted e ->
            FakeTracer.current().ifPresent(c -> callers.put(e.runId(), c));
        case RunEvent.NodeStarted e when callers.containsKey(e.runId()) ->
            open.computeIfAbsent(e.runId() + "/" + e.node(), k -> // once, at the first attempt
                FakeTracer.startSpan(e.graph() + "/" + e.node(), callers.get(e.runId())));
        case RunEvent.NodeEnded e -> {
          var span = open.remove(e.runId() + "/" + e.node());
          if (span != null) {
            span.end(e.span().outcome().status().label() + ", "
                + e.span().attempts() + " attempt(s) on " + e.span().thread());
          }
        }
        case RunEvent.RunEnded e -> callers.remove(e.runId());
        default -> {}
      }
    };
    return options.withListener(spans)
        .withPropagator(ContextPropagator.threadLocal(FakeTracer.CURRENT));
  }

  // ---- a service using it ----

  public static void main(String[] args) {
    var g = Graph.builder("listing-page");
    Input<Long> id = g.input("listingId", Long.class);
    Node<String> listing = g.task("listing", id, i -> call("listing " + i, 30));
    Node<String> host = g.task("host", listing, l -> call("host of " + l, 20));
    Node<String> price = g.task("price", listing, l -> call("price of " + l, 25));
    Node<String> page = g.task("page", host, price, (h, p) -> h + " | " + p);
    Graph graph = g.options(traced(RunOptions.defaults())).build();

    // the request's own span, as an HTTP server instrumentation would start it
    var request = FakeTracer.startSpan("GET /listings/42", null);
    FakeTracer.CURRENT.set(request.context());
    try {
      System.out.println("caller trace=" + request.context().traceId() + " span="
          + request.context().spanId());
      System.out.println("page: " + graph.run(Inputs.of(id, 42L)).get(page));
    } finally {
      FakeTracer.CURRENT.remove();
      request.end("ok");
    }
  }

  /** A simulated downstream call; it logs, as service code does. */
  static String call(String what, long millis) throws InterruptedException {
    log("calling " + what);
    Thread.sleep(millis);
    return what;
  }

  /** A logger that stamps each line with the current trace, as an MDC-aware log layout would. */
  static void log(String message) {
    var span = FakeTracer.current();
    System.out.println("log  trace=" + span.map(SpanContext::traceId).orElse("-") + " span="
        + span.map(SpanContext::spanId).orElse("-") + " [" + Thread.currentThread().getName()
        + "] " + message);
  }

  // ---- a stand-in for a tracing library ----

  /** Which trace a span belongs to, and the span's own id. */
  record SpanContext(String traceId, String spanId) {}

  /** A tracer: random ids, the current span in a thread-local, spans printed when they end. */
  static final class FakeTracer {
    static final ThreadLocal<SpanContext> CURRENT = new ThreadLocal<>();

    private FakeTracer() {}

    static Optional<SpanContext> current() {
      return Optional.ofNullable(CURRENT.get());
    }

    /** Starts a span, in {@code parent}'s trace or, without a parent, in a new trace. */
    static FakeSpan startSpan(String name, SpanContext parent) {
      var traceId = parent == null ? randomId() : parent.traceId();
      return new FakeSpan(new SpanContext(traceId, randomId()),
          parent == null ? "-" : parent.spanId(), name, System.nanoTime());
    }

    private static String randomId() {
      return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }
  }

  /** A started span; {@link #end} exports it (here: prints it). */
  record FakeSpan(SpanContext context, String parentId, String name, long startNanos) {
    void end(String status) {
      long micros = (System.nanoTime() - startNanos) / 1_000;
      System.out.println("span trace=" + context.traceId() + " id=" + context.spanId()
          + " parent=" + parentId + " " + name + " " + micros / 1000 + "." + micros / 100 % 10
          + " ms " + status);
    }
  }
}
