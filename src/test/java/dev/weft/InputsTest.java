package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Binding {@link Inputs} to a run: refused before any task starts, or read back by tasks. */
class InputsTest {
  /** A graph with two inputs and one task that counts its runs; tasks go through a counter. */
  private static final class Fixture {
    final AtomicInteger taskRuns = new AtomicInteger();
    final AtomicInteger submissions = new AtomicInteger();
    final Input<Long> id;
    final Input<String> locale;
    final Node<String> task;
    final Graph graph;

    Fixture(Executor executor) {
      var g = Graph.builder("g");
      id = g.input("id", Long.class);
      locale = g.input("locale", String.class);
      var root = g.task("root", () -> taskRuns.incrementAndGet());
      task = g.task("task", id, locale, root, (i, l, r) -> {
        taskRuns.incrementAndGet();
        return l + ":" + i;
      });
      g.options(RunOptions.defaults().withExecutor(command -> {
        submissions.incrementAndGet();
        executor.execute(command);
      }));
      graph = g.build();
    }

    /** Runs with {@code inputs}, expecting a refusal before any task was handed to an executor. */
    IllegalArgumentException refused(Inputs inputs) {
      var e = assertThrows(IllegalArgumentException.class, () -> graph.run(inputs));
      var async = assertThrows(IllegalArgumentException.class, () -> graph.runAsync(inputs));
      assertEquals(e.getMessage(), async.getMessage());
      assertEquals(0, submissions.get(), "a task was submitted before the inputs were checked");
      assertEquals(0, taskRuns.get(), "a task ran before the inputs were checked");
      return e;
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void missingInput_isRefusedBeforeAnyTaskStarts(Executor executor) {
    var f = new Fixture(executor);

    var e = f.refused(Inputs.of(f.id, 42L));
    assertEquals("graph 'g' needs inputs that are not bound: 'locale'; bind them with "
        + "Inputs.of(...)", e.getMessage());
    var both = f.refused(Inputs.empty());
    assertEquals("graph 'g' needs inputs that are not bound: 'id', 'locale'; bind them with "
        + "Inputs.of(...)", both.getMessage(), "every missing input is named");

    assertEquals("en:42", f.graph.run(Inputs.of(f.id, 42L, f.locale, "en")).get(f.task));
    assertEquals(2, f.taskRuns.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void inputOfAnotherGraph_isRefusedBeforeAnyTaskStarts(Executor executor) {
    var f = new Fixture(executor);
    var other = Graph.builder("other");
    var foreignId = other.input("id", Long.class);

    var e = f.refused(Inputs.of(foreignId, 42L));
    assertEquals("input 'id' belongs to graph 'other', not to graph 'g'", e.getMessage());
    var extra = f.refused(Inputs.of(f.id, 1L, f.locale, "en").and(foreignId, 2L));
    assertEquals("input 'id' belongs to graph 'other', not to graph 'g'", extra.getMessage());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void valueOfWrongType_viaRawOrUncheckedCast_isRefusedBeforeAnyTaskStarts(Executor executor) {
    var f = new Fixture(executor);
    Input<Object> rawId = (Input) f.id;
    var e = f.refused(Inputs.of(rawId, "42").and(f.locale, "en"));
    assertEquals("input 'id' of graph 'g' must be an instance of java.lang.Long, not of "
        + "java.lang.String",
        e.getMessage());

    Input<Object> uncheckedLocale = (Input<Object>) (Input<?>) f.locale;
    var second = f.refused(Inputs.of(f.id, 42L).and(uncheckedLocale, 7));
    assertEquals("input 'locale' of graph 'g' must be an instance of java.lang.String, not of "
        + "java.lang.Integer", second.getMessage());
  }

  @Test
  void valueOfSubtype_isAccepted() {
    var g = Graph.builder("g");
    var number = g.input("number", Number.class);
    var doubled = g.task("doubled", number, n -> n.doubleValue() * 2);

    assertEquals(5.0, g.build().run(Inputs.of(number, 2.5f)).get(doubled));
  }

  /** {@code int.class} types the handle as {@code Input<Integer>}, so an Integer must bind. */
  @Test
  void primitiveClassInput_acceptsItsBoxedValue() {
    var g = Graph.builder("g");
    Input<Integer> count = g.input("count", int.class);
    var next = g.task("next", count, c -> c + 1);
    var graph = g.build();

    assertEquals(42, graph.run(Inputs.of(count, 41)).get(next));
  }

  @Test
  void bindingTheSameInputTwice_isRefused() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);

    var e = assertThrows(IllegalArgumentException.class, () -> Inputs.of(id, 1L).and(id, 2L));
    assertEquals("input 'id' is already bound", e.getMessage());
    var pair = assertThrows(IllegalArgumentException.class, () -> Inputs.of(id, 1L, id, 1L));
    assertEquals("input 'id' is already bound", pair.getMessage());
  }

  @Test
  void nullValue_isRefusedWhenBound() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);

    var e = assertThrows(NullPointerException.class, () -> Inputs.of(id, null));
    assertEquals("value of input 'id'", e.getMessage());
  }

  @Test
  void inputsAreImmutable_andReturnsACopy() {
    var g = Graph.builder("g");
    var a = g.input("a", Integer.class);
    var b = g.input("b", String.class);
    var one = Inputs.of(a, 1);
    var two = one.and(b, "x");

    assertEquals(1, one.size());
    assertEquals(2, two.size());
    assertEquals("Inputs{a=1}", one.toString());
    assertEquals("Inputs{a=1, b=x}", two.toString());
    assertEquals(0, Inputs.empty().size());
    assertEquals("Inputs{}", Inputs.empty().toString());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void emptyInputs_runAGraphWithoutInputs(Executor executor) {
    var g = Graph.builder("g");
    var one = g.task("one", () -> 1);
    var two = g.task("two", one, x -> x + 1);
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));
    assertEquals(2, result.get(two));
    assertTrue(result.succeeded());
  }

  @Test
  void emptyGraph_runsWithEmptyInputs() {
    var graph = Graph.builder("empty").build();

    var result = graph.run(Inputs.empty());
    assertTrue(result.succeeded());
    assertEquals("empty", result.graph());
    assertEquals(List.of(), result.failures());
  }

  @Test
  void genericUntypedInput_carriesItsValueToTasks() {
    var g = Graph.builder("g");
    Input<List<Long>> ids = g.input("ids");
    Input<Optional<String>> filter = g.input("filter");
    var total = g.task("total", ids, filter,
        (list, f) -> f.orElse("sum") + "=" + list.stream().mapToLong(Long::longValue).sum());
    var graph = g.build();

    var result = graph.run(Inputs.of(ids, List.of(1L, 2L, 3L), filter, Optional.empty()));
    assertEquals("sum=6", result.get(total));
    assertEquals(List.of(1L, 2L, 3L), result.get(ids));
  }

  @Test
  void inputValue_isReadableFromRunResult() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);
    var listing = new Object();
    var payload = g.input("payload", Object.class);
    var graph = g.build();

    var result = graph.run(Inputs.of(id, 42L, payload, listing));
    assertEquals(42L, result.get(id));
    assertSame(listing, result.get(payload));
    assertEquals(new Outcome.Succeeded<>("id", 42L), result.outcome(id));
    assertTrue(result.succeeded());
  }

  @Test
  void eachRun_seesItsOwnInputs() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);
    var doubled = g.task("doubled", id, x -> x * 2);
    var graph = g.build();

    for (long i = 0; i < 50; i++) {
      var result = graph.run(Inputs.of(id, i));
      assertEquals(i, result.get(id));
      assertEquals(2 * i, result.get(doubled));
    }
  }

  // ---- a graph's declared inputs ----

  @Test
  void graphInputs_listEveryInputInDeclarationOrder_withItsNameAndType() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);
    g.task("early", () -> 1);
    var count = g.input("count", int.class);
    Input<List<String>> tags = g.input("tags");
    var graph = g.build();

    assertEquals(List.of(id, count, tags), graph.inputs());
    assertEquals(List.of("id", "count", "tags"),
        graph.inputs().stream().map(Input::name).toList());
    assertEquals(List.of(Long.class, Integer.class, Object.class),
        graph.inputs().stream().map(Input::type).toList(),
        "declared class, a primitive as its wrapper, Object when declared without a class");
    assertThrows(UnsupportedOperationException.class, () -> graph.inputs().clear());
  }

  @Test
  void graphWithoutInputs_listsNone() {
    var g = Graph.builder("g");
    g.task("only", () -> 1);

    assertEquals(List.of(), g.build().inputs());
  }

  /** What {@link Graph#inputs()} is for: binding a graph's inputs knowing only the graph. */
  @Test
  void everyInputOfAGraph_canBeBoundByName_fromAMap() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);
    var locale = g.input("locale", String.class);
    var page = g.task("page", id, locale, (i, l) -> l + ":" + i);
    var graph = g.build();
    Map<String, Object> request = Map.of("locale", "fr", "id", 42L);

    var inputs = Inputs.empty();
    for (Input<?> input : graph.inputs()) {
      inputs = bind(inputs, input, request.get(input.name()));
    }

    assertEquals("fr:42", graph.run(inputs).get(page));
    var wrong = Map.<String, Object>of("locale", "fr", "id", "42");
    var e = assertThrows(ClassCastException.class,
        () -> bind(Inputs.empty(), graph.inputs().get(0), wrong.get("id")));
    assertTrue(e.getMessage().contains("java.lang.Long"), e.getMessage());
  }

  @SuppressWarnings("unchecked") // safe: type() has checked the value, as the run does
  private static <T> Inputs bind(Inputs inputs, Input<T> input, Object value) {
    return inputs.and(input, (T) input.type().cast(value));
  }
}
