package dev.weft;

import static dev.weft.testing.Events.all;
import static dev.weft.testing.Events.assertWellFormed;
import static dev.weft.testing.Events.of;
import static dev.weft.testing.Events.only;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.RunEvent.NodeEnded;
import dev.weft.RunEvent.NodeReady;
import dev.weft.RunEvent.NodeRetried;
import dev.weft.RunEvent.NodeStarted;
import dev.weft.RunEvent.RunEnded;
import dev.weft.RunEvent.RunStarted;
import dev.weft.testing.Events.Recorder;
import dev.weft.testing.Executors;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RunListener}s: registered per graph and per run, called in order, one event stream per
 * run; a listener that throws disturbs neither the run nor the other listeners, and is reported.
 */
class RunListenerTest {
  private static final String ALL = "dev.weft.testing.Executors#all";

  private static Graph build(GraphBuilder g, Executor executor, RunListener... listeners) {
    var options = RunOptions.defaults().withExecutor(executor);
    for (var listener : listeners) {
      options = options.withListener(listener);
    }
    return g.options(options).build();
  }

  private static <T> T failWith(Exception e) throws Exception {
    throw e;
  }

  // ---- where listeners are registered ----

  @ParameterizedTest
  @MethodSource(ALL)
  void graphAndRunListeners_allReceiveEveryEvent_inTheOrderTheyWereAdded(Executor executor) {
    var deliveries = new IdentityHashMap<RunEvent, List<String>>();
    var g = Graph.builder("listeners");
    Node<String> a = g.task("a", () -> "a");
    g.task("b", a, s -> s + "b");
    g.node("c").retry(RetryPolicy.fixed(2, Duration.ZERO)).call(List.of(), ctx -> {
      if (ctx.attempt() == 1) {
        throw new IOException("once");
      }
      return "c";
    });
    var graph = build(g, executor, named("graph-1", deliveries), named("graph-2", deliveries));
    var recorder = new Recorder();

    var result = graph.run(Inputs.empty(), o -> o
        .withListener(named("run-3", deliveries)).withListener(recorder));

    var events = recorder.events();
    assertWellFormed(events, result, Map.of("b", List.of("a")));
    assertEquals(events.size(), deliveries.size(), "every event reaches every listener");
    for (var e : events) {
      assertEquals(List.of("graph-1", "graph-2", "run-3"), deliveries.get(e), e.toString());
    }
  }

  private static RunListener named(String name, Map<RunEvent, List<String>> deliveries) {
    return event -> {
      synchronized (deliveries) {
        deliveries.computeIfAbsent(event, k -> new ArrayList<>()).add(name);
      }
    };
  }

  @Test
  void runOptions_replaceTheGraphsListeners() {
    var graphListener = new Recorder();
    var runListener = new Recorder();
    var g = Graph.builder("replaced");
    g.task("a", () -> "a");
    var graph = build(g, Executors.callerRuns(), graphListener);

    var own = graph.run(Inputs.empty(), o -> RunOptions.defaults().withListener(runListener));
    var none = graph.run(Inputs.empty(), o -> o.withoutListeners());
    var graphs = graph.run(Inputs.empty());

    assertWellFormed(runListener.events(), own, Map.of());
    assertWellFormed(graphListener.events(), graphs, Map.of());
    assertTrue(graphListener.events().stream().allMatch(e -> e.runId() == graphs.runId()),
        "the graph's listener hears only runs with the graph's options");
    assertTrue(runListener.events().stream().allMatch(e -> e.runId() == own.runId()));
    assertNotEquals(none.runId(), own.runId());
  }

  @Test
  void concurrentRuns_eachGetsItsOwnWellFormedEvents() throws Exception {
    var recorder = new Recorder();
    var g = Graph.builder("concurrent");
    Input<Integer> n = g.input("n", Integer.class);
    Node<Integer> a = g.task("a", n, x -> x + 1);
    Node<Integer> b = g.task("b", n, x -> x * 2);
    g.task("c", a, b, Integer::sum);
    var graph = build(g, Executors.virtual(), recorder);

    var futures = new ArrayList<CompletableFuture<RunResult>>();
    for (int i = 0; i < 16; i++) {
      futures.add(graph.runAsync(Inputs.of(n, i)));
    }
    var results = new ArrayList<RunResult>();
    for (var f : futures) {
      results.add(f.get(10, SECONDS));
    }

    var events = recorder.events();
    var ids = new HashSet<Long>();
    for (var result : results) {
      assertTrue(ids.add(result.runId()), "run ids are unique");
      assertWellFormed(events.stream().filter(e -> e.runId() == result.runId()).toList(), result,
          Map.of("c", List.of("a", "b")));
    }
    assertEquals(16 * 11, events.size(), "2 run events + 3 x (ready, started, ended) per run");
  }

  // ---- listeners that throw ----

  private static final List<Class<? extends RunEvent>> KINDS = List.of(RunStarted.class,
      NodeReady.class, NodeStarted.class, NodeRetried.class, NodeEnded.class, RunEnded.class);

  static Stream<Arguments> throwingListeners() {
    var cases = new ArrayList<Arguments>();
    var executors = Executors.all().toList();
    for (var executor : executors) {
      cases.add(Arguments.of(executor, Named.<Predicate<RunEvent>>of("every event", e -> true),
          Named.of("RuntimeException", true)));
      cases.add(Arguments.of(executor, Named.<Predicate<RunEvent>>of("every event", e -> true),
          Named.of("Error", false)));
      for (var kind : KINDS) {
        cases.add(Arguments.of(executor,
            Named.<Predicate<RunEvent>>of(kind.getSimpleName(), kind::isInstance),
            Named.of("RuntimeException", true)));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}: throws {2} on {1}")
  @MethodSource("throwingListeners")
  void throwingListener_doesNotDisturbTheRunOrOtherListeners_andIsReported(Executor executor,
      Predicate<RunEvent> throwsOn, boolean runtime) {
    var thrown = Collections.synchronizedList(new ArrayList<Throwable>());
    RunListener thrower = event -> {
      if (throwsOn.test(event)) {
        Throwable t = runtime ? new IllegalStateException("listener bug on " + event)
            : new AssertionError("listener error on " + event);
        thrown.add(t);
        if (t instanceof RuntimeException r) {
          throw r;
        }
        throw (Error) t;
      }
    };
    var boom = new IOException("boom");
    var g = Graph.builder("throwing-listener");
    Node<String> a = g.task("a", () -> "a");
    Node<String> b = g.task("b", a, s -> s + "b");
    Node<String> flaky = g.node("flaky").retry(RetryPolicy.fixed(2, Duration.ZERO))
        .call(List.of(), ctx -> ctx.attempt() == 1 ? failWith(new IOException("once")) : "ok");
    Node<String> failing = g.task("failing", () -> failWith(boom));
    Node<String> skipped = g.task("skipped", failing, s -> s);
    var before = new Recorder();
    var after = new Recorder();
    var graph = build(g, executor, before, thrower, after);

    var result = graph.run(Inputs.empty());

    assertEquals("ab", result.get(b));
    assertEquals("ok", result.get(flaky));
    assertEquals(new Outcome.Failed<>("failing", boom), result.outcome(failing));
    assertEquals(new Outcome.Skipped<>("skipped", "failing", boom), result.outcome(skipped));
    var deps = Map.of("b", List.of("a"), "skipped", List.of("failing"));
    assertWellFormed(before.events(), result, deps);
    assertWellFormed(after.events(), result, deps);
    assertEquals(identities(before.events()), identities(after.events()),
        "the listener after the thrower receives every event too");
    long expected = after.events().stream().filter(throwsOn).count();
    assertTrue(expected > 0, "the case should throw at least once");
    assertEquals(expected, thrown.size());
    var reported = result.listenerFailures();
    assertEquals(thrown.size(), reported.size(), () -> "listenerFailures: " + reported);
    assertEquals(identities(thrown), identities(reported),
        "listenerFailures() holds exactly what the listener threw");
  }

  private static <T> Set<T> identities(List<T> list) {
    var set = Collections.<T>newSetFromMap(new IdentityHashMap<>());
    set.addAll(list);
    return set;
  }

  @ParameterizedTest
  @MethodSource(ALL)
  void runWithoutListeners_runsNormally_andReportsNoListenerFailures(Executor executor) {
    var g = Graph.builder("quiet");
    Node<String> a = g.task("a", () -> "a");
    Node<String> failing = g.task("failing", () -> failWith(new IOException("boom")));
    Node<String> b = g.task("b", a, failing.orElse("-"), (x, y) -> x + y);
    var graph = g.options(RunOptions.defaults().withExecutor(executor)).build();

    var result = graph.run(Inputs.empty());

    assertTrue(graph.options().listeners().isEmpty());
    assertEquals("a-", result.get(b));
    assertEquals(List.of(), result.listenerFailures(), "a task's failure is no listener failure");
    assertEquals(3, result.spans().size());
  }
}
