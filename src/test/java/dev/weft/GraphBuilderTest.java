package dev.weft;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Declaration- and build-time validation of {@link GraphBuilder} and {@link NodeBuilder}. */
class GraphBuilderTest {
  private static final String LEGEND = " (x -> y: y depends on x)";
  private static final Executor CALLER_RUNS = Runnable::run;

  // ---- cycles ----

  @Test
  void selfLoop_isReportedAsCycleOfOne() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");
    g.node(a).call(a, x -> x);

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertEquals("graph 'g' has a cycle: a -> a" + LEGEND, e.getMessage());
    assertEquals(List.of("a", "a"), e.nodes());
    assertEquals("g", e.graph());
  }

  @Test
  void cycleOfTwo_namesItsPath() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");
    var b = g.task("b", a, x -> x);
    g.node(a).call(b, x -> x);

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertEquals("graph 'g' has a cycle: a -> b -> a" + LEGEND, e.getMessage());
    assertEquals(List.of("a", "b", "a"), e.nodes());
  }

  @Test
  void cycleOfThree_namesItsPathInDataFlowOrder() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");
    var b = g.task("b", a, x -> x);
    var c = g.task("c", b, x -> x);
    g.node(a).call(c, x -> x);

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertTrue(e.getMessage().contains("a -> b -> c -> a"), e.getMessage());
    assertEquals("graph 'g' has a cycle: a -> b -> c -> a" + LEGEND, e.getMessage());
    assertEquals(List.of("a", "b", "c", "a"), e.nodes());
    assertEquals("g", e.graph());
  }

  @Test
  void cycleThroughOrderingOnlyEdge_isReported() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");
    var b = g.task("b", a, x -> x);
    g.node(a).after(b).call(() -> 1);

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertEquals(List.of("a", "b", "a"), e.nodes());
  }

  @Test
  void longCycle_namesEveryNodeOnItOnce() {
    int n = 1_000;
    var e = assertThrows(InvalidGraphException.class, () -> ring(n).build());
    assertPath(ringPath(n), e.nodes());
    assertTrue(e.getMessage().startsWith("graph 'ring' has a cycle: n0 -> n1 -> n2 -> "),
        e.getMessage().substring(0, 80));
    assertTrue(e.getMessage().endsWith(" -> n998 -> n999 -> n0" + LEGEND));
  }

  @Test
  void hundredThousandNodeCycle_isReportedWithoutStackOverflow() {
    int n = 100_000;
    var g = ring(n);
    var e = assertThrows(InvalidGraphException.class, g::build);
    assertEquals(n + 1, e.nodes().size());
    assertPath(ringPath(n), e.nodes());
  }

  @Test
  void cycleBehindAcyclicPrefix_pathHoldsOnlyTheCycle() {
    var g = Graph.builder("g");
    // Declared first, so a walk from the smallest unordered vertex starts off the cycle.
    Node<Integer> downstream = g.declare("downstream");
    Node<Integer> p = g.declare("p");
    Node<Integer> q = g.declare("q");
    var root = g.task("root", () -> 1);
    var tail = g.task("tail", downstream, x -> x);
    g.node(downstream).call(p, x -> x);
    g.node(p).call(q, root, (x, y) -> x + y);
    g.node(q).call(p, x -> x);
    g.task("independent", root, x -> x);

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertEquals(List.of("p", "q", "p"), e.nodes());
    assertEquals("graph 'g' has a cycle: p -> q -> p" + LEGEND, e.getMessage());
    for (var offCycle : List.of(downstream.name(), tail.name(), root.name(), "independent")) {
      assertFalse(e.getMessage().contains(offCycle), offCycle + " is not on the cycle");
    }
  }

  @Test
  void hundredThousandNodeChain_buildsAndRunsWithoutStackOverflow() {
    int n = 100_000;
    var g = Graph.builder("chain");
    var start = g.input("start", Integer.class);
    Node<Integer> last = g.task("n0", start, x -> x + 1);
    for (int i = 1; i < n; i++) {
      last = g.task("n" + i, last, x -> x + 1);
    }
    var graph = g.build();

    var result = graph.run(Inputs.of(start, 0), o -> o.withExecutor(CALLER_RUNS));
    assertEquals(n, result.get(last));
    assertTrue(result.succeeded());
  }

  // ---- undefined, redefined, duplicate and foreign nodes ----

  @Test
  void declaredButUndefinedNodes_areAllListedAtBuild() {
    var g = Graph.builder("g");
    Node<Integer> x = g.declare("x");
    g.task("uses-x", x, v -> v);
    g.<String>declare("y");
    g.task("defined", () -> 1);
    g.node("z"); // a builder never completed with call(...) declares nothing

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertEquals("graph 'g' has nodes declared but never defined: 'x', 'y'",
        e.getMessage());
    assertEquals(List.of("x", "y"), e.nodes());
    assertEquals("g", e.graph());
  }

  @Test
  void definingDeclaredNodeTwice_failsAtSecondDefinition() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");
    g.node(a).call(() -> 1);

    var e = assertThrows(InvalidGraphException.class, () -> g.node(a));
    assertEquals("node 'a' of graph 'g' is already defined", e.getMessage());
    assertEquals(List.of("a"), e.nodes());
    assertEquals("g", e.graph());
  }

  @Test
  void callingTheSameNodeBuilderTwice_fails() {
    var g = Graph.builder("g");
    var builder = g.node("a");
    builder.call(() -> 1);

    var e = assertThrows(InvalidGraphException.class, () -> builder.call(() -> 2));
    assertEquals("node 'a' of graph 'g' is already defined", e.getMessage());
    assertEquals(List.of("a"), e.nodes());
  }

  @Test
  void twoBuildersForOneDeclaration_secondCallFails() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");
    var first = g.node(a);
    var second = g.node(a);
    first.call(() -> 1);

    var e = assertThrows(InvalidGraphException.class, () -> second.call(() -> 2));
    assertEquals("node 'a' of graph 'g' is already defined", e.getMessage());
    assertEquals(1, g.build().run(Inputs.empty()).get(a));
  }

  @Test
  void definingAnInputAsATask_fails() {
    var g = Graph.builder("g");
    var id = g.input("id", Long.class);

    var e = assertThrows(InvalidGraphException.class, () -> g.node(id));
    assertEquals("'id' is an input of graph 'g'; inputs are bound per run, not defined",
        e.getMessage());
    assertEquals(List.of("id"), e.nodes());
  }

  @Test
  void duplicateNodeName_failsWhenDeclared() {
    var g = Graph.builder("g");
    g.task("price", () -> 1);

    var e = assertThrows(InvalidGraphException.class, () -> g.task("price", () -> 2));
    assertEquals("graph 'g' already has a node named 'price'", e.getMessage());
    assertEquals(List.of("price"), e.nodes());
    assertEquals("g", e.graph());
    var declared = assertThrows(InvalidGraphException.class, () -> g.declare("price"));
    assertEquals("graph 'g' already has a node named 'price'", declared.getMessage());
  }

  @Test
  void taskNamedLikeADeclaration_isADuplicate_notItsDefinition() {
    var g = Graph.builder("g");
    Node<Integer> a = g.declare("a");

    var e = assertThrows(InvalidGraphException.class, () -> g.task("a", () -> 1));
    assertEquals("graph 'g' already has a node named 'a'", e.getMessage());
    g.node(a).call(() -> 2);
    assertEquals(2, g.build().run(Inputs.empty()).get(a));
  }

  @Test
  void nodeNamedLikeAnInput_fails() {
    var g = Graph.builder("g");
    g.input("id", Long.class);

    var e = assertThrows(InvalidGraphException.class, () -> g.task("id", () -> 1L));
    assertEquals("graph 'g' already has an input named 'id'", e.getMessage());
    assertEquals(List.of("id"), e.nodes());
  }

  @Test
  void inputNamedLikeANode_fails() {
    var g = Graph.builder("g");
    g.declare("id");

    var e = assertThrows(InvalidGraphException.class, () -> g.input("id", Long.class));
    assertEquals("graph 'g' already has a node named 'id'", e.getMessage());
    var twice = assertThrows(InvalidGraphException.class, () -> g.input("id"));
    assertEquals(List.of("id"), twice.nodes());
  }

  @Test
  void nodeOfAnotherBuilder_asValueDependency_fails() {
    var other = Graph.builder("other");
    var foreign = other.task("foreign", () -> 1);
    var g = Graph.builder("g");

    var e = assertThrows(InvalidGraphException.class, () -> g.task("t", foreign, x -> x));
    assertEquals("node 'foreign' belongs to graph 'other', not to graph 'g'", e.getMessage());
    assertEquals(List.of("foreign"), e.nodes());
    assertEquals("g", e.graph());
    var viaEdge = assertThrows(InvalidGraphException.class,
        () -> g.task("u", List.of(foreign.orElse(0)), ctx -> 1));
    assertEquals("node 'foreign' belongs to graph 'other', not to graph 'g'",
        viaEdge.getMessage());
  }

  @Test
  void nodeOfAnotherBuilder_inAfter_failsAtOnce() {
    var other = Graph.builder("other");
    var foreign = other.task("foreign", () -> 1);
    var g = Graph.builder("g");
    var builder = g.node("t");

    var e = assertThrows(InvalidGraphException.class, () -> builder.after(foreign.optional()));
    assertEquals("node 'foreign' belongs to graph 'other', not to graph 'g'", e.getMessage());
    assertEquals(List.of("foreign"), e.nodes());
  }

  @Test
  void declarationOfAnotherBuilder_inNodeDeclared_fails() {
    var other = Graph.builder("other");
    Node<Integer> foreign = other.declare("later");
    var g = Graph.builder("g");

    var e = assertThrows(InvalidGraphException.class, () -> g.node(foreign));
    assertEquals("node 'later' belongs to graph 'other', not to graph 'g'", e.getMessage());
    assertEquals(List.of("later"), e.nodes());
    assertEquals("g", e.graph());
  }

  @Test
  void nodeOfAnotherGraph_inRunResult_fails() {
    var other = Graph.builder("other");
    var foreign = other.task("x", () -> 1);
    other.build();
    var g = Graph.builder("g");
    g.task("x", () -> 1);
    var result = g.build().run(Inputs.empty());

    var e = assertThrows(IllegalArgumentException.class, () -> result.get(foreign));
    assertEquals("node 'x' belongs to graph 'other', not to graph 'g'", e.getMessage());
  }

  // ---- nulls ----

  @Test
  void nullArguments_toGraphBuilder_throwNpeNamingTheParameter() {
    var g = Graph.builder("g");
    var a = g.task("a", () -> 1);
    var names = new AtomicInteger();
    // A failed call may leave its node declared; a fresh name per call keeps them independent.
    Callable<String> fresh = () -> "t" + names.incrementAndGet();
    Fn.F1<Integer, Integer> f1 = x -> x;
    Fn.F2<Integer, Integer, Integer> f2 = (x, y) -> x;
    Fn.F3<Integer, Integer, Integer, Integer> f3 = (x, y, z) -> x;
    Fn.F4<Integer, Integer, Integer, Integer, Integer> f4 = (x, y, z, w) -> x;
    Node<Integer> none = null;

    assertAll(
        () -> assertNpe("name", () -> Graph.builder(null)),
        () -> assertNpe("name", () -> g.input(null, Long.class)),
        () -> assertNpe("type", () -> g.input(fresh.call(), null)),
        () -> assertNpe("name", () -> g.input(null)),
        () -> assertNpe("name", () -> g.declare(null)),
        () -> assertNpe("name", () -> g.node((String) null)),
        () -> assertNpe("declared", () -> g.node((Node<?>) null)),
        () -> assertNpe("name", () -> g.task(null, () -> 1)),
        () -> assertNpe("fn", () -> g.task(fresh.call(), (Callable<Integer>) null)),
        () -> assertNpe("name", () -> g.task(null, a, f1)),
        () -> assertNpe("a", () -> g.task(fresh.call(), none, f1)),
        () -> assertNpe("fn", () -> g.task(fresh.call(), a, (Fn.F1<Integer, Integer>) null)),
        () -> assertNpe("a", () -> g.task(fresh.call(), none, a, f2)),
        () -> assertNpe("b", () -> g.task(fresh.call(), a, none, f2)),
        () -> assertNpe("fn", () -> g.task(fresh.call(), a, a,
            (Fn.F2<Integer, Integer, Integer>) null)),
        () -> assertNpe("a", () -> g.task(fresh.call(), none, a, a, f3)),
        () -> assertNpe("b", () -> g.task(fresh.call(), a, none, a, f3)),
        () -> assertNpe("c", () -> g.task(fresh.call(), a, a, none, f3)),
        () -> assertNpe("fn", () -> g.task(fresh.call(), a, a, a,
            (Fn.F3<Integer, Integer, Integer, Integer>) null)),
        () -> assertNpe("a", () -> g.task(fresh.call(), none, a, a, a, f4)),
        () -> assertNpe("b", () -> g.task(fresh.call(), a, none, a, a, f4)),
        () -> assertNpe("c", () -> g.task(fresh.call(), a, a, none, a, f4)),
        () -> assertNpe("d", () -> g.task(fresh.call(), a, a, a, none, f4)),
        () -> assertNpe("fn", () -> g.task(fresh.call(), a, a, a, a,
            (Fn.F4<Integer, Integer, Integer, Integer, Integer>) null)),
        () -> assertNpe("deps", () -> g.task(fresh.call(), (List<Dep<?>>) null, ctx -> 1)),
        () -> assertNpe("deps[]", () -> g.task(fresh.call(), Arrays.asList(a, null),
            ctx -> 1)),
        () -> assertNpe("fn", () -> g.task(fresh.call(), List.of(a), (Fn.N<Integer>) null)),
        () -> assertNpe("options", () -> g.options(null)));
  }

  @Test
  void nullArguments_toNodeBuilder_throwNpeNamingTheParameter() {
    var g = Graph.builder("g");
    var a = g.task("a", () -> 1);
    var names = new AtomicInteger();
    Node<Integer> none = null;
    // Each case gets its own node, so an earlier failure cannot mask a later one.
    var builders = new ArrayList<NodeBuilder<Object>>();
    Callable<NodeBuilder<Object>> fresh = () -> {
      var b = g.node("t" + names.incrementAndGet());
      builders.add(b);
      return b;
    };

    assertAll(
        () -> assertNpe("deps", () -> fresh.call().after((Dep<?>[]) null)),
        () -> assertNpe("deps[]", () -> fresh.call().after(a, null)),
        () -> assertNpe("fn", () -> fresh.call().call((Callable<Integer>) null)),
        () -> assertNpe("a", () -> fresh.call().call(none, x -> x)),
        () -> assertNpe("fn", () -> fresh.call().call(a, (Fn.F1<Integer, Integer>) null)),
        () -> assertNpe("a", () -> fresh.call().call(none, a, (x, y) -> x)),
        () -> assertNpe("b", () -> fresh.call().call(a, none, (x, y) -> x)),
        () -> assertNpe("fn", () -> fresh.call().call(a, a,
            (Fn.F2<Integer, Integer, Integer>) null)),
        () -> assertNpe("a", () -> fresh.call().call(none, a, a, (x, y, z) -> x)),
        () -> assertNpe("b", () -> fresh.call().call(a, none, a, (x, y, z) -> x)),
        () -> assertNpe("c", () -> fresh.call().call(a, a, none, (x, y, z) -> x)),
        () -> assertNpe("fn", () -> fresh.call().call(a, a, a,
            (Fn.F3<Integer, Integer, Integer, Integer>) null)),
        () -> assertNpe("a", () -> fresh.call().call(none, a, a, a, (x, y, z, w) -> x)),
        () -> assertNpe("b", () -> fresh.call().call(a, none, a, a, (x, y, z, w) -> x)),
        () -> assertNpe("c", () -> fresh.call().call(a, a, none, a, (x, y, z, w) -> x)),
        () -> assertNpe("d", () -> fresh.call().call(a, a, a, none, (x, y, z, w) -> x)),
        () -> assertNpe("fn", () -> fresh.call().call(a, a, a, a,
            (Fn.F4<Integer, Integer, Integer, Integer, Integer>) null)),
        () -> assertNpe("deps", () -> fresh.call().call((List<Dep<?>>) null, ctx -> 1)),
        () -> assertNpe("deps[]", () -> fresh.call().call(Arrays.asList(null, a), ctx -> 1)),
        () -> assertNpe("fn", () -> fresh.call().call(List.of(a), (Fn.N<Integer>) null)));
    assertEquals(20, builders.size());
  }

  @Test
  void nullArguments_toInputsAndRun_throwNpeNamingTheParameter() {
    var g = Graph.builder("g");
    var a = g.input("a", Integer.class);
    var b = g.input("b", String.class);
    var graph = g.build();
    var inputs = Inputs.of(a, 1, b, "x");

    assertAll(
        () -> assertNpe("input", () -> Inputs.of(null, 1)),
        () -> assertNpe("value of input 'a'", () -> Inputs.of(a, null)),
        () -> assertNpe("input", () -> Inputs.of(null, 1, b, "x")),
        () -> assertNpe("value of input 'a'", () -> Inputs.of(a, null, b, "x")),
        () -> assertNpe("input", () -> Inputs.of(a, 1, null, "x")),
        () -> assertNpe("value of input 'b'", () -> Inputs.of(a, 1, b, null)),
        () -> assertNpe("input", () -> Inputs.empty().and(null, 1)),
        () -> assertNpe("value of input 'b'", () -> Inputs.of(a, 1).and(b, null)),
        () -> assertNpe("inputs", () -> graph.run(null)),
        () -> assertNpe("inputs", () -> graph.run(null, o -> RunOptions.defaults())),
        () -> assertNpe("configure", () -> graph.run(inputs, null)),
        () -> assertNpe("the options configure returned", () -> graph.run(inputs, o -> null)),
        () -> assertNpe("inputs", () -> graph.runAsync(null)),
        () -> assertNpe("configure", () -> graph.runAsync(inputs, null)));
  }

  // ---- after build ----

  @Test
  void builderAfterBuild_refusesEveryChange() {
    var g = Graph.builder("g");
    var a = g.task("a", () -> 1);
    Node<Integer> declared = g.declare("declared");
    var pending = g.node("pending");
    g.node(declared).call(() -> 2);
    var pendingNode = pending.call(() -> 3);
    var graph = g.build();
    var message = "graph 'g' is already built; its builder cannot change it";

    assertAll(
        () -> assertIse(message, () -> g.input("i", Long.class)),
        () -> assertIse(message, () -> g.input("j")),
        () -> assertIse(message, () -> g.declare("d")),
        () -> assertIse(message, () -> g.node("n")),
        () -> assertIse(message, () -> g.node(declared)),
        () -> assertIse(message, () -> g.task("t", () -> 1)),
        () -> assertIse(message, () -> g.task("u", a, x -> x)),
        () -> assertIse(message, () -> g.task("v", List.of(a), ctx -> 1)),
        () -> assertIse(message, () -> pending.call(() -> 4)),
        () -> assertIse(message, () -> g.options(RunOptions.defaults())),
        () -> assertIse(message, g::build));
    assertEquals("g", g.name());
    var result = graph.run(Inputs.empty());
    assertTrue(result.succeeded());
    assertEquals(List.of(1, 2, 3),
        List.of(result.get(a), result.get(declared), result.get(pendingNode)));
  }

  // ---- ordering-only edges and forward declarations ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void afterEdge_ordersWithoutPassingAValue(Executor executor) {
    var g = Graph.builder("g");
    var sideEffect = new AtomicBoolean();
    var write = g.task("write", () -> {
      sideEffect.set(true);
      return "written";
    });
    var read = g.node("read").after(write).call(sideEffect::get);
    var graph = g.build();

    for (int i = 0; i < 20; i++) {
      sideEffect.set(false);
      var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));
      assertTrue(result.get(read), "read ran before write");
      assertEquals("written", result.get(write));
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void afterEdge_requiredSkipsOnFailure_optionalRunsAnyway(Executor executor) {
    var g = Graph.builder("g");
    Node<Integer> boom = g.task("boom", () -> {
      throw new IllegalStateException("down");
    });
    var strict = g.node("strict").after(boom).call(() -> "ran");
    var lenient = g.node("lenient").after(boom.optional()).call(() -> "ran");
    var fallback = g.node("fallback").after(boom.orElse(0)).call(() -> "ran");
    var graph = g.build();

    var result = graph.run(Inputs.empty(), o -> o.withExecutor(executor));
    var skipped = assertInstanceOf(Outcome.Skipped.class, result.outcome(strict));
    assertEquals("boom", skipped.cause());
    assertEquals("ran", result.get(lenient));
    assertEquals("ran", result.get(fallback));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void forwardDeclarations_definedInAnyOrder_runWithTheirValues(Executor executor) {
    var g = Graph.builder("g");
    var base = g.input("base", Integer.class);
    Node<Integer> c = g.declare("c");
    Node<Integer> b = g.declare("b");
    Node<String> top = g.declare("top");
    // Used as dependencies before they are defined, defined last to first.
    var sum = g.task("sum", b, c, (x, y) -> x + y);
    var log = new ArrayList<String>();
    var audit = g.node("audit").after(top).call(() -> log.add("audit"));
    g.node(top).call(sum, c, (s, y) -> "sum=" + s + ",c=" + y);
    g.node(c).call(b, x -> x * 10);
    g.node(b).call(base, x -> x + 1);
    var graph = g.build();

    var result = graph.run(Inputs.of(base, 4), o -> o.withExecutor(executor));
    assertEquals(5, result.get(b));
    assertEquals(50, result.get(c));
    assertEquals(55, result.get(sum));
    assertEquals("sum=55,c=50", result.get(top));
    assertTrue(result.get(audit));
    assertEquals(4, result.get(base));
  }

  /** {@code declare(name, Class)} discarded its class; the type comes from the compiler only. */
  @Test
  void declare_hasOneForm_typedByTheAssignmentOrATypeArgument() {
    var g = Graph.builder("g");
    var a = g.<Long>declare("a");
    g.node(a).call(() -> 7L);
    assertEquals(7L, g.build().run(Inputs.empty()).get(a));
    assertEquals(List.of(List.of(String.class)), Arrays.stream(GraphBuilder.class.getMethods())
        .filter(m -> m.getName().equals("declare"))
        .map(m -> List.of(m.getParameterTypes())).toList(), "declare should take a name only");
  }

  // ---- helpers ----

  /** A ring n0 -> n1 -> ... -> n(n-1) -> n0, each node depending on the one before it. */
  private static GraphBuilder ring(int n) {
    var g = Graph.builder("ring");
    Node<Integer> first = g.declare("n0");
    Node<Integer> previous = first;
    for (int i = 1; i < n; i++) {
      previous = g.task("n" + i, previous, x -> x);
    }
    g.node(first).call(previous, x -> x);
    return g;
  }

  private static List<String> ringPath(int n) {
    var path = new ArrayList<String>(n + 1);
    for (int i = 0; i < n; i++) {
      path.add("n" + i);
    }
    path.add("n0");
    return path;
  }

  /** Compares long paths without printing all of them on failure. */
  private static void assertPath(List<String> expected, List<String> actual) {
    assertTrue(expected.equals(actual), () -> "expected " + expected.subList(0, 5) + "... but was "
        + actual.subList(0, Math.min(5, actual.size())) + "... (" + actual.size() + " names)");
  }

  private static void assertNpe(String parameter, Executable call) {
    var e = assertThrows(NullPointerException.class, call, parameter);
    assertEquals(parameter, e.getMessage());
  }

  private static void assertIse(String message, Executable call) {
    var e = assertThrows(IllegalStateException.class, call);
    assertEquals(message, e.getMessage());
  }
}
