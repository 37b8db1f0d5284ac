package dev.weft.examples;

import dev.weft.ContextPropagator;
import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.Outcome;
import dev.weft.RunEvent;
import dev.weft.RunListener;
import dev.weft.RunOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An OpenTelemetry-style tracing bridge written against Weft's {@link RunListener} and {@link
 * ContextPropagator} only, following OpenTelemetry's semantic conventions (1.45: span naming,
 * recording errors):
 *
 * <ul>
 *   <li>a run is a span named by its graph, a child of the caller's current span (or, for a
 *       subgraph's run, of its node's span); each node is a span named {@code graph/node}, a
 *       child of its run's. Names stay low-cardinality: a fan-out's elements are child spans with
 *       their node's name, their index in the attribute {@code weft.element};
 *   <li>run and node spans carry {@code weft.graph}, {@code weft.node}, {@code weft.run_id} and
 *       {@code weft.outcome}; a subgraph's run also {@code weft.parent_run_id};
 *   <li>only a node (or element) that failed has error status, with {@code error.type} (the
 *       exception's class name). One that failed and then succeeded on retry has none: each of
 *       its attempts is a child span {@code graph/node attempt} with {@code weft.attempt}, and
 *       the failed ones have error status and {@code error.type};
 *   <li>a hedged node's calls ({@link dev.weft.NodeBuilder#hedge}) are child spans {@code
 *       graph/node hedge} with {@code weft.hedge} (0 the first call, 1, 2, ... the hedges) and
 *       {@code weft.outcome}, opened when the node ends from its span's children, so one cut
 *       off late is traced too; only a failed call has error status: a loser cancelled because
 *       another call won is not an error. A call stopped before it ran has no span.
 * </ul>
 *
 * The tracing API is a tiny stand-in defined below ({@link FakeTracer}); with OpenTelemetry,
 * {@code startSpan} is {@code tracer.spanBuilder(name).setParent(ctx).setStartTimestamp(...)
 * .startSpan()}, {@code attribute} is {@code setAttribute}, {@code error} is {@code
 * setStatus(StatusCode.ERROR)} plus {@code setAttribute("error.type", ...)}, and the thread-local
 * is its {@code Context}. Spans start at the event's time on the run's clock, so attempt spans
 * can be opened after the fact.
 *
 * <p>Run it with {@code mvn -q test-compile exec:exec -Dexample=dev.weft.examples.TracingBridge}.
 */
public final class TracingBridge {
  private TracingBridge() {}

  // ---- the bridge ----

  /** {@return {@code options} that trace each run, node, element, retried attempt and hedge} */
  public static RunOptions traced(RunOptions options, FakeTracer tracer) {
    return options.withListener(new Spans(tracer))
        .withPropagator(ContextPropagator.threadLocal(FakeTracer.CURRENT));
  }

  /** The listener: spans open per run, per node and element, and per attempt of retried ones. */
  private static final class Spans implements RunListener {
    private final FakeTracer tracer;
    private final Map<Long, FakeSpan> runs = new ConcurrentHashMap<>();
    // "run/node" or "run/node/element" -> its span, and when its current attempt started
    private final Map<String, FakeSpan> tasks = new ConcurrentHashMap<>();
    private final Map<String, Duration> attemptStarts = new ConcurrentHashMap<>();
    private final Map<String, List<FakeSpan>> failedAttempts = new ConcurrentHashMap<>();

    Spans(FakeTracer tracer) {
      this.tracer = tracer;
    }

    @Override
    public void onEvent(RunEvent event) {
      switch (event) {
        case RunEvent.RunStarted e -> {
          // delivered on the caller's thread: its current span is the run's parent; a subgraph's
          // run hangs under the node that runs it
          var parent = e.nested()
              ? Optional.ofNullable(tasks.get(e.parentRunId() + "/" + e.parentNode()))
                  .map(FakeSpan::context)
              : FakeTracer.current();
          var span = tracer.startSpan(e.graph(), parent.orElse(null), Duration.ZERO);
          span.attribute("weft.graph", e.graph()).attribute("weft.run_id", e.runId());
          if (e.nested()) {
            span.attribute("weft.parent_run_id", e.parentRunId());
          }
          runs.put(e.runId(), span);
        }
        case RunEvent.NodeStarted e -> started(key(e.runId(), e.node(), -1), e.runId(),
            e.graph(), e.node(), -1, e.at());
        case RunEvent.ElementStarted e -> started(key(e.runId(), e.node(), e.element()),
            e.runId(), e.graph(), e.node(), e.element(), e.at());
        case RunEvent.NodeRetried e -> retried(key(e.runId(), e.node(), -1), e.attempt(),
            e.error(), e.at());
        case RunEvent.ElementRetried e -> retried(key(e.runId(), e.node(), e.element()),
            e.attempt(), e.error(), e.at());
        case RunEvent.NodeEnded e -> ended(key(e.runId(), e.node(), -1), e.span(), e.at());
        case RunEvent.ElementEnded e -> ended(key(e.runId(), e.node(), e.element()), e.span(),
            e.at());
        case RunEvent.RunEnded e -> {
          var span = runs.remove(e.runId());
          if (span != null) {
            span.attribute("weft.outcome", e.result().succeeded() ? "succeeded" : "partial")
                .end(e.at());
          }
        }
        default -> {}
      }
    }

    private static String key(long runId, String node, int element) {
      return element < 0 ? runId + "/" + node : runId + "/" + node + "/" + element;
    }

    private void started(String key, long runId, String graph, String node, int element,
        Duration at) {
      attemptStarts.put(key, at);
      tasks.computeIfAbsent(key, k -> { // once, at the first attempt
        var parent = element < 0 ? runs.get(runId) : tasks.get(key(runId, node, -1));
        var span = tracer.startSpan(graph + "/" + node,
            parent == null ? null : parent.context(), at);
        span.attribute("weft.graph", graph).attribute("weft.node", node)
            .attribute("weft.run_id", runId);
        if (element >= 0) {
          span.attribute("weft.element", element);
        }
        return span;
      });
    }

    /** A failed attempt that is retried: its own child span, with the error. */
    private void retried(String key, int attempt, Throwable error, Duration at) {
      var task = tasks.get(key);
      if (task != null) {
        var span = tracer.startSpan(task.name() + " attempt", task.context(),
            attemptStarts.getOrDefault(key, at));
        span.attribute("weft.attempt", attempt).error(error.getClass().getName()).end(at);
        failedAttempts.computeIfAbsent(key, k -> new ArrayList<>()).add(span);
      }
    }

    private void ended(String key, dev.weft.Span result, Duration at) {
      var span = tasks.remove(key);
      if (span == null) {
        return; // never started: skipped or cancelled before it ran, so no span
      }
      var outcome = result.outcome();
      if (failedAttempts.remove(key) != null) { // retried: the last attempt gets a span too
        var last = tracer.startSpan(span.name() + " attempt", span.context(),
            attemptStarts.getOrDefault(key, at));
        last.attribute("weft.attempt", result.attempts());
        if (outcome instanceof Outcome.Failed<?> f) {
          last.error(f.error().getClass().getName());
        }
        last.end(at);
      }
      attemptStarts.remove(key);
      for (var child : result.children()) { // a hedged task's calls, each under the task
        if (child.hedge() >= 0 && child.threadId() != 0) { // one stopped before it ran: none
          var call = tracer.startSpan(span.name() + " hedge", span.context(), child.started());
          call.attribute("weft.hedge", child.hedge())
              .attribute("weft.outcome", child.outcome().status().label());
          if (child.outcome() instanceof Outcome.Failed<?> f) {
            call.error(f.error().getClass().getName()); // a loser cancelled is not an error
          }
          call.end(child.ended());
        }
      }
      span.attribute("weft.outcome", outcome.status().label())
          .attribute("weft.attempts", result.attempts());
      if (outcome instanceof Outcome.Failed<?> f) {
        span.error(f.error().getClass().getName()); // only a node that failed in the end
      }
      span.end(at);
    }
  }

  // ---- a service using it ----

  public static void main(String[] args) {
    var tracer = new FakeTracer(true);
    var g = Graph.builder("listing-page");
    Input<Long> id = g.input("listingId", Long.class);
    Node<String> listing = g.task("listing", id, i -> call("listing " + i, 30));
    Node<String> host = g.task("host", listing, l -> call("host of " + l, 20));
    Node<String> price = g.task("price", listing, l -> call("price of " + l, 25));
    Node<String> page = g.task("page", host, price, (h, p) -> h + " | " + p);
    Graph graph = g.options(traced(RunOptions.defaults(), tracer)).build();

    // the request's own span, as an HTTP server instrumentation would start it
    var request = tracer.startSpan("GET /listings/{id}", null, Duration.ZERO);
    FakeTracer.CURRENT.set(request.context());
    try {
      System.out.println("caller trace=" + request.context().traceId() + " span="
          + request.context().spanId());
      System.out.println("page: " + graph.run(Inputs.of(id, 42L)).get(page));
    } finally {
      FakeTracer.CURRENT.remove();
      request.end(Duration.ZERO);
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
  public record SpanContext(String traceId, String spanId) {}

  /** A tracer: random ids, the current span in a thread-local, ended spans kept (and printed). */
  public static final class FakeTracer {
    static final ThreadLocal<SpanContext> CURRENT = new ThreadLocal<>();
    private final boolean print;
    private final List<FakeSpan> ended = Collections.synchronizedList(new ArrayList<>());

    public FakeTracer(boolean print) {
      this.print = print;
    }

    static Optional<SpanContext> current() {
      return Optional.ofNullable(CURRENT.get());
    }

    /** Starts a span at {@code at}, in {@code parent}'s trace or, without one, in a new trace. */
    FakeSpan startSpan(String name, SpanContext parent, Duration at) {
      var traceId = parent == null ? randomId() : parent.traceId();
      return new FakeSpan(this, new SpanContext(traceId, randomId()),
          parent == null ? "-" : parent.spanId(), name, at);
    }

    /** {@return the spans ended so far, in the order they ended} */
    public List<FakeSpan> ended() {
      synchronized (ended) {
        return List.copyOf(ended);
      }
    }

    private static String randomId() {
      return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }
  }

  /** A started span; {@link #end} exports it. Not thread-safe, as one thread ends each span. */
  public static final class FakeSpan {
    private final FakeTracer tracer;
    private final SpanContext context;
    private final String parentId;
    private final String name;
    private final Duration start;
    private final Map<String, Object> attributes = new LinkedHashMap<>();
    private boolean error;

    FakeSpan(FakeTracer tracer, SpanContext context, String parentId, String name,
        Duration start) {
      this.tracer = tracer;
      this.context = context;
      this.parentId = parentId;
      this.name = name;
      this.start = start;
    }

    public SpanContext context() {
      return context;
    }

    public String parentId() {
      return parentId;
    }

    public String name() {
      return name;
    }

    public Map<String, Object> attributes() {
      return Map.copyOf(attributes);
    }

    /** {@return whether its status is ERROR; otherwise it is UNSET} */
    public boolean error() {
      return error;
    }

    FakeSpan attribute(String key, Object value) {
      attributes.put(key, value);
      return this;
    }

    FakeSpan error(String type) {
      error = true;
      return attribute("error.type", type);
    }

    void end(Duration at) {
      tracer.ended.add(this);
      if (tracer.print) {
        long micros = at.minus(start).toNanos() / 1_000;
        System.out.println("span trace=" + context.traceId() + " id=" + context.spanId()
            + " parent=" + parentId + " " + name + " " + micros / 1000 + "." + micros / 100 % 10
            + " ms " + (error ? "ERROR " : "") + attributes);
      }
    }
  }
}
