package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The general task form, {@code g.task(name, List.of(deps...), ctx -> ...)}. */
class TaskContextTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 16, 17, 40})
  void manyDependencies_eachReadsItsOwnValue(int count) {
    var g = Graph.builder("g");
    var base = g.input("base", Integer.class);
    var deps = new ArrayList<Node<Integer>>();
    for (int i = 0; i < count; i++) {
      int offset = i;
      deps.add(g.task("d" + i, base, b -> b + offset));
    }
    var reversed = new ArrayList<>(deps).reversed();
    var values = g.task("values", deps, ctx -> {
      var list = new ArrayList<Integer>();
      // Read out of declaration order, so a lookup cannot get by on position alone.
      for (var dep : reversed) {
        list.add(ctx.get(dep));
      }
      return list.reversed();
    });
    var graph = g.build();

    var result = graph.run(Inputs.of(base, 1000));
    var expected = new ArrayList<Integer>();
    for (int i = 0; i < count; i++) {
      expected.add(1000 + i);
    }
    assertEquals(expected, result.get(values));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void fortyDependencies_mixingInputsTasksAndFallbacks(Executor executor) {
    var g = Graph.builder("g");
    var base = g.input("base", Integer.class);
    Node<Integer> boom = g.task("boom", () -> {
      throw new IllegalStateException("down");
    });
    var deps = new ArrayList<Dep<?>>();
    var nodes = new ArrayList<Node<Integer>>();
    for (int i = 0; i < 38; i++) {
      int offset = i;
      var node = g.task("d" + i, base, b -> b * 100 + offset);
      nodes.add(node);
      deps.add(node);
    }
    var fallback = boom.orElse(-1);
    deps.add(fallback);
    deps.add(base);
    var sum = g.task("sum", deps, ctx -> {
      int total = ctx.get(base) + ctx.get(fallback);
      for (var node : nodes) {
        total += ctx.get(node);
      }
      return total;
    });
    var graph = g.build();

    var result = graph.run(Inputs.of(base, 2), o -> o.withExecutor(executor));
    int expected = 2 - 1 + 38 * 200 + (37 * 38) / 2;
    assertEquals(expected, result.get(sum));
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 40})
  void getOfUndeclaredNode_failsTheTaskNamingBothNodes(int count) {
    var g = Graph.builder("g");
    var deps = new ArrayList<Node<Integer>>();
    for (int i = 0; i < count; i++) {
      int value = i;
      deps.add(g.task("d" + i, () -> value));
    }
    var stranger = g.task("stranger", () -> 99);
    var reader = g.task("reader", deps, ctx -> ctx.get(stranger));
    var graph = g.build();

    var result = graph.run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(reader));
    var error = assertInstanceOf(IllegalArgumentException.class, failed.error());
    assertTrue(error.getMessage().startsWith(
        "node 'reader' did not declare a dependency on 'stranger'; it declared [d0, d1"),
        error.getMessage());
    assertEquals(99, result.get(stranger));
    var thrown = assertThrows(NodeException.class, () -> result.get(reader));
    assertSame(error, thrown.getCause());
    assertEquals("reader", thrown.node());
  }

  @Test
  void getOfNodeFromAnotherGraph_failsTheTask() {
    var other = Graph.builder("other");
    var foreign = other.task("a", () -> "foreign");
    var g = Graph.builder("g");
    var a = g.task("a", () -> "own");
    var reader = g.task("reader", List.of(a), ctx -> ctx.get(foreign));

    var result = g.build().run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(reader));
    var error = assertInstanceOf(IllegalArgumentException.class, failed.error());
    assertEquals("node 'reader' asked for 'a' of graph 'other', not of its own graph 'g'",
        error.getMessage());
  }

  @Test
  void getOfOwnNode_failsTheTask() {
    var g = Graph.builder("g");
    Node<Integer> self = g.declare("self");
    g.node(self).call(List.of(), ctx -> ctx.get(self));

    var result = g.build().run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(self));
    assertEquals("node 'self' did not declare a dependency on 'self'; it declared []",
        failed.error().getMessage());
  }

  @Test
  void getOfAfterOnlyDependency_failsWithClearMessage() {
    var g = Graph.builder("g");
    var first = g.task("first", () -> 1);
    var value = g.task("value", () -> 2);
    var reader = g.node("reader").after(first).call(List.of(value), ctx -> ctx.get(first));

    var result = g.build().run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(reader));
    var error = assertInstanceOf(IllegalArgumentException.class, failed.error());
    assertEquals("node 'reader' declared 'first' with after(), which orders without passing a "
        + "value; list it among the node's dependencies to read it", error.getMessage());
  }

  @Test
  void getOfOptionalAfterOnlyDependency_failsWithClearMessage() {
    var g = Graph.builder("g");
    var first = g.task("first", () -> 1);
    var reader = g.node("reader").after(first.optional())
        .call(List.of(), ctx -> ctx.get(first.optional()));

    var result = g.build().run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(reader));
    assertTrue(failed.error().getMessage().contains("declared 'first' with after()"),
        failed.error().getMessage());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void failedUpstream_readsAsFallbackOrEmpty(Executor executor) {
    var g = Graph.builder("g");
    Node<String> boom = g.task("boom", () -> {
      throw new IllegalStateException("down");
    });
    Node<String> skipped = g.task("skipped", boom, s -> s + "!");
    var boomOrElse = boom.orElse("fallback");
    var boomOptional = boom.optional();
    var skippedOrElse = skipped.orElse("skipped-fallback");
    var nullFallback = skipped.orElse(null);
    var page = g.task("page", List.of(boomOrElse, boomOptional, skippedOrElse, nullFallback),
        ctx -> List.of(ctx.get(boomOrElse), ctx.get(boomOptional), ctx.get(skippedOrElse),
            Optional.ofNullable(ctx.get(nullFallback))));
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));
    assertEquals(List.of("fallback", Optional.empty(), "skipped-fallback", Optional.empty()),
        result.get(page));
    assertInstanceOf(Outcome.Failed.class, result.outcome(boom));
    assertInstanceOf(Outcome.Skipped.class, result.outcome(skipped));
  }

  @Test
  void succeededUpstream_readsAsValueThroughEveryForm() {
    var g = Graph.builder("g");
    var value = g.task("value", () -> "v");
    Node<String> nothing = g.task("nothing", () -> null);
    var orElse = value.orElse("fallback");
    var optional = value.optional();
    var page = g.task("page", List.of(orElse, optional, nothing.optional()),
        ctx -> List.of(ctx.get(orElse), ctx.get(optional), ctx.get(nothing.optional())));

    var result = g.build().run(Inputs.empty());
    assertEquals(List.of("v", Optional.of("v"), Optional.empty()), result.get(page));
  }

  @Test
  void readForm_isTheOnePassedToGet_notTheOneDeclared() {
    var g = Graph.builder("g");
    Node<Integer> boom = g.task("boom", () -> {
      throw new IllegalStateException("down");
    });
    var page = g.task("page", List.of(boom.optional()),
        ctx -> List.of(ctx.get(boom.orElse(7)), ctx.get(boom.optional())));

    var result = g.build().run(Inputs.empty());
    assertEquals(List.of(7, Optional.empty()), result.get(page));
  }

  @Test
  void plainGetOfFailedOptionalDependency_throwsNodeExceptionNamingIt() {
    var g = Graph.builder("g");
    var cause = new IllegalStateException("down");
    Node<Integer> boom = g.task("boom", () -> {
      throw cause;
    });
    var reader = g.task("reader", List.of(boom.optional()), ctx -> ctx.get(boom));

    var result = g.build().run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(reader));
    var error = assertInstanceOf(NodeException.class, failed.error());
    assertEquals("boom", error.node());
    assertSame(cause, error.getCause());
  }

  @Test
  void nullDep_throwsNpeNamingIt() {
    var g = Graph.builder("g");
    var reader = g.task("reader", List.of(), ctx -> ctx.get(null));

    var result = g.build().run(Inputs.empty());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(reader));
    var error = assertInstanceOf(NullPointerException.class, failed.error());
    assertEquals("dep", error.getMessage());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void context_namesItsNodeGraphAndRun(Executor executor) {
    var g = Graph.builder("listing-page");
    var seen = new AtomicReference<List<Object>>();
    var ctxRef = new AtomicReference<TaskContext>();
    var who = g.task("who", List.of(), ctx -> {
      ctxRef.set(ctx);
      seen.set(List.of(ctx.node(), ctx.graph(), ctx.runId()));
      return ctx.runId();
    });
    var graph = g.build();
    var options = graph.options().withExecutor(executor);

    var first = graph.run(Inputs.empty(), o -> options);
    assertEquals(List.of("who", "listing-page", first.runId()), seen.get());
    assertEquals(first.runId(), first.get(who));
    assertEquals("TaskContext[node=who, graph=listing-page, run=" + first.runId() + "]",
        ctxRef.get().toString());
    var second = graph.run(Inputs.empty(), o -> options);
    assertEquals(second.runId(), second.get(who));
    assertNotEquals(first.runId(), second.runId());
  }

  @Test
  void context_isUsableFromAThreadTheTaskHandsItTo() throws Exception {
    var g = Graph.builder("g");
    var value = g.task("value", () -> 21);
    var handedOver = new CountDownLatch(1);
    var doubled = g.task("doubled", List.of(value), ctx -> {
      var future = CompletableFuture.supplyAsync(() -> {
        handedOver.countDown();
        return ctx.get(value) * 2;
      });
      return future.get(10, SECONDS);
    });

    var result = g.build().run(Inputs.empty());
    assertTrue(handedOver.await(10, SECONDS), "the task never handed its context over");
    assertEquals(42, result.get(doubled));
  }

  @Test
  void sameNodeListedTwice_readsItsValue() {
    var g = Graph.builder("g");
    var value = g.task("value", () -> 5);
    var twice = g.task("twice", List.of(value, value.orElse(0)),
        ctx -> ctx.get(value) + ctx.get(value.orElse(0)));

    assertEquals(10, g.build().run(Inputs.empty()).get(twice));
  }

  @Test
  void nullValueOfPlainDependency_isReadAsNull() {
    var g = Graph.builder("g");
    Node<String> nothing = g.task("nothing", () -> null);
    var reader = g.task("reader", List.of(nothing), ctx -> Optional.ofNullable(ctx.get(nothing)));

    var result = g.build().run(Inputs.empty());
    assertEquals(Optional.empty(), result.get(reader));
    assertNull(result.get(nothing));
  }
  // ---- TaskContext.current(): the context in every task form ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void current_givesTypedTasksTheirContext_onEveryExecutor(Executor executor) {
    var g = Graph.builder("typed-context");
    Input<Integer> in = g.input("in", Integer.class);
    Node<String> plain = g.task("plain", in, x -> TaskContext.current().node() + x);
    Node<String> inline = g.node("inline").inline()
        .call(plain, p -> p + "/" + TaskContext.current().node());
    var flaky = new java.util.concurrent.atomic.AtomicInteger();
    Node<Integer> retried = g.node("retried")
        .retry(RetryPolicy.fixed(3, java.time.Duration.ZERO))
        .timeout(java.time.Duration.ofSeconds(30)).call(() -> {
          var ctx = TaskContext.current();
          if (flaky.incrementAndGet() < 2) {
            throw new java.io.IOException("first attempt");
          }
          assertTrue(ctx.remaining().compareTo(java.time.Duration.ofSeconds(30)) <= 0);
          return ctx.attempt();
        });
    var graph = g.build();

    var result = graph.run(Inputs.of(in, 7), o -> o.withExecutor(executor));

    assertEquals("plain7", result.get(plain));
    assertEquals("plain7/inline", result.get(inline));
    assertEquals(2, result.get(retried), "the context tells the attempt");
  }

  @Test
  void current_outsideATask_throwsSayingWhere() {
    var e = assertThrows(IllegalStateException.class, TaskContext::current);
    assertTrue(e.getMessage().contains("outside a Weft task"), e.getMessage());
  }

  @Test
  void current_inATaskThatRunsAnotherGraphOnItsThread_isItsOwnAgainAfterThat() {
    var inner = Graph.builder("inner");
    Node<String> innerNode = inner.node("innerNode").inline()
        .call(() -> TaskContext.current().graph() + ":" + TaskContext.current().node());
    var innerGraph = inner.build();
    var g = Graph.builder("outer");
    Node<String> outer = g.task("outerNode", () -> {
      var nested = innerGraph.run(Inputs.empty()).get(innerNode);
      return nested + " then " + TaskContext.current().graph() + ":"
          + TaskContext.current().node();
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(Runnable::run));

    assertEquals("inner:innerNode then outer:outerNode", result.get(outer));
  }
  /** Many concurrent tasks, so some share a slot of the engine's table: each finds its own. */
  @Test
  void current_inManyConcurrentTasks_isEachTasksOwn() {
    int width = 10_000;
    var g = Graph.builder("wide-context");
    var started = new java.util.concurrent.CountDownLatch(width);
    var nodes = new ArrayList<Node<Boolean>>();
    for (int i = 0; i < width; i++) {
      var name = "t" + i;
      nodes.add(g.task(name, () -> {
        started.countDown();
        started.await(10, SECONDS); // all at once: their threads collide in the table
        return TaskContext.current().node().equals(name);
      }));
    }
    var result = g.build().run(Inputs.empty());

    for (var node : nodes) {
      assertTrue(result.get(node), node.name());
    }
  }
}
