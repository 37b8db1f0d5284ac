package dev.weft.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Outcome;
import dev.weft.RunEvent;
import dev.weft.RunEvent.NodeEnded;
import dev.weft.RunEvent.NodeReady;
import dev.weft.RunEvent.NodeRetried;
import dev.weft.RunEvent.NodeStarted;
import dev.weft.RunEvent.RunEnded;
import dev.weft.RunEvent.RunStarted;
import dev.weft.RunListener;
import dev.weft.RunResult;
import dev.weft.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/** Recording {@link RunEvent}s and checking the rules every run's events obey. */
public final class Events {
  private Events() {}

  /** Records every event it receives, in the order the calls arrive. */
  public static final class Recorder implements RunListener {
    private final List<RunEvent> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onEvent(RunEvent event) {
      events.add(event);
    }

    /** {@return the events so far} */
    public List<RunEvent> events() {
      synchronized (events) {
        return List.copyOf(events);
      }
    }
  }

  /** {@return the node an event is about, or null for run events} */
  public static String nodeOf(RunEvent event) {
    return switch (event) {
      case NodeReady e -> e.node();
      case NodeStarted e -> e.node();
      case NodeRetried e -> e.node();
      case NodeEnded e -> e.node();
      case RunEvent.ElementStarted e -> e.node();
      case RunEvent.ElementRetried e -> e.node();
      case RunEvent.ElementEnded e -> e.node();
      case RunEvent.HedgeStarted e -> e.node();
      case RunEvent.HedgeEnded e -> e.node();
      case RunEvent.BatchEnded e -> null;
      case RunStarted e -> null;
      case RunEnded e -> null;
    };
  }

  /** {@return the events of {@code node}, in order} */
  public static List<RunEvent> of(List<RunEvent> events, String node) {
    return events.stream().filter(e -> node.equals(nodeOf(e))).toList();
  }

  /** {@return the node's events in short form: "ready", "started 1", "retried 1", "ended"} */
  public static List<String> kinds(List<RunEvent> events, String node) {
    return of(events, node).stream().map(e -> switch (e) {
      case NodeReady r -> "ready";
      case NodeStarted s -> "started " + s.attempt();
      case NodeRetried r -> "retried " + r.attempt();
      case NodeEnded n -> "ended";
      case RunEvent.ElementStarted s -> "element " + s.element() + " started " + s.attempt();
      case RunEvent.ElementRetried r -> "element " + r.element() + " retried " + r.attempt();
      case RunEvent.ElementEnded n -> "element " + n.element() + " ended";
      case RunEvent.HedgeStarted s -> "hedge " + s.hedge() + " started";
      case RunEvent.HedgeEnded n -> "hedge " + n.hedge() + " ended";
      default -> throw new AssertionError(e);
    }).toList();
  }

  /** {@return the one event of {@code type} about {@code node}} */
  public static <T extends RunEvent> T only(List<RunEvent> events, String node, Class<T> type) {
    var matching = of(events, node).stream().filter(type::isInstance).map(type::cast).toList();
    assertEquals(1, matching.size(), () -> "one " + type.getSimpleName() + " of '" + node
        + "' expected in " + events);
    return matching.get(0);
  }

  /** {@return the events of {@code type} about {@code node}} */
  public static <T extends RunEvent> List<T> all(List<RunEvent> events, String node,
      Class<T> type) {
    return of(events, node).stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** {@return where {@code event} (this instance) is in {@code events}} */
  public static int indexOf(List<RunEvent> events, RunEvent event) {
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i) == event) {
        return i;
      }
    }
    throw new AssertionError("not delivered: " + event);
  }

  /** {@return a thread as events name it: "#id name"} */
  public static String threadName(Thread t) {
    return "#" + t.threadId() + " " + t.getName();
  }

  /**
   * Checks the rules every run's events obey: RunStarted first and RunEnded (with {@code result})
   * last; per node NodeReady, then per attempt a NodeStarted closed by a NodeRetried or the one
   * NodeEnded, which agrees with the node's span; a node that never started has at most a
   * NodeReady before its NodeEnded, a skipped one only NodeEnded; every dependency in {@code
   * deps} (node -> its dependencies) ends before its dependent is ready.
   */
  public static void assertWellFormed(List<RunEvent> events, RunResult result,
      Map<String, List<String>> deps) {
    assertFalse(events.isEmpty(), "no events");
    var started = assertInstanceOf(RunStarted.class, events.get(0), "first event: " + events);
    var ended = assertInstanceOf(RunEnded.class, events.get(events.size() - 1),
        "last event: " + events);
    assertSame(result, ended.result(), "RunEnded should carry the result the caller gets");
    assertEquals(1, events.stream().filter(RunStarted.class::isInstance).count(), "RunStarted");
    assertEquals(1, events.stream().filter(RunEnded.class::isInstance).count(), "RunEnded");
    assertEquals(Duration.ZERO, started.at());
    assertEquals(result.spans().size(), started.tasks(), "RunStarted.tasks");
    assertEquals(result.elapsed(), ended.at(), "RunEnded.at is how long the run took");
    var names = new HashSet<String>();
    for (var span : result.spans()) {
      names.add(span.node());
    }
    for (var e : events) {
      assertEquals(result.graph(), e.graph(), () -> "graph of " + e);
      assertEquals(result.runId(), e.runId(), () -> "runId of " + e);
      assertFalse(e.at().isNegative(), () -> "at of " + e);
      var node = nodeOf(e);
      assertTrue(node == null || names.contains(node), () -> "event of an unknown node: " + e);
    }
    for (var span : result.spans()) {
      assertNodeWellFormed(of(events, span.node()), span);
    }
    deps.forEach((node, ups) -> {
      var ready = all(events, node, NodeReady.class);
      for (var up : ups) {
        var upEnded = only(events, up, NodeEnded.class);
        for (var r : ready) {
          assertTrue(indexOf(events, upEnded) < indexOf(events, r), () -> "'" + up
              + "' should end before its dependent '" + node + "' is ready: " + events);
        }
      }
    });
  }

  private static void assertNodeWellFormed(List<RunEvent> mine, Span span) {
    var node = span.node();
    var ends = mine.stream().filter(NodeEnded.class::isInstance).toList();
    assertEquals(1, ends.size(), () -> "'" + node + "' should end exactly once: " + mine);
    var end = assertInstanceOf(NodeEnded.class, mine.get(mine.size() - 1),
        () -> "NodeEnded should be the last event of '" + node + "': " + mine);
    assertEquals(span, end.span(), () -> "NodeEnded.span of '" + node + "' vs result.spans()");
    assertEquals(span.ended(), end.at(), () -> "NodeEnded.at of '" + node + "'");
    int i = 0;
    if (mine.get(0) instanceof NodeReady ready) {
      assertEquals(span.ready(), ready.at(), () -> "NodeReady.at of '" + node + "'");
      i = 1;
    }
    int attempts = 0;
    NodeStarted last = null;
    while (mine.get(i) instanceof NodeStarted s) {
      attempts++;
      last = s;
      int n = attempts;
      assertEquals(n, s.attempt(), () -> "attempt numbers of '" + node + "': " + mine);
      i++;
      if (mine.get(i) instanceof NodeRetried r) {
        assertEquals(n, r.attempt(), () -> "NodeRetried closes its attempt: " + mine);
        i++;
        assertInstanceOf(NodeStarted.class, mine.get(i),
            () -> "a NodeRetried must be followed by another attempt: " + mine);
      }
    }
    assertEquals(mine.size() - 1, i, () -> "unexpected events of '" + node + "': " + mine);
    assertEquals(span.attempts(), attempts, () -> "NodeStarted count of '" + node
        + "' vs its span's attempts: " + mine + " / " + span);
    if (last != null) {
      assertInstanceOf(NodeReady.class, mine.get(0), () -> "'" + node + "' ran unready: " + mine);
      assertEquals(span.thread(), last.thread(), () -> "thread of '" + node + "'");
    }
    if (span.outcome() instanceof Outcome.Skipped<?>) {
      assertEquals(1, mine.size(), () -> "skipped '" + node + "' should only end: " + mine);
    }
    for (int k = 1; k < mine.size(); k++) {
      var before = mine.get(k - 1);
      var after = mine.get(k);
      assertFalse(after.at().compareTo(before.at()) < 0,
          () -> "time goes back between " + before + " and " + after);
    }
  }
}
