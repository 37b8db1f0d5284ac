package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.StrictJson;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link NodeBuilder#when}: a node that runs only if its condition holds, else is omitted. */
class ConditionTest {
  private static RunOptions on(Executor executor) {
    return RunOptions.defaults().withExecutor(executor);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void falseCondition_omitsTheNode_withoutRunningIt_andIsNoFailure(Executor executor) {
    var ran = new AtomicInteger();
    var g = Graph.builder("page").options(on(executor));
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> {
      ran.incrementAndGet();
      return "offer";
    });

    var result = g.build().run(Inputs.of(premium, false));

    assertEquals(new Outcome.Omitted<>("upsell", "upsell"), result.outcome(upsell));
    assertEquals(Outcome.Status.OMITTED, result.outcome(upsell).status());
    assertEquals("omitted", Outcome.Status.OMITTED.label());
    assertEquals(0, ran.get());
    assertTrue(result.failures().isEmpty());
    assertSame(result, result.throwIfFailed());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void omission_doesNotMakeAFailFastRunCancel(Executor executor) throws Exception {
    var omitted = new CountDownLatch(1);
    var g = Graph.builder("page").options(on(executor).withFailureMode(FailureMode.FAIL_FAST)
        .withListener(e -> {
          if (e instanceof RunEvent.NodeEnded end && end.node().equals("upsell")) {
            omitted.countDown();
          }
        }));
    Node<Boolean> premium = g.task("premium", () -> false);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> "offer");
    Node<String> sibling = g.task("sibling", () -> {
      assertTrue(omitted.await(10, SECONDS), "running while the node is omitted");
      return "still here";
    });

    var result = g.build().run(Inputs.empty());

    assertInstanceOf(Outcome.Omitted.class, result.outcome(upsell));
    assertEquals("still here", result.get(sibling));
    assertTrue(result.failures().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void omittedNode_omitsRequiredDependents_namingTheRoot_andFeedsOptionalOnes(Executor executor) {
    var g = Graph.builder("page").options(on(executor));
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> "offer");
    Node<String> banner = g.task("banner", upsell, o -> "banner " + o);
    Node<String> frame = g.task("frame", banner, b -> "[" + b + "]");
    Node<String> audit = g.node("audit").after(upsell).call(() -> "audited");
    Node<String> withFallback = g.task("withFallback", upsell.orElse("none"), o -> o);
    Node<Optional<String>> optional = g.task("optional", upsell.optional(), o -> o);
    Node<Outcome<String>> outcome = g.task("outcome", upsell.outcome(), o -> o);
    Node<String> afterOptional = g.node("afterOptional").after(upsell.optional())
        .call(() -> "ran");

    var result = g.build().run(Inputs.of(premium, false));

    assertEquals(new Outcome.Omitted<>("banner", "upsell"), result.outcome(banner));
    assertEquals(new Outcome.Omitted<>("frame", "upsell"), result.outcome(frame));
    assertEquals(new Outcome.Omitted<>("audit", "upsell"), result.outcome(audit));
    assertEquals("none", result.get(withFallback));
    assertEquals(Optional.empty(), result.get(optional));
    assertEquals(new Outcome.Omitted<>("upsell", "upsell"), result.get(outcome));
    assertEquals("ran", result.get(afterOptional));
    assertTrue(result.failures().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void trueCondition_runsTheNode(Executor executor) {
    var g = Graph.builder("page").options(on(executor));
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> "offer");
    Node<String> banner = g.task("banner", upsell, o -> "banner " + o);

    var result = g.build().run(Inputs.of(premium, true));

    assertEquals("banner offer", result.get(banner));
    assertTrue(result.succeeded());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void throwingCondition_failsTheNode_withWhatItThrew(Executor executor) {
    var broken = new IllegalStateException("no user tier");
    var ran = new AtomicInteger();
    var g = Graph.builder("page").options(on(executor));
    Node<String> user = g.task("user", () -> "ada");
    Node<String> upsell = g.node("upsell").when(user, u -> {
      throw broken;
    }).call(() -> {
      ran.incrementAndGet();
      return "offer";
    });
    Node<String> banner = g.task("banner", upsell, o -> o);

    var result = g.build().run(Inputs.empty());

    assertEquals(new Outcome.Failed<>("upsell", broken), result.outcome(upsell));
    assertEquals(new Outcome.Skipped<>("banner", "upsell", broken), result.outcome(banner));
    assertEquals(0, ran.get());
    assertEquals(1, result.failures().size());
    assertSame(broken, assertThrows(NodeException.class, result::throwIfFailed).getCause());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void conditionOnAnOptionalDep_ofAFailedNode_seesAnEmptyOptional(Executor executor) {
    var seen = new AtomicReference<Optional<String>>();
    var seenOrElse = new AtomicReference<String>();
    var g = Graph.builder("page").options(on(executor));
    Node<String> user = g.task("user", () -> {
      throw new IllegalStateException("down");
    });
    Node<String> guest = g.node("guest").when(user.optional(), u -> {
      seen.set(u);
      return u.isEmpty();
    }).call(() -> "guest page");
    Node<String> anonymous = g.node("anonymous").when(user.orElse("anon"), u -> {
      seenOrElse.set(u);
      return u.equals("anon");
    }).call(() -> "anonymous page");

    var result = g.build().run(Inputs.empty());

    assertEquals(Optional.empty(), seen.get());
    assertEquals("anon", seenOrElse.get());
    assertEquals("guest page", result.get(guest));
    assertEquals("anonymous page", result.get(anonymous));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void failedRequiredDep_skipsTheNode_withoutTestingTheCondition(Executor executor) {
    var tested = new AtomicInteger();
    var boom = new IllegalStateException("down");
    var g = Graph.builder("page").options(on(executor));
    Node<String> user = g.task("user", () -> {
      throw boom;
    });
    Node<String> ok = g.task("ok", () -> "ok");
    Node<String> onUser = g.node("onUser").when(user, u -> {
      tested.incrementAndGet();
      return true;
    }).call(() -> "x");
    Node<String> onValue = g.node("onValue").when(ok, o -> {
      tested.incrementAndGet();
      return true;
    }).call(user, u -> u);

    var result = g.build().run(Inputs.empty());

    assertEquals(new Outcome.Skipped<>("onUser", "user", boom), result.outcome(onUser));
    assertEquals(new Outcome.Skipped<>("onValue", "user", boom), result.outcome(onValue));
    assertEquals(0, tested.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void severalConditions_mustAllHold_andTheFirstThatFailsDecides(Executor executor) {
    var tested = Collections.synchronizedList(new ArrayList<String>());
    var g = Graph.builder("page").options(on(executor));
    Input<Integer> a = g.input("a", Integer.class);
    Input<Integer> b = g.input("b", Integer.class);
    Node<String> both = g.node("both")
        .when(a, v -> {
          tested.add("a=" + v);
          return v > 0;
        })
        .when(b, v -> {
          tested.add("b=" + v);
          return v > 0;
        })
        .call(() -> "ran");
    var graph = g.build();

    assertEquals("ran", graph.run(Inputs.of(a, 1).and(b, 1)).get(both));
    assertEquals(List.of("a=1", "b=1"), tested);
    tested.clear();
    assertEquals(new Outcome.Omitted<>("both", "both"),
        graph.run(Inputs.of(a, 0).and(b, 1)).outcome(both));
    assertEquals(List.of("a=0"), tested, "the first false condition decides");
    tested.clear();
    assertInstanceOf(Outcome.Omitted.class, graph.run(Inputs.of(a, 1).and(b, 0)).outcome(both));
    assertEquals(List.of("a=1", "b=0"), tested);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void conditionOnAnInput_isDecidedOnTheCallersThread_insideRunAsync(Executor executor)
      throws Exception {
    var decidedOn = new AtomicReference<Thread>();
    var g = Graph.builder("page").options(on(executor));
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> upsell = g.node("upsell").when(premium, p -> {
      decidedOn.set(Thread.currentThread());
      return p;
    }).call(() -> "offer");
    var graph = g.build();

    var future = graph.runAsync(Inputs.of(premium, false));

    assertSame(Thread.currentThread(), decidedOn.get());
    assertTrue(future.isDone(), "nothing else to run: the run ended inside runAsync");
    assertInstanceOf(Outcome.Omitted.class, future.get(10, SECONDS).outcome(upsell));

    decidedOn.set(null);
    var ran = graph.runAsync(Inputs.of(premium, true));
    assertSame(Thread.currentThread(), decidedOn.get());
    assertEquals("offer", ran.get(10, SECONDS).get(upsell));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void conditionOnATask_isDecidedOnTheThreadThatEndedIt(Executor executor) {
    var endedOn = new AtomicReference<Thread>();
    var decidedOn = new AtomicReference<Thread>();
    var g = Graph.builder("page").options(on(executor));
    Node<Boolean> premium = g.task("premium", () -> {
      endedOn.set(Thread.currentThread());
      return true;
    });
    Node<String> upsell = g.node("upsell").when(premium, p -> {
      decidedOn.set(Thread.currentThread());
      return p;
    }).call(() -> "offer");

    assertEquals("offer", g.build().run(Inputs.empty()).get(upsell));
    assertSame(endedOn.get(), decidedOn.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void conditionOnAnOutcome_runsACompensation_onlyWhenTheNodeFailed(Executor executor) {
    var g = Graph.builder("page").options(on(executor));
    Input<Boolean> fail = g.input("fail", Boolean.class);
    Node<String> charge = g.task("charge", fail, f -> {
      if (f) {
        throw new IllegalStateException("declined");
      }
      return "charged";
    });
    Node<String> refund = g.node("refund")
        .when(charge.outcome(), o -> o instanceof Outcome.Failed<?>)
        .call(() -> "refunded");
    var graph = g.build();

    assertEquals("refunded", graph.run(Inputs.of(fail, true)).get(refund));
    assertEquals(new Outcome.Omitted<>("refund", "refund"),
        graph.run(Inputs.of(fail, false)).outcome(refund));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void omittedNode_hasOnlyNodeEnded_withAnOmittedSpan(Executor executor) {
    var events = Collections.synchronizedList(new ArrayList<RunEvent>());
    var g = Graph.builder("page").options(on(executor).withListener(events::add));
    Node<Boolean> premium = g.task("premium", () -> false);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> "offer");
    g.task("banner", upsell, o -> o);
    var result = g.build().run(Inputs.empty());

    List<RunEvent> all;
    synchronized (events) {
      all = List.copyOf(events);
    }
    for (var name : List.of("upsell", "banner")) {
      var mine = all.stream().filter(e -> switch (e) {
        case RunEvent.NodeReady r -> r.node().equals(name);
        case RunEvent.NodeStarted s -> s.node().equals(name);
        case RunEvent.NodeEnded n -> n.node().equals(name);
        default -> false;
      }).toList();
      assertEquals(1, mine.size(), name + ": " + mine);
      var ended = assertInstanceOf(RunEvent.NodeEnded.class, mine.getFirst());
      var span = ended.span();
      assertEquals(new Outcome.Omitted<>(name, "upsell"), span.outcome());
      assertEquals(0, span.attempts());
      assertEquals(0, span.threadId());
      assertEquals("", span.threadName());
      assertEquals(span.started(), span.ended());
      assertEquals(span, result.spans().stream().filter(s -> s.node().equals(name))
          .findFirst().orElseThrow());
    }
  }

  @Test
  void getOfAnOmittedNode_throwsNodeException_sayingItWasOmitted() {
    var g = Graph.builder("page");
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(() -> "offer");
    Node<String> banner = g.task("banner", upsell, o -> o);

    var result = g.build().run(Inputs.of(premium, false));

    var own = assertThrows(NodeException.class, () -> result.get(upsell));
    assertEquals("node 'upsell' was omitted: its condition did not hold", own.getMessage());
    assertEquals("upsell", own.node());
    assertNull(own.getCause());
    var inherited = assertThrows(NodeException.class, () -> result.get(banner));
    assertEquals("node 'banner' was omitted because 'upsell' was: its condition did not hold",
        inherited.getMessage());
    assertInstanceOf(Outcome.Omitted.class, inherited.outcome());
    assertFalse(result.succeeded(), "not every node succeeded");
  }

  @Test
  void exports_workWithOmittedNodes() {
    var g = Graph.builder("page");
    Input<Boolean> premium = g.input("premium", Boolean.class);
    Node<String> listing = g.task("listing", () -> "listing");
    Node<String> upsell = g.node("upsell").when(premium, p -> p).call(listing, l -> "offer");
    g.task("banner", upsell, o -> o);
    g.task("page", listing, upsell.orElse("none"), (l, u) -> l + u);
    var graph = g.build();

    var result = graph.run(Inputs.of(premium, false));
    var trace = result.trace();

    var html = trace.toHtml();
    assertTrue(html.contains("upsell") && html.contains("omitted"), html);
    dev.weft.testing.HtmlCheck.parse(html);
    var json = StrictJson.object(StrictJson.parse(trace.toChromeJson()), "root");
    assertTrue(json.toString().contains("omitted"), json.toString());
    assertTrue(trace.toDot().contains("upsell"));
    assertTrue(trace.toMermaid().contains("upsell"));
    assertTrue(trace.criticalPathText().contains("page") || !trace.criticalPath().isEmpty());
    assertTrue(graph.toDot().contains("upsell"));
    assertTrue(graph.toMermaid().contains("upsell"));
    assertTrue(trace.toString().contains("page"), trace.toString());
  }
}
