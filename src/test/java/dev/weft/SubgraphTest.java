package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Subgraph}: a built graph run as one node of another, once per attempt. */
class SubgraphTest {
  private static final ThreadLocal<String> REQUEST_ID = new ThreadLocal<>();

  private static RunOptions on(Executor executor) {
    return RunOptions.defaults().withExecutor(executor);
  }

  /** The inner graph most tests use: hostId -> profile -> card. */
  private static final class Host {
    final Input<String> hostId;
    final Node<String> profile;
    final Node<String> card;
    final Graph graph;

    Host(Fn.F1<String, String> profileFn) {
      var g = Graph.builder("host");
      hostId = g.input("hostId", String.class);
      profile = g.task("profile", hostId, profileFn);
      card = g.task("card", profile, p -> "card(" + p + ")");
      graph = g.build();
    }

    Host() {
      this(id -> "profile(" + id + ")");
    }
  }

  /** Blocks until interrupted, counting the interrupt; counts {@code running} down first. */
  private static String blockUntilInterrupted(CountDownLatch running, AtomicInteger interrupts)
      throws InterruptedException {
    running.countDown();
    try {
      new CountDownLatch(1).await(10, SECONDS);
    } catch (InterruptedException e) {
      interrupts.incrementAndGet();
      throw e;
    }
    throw new AssertionError("should have been interrupted");
  }

  /** Collects every event, of the outer run and of the inner ones, and the outer result. */
  private static final class Events implements RunListener {
    final List<RunEvent> all = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<RunResult> outerEnded = new CompletableFuture<>();
    final String outer;

    Events(String outer) {
      this.outer = outer;
    }

    @Override
    public void onEvent(RunEvent event) {
      all.add(event);
      if (event instanceof RunEvent.RunEnded end && end.graph().equals(outer)) {
        outerEnded.complete(end.result());
      }
    }

    List<RunEvent> snapshot() {
      synchronized (all) {
        return List.copyOf(all);
      }
    }

    List<RunResult> results(String graph) {
      return snapshot().stream()
          .filter(e -> e instanceof RunEvent.RunEnded end && end.graph().equals(graph))
          .map(e -> ((RunEvent.RunEnded) e).result()).toList();
    }
  }

  private static Span span(RunResult result, Node<?> node) {
    return result.spans().stream().filter(s -> s.node().equals(node.name())).findFirst()
        .orElseThrow();
  }

  // ---- values and binding ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void outputNode_givesTheNodesValue_fromTheBoundInputs(Executor executor) {
    var host = new Host();
    var g = Graph.builder("listing").options(on(executor));
    Input<String> listingId = g.input("listingId", String.class);
    Node<String> hostId = g.task("hostId", listingId, id -> "h-" + id);
    Node<String> card = g.node("hostCard")
        .subgraph(Subgraph.of(host.graph, host.card).bind(host.hostId, hostId));
    Node<String> page = g.task("page", card, c -> "page[" + c + "]");

    var result = g.build().run(Inputs.of(listingId, "l1"));

    assertEquals("card(profile(h-l1))", result.get(card));
    assertEquals("page[card(profile(h-l1))]", result.get(page));
    assertTrue(result.succeeded());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void oneSubgraph_servesTwoOuterGraphs_andTwoNodesOfOne(Executor executor) {
    var host = new Host();
    var base = Subgraph.of(host.graph, host.card);

    var a = Graph.builder("a").options(on(executor));
    Input<String> aId = a.input("id", String.class);
    var bound = base.bind(host.hostId, aId);
    Node<String> first = a.subgraph("first", bound);
    Node<String> second = a.subgraph("second", bound); // the same bound value, twice
    var graphA = a.build();

    var b = Graph.builder("b").options(on(executor));
    Node<String> bId = b.task("id", () -> "b-host");
    Node<String> only = b.subgraph("only", base.bind(host.hostId, bId));
    var graphB = b.build();

    var ra = graphA.run(Inputs.of(aId, "a-host"));
    var rb = graphB.run(Inputs.empty());

    assertEquals("card(profile(a-host))", ra.get(first));
    assertEquals("card(profile(a-host))", ra.get(second));
    assertEquals("card(profile(b-host))", rb.get(only));
    // bind made copies: the base is still unbound, so graph b cannot use graph a's binding
    var c = Graph.builder("c");
    assertThrows(InvalidGraphException.class, () -> c.subgraph("x", base));
    var foreign = assertThrows(InvalidGraphException.class, () -> c.subgraph("y", bound));
    assertTrue(foreign.getMessage().startsWith("node 'y' of graph 'c' runs Subgraph["),
        foreign.getMessage());
    assertTrue(foreign.getMessage().contains("of graph 'a'; share the unbound Subgraph"),
        foreign.getMessage());
  }

  @Test
  void unboundInput_failsAtDefinition_namingTheNodeAndTheInput() {
    var host = new Host();
    var g = Graph.builder("listing");
    var e = assertThrows(InvalidGraphException.class,
        () -> g.node("hostCard").subgraph(Subgraph.of(host.graph, host.card)));

    assertEquals("node 'hostCard' of graph 'listing' runs graph 'host' without binding its "
        + "input 'hostId'", e.getMessage());
    assertEquals(List.of("hostCard"), e.nodes());
    assertEquals("listing", e.graph());
    // refused: the name is still free
    Input<String> id = g.input("id", String.class);
    g.subgraph("hostCard", Subgraph.of(host.graph, host.card).bind(host.hostId, id));
  }

  @Test
  void bindingAnotherGraphsInput_orOneInputTwice_failsAtOnce() {
    var host = new Host();
    var other = new Host();
    var g = Graph.builder("listing");
    Input<String> id = g.input("id", String.class);
    var sub = Subgraph.of(host.graph, host.card);

    var foreign = assertThrows(IllegalArgumentException.class,
        () -> sub.bind(other.hostId, id));
    assertTrue(foreign.getMessage().contains("'hostId'"), foreign.getMessage());
    var twice = assertThrows(IllegalArgumentException.class,
        () -> sub.bind(host.hostId, id).bind(host.hostId, id));
    assertEquals("input 'hostId' of graph 'host' is bound already", twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Subgraph.of(host.graph, other.card));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void innerFailure_failsTheNode_withANodeExceptionNamingTheInnerNode(Executor executor) {
    var boom = new IllegalStateException("profile service down");
    var host = new Host(id -> {
      throw boom;
    });
    var g = Graph.builder("listing").options(on(executor));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));
    Node<String> page = g.task("page", card, c -> c);

    var result = g.build().run(Inputs.of(id, "h"));

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(card));
    var inner = assertInstanceOf(NodeException.class, failed.error());
    assertEquals("card", inner.node(), "the output was skipped because 'profile' failed");
    assertSame(boom, inner.getCause());
    var skipped = assertInstanceOf(Outcome.Skipped.class, inner.outcome());
    assertEquals("profile", skipped.cause());
    assertEquals(new Outcome.Skipped<>("page", "hostCard", inner), result.outcome(page));
    assertEquals(1, result.failures().size());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void wholeResultOutput_succeedsWithTheInnerRunResult_whateverItsNodesDid(Executor executor) {
    var host = new Host(id -> {
      throw new IllegalStateException("down");
    });
    var g = Graph.builder("listing").options(on(executor));
    Input<String> id = g.input("id", String.class);
    Node<RunResult> inner = g.subgraph("hostRun",
        Subgraph.of(host.graph).bind(host.hostId, id));

    var result = g.build().run(Inputs.of(id, "h"));

    var run = result.get(inner);
    assertEquals("host", run.graph());
    assertNotEquals(result.runId(), run.runId());
    assertInstanceOf(Outcome.Failed.class, run.outcome(host.profile));
    assertInstanceOf(Outcome.Skipped.class, run.outcome(host.card));
    assertEquals("h", run.get(host.hostId));
    assertTrue(result.failures().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void inputBoundToAnOptionalDep_getsTheFallback_andANullValueFailsTheNode(Executor executor) {
    var host = new Host();
    var g = Graph.builder("listing").options(on(executor));
    Node<String> down = g.task("down", () -> {
      throw new IllegalStateException("down");
    });
    Node<String> nothing = g.task("nothing", () -> null);
    Node<String> fallback = g.subgraph("fallback",
        Subgraph.of(host.graph, host.card).bind(host.hostId, down.orElse("guest")));
    Node<String> fromNull = g.subgraph("fromNull",
        Subgraph.of(host.graph, host.card).bind(host.hostId, nothing));

    var result = g.build().run(Inputs.empty());

    assertEquals("card(profile(guest))", result.get(fallback));
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(fromNull));
    var wrong = assertInstanceOf(IllegalArgumentException.class, failed.error());
    assertEquals("node 'fromNull' of graph 'listing' bound input 'hostId' of graph 'host' to "
        + "null; it must be an instance of java.lang.String", wrong.getMessage());
  }

  /** As documented: the node fails if its output did not succeed, an omitted output included. */
  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void omittedOutput_failsTheNode_withANodeExceptionSayingSo(Executor executor) {
    var ig = Graph.builder("host");
    Input<Boolean> show = ig.input("show", Boolean.class);
    Node<String> badge = ig.node("badge").when(show, v -> v).call(() -> "superhost");
    var inner = ig.build();
    var g = Graph.builder("listing").options(on(executor));
    Input<Boolean> flag = g.input("flag", Boolean.class);
    Node<String> node = g.subgraph("badge", Subgraph.of(inner, badge).bind(show, flag));

    var result = g.build().run(Inputs.of(flag, false));

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(node));
    var cause = assertInstanceOf(NodeException.class, failed.error());
    assertEquals(new Outcome.Omitted<>("badge", "badge"), cause.outcome());
  }

  // ---- time ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void innerTasks_inheritTheTimeTheNodeHasLeft(Executor executor) throws Exception {
    var scheduler = new FakeScheduler();
    var outerLeft = new AtomicReference<Duration>();
    var innerLeft = new CopyOnWriteArrayList<Duration>();
    var started = new CountDownLatch(1);
    var go = new CountDownLatch(1);
    var host = new Host(id -> {
      innerLeft.add(TaskContext.current().remaining());
      return id;
    });
    var g = Graph.builder("listing").options(on(executor).withScheduler(scheduler)
        .withDeadline(Duration.ofMillis(200)));
    Node<String> id = g.task("id", () -> {
      outerLeft.set(TaskContext.current().remaining());
      started.countDown();
      go.await(10, SECONDS);
      return "h";
    });
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));
    Node<String> timed = g.node("timedCard").timeout(Duration.ofMillis(80))
        .subgraph(Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var future = g.build().runAsync(Inputs.empty());
    assertTrue(started.await(10, SECONDS));
    scheduler.advance(Duration.ofMillis(50)); // before the deadline's timer
    go.countDown();
    var result = future.get(10, SECONDS);

    assertEquals("card(h)", result.get(card));
    assertEquals("card(h)", result.get(timed));
    assertEquals(Duration.ofMillis(200), outerLeft.get());
    assertEquals(List.of(Duration.ofMillis(80), Duration.ofMillis(150)),
        innerLeft.stream().sorted().toList(), "the node's timeout or the run's deadline left");
  }

  /** A clock a task can move, whose timers never fire: time passes without the deadline. */
  private static final class ManualClock implements Scheduler {
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
      return now.get();
    }

    @Override
    public Future<?> schedule(Runnable action, long delay, TimeUnit unit) {
      return new CompletableFuture<Void>();
    }

    @Override
    public void sleep(long delay, TimeUnit unit) {
      now.addAndGet(unit.toNanos(delay));
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void exhaustedBudget_givesAnExpiredInnerRun(Executor executor) {
    var clock = new ManualClock();
    var ran = new AtomicInteger();
    var host = new Host(id -> {
      ran.incrementAndGet();
      return id;
    });
    var g = Graph.builder("listing").options(on(executor).withScheduler(clock)
        .withDeadline(Duration.ofMillis(100)));
    Node<String> id = g.task("id", () -> {
      clock.now.addAndGet(Duration.ofMillis(100).toNanos()); // spends the whole budget
      return "h";
    });
    Node<RunResult> inner = g.subgraph("hostRun", Subgraph.of(host.graph).bind(host.hostId, id));
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var result = g.build().run(Inputs.empty());

    var run = result.get(inner);
    assertTrue(run.deadlineExceeded());
    var cancelled = assertInstanceOf(Outcome.Cancelled.class, run.outcome(host.profile));
    assertEquals("the run's deadline had passed when it started", cancelled.reason());
    assertInstanceOf(Outcome.Cancelled.class, run.outcome(host.card));
    assertEquals(0, ran.get());
    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(card));
    assertInstanceOf(Outcome.Cancelled.class,
        assertInstanceOf(NodeException.class, failed.error()).outcome());
  }

  // ---- stopping ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void cancellingTheOuterFuture_interruptsInnerTasks_andCancelsThem(Executor executor)
      throws Exception {
    var running = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var host = new Host(id -> blockUntilInterrupted(running, interrupts));
    var events = new Events("listing");
    var g = Graph.builder("listing").options(on(executor).withListener(events));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var future = g.build().runAsync(Inputs.of(id, "h"));
    assertTrue(running.await(10, SECONDS));
    future.cancel(true);
    var result = events.outerEnded.get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(card));
    assertEquals(1, interrupts.get());
    var inner = events.results("host").getFirst();
    var profile = assertInstanceOf(Outcome.Cancelled.class, inner.outcome(host.profile));
    // "; ... cut off after 10 ms" follows when a loaded machine wakes the interrupted task late
    assertTrue(profile.reason().startsWith("the run was cancelled by its caller"),
        profile.reason());
    assertInstanceOf(Outcome.Cancelled.class, inner.outcome(host.card));
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void failFastElsewhere_interruptsInnerTasks_andCancelsThem(Executor executor)
      throws Exception {
    var running = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var host = new Host(id -> blockUntilInterrupted(running, interrupts));
    var events = new Events("listing");
    var g = Graph.builder("listing").options(on(executor).withListener(events)
        .withFailureMode(FailureMode.FAIL_FAST));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));
    g.task("boom", () -> {
      assertTrue(running.await(10, SECONDS));
      throw new IllegalStateException("boom");
    });

    var result = g.build().run(Inputs.of(id, "h"));

    var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(card));
    // a loaded machine may wake the interrupted task late: "; ... cut off after 10 ms" follows
    assertTrue(cancelled.reason().startsWith("the run failed fast after node 'boom' failed"),
        cancelled.reason());
    assertEquals(1, interrupts.get());
    var inner = events.results("host").getFirst();
    var profile = assertInstanceOf(Outcome.Cancelled.class, inner.outcome(host.profile));
    assertTrue(profile.reason().contains("'boom' failed"), profile.reason());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void outerDeadline_interruptsInnerTasks_andCancelsThem(Executor executor) throws Exception {
    var scheduler = new FakeScheduler();
    var running = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var host = new Host(id -> blockUntilInterrupted(running, interrupts));
    var events = new Events("listing");
    var g = Graph.builder("listing").options(on(executor).withListener(events)
        .withScheduler(scheduler).withDeadline(Duration.ofMillis(100)));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var future = g.build().runAsync(Inputs.of(id, "h"));
    assertTrue(running.await(10, SECONDS));
    scheduler.advance(Duration.ofMillis(100));
    var result = future.get(10, SECONDS);

    assertTrue(result.deadlineExceeded());
    assertInstanceOf(Outcome.Cancelled.class, result.outcome(card));
    assertEquals(1, interrupts.get());
    var inner = events.results("host").getFirst();
    assertInstanceOf(Outcome.Cancelled.class, inner.outcome(host.profile));
    assertTrue(result.stragglers().isEmpty(), result.stragglers().toString());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void nodesOwnTimeout_cancelsTheInnerRun_andFailsWithNodeTimeoutException(Executor executor)
      throws Exception {
    var scheduler = new FakeScheduler();
    var running = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var host = new Host(id -> blockUntilInterrupted(running, interrupts));
    var g = Graph.builder("listing").options(on(executor).withScheduler(scheduler));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.node("hostCard").timeout(Duration.ofMillis(30))
        .subgraph(Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var future = g.build().runAsync(Inputs.of(id, "h"));
    assertTrue(running.await(10, SECONDS));
    scheduler.advance(Duration.ofMillis(30));
    var result = future.get(10, SECONDS);

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(card));
    var timeout = assertInstanceOf(NodeTimeoutException.class, failed.error());
    assertEquals("hostCard", timeout.node());
    assertEquals(Duration.ofMillis(30), timeout.timeout());
    assertEquals(1, interrupts.get());
    var children = span(result, card).children();
    var profile = children.stream().filter(s -> s.node().equals("profile")).findFirst()
        .orElseThrow();
    var cancelled = assertInstanceOf(Outcome.Cancelled.class, profile.outcome());
    assertTrue(cancelled.reason().contains("timed out") || cancelled.reason().contains(
        "deadline"), cancelled.reason());
    assertFalse(result.deadlineExceeded());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void retries_rerunTheInnerGraph(Executor executor) {
    var calls = new AtomicInteger();
    var host = new Host(id -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("flaky");
      }
      return id;
    });
    var events = new Events("listing");
    var g = Graph.builder("listing").options(on(executor).withListener(events));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.node("hostCard").retry(RetryPolicy.fixed(3, Duration.ZERO))
        .subgraph(Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var result = g.build().run(Inputs.of(id, "h"));

    assertEquals("card(h)", result.get(card));
    assertEquals(2, calls.get());
    var span = span(result, card);
    assertEquals(2, span.attempts());
    assertEquals(List.of("profile", "card"), span.children().stream().map(Span::node).toList());
    span.children().forEach(s -> assertInstanceOf(Outcome.Succeeded.class, s.outcome()));
    var inner = events.results("host");
    assertEquals(2, inner.size(), "one inner run per attempt");
    assertNotEquals(inner.get(0).runId(), inner.get(1).runId());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void timedOutAttempt_isRetried_withAFreshInnerRun(Executor executor) throws Exception {
    var scheduler = new FakeScheduler();
    var running = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var calls = new AtomicInteger();
    var host = new Host(id -> calls.incrementAndGet() == 1
        ? blockUntilInterrupted(running, interrupts) : id);
    var g = Graph.builder("listing").options(on(executor).withScheduler(scheduler));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.node("hostCard").timeout(Duration.ofMillis(30))
        .retry(RetryPolicy.fixed(2, Duration.ZERO))
        .subgraph(Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var future = g.build().runAsync(Inputs.of(id, "h"));
    assertTrue(running.await(10, SECONDS));
    scheduler.advance(Duration.ofMillis(30));
    var result = future.get(10, SECONDS);

    assertEquals("card(h)", result.get(card));
    assertEquals(1, interrupts.get());
    var span = span(result, card);
    assertEquals(2, span.attempts());
    span.children().forEach(s -> assertInstanceOf(Outcome.Succeeded.class, s.outcome()));
  }

  // ---- what the inner run inherits ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void listeners_seeInnerEvents_underTheInnerGraph_withTheParentRunAndNode(Executor executor) {
    var host = new Host();
    var events = new Events("listing");
    var g = Graph.builder("listing").options(on(executor).withListener(events));
    Input<String> id = g.input("id", String.class);
    g.subgraph("hostCard", Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var result = g.build().run(Inputs.of(id, "h"));

    var all = events.snapshot();
    var starts = all.stream().filter(e -> e instanceof RunEvent.RunStarted)
        .map(e -> (RunEvent.RunStarted) e).toList();
    assertEquals(2, starts.size(), starts.toString());
    var outer = starts.get(0);
    var inner = starts.get(1);
    assertEquals("listing", outer.graph());
    assertFalse(outer.nested());
    assertEquals("", outer.parentNode());
    assertEquals(0, outer.parentRunId());
    assertEquals("host", inner.graph());
    assertTrue(inner.nested());
    assertEquals(result.runId(), inner.parentRunId());
    assertEquals("hostCard", inner.parentNode());
    assertEquals(2, inner.tasks());
    var innerNodes = all.stream().filter(e -> e instanceof RunEvent.NodeEnded n
        && n.runId() == inner.runId()).map(e -> ((RunEvent.NodeEnded) e).node()).toList();
    assertEquals(List.of("profile", "card"), innerNodes);
    all.stream().filter(e -> e.runId() == inner.runId())
        .forEach(e -> assertEquals("host", e.graph(), e.toString()));
    // the inner run lies between its node's start and end
    int nodeStarted = indexOf(all, e -> e instanceof RunEvent.NodeStarted s
        && s.node().equals("hostCard"));
    int nodeEnded = indexOf(all, e -> e instanceof RunEvent.NodeEnded s
        && s.node().equals("hostCard"));
    int innerStarted = all.indexOf(inner);
    int innerEnded = indexOf(all, e -> e instanceof RunEvent.RunEnded s
        && s.runId() == inner.runId());
    assertTrue(nodeStarted < innerStarted && innerStarted < innerEnded
        && innerEnded < nodeEnded, all.toString());
  }

  @Test
  void innerTaskCutOffByTheSubgraphsOwnRun_isAStragglerOfTheOuterRunToo() throws Exception {
    var clock = new FakeScheduler();
    var release = new CountDownLatch(1);
    var stuck = new CountDownLatch(1);
    var h = Graph.builder("host");
    Input<String> hostId = h.input("hostId", String.class);
    Node<String> profile = h.task("profile", hostId, x -> {
      stuck.countDown();
      while (release.getCount() > 0) {
        try {
          release.await();
        } catch (InterruptedException ignored) {
          // ignores interrupts: the inner run cuts it off
        }
      }
      return x;
    });
    var inner = h.build();
    // profile runs on a thread of its own, started before execute returns, so the node's thread
    // (which runs queued inner tasks itself while it waits) cannot be the one stuck in it
    java.util.concurrent.Executor ownThreads = task -> {
      Thread.ofVirtual().start(task);
      if (task.toString().contains("'profile'")) {
        try {
          assertTrue(stuck.await(10, SECONDS));
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }
    };
    var g = Graph.builder("listing")
        .options(RunOptions.defaults().withScheduler(clock).withExecutor(ownThreads));
    Input<String> id = g.input("id", String.class);
    Node<String> host = g.node("host").timeout(Duration.ofMillis(20))
        .subgraph(Subgraph.of(inner, profile).bind(hostId, id));
    try {
      var future = g.build().runAsync(Inputs.of(id, "h"));
      assertTrue(stuck.await(10, SECONDS));
      clock.awaitTimers(2); // the node's timeout and the inner run's deadline, both at 20 ms
      clock.advance(Duration.ofMillis(20)); // the node's timeout: the inner run is cancelled
      clock.awaitTimers(1); // the inner run's cut-off
      clock.advance(Duration.ofMillis(10));
      var result = future.get(10, SECONDS);

      assertInstanceOf(NodeTimeoutException.class,
          assertInstanceOf(Outcome.Failed.class, result.outcome(host)).error());
      assertFalse(result.deadlineExceeded(), "the outer run itself was never cancelled");
      assertTrue(result.stragglers().containsKey("host/profile"), result.stragglers().toString());
    } finally {
      release.countDown();
    }
  }

  @Test
  void listenerFailuresOnInnerEvents_reachTheOuterResultToo() {
    var host = new Host();
    var thrown = new IllegalStateException("listener bug on an inner event");
    var g = Graph.builder("listing").options(RunOptions.defaults().withListener(e -> {
      if (e instanceof RunEvent.RunStarted s && s.nested()) {
        throw thrown;
      }
    }));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var result = g.build().run(Inputs.of(id, "h"));

    assertEquals("card(profile(h))", result.get(card), "a listener's failure disturbs nothing");
    assertEquals(List.of(thrown), result.listenerFailures());
  }

  private static int indexOf(List<RunEvent> events, java.util.function.Predicate<RunEvent> p) {
    for (int i = 0; i < events.size(); i++) {
      if (p.test(events.get(i))) {
        return i;
      }
    }
    throw new AssertionError("no such event in " + events);
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void contextPropagators_reachInnerTasks(Executor executor) {
    var seen = new CopyOnWriteArrayList<String>();
    var host = new Host(id -> {
      seen.add(String.valueOf(REQUEST_ID.get()));
      return id;
    });
    var g = Graph.builder("listing").options(on(executor)
        .withPropagator(ContextPropagator.threadLocal(REQUEST_ID)));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));
    var graph = g.build();

    REQUEST_ID.set("req-7");
    RunResult result;
    try {
      result = graph.run(Inputs.of(id, "h"));
    } finally {
      REQUEST_ID.remove();
    }

    assertEquals("card(h)", result.get(card));
    assertEquals(List.of("req-7"), seen);
  }

  @Test
  void boundedExecutor_ofOneThread_runsInnerParallelTasks_withoutDeadlock() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(1);
    try {
      Executor one = pool::execute; // a plain Executor: JUnit must not close it
      var inner = Graph.builder("pair");
      Input<Integer> x = inner.input("x", Integer.class);
      Node<Integer> left = inner.task("left", x, v -> v + 1);
      Node<Integer> right = inner.task("right", x, v -> v + 2);
      Node<Integer> sum = inner.task("sum", left, right, Integer::sum);
      var pair = inner.build();

      var g = Graph.builder("outer").options(on(one));
      Input<Integer> n = g.input("n", Integer.class);
      Node<Integer> a = g.subgraph("a", Subgraph.of(pair, sum).bind(x, n));
      Node<Integer> b = g.subgraph("b", Subgraph.of(pair, sum).bind(x, a));
      Node<Integer> c = g.subgraph("c", Subgraph.of(pair, sum).bind(x, n)); // beside a

      var result = g.build().runAsync(Inputs.of(n, 10)).get(10, SECONDS);

      assertEquals(23, result.get(a));
      assertEquals(49, result.get(b));
      assertEquals(23, result.get(c));
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void failureModeOverride_failFastInside_aContinueRun(Executor executor) throws Exception {
    var running = new CountDownLatch(1);
    var interrupts = new AtomicInteger();
    var ig = Graph.builder("inner");
    Node<String> slow = ig.task("slow", () -> blockUntilInterrupted(running, interrupts));
    ig.task("bad", () -> {
      assertTrue(running.await(10, SECONDS));
      throw new IllegalStateException("bad");
    });
    var inner = ig.build();
    var g = Graph.builder("outer").options(on(executor)); // CONTINUE
    Node<RunResult> run = g.subgraph("run",
        Subgraph.of(inner).withFailureMode(FailureMode.FAIL_FAST));

    var result = g.build().run(Inputs.empty());

    var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.get(run).outcome(slow));
    // a loaded machine may wake the interrupted task late: "; ... cut off after 10 ms" follows
    assertTrue(cancelled.reason().startsWith("the run failed fast after node 'bad' failed"),
        cancelled.reason());
    assertEquals(1, interrupts.get());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#concurrent")
  void failureModeOverride_continueInside_aFailFastRun(Executor executor) throws Exception {
    var badEnded = new CountDownLatch(1);
    var ig = Graph.builder("inner");
    Node<String> other = ig.task("other", () -> {
      assertTrue(badEnded.await(10, SECONDS));
      return "fine";
    });
    ig.task("bad", () -> {
      throw new IllegalStateException("bad");
    });
    var inner = ig.build();
    var g = Graph.builder("outer").options(on(executor).withFailureMode(FailureMode.FAIL_FAST)
        .withListener(e -> {
          if (e instanceof RunEvent.NodeEnded end && end.node().equals("bad")) {
            badEnded.countDown();
          }
        }));
    Node<RunResult> run = g.subgraph("run",
        Subgraph.of(inner).withFailureMode(FailureMode.CONTINUE));

    var result = g.build().run(Inputs.empty());

    assertEquals("fine", result.get(run).get(other));
    assertTrue(result.succeeded());
  }

  // ---- nesting and spans ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void nestingTwoDeep_givesTheValue_spansAndParentsAtEveryLevel(Executor executor) {
    var lg = Graph.builder("leaf");
    Input<Integer> lx = lg.input("x", Integer.class);
    Node<Integer> doubled = lg.task("double", lx, v -> 2 * v);
    var leaf = lg.build();

    var mg = Graph.builder("mid");
    Input<Integer> my = mg.input("y", Integer.class);
    Node<Integer> viaLeaf = mg.subgraph("viaLeaf", Subgraph.of(leaf, doubled).bind(lx, my));
    Node<Integer> plusOne = mg.task("plusOne", viaLeaf, v -> v + 1);
    var mid = mg.build();

    var events = new Events("outer");
    var g = Graph.builder("outer").options(on(executor).withListener(events));
    Input<Integer> z = g.input("z", Integer.class);
    Node<Integer> viaMid = g.subgraph("viaMid", Subgraph.of(mid, plusOne).bind(my, z));

    var result = g.build().run(Inputs.of(z, 20));

    assertEquals(41, result.get(viaMid));
    var midSpans = span(result, viaMid).children();
    assertEquals(List.of("viaLeaf", "plusOne"), midSpans.stream().map(Span::node).toList());
    var leafSpans = midSpans.get(0).children();
    assertEquals(List.of("double"), leafSpans.stream().map(Span::node).toList());
    assertEquals(new Outcome.Succeeded<>("double", 40), leafSpans.get(0).outcome());

    var starts = events.snapshot().stream().filter(e -> e instanceof RunEvent.RunStarted)
        .map(e -> (RunEvent.RunStarted) e).toList();
    assertEquals(List.of("outer", "mid", "leaf"),
        starts.stream().map(RunEvent.RunStarted::graph).toList());
    assertEquals(result.runId(), starts.get(1).parentRunId());
    assertEquals("viaMid", starts.get(1).parentNode());
    assertEquals(starts.get(1).runId(), starts.get(2).parentRunId());
    assertEquals("viaLeaf", starts.get(2).parentNode());
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void subgraphNodesSpan_hasTheInnerTasksSpans_asChildren_withinItsOwnTime(Executor executor) {
    var host = new Host();
    var g = Graph.builder("listing").options(on(executor));
    Input<String> id = g.input("id", String.class);
    Node<String> card = g.subgraph("hostCard",
        Subgraph.of(host.graph, host.card).bind(host.hostId, id));

    var result = g.build().run(Inputs.of(id, "h"));

    var span = span(result, card);
    var children = span.children();
    assertEquals(List.of("profile", "card"), children.stream().map(Span::node).toList());
    assertEquals(new Outcome.Succeeded<>("card", "card(profile(h))"), children.get(1).outcome());
    for (var child : children) {
      assertEquals(-1, child.element());
      assertEquals(1, child.attempts());
      assertTrue(child.started().compareTo(span.started()) >= 0, child + " in " + span);
      assertTrue(child.ended().compareTo(span.ended()) <= 0, child + " in " + span);
    }
    assertEquals(span, result.trace().spans().stream()
        .filter(s -> s.node().equals("hostCard")).findFirst().orElseThrow());
  }

  // ---- fan-out over a subgraph ----

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void forEachWithATemplate_runsTheSubgraphPerItem_inOrder_withNestedSpans(Executor executor) {
    var ig = Graph.builder("host");
    Input<String> hostId = ig.input("hostId", String.class);
    Input<String> prefix = ig.input("prefix", String.class);
    Node<String> profile = ig.task("profile", hostId, prefix, (h, p) -> p + h);
    Node<String> card = ig.task("card", profile, p -> "card(" + p + ")");
    var host = ig.build();

    var g = Graph.builder("listing").options(on(executor));
    Input<List<String>> ids = g.input("ids");
    Node<String> pre = g.task("prefix", () -> "p:");
    Node<List<String>> cards = g.node("cards")
        .forEach(ids, hostId, Subgraph.of(host, card).bind(prefix, pre));

    var items = List.of("a", "b", "c", "d", "e");
    var result = g.build().run(Inputs.of(ids, items));

    assertEquals(items.stream().map(s -> "card(p:" + s + ")").toList(), result.get(cards));
    var elements = span(result, cards).children();
    assertEquals(5, elements.size());
    for (int i = 0; i < 5; i++) {
      var element = elements.get(i);
      assertEquals(i, element.element());
      assertEquals("cards[" + i + "]", element.label());
      assertEquals(List.of("profile", "card"),
          element.children().stream().map(Span::node).toList());
      assertEquals(new Outcome.Succeeded<>("card", "card(p:" + items.get(i) + ")"),
          element.children().get(1).outcome());
    }
  }

  @Test
  void forEachWithATemplate_misuse_failsAtDefinition() {
    var host = new Host();
    var other = new Host();
    var ig = Graph.builder("two");
    Input<String> a = ig.input("a", String.class);
    Input<String> b = ig.input("b", String.class);
    Node<String> ab = ig.task("ab", a, b, String::concat);
    var two = ig.build();

    var g = Graph.builder("listing");
    Input<List<String>> ids = g.input("ids");
    assertThrows(IllegalArgumentException.class,
        () -> g.node("wrongEach").forEach(ids, other.hostId, Subgraph.of(host.graph, host.card)));
    var unbound = assertThrows(InvalidGraphException.class,
        () -> g.node("unbound").forEach(ids, a, Subgraph.of(two, ab)));
    assertEquals("node 'unbound' of graph 'listing' runs graph 'two' without binding its input "
        + "'b'", unbound.getMessage());
  }
}
