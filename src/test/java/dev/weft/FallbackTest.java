package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node-level fallbacks: a node that still fails after its policies succeeds with a value or with
 * what a function makes of the failure; skips and cancellation are not failures it can rescue.
 */
class FallbackTest {
  private static final CountDownLatch NEVER = new CountDownLatch(1);
  private static final Executor CALLER_RUNS = Runnable::run;

  private static <T> T throwing(Exception e) throws Exception {
    throw e;
  }

  private static RunResult run(Graph graph) {
    return graph.run(Inputs.empty(), o -> o.withExecutor(CALLER_RUNS));
  }

  @Test
  void fallbackValue_makesAFailedNodeSucceed_andFlowsToItsDependents() {
    var g = Graph.builder("promo");
    Node<String> promo = g.node("promo").fallback("no promo")
        .call(() -> throwing(new IOException("promo service down")));
    var page = g.task("page", promo, p -> "page with " + p);
    var graph = g.build();

    var result = run(graph);

    assertEquals(new Outcome.Succeeded<>("promo", "no promo"), result.outcome(promo));
    assertEquals("page with no promo", result.get(page));
    assertTrue(result.succeeded());
    assertEquals(List.of(), result.failures());
  }

  @Test
  void fallbackValue_mayBeNull() {
    var g = Graph.builder("nullable");
    Node<String> promo = g.node("promo").<String>fallback(null)
        .call(() -> throwing(new IOException("down")));
    var graph = g.build();

    assertNull(run(graph).get(promo));
  }

  @Test
  void fallbackWith_computesTheValueFromTheFailure() {
    var error = new IOException("promo service down");
    var seen = new AtomicReference<Throwable>();
    var g = Graph.builder("promo");
    Node<String> promo = g.node("promo")
        .fallbackWith(failure -> {
          seen.set(failure);
          return "fallback for: " + failure.getMessage();
        })
        .call(() -> throwing(error));
    var graph = g.build();

    var result = run(graph);

    assertSame(error, seen.get());
    assertEquals("fallback for: promo service down", result.get(promo));
  }

  @Test
  void fallback_isNotUsedWhenTheNodeSucceeds() {
    var calls = new AtomicInteger();
    var g = Graph.builder("fine");
    Node<String> ok = g.node("ok")
        .fallbackWith(failure -> {
          calls.incrementAndGet();
          return "fallback";
        })
        .call(() -> "real");
    var graph = g.build();

    assertEquals("real", run(graph).get(ok));
    assertEquals(0, calls.get());
  }

  @Test
  void fallback_runsOnceAfterRetriesAreExhausted_notPerAttempt() {
    var attempts = new AtomicInteger();
    var fallbacks = new AtomicInteger();
    var seen = new AtomicReference<Throwable>();
    var g = Graph.builder("retried");
    Node<String> call = g.node("call")
        .fallbackWith(failure -> {
          fallbacks.incrementAndGet();
          seen.set(failure);
          return "fallback after " + attempts.get();
        })
        .retry(RetryPolicy.fixed(3, Duration.ZERO))
        .call(() -> {
          throw new IOException("attempt " + attempts.incrementAndGet());
        });
    var graph = g.build();

    var result = run(graph);

    assertEquals("fallback after 3", result.get(call));
    assertEquals(1, fallbacks.get());
    assertEquals("attempt 3", seen.get().getMessage(), "the fallback should see the last failure");
    assertEquals(List.of("attempt 1", "attempt 2"),
        Arrays.stream(seen.get().getSuppressed()).map(Throwable::getMessage).toList());
  }

  @Test
  void fallback_rescuesATimeout() throws Exception {
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var g = Graph.builder("slow");
    Node<String> slow = g.node("slow").timeout(Duration.ofMillis(50))
        .fallbackWith(failure -> failure.getClass().getSimpleName())
        .call(() -> {
          started.countDown();
          NEVER.await();
          return "unreachable";
        });
    var graph = g.build();

    var future = graph.runAsync(Inputs.empty(), o -> o.withScheduler(clock));
    assertTrue(started.await(10, SECONDS), "the task did not start");
    clock.advance(Duration.ofMillis(50));

    assertEquals("NodeTimeoutException", future.get(10, SECONDS).get(slow));
  }

  @Test
  void fallback_rescuesACircuitBreakerRejection() {
    var breaker = CircuitBreaker.builder("pricing").slidingWindow(1).minimumCalls(1).build();
    var g = Graph.builder("guarded");
    Node<String> price = g.node("price").circuitBreaker(breaker)
        .fallbackWith(failure -> failure.getClass().getSimpleName())
        .call(() -> {
          throw new IOException("down");
        });
    var graph = g.build();

    assertEquals("IOException", run(graph).get(price));
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    assertEquals("CircuitOpenException", run(graph).get(price));
  }

  @Test
  void throwingFallback_failsTheNode_withTheOriginalFailureSuppressed() {
    var original = new IOException("promo service down");
    var fallbackError = new IllegalStateException("no cached promo either");
    var g = Graph.builder("promo");
    Node<String> promo = g.node("promo").fallbackWith(failure -> throwing(fallbackError))
        .call(() -> throwing(original));
    var page = g.task("page", promo, p -> p);
    var graph = g.build();

    var result = run(graph);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(promo));
    assertSame(fallbackError, failed.error());
    assertEquals(List.of(original), List.of(fallbackError.getSuppressed()));
    assertEquals(new Outcome.Skipped<>("page", "promo", fallbackError), result.outcome(page));
  }

  @Test
  void fallback_doesNotApplyToASkip() {
    var error = new IOException("upstream down");
    var fallbacks = new AtomicInteger();
    var g = Graph.builder("skipped");
    Node<String> upstream = g.task("upstream", () -> throwing(error));
    var dependent = g.node("dependent")
        .fallbackWith(failure -> "fallback #" + fallbacks.incrementAndGet())
        .call(upstream, u -> u);
    var graph = g.build();

    var result = run(graph);

    assertEquals(new Outcome.Skipped<>("dependent", "upstream", error), result.outcome(dependent));
    assertEquals(0, fallbacks.get());
  }

  @Test
  void fallback_doesNotApplyToCancellation_ofARunningOrAnUnstartedNode() throws Exception {
    var fallbacks = new AtomicInteger();
    var started = new CountDownLatch(1);
    var g = Graph.builder("fail-fast")
        .options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Node<String> running = g.node("running")
        .fallbackWith(failure -> "fallback #" + fallbacks.incrementAndGet())
        .call(() -> {
          started.countDown();
          NEVER.await();
          return "unreachable";
        });
    var unstarted = g.node("unstarted")
        .fallbackWith(failure -> "fallback #" + fallbacks.incrementAndGet())
        .call(running, r -> r);
    g.task("bomb", () -> {
      started.await();
      throw new IllegalStateException("bomb");
    });
    var graph = g.build();

    var result = graph.runAsync(Inputs.empty()).get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(running));
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(unstarted));
    assertEquals(0, fallbacks.get());
  }

  @Test
  void nodeRescuedByItsFallback_doesNotFailAFailFastRun() {
    var g = Graph.builder("rescued")
        .options(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Node<String> promo = g.node("promo").fallback("none")
        .call(() -> throwing(new IOException("down")));
    var later = g.task("later", promo, p -> p + ", then later");
    var graph = g.build();

    var result = run(graph);

    assertEquals("none, then later", result.get(later));
    assertTrue(result.succeeded());
  }

  @Test
  void fallbackOnAForwardDeclaredNode_keepsItsDeclaredType() {
    var g = Graph.builder("forward");
    Node<String> promo = g.declare("promo");
    NodeBuilder<String> builder = g.node(promo).fallback("none"); // compiles: still a String node
    Node<String> defined = builder.timeout(Duration.ofSeconds(10))
        .call(() -> throwing(new IOException("down")));
    var graph = g.build();

    assertSame(promo, defined, "defining a forward declaration returns its handle");
    assertEquals("none", run(graph).get(promo));
  }

  record Cart(String id) {}

  record Promo(String code) {
    static final Promo NONE = new Promo("-");
  }

  static Promo bestPromo(Cart cart) throws IOException {
    throw new IOException("promotions for " + cart.id() + ": connection refused");
  }

  /** The spelling of issue 10: the fallback's type narrows a new node's builder. */
  @Test
  void fallbackOnANewNode_typesItsBuilder_soAMethodReferenceBodyChecks() {
    var g = Graph.builder("typed");
    var cartId = g.input("cartId", String.class);
    Node<Cart> cart = g.task("cart", cartId, Cart::new);
    NodeBuilder<Promo> typed = g.node("promo").fallback(Promo.NONE); // compiles: narrowed
    Node<Promo> promo = typed.call(cart, FallbackTest::bestPromo);
    Node<String> code = g.task("code", promo, Promo::code);
    var graph = g.build();

    var result = graph.run(Inputs.of(cartId, "c1"), o -> o.withExecutor(CALLER_RUNS));

    assertSame(Promo.NONE, result.get(promo));
    assertEquals("-", result.get(code));
  }

  @Test
  void fallbackWithOnANewNode_typesItsBuilderByTheFunctionsResult() {
    var g = Graph.builder("typed-with");
    NodeBuilder<Promo> typed = g.node("promo")
        .fallbackWith(failure -> new Promo("after " + failure.getMessage()));
    Node<Promo> promo = typed.call(() -> bestPromo(new Cart("c2")));
    var graph = g.build();

    assertEquals(new Promo("after promotions for c2: connection refused"), run(graph).get(promo));
  }

  /**
   * The narrowing is what makes a wrong body a compile error: after {@code fallback(Promo.NONE)}
   * a body that returns a String does not compile, while one that returns a Promo does.
   */
  @Test
  void bodyOfAnotherTypeThanTheFallback_doesNotCompile(@TempDir Path dir) throws Exception {
    var template = """
        import dev.weft.*;
        class Snippet {
          record Promo(String code) {}
          static void declare(GraphBuilder g) {
            g.node("promo").fallback(new Promo("-")).call(() -> BODY);
          }
        }
        """;

    assertEquals(List.of(), compile(dir, template.replace("BODY", "new Promo(\"x\")")),
        "a body of the fallback's type should compile");
    var errors = compile(dir, template.replace("BODY", "\"not a promo\""));
    assertEquals(1, errors.size(), () -> "expected one error, got " + errors);
    assertTrue(errors.get(0).startsWith("Snippet.java:5:"), "the error should be the body's: "
        + errors);
  }

  /** {@return the errors javac reports for {@code source}, one line each, raw} */
  private static List<String> compile(Path dir, String source) throws Exception {
    var file = dir.resolve("Snippet.java");
    Files.writeString(file, source);
    var weft = Path.of(Graph.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    var javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
    var process = new ProcessBuilder(javac, "-XDrawDiagnostics", "-cp", weft.toString(), "-d",
        dir.toString(), file.getFileName().toString()).directory(dir.toFile())
        .redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, SECONDS), "javac did not finish in 60 s");
    return output.lines().filter(line -> line.contains(": compiler.err.")).toList();
  }

  // ---- misuse ----

  @Test
  void secondFallbackOnOneNodeBuilder_isRefused_andTheFirstStays() {
    var g = Graph.builder("twice");
    var builder = g.node("promo").fallback("first");

    assertInvalid("node 'promo' of graph 'twice' already has a fallback",
        () -> builder.fallbackWith(failure -> "second"));
    assertInvalid("node 'promo' of graph 'twice' already has a fallback",
        () -> builder.fallback("third"));
    Node<String> promo = builder.call(() -> throwing(new IOException("down")));
    assertEquals("first", run(g.build()).get(promo));
  }

  @Test
  void nodeBuilderWithAFallback_afterBuild_isRefusedAtCall() {
    var g = Graph.builder("built");
    var builder = g.node("promo");
    g.build();

    var e = assertThrows(IllegalStateException.class,
        () -> builder.fallback("y").call(() -> "x"));
    assertTrue(e.getMessage().contains("already built"), e.getMessage());
  }

  @Test
  void nullFunction_isRefusedNamingTheParameter() {
    var g = Graph.builder("nulls");

    var fn = assertThrows(NullPointerException.class, () -> g.node("promo").fallbackWith(null));
    assertEquals("fn", fn.getMessage());
  }

  /** The spelling of ParSeq's recover(Type, fn) and Failsafe's handle(Type): rethrow the rest. */
  @Test
  void typeFilteredFallbackThatRethrows_failsWithTheOriginalFailure() {
    var original = new IllegalStateException("not an IOException");
    var g = Graph.builder("type-filtered");
    Node<String> quote = g.node("quote").retry(RetryPolicy.fixed(2, Duration.ZERO))
        .fallbackWith(failure -> {
          if (failure instanceof IOException) {
            return "cached quote";
          }
          throw (Exception) failure;
        })
        .call(() -> throwing(original));
    var graph = g.build();

    var outcome = run(graph).outcome(quote);

    var failed = assertInstanceOf(Outcome.Failed.class, outcome);
    assertSame(original, failed.error(), () -> "the node failed with " + failed.error());
    assertEquals(0, original.getSuppressed().length,
        "the same exception, thrown by both attempts and rethrown, suppresses nothing");
  }

  @Test
  void fallbackThrowingOneSharedException_doesNotGrowIt_runAfterRun() {
    var shared = new IllegalStateException("pricing is off today");
    var g = Graph.builder("shared-exception");
    Node<String> quote = g.node("quote")
        .fallbackWith(failure -> {
          throw shared;
        })
        .call(() -> throwing(new IOException("fresh each run")));
    var graph = g.build();

    for (int i = 0; i < 100; i++) {
      assertSame(shared, ((Outcome.Failed<?>) run(graph).outcome(quote)).error());
    }
    assertTrue(shared.getSuppressed().length <= 16,
        "suppressed exceptions kept piling up: " + shared.getSuppressed().length);
  }

  private static void assertInvalid(String message, Executable call) {
    var e = assertThrows(InvalidGraphException.class, call);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
