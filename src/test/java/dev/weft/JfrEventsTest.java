package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Executors;
import dev.weft.testing.FakeScheduler;
import java.io.IOException;
import java.nio.file.Files;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Configuration;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.SettingDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JFR events Weft commits: one per attempt of a task ({@value #NODE}) on the thread that ran
 * it, and one per run ({@value #RUN}); read back from a dumped {@link Recording}.
 */
class JfrEventsTest {
  static final String NODE = "dev.weft.NodeExecution";
  static final String RUN = "dev.weft.Run";
  static final String BATCH = "dev.weft.BatchExecution";
  private static final CountDownLatch NEVER = new CountDownLatch(1);
  private static final AtomicLong GRAPHS = new AtomicLong();

  @BeforeAll
  static void jfrIsAvailable() {
    assertTrue(FlightRecorder.isAvailable(), "JFR is not available in this JVM ("
        + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
        + "); Weft's JFR events cannot be tested without it");
  }

  /** A unique graph name, so a stream picks out the events of this test's runs only. */
  private static String graphName(String base) {
    return base + "-" + GRAPHS.incrementAndGet();
  }

  /**
   * Records Weft's events of one graph: every node event at threshold 0 (or as {@code settings}
   * say), until the expected number of node events and one run event are in the recording.
   *
   * <p>A recording read back from its file, not a {@code RecordingStream}: a stream once let a
   * wait for 6 events end with an attempt's event missing (CI, 2026-12-02), and once gave an
   * event no thread; a dumped recording holds every event committed before the dump, with its
   * constant pools (threads) complete.
   */
  static final class Capture implements AutoCloseable {
    final Recording recording;
    final List<RecordedEvent> nodes = new ArrayList<>();
    final List<RecordedEvent> runs = new ArrayList<>();
    final List<RecordedEvent> batches = new ArrayList<>();
    private final String graph;
    private final int nodeEvents;
    private final int runEvents;
    private final int batchEvents;

    private Capture(String graph, int nodeEvents, int runEvents, int batchEvents,
        Configuration settings) {
      this.graph = graph;
      this.nodeEvents = nodeEvents;
      this.runEvents = runEvents;
      this.batchEvents = batchEvents;
      this.recording = settings == null ? new Recording() : new Recording(settings);
      if (settings == null) {
        for (var type : List.of(NODE, RUN, BATCH)) {
          recording.enable(type).withThreshold(Duration.ZERO);
        }
      }
      recording.start();
    }

    Capture(String graph, int nodeEvents, Configuration settings) {
      this(graph, nodeEvents, 1, 0, settings);
    }

    Capture(String graph, int nodeEvents) {
      this(graph, nodeEvents, 1, 0, null);
    }

    /** A capture of the {@value #BATCH} events of {@code graph}'s runs, at threshold 0. */
    static Capture batches(String graph, int batchEvents) {
      return new Capture(graph, 0, 0, batchEvents, null);
    }

    /**
     * Dumps the recording until it holds the expected events (an attempt may end after its run
     * returned, as a cancelled one does), for at most 10 s.
     */
    void awaitEvents() throws IOException, InterruptedException {
      long deadline = System.nanoTime() + SECONDS.toNanos(10);
      var file = Files.createTempFile("weft-jfr", ".jfr");
      try {
        while (true) {
          recording.dump(file);
          nodes.clear();
          runs.clear();
          batches.clear();
          for (var e : RecordingFile.readAllEvents(file)) {
            var into = switch (e.getEventType().getName()) {
              case NODE -> nodes;
              case RUN -> runs;
              case BATCH -> batches;
              default -> null;
            };
            if (into != null && graph.equals(e.getString("graph"))) {
              into.add(e);
            }
          }
          if (nodes.size() >= nodeEvents && runs.size() >= runEvents
              && batches.size() >= batchEvents) {
            return;
          }
          assertTrue(System.nanoTime() < deadline, () -> "timed out after 10 s waiting for JFR"
              + " events; node events so far: " + nodes + ", run events: " + runs
              + ", batch events: " + batches);
          Thread.sleep(20); // a bounded poll: the recording has no "events arrived" signal
        }
      } finally {
        Files.deleteIfExists(file);
      }
    }

    RecordedEvent run() {
      assertEquals(1, runs.size(), () -> "one run event expected: " + runs);
      return runs.get(0);
    }

    /** {@return the node events of {@code node}, by attempt} */
    List<RecordedEvent> of(String node) {
      return nodes.stream().filter(e -> node.equals(e.getString("node")))
          .sorted(Comparator.comparingInt(e -> e.getInt("attempt"))).toList();
    }

    @Override
    public void close() {
      recording.close();
    }
  }

  private static <T> T failWith(Exception e) throws Exception {
    throw e;
  }

  /** A key for the thread that ran an attempt of a node. */
  private static String attempt(String node, int n) {
    return node + "#" + n;
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void eachAttempt_isRecordedWithGraphNodeRunIdAttemptAndOutcome_onTheTasksThread(
      Executor executor) throws Exception {
    var name = graphName("jfr-fields");
    var threads = new ConcurrentHashMap<String, Thread>();
    var flakyCalls = new AtomicInteger();
    var g = Graph.builder(name);
    g.task("plain", () -> {
      threads.put(attempt("plain", 1), Thread.currentThread());
      return "plain";
    });
    g.node("flaky").retry(RetryPolicy.fixed(3, Duration.ZERO)).call(() -> {
      int n = flakyCalls.incrementAndGet();
      threads.put(attempt("flaky", n), Thread.currentThread());
      return n < 3 ? failWith(new IOException("attempt " + n)) : "ok";
    });
    Node<String> broken = g.task("broken", () -> {
      threads.put(attempt("broken", 1), Thread.currentThread());
      return failWith(new IOException("down"));
    });
    g.task("skipped", broken, s -> s);
    var graph = g.options(RunOptions.defaults().withExecutor(executor)).build();

    RunResult result;
    try (var capture = new Capture(name, 5)) {
      result = graph.run(Inputs.empty());
      capture.awaitEvents();

      var expected = Map.of(
          "plain", List.of("succeeded"),
          "flaky", List.of("failed", "failed", "succeeded"),
          "broken", List.of("failed"),
          "skipped", List.<String>of());
      for (var entry : expected.entrySet()) {
        var node = entry.getKey();
        var events = capture.of(node);
        assertEquals(entry.getValue(), events.stream().map(e -> e.getString("outcome")).toList(),
            () -> "outcomes of the attempts of '" + node + "': " + events);
        for (int i = 0; i < events.size(); i++) {
          var e = events.get(i);
          assertEquals(name, e.getString("graph"));
          assertEquals(node, e.getString("node"));
          assertEquals(result.runId(), e.getLong("runId"), "runId");
          assertEquals(i + 1, e.getInt("attempt"), "attempts are numbered from 1");
          var thread = threads.get(attempt(node, i + 1));
          assertNotNull(e.getThread(), "the event should have a thread");
          assertEquals(thread.threadId(), e.getThread().getJavaThreadId(),
              () -> "the event of '" + node + "' should be on the task's thread " + thread
                  + ", not " + e.getThread().getJavaName());
          assertEquals(thread.isVirtual(), e.getThread().isVirtual());
          assertFalse(e.getDuration().isNegative());
        }
      }
      assertEquals(5, capture.nodes.size(), () -> "one event per attempt: " + capture.nodes);
      var run = capture.run();
      assertEquals(name, run.getString("graph"));
      assertEquals(result.runId(), run.getLong("runId"));
      assertEquals(4, run.getInt("tasks"));
      assertEquals(1, run.getInt("failed"));
      assertEquals(1, run.getInt("skipped"));
      assertEquals(0, run.getInt("cancelled"));
      assertFalse(run.getBoolean("deadlineExceeded"));
    }
  }

  /**
   * An attempt interrupted because the run was cancelled is recorded as "cancelled", as the node
   * ends; with or without policies on the node.
   */
  @Test
  void attemptsInterruptedByFailFast_areRecordedCancelled_andCountedOnTheRunEvent()
      throws Exception {
    var name = graphName("jfr-cancelled");
    var started = new CountDownLatch(2);
    var g = Graph.builder(name);
    Node<String> plain = g.task("plain", () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    g.node("guarded").retry(RetryPolicy.fixed(2, Duration.ZERO)).call(() -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    Node<String> failing = g.task("failing", () -> {
      assertTrue(started.await(10, SECONDS), "both blocking tasks should start");
      throw new IOException("boom");
    });
    g.task("dependent", failing, s -> s);
    var graph = g.options(RunOptions.defaults().withExecutor(Executors.virtual())
        .withFailureMode(FailureMode.FAIL_FAST)).build();

    try (var capture = new Capture(name, 3)) {
      var result = graph.run(Inputs.empty());
      capture.awaitEvents();

      assertEquals(new Outcome.Cancelled<>("plain", "the run failed fast after node 'failing'"
          + " failed"), result.outcome(plain));
      assertEquals("failed", only(capture.of("failing")).getString("outcome"));
      assertEquals("cancelled", only(capture.of("guarded")).getString("outcome"),
          "a guarded node's interrupted attempt");
      assertEquals("cancelled", only(capture.of("plain")).getString("outcome"),
          "a plain node's interrupted attempt: the node ended " + result.outcome(plain));
      var run = capture.run();
      assertEquals(4, run.getInt("tasks"));
      assertEquals(1, run.getInt("failed"));
      assertEquals(1, run.getInt("skipped"), "the failed node's dependent");
      assertEquals(2, run.getInt("cancelled"));
      assertFalse(run.getBoolean("deadlineExceeded"));
    }
  }

  private static RecordedEvent only(List<RecordedEvent> events) {
    assertEquals(1, events.size(), () -> "one event expected: " + events);
    return events.get(0);
  }

  @Test
  void runPastItsDeadline_isRecordedWithDeadlineExceeded() throws Exception {
    var name = graphName("jfr-deadline");
    var clock = new FakeScheduler();
    var started = new CountDownLatch(1);
    var g = Graph.builder(name);
    g.task("slow", () -> {
      started.countDown();
      NEVER.await();
      return "unreachable";
    });
    var graph = g.options(RunOptions.defaults().withScheduler(clock)
        .withDeadline(Duration.ofMillis(100))).build();

    try (var capture = new Capture(name, 1)) {
      var future = graph.runAsync(Inputs.empty());
      assertTrue(started.await(10, SECONDS), "'slow' should start");
      clock.advance(Duration.ofMillis(100));
      var result = future.get(10, SECONDS);
      capture.awaitEvents();

      assertTrue(result.deadlineExceeded());
      var run = capture.run();
      assertTrue(run.getBoolean("deadlineExceeded"));
      assertEquals(1, run.getInt("tasks"));
      assertEquals(1, run.getInt("cancelled"));
      assertEquals(result.runId(), run.getLong("runId"));
    }
  }

  /** Both event types declare {@code @Threshold("1 ms")}, which JFR reports as the default. */
  @Test
  void eventTypes_areEnabledByDefault_withA1msThreshold() throws Exception {
    // JFR up (as any recording brings it), then a run: Weft registers its event types once JFR
    // is initialised, never initialising it itself (that costs most of a second: see Jfr)
    FlightRecorder.getFlightRecorder();
    var g = Graph.builder(graphName("jfr-types"));
    g.task("a", () -> "a");
    g.build().run(Inputs.empty());

    for (var name : List.of(NODE, RUN)) {
      var type = FlightRecorder.getFlightRecorder().getEventTypes().stream()
          .filter(t -> t.getName().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("JFR has no registered event type " + name));
      assertEquals("1 ms", setting(type, "threshold").getDefaultValue(), name);
      assertEquals("true", setting(type, "enabled").getDefaultValue(), name);
      assertEquals(List.of("Weft"), type.getCategoryNames(), name);
    }
    var node = FlightRecorder.getFlightRecorder().getEventTypes().stream()
        .filter(t -> t.getName().equals(NODE)).findFirst().orElseThrow();
    for (var field : List.of("graph", "node", "runId", "attempt", "outcome")) {
      assertNotNull(node.getField(field), NODE + " should have a field " + field);
    }
  }

  private static SettingDescriptor setting(EventType type, String name) {
    return type.getSettingDescriptors().stream().filter(s -> s.getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError(type.getName() + " has no setting "
            + name + ": " + type.getSettingDescriptors()));
  }

  @Test
  void defaultRecording_recordsANodeThatRunsLongerThanTheThreshold()
      throws IOException, ParseException, InterruptedException {
    var name = graphName("jfr-default");
    var g = Graph.builder(name);
    g.task("slow", () -> {
      Thread.sleep(20); // the work itself: longer than the 1 ms threshold
      return "slow";
    });
    var graph = g.build();

    try (var capture = new Capture(name, 1, Configuration.getConfiguration("default"))) {
      var result = graph.run(Inputs.empty());
      capture.awaitEvents();

      var slow = only(capture.of("slow"));
      assertEquals(result.runId(), slow.getLong("runId"));
      assertFalse(slow.getDuration().compareTo(Duration.ofMillis(20)) < 0, slow.toString());
      assertEquals(result.runId(), capture.run().getLong("runId"));
    }
  }

  @ParameterizedTest
  @MethodSource("dev.weft.testing.Executors#all")
  void fanOutElements_areRecordedAsAttemptsOfTheirNode_withTheirIndex(Executor executor)
      throws Exception {
    var name = graphName("jfr-elements");
    var threads = new ConcurrentHashMap<Integer, Thread>();
    var g = Graph.builder(name).options(RunOptions.defaults().withExecutor(executor));
    Input<List<Integer>> ids = g.input("ids");
    g.forEach("photos", ids, id -> {
      threads.put(id, Thread.currentThread());
      return id;
    });
    var graph = g.build();
    // the fan-out node's own attempt, and one per element
    try (var capture = new Capture(name, 4)) {
      var result = graph.run(Inputs.of(ids, List.of(0, 1, 2)));
      capture.awaitEvents();

      var events = capture.of("photos");
      assertEquals(4, events.size(), () -> "events: " + events);
      var byElement = new java.util.TreeMap<Integer, RecordedEvent>();
      for (var e : events) {
        byElement.put(e.getInt("element"), e);
        assertEquals(result.runId(), e.getLong("runId"));
        assertEquals("succeeded", e.getString("outcome"));
        assertEquals(0L, e.getLong("parentRunId"));
      }
      assertEquals(List.of(-1, 0, 1, 2), List.copyOf(byElement.keySet()));
      for (int i = 0; i < 3; i++) {
        assertEquals(threads.get(i).threadId(),
            byElement.get(i).getThread().getJavaThreadId(), "element " + i + "'s thread");
      }
    }
  }

  @Test
  void aSubgraphsRun_namesItsParentRun() throws Exception {
    var name = graphName("jfr-inner");
    var inner = Graph.builder(name);
    Input<Integer> x = inner.input("x", Integer.class);
    Node<Integer> twice = inner.task("twice", x, v -> 2 * v);
    var innerGraph = inner.build();
    var g = Graph.builder(graphName("jfr-outer"));
    Input<Integer> in = g.input("in", Integer.class);
    g.subgraph("host", Subgraph.of(innerGraph, twice).bind(x, in));
    try (var capture = new Capture(name, 1)) {
      var result = g.build().run(Inputs.of(in, 21));
      capture.awaitEvents();

      assertEquals(result.runId(), capture.run().getLong("parentRunId"));
      assertEquals("host", capture.run().getString("parentNode"));
      assertEquals(result.runId(), capture.of("twice").get(0).getLong("parentRunId"));
    }
  }

  @org.junit.jupiter.api.Test
  void eachHedgedCall_isRecordedOnItsOwnThread_withWhichHedgeItIs() throws Exception {
    var name = graphName("jfr-hedges");
    var threads = new ConcurrentHashMap<Integer, Thread>();
    var firstRuns = new CountDownLatch(1);
    var g = Graph.builder(name);
    g.node("search").hedge(HedgePolicy.after(Duration.ofMillis(1))).call(java.util.List.of(),
        deps -> {
          int hedge = TaskContext.current().hedge();
          threads.put(hedge, Thread.currentThread());
          if (hedge == 0) {
            firstRuns.countDown();
            NEVER.await(); // the first hangs until the hedge wins and interrupts it
          }
          // the hedge wins only once the first runs: one beaten before it started has no event
          assertTrue(firstRuns.await(10, SECONDS), "the first attempt never started");
          return "hedged";
        });
    var graph = g.build();
    // the attempt set on the node's thread, its first call there, and the hedge
    try (var capture = new Capture(name, 3)) {
      graph.run(Inputs.empty());
      capture.awaitEvents();
      var events = capture.of("search");
      var byHedge = new java.util.TreeMap<Integer, RecordedEvent>();
      for (var e : events) {
        byHedge.put(e.getInt("hedge"), e);
      }
      assertEquals(java.util.Set.of(-1, 0, 1), byHedge.keySet(), events::toString);
      assertEquals("cancelled", byHedge.get(0).getString("outcome"));
      assertEquals("succeeded", byHedge.get(1).getString("outcome"));
      assertEquals("succeeded", byHedge.get(-1).getString("outcome"), "the node's attempt");
      assertEquals(threads.get(1).threadId(), byHedge.get(1).getThread().getJavaThreadId());
      assertEquals(threads.get(0).threadId(), byHedge.get(0).getThread().getJavaThreadId());
    }
  }
}
