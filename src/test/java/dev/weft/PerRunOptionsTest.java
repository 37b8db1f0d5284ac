package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A run's options start from the graph's: changing one setting for a run keeps the others, and a
 * deadline that is already spent (a budget passed on to a nested run) cancels the run at once.
 */
class PerRunOptionsTest {
  private static final ThreadLocal<String> REQUEST = new ThreadLocal<>();

  @Test
  void changingOneSettingForARun_keepsTheGraphsListenersAndPropagators() {
    var events = new CopyOnWriteArrayList<RunEvent>();
    var g = Graph.builder("overlay").options(RunOptions.defaults()
        .withListener(events::add)
        .withPropagator(ContextPropagator.threadLocal(REQUEST)));
    Node<String> seen = g.task("seen", REQUEST::get);
    var graph = g.build();

    REQUEST.set("request-7");
    try {
      var result = graph.run(Inputs.empty(), o -> o.withDeadline(Duration.ofSeconds(10)));

      assertEquals("request-7", result.get(seen), "the graph's propagator was dropped");
      assertTrue(events.stream().anyMatch(e -> e instanceof RunEvent.RunEnded),
          "the graph's listener was dropped");
      assertFalse(result.deadlineExceeded());
    } finally {
      REQUEST.remove();
    }
  }

  @Test
  void spentDeadline_startsNoTask_cancelsEveryNode_andReportsTheDeadline() {
    var ran = new AtomicInteger();
    var g = Graph.builder("spent");
    Node<Integer> a = g.task("a", ran::incrementAndGet);
    Node<Integer> b = g.task("b", a, x -> ran.incrementAndGet());
    var graph = g.build();

    for (var budget : List.of(Duration.ZERO, Duration.ofMillis(-3))) {
      var result = graph.run(Inputs.empty(), o -> o.withDeadline(budget));

      assertEquals(0, ran.get(), "a task ran with a spent budget of " + budget);
      assertTrue(result.deadlineExceeded(), budget::toString);
      for (var node : List.of(a, b)) {
        var cancelled = assertInstanceOf(Outcome.Cancelled.class, result.outcome(node));
        assertEquals("the run's deadline had passed when it started", cancelled.reason());
      }
    }
  }
}
