package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Refusing at its start a run that cannot make its deadline (opt-in per graph). */
class AdmissionTest {
  private final FakeScheduler clock = new FakeScheduler();
  private final AtomicInteger calls = new AtomicInteger();

  /** One node that takes 50 ms of the fake clock. */
  private Graph graph(boolean refusing) {
    var g = Graph.builder("listing");
    if (refusing) {
      g.refuseUnreachableDeadlines();
    }
    g.task("listing", () -> {
      calls.incrementAndGet();
      clock.advance(Duration.ofMillis(50));
      return "listing";
    });
    var graph = g.build();
    for (int i = 0; i < 20; i++) {
      graph.run(Inputs.empty(), o -> o.withScheduler(clock));
    }
    calls.set(0);
    return graph;
  }

  @Test
  void aDeadlineShorterThanTheRecentMedian_isRefusedAtStart_startingNothing() {
    var graph = graph(true);

    var e = assertThrows(DeadlineUnreachableException.class, () -> graph.run(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20))));
    assertThrows(DeadlineUnreachableException.class, () -> graph.runAsync(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20))));

    assertEquals(0, calls.get(), "a refused run started a task");
    assertEquals("listing", e.graph());
    assertEquals(Duration.ofMillis(20), e.deadline());
    assertTrue(e.median().compareTo(Duration.ofMillis(50)) >= 0
        && e.median().compareTo(Duration.ofMillis(57)) <= 0, e.median().toString());
    assertTrue(e.getMessage().startsWith("run of graph 'listing' refused: its deadline of 20 ms "
        + "is shorter than the graph's recent median run time of"), e.getMessage());
  }

  @Test
  void aDeadlineLongEnough_orNone_runs() {
    var graph = graph(true);

    graph.run(Inputs.empty(), o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(100)));
    graph.run(Inputs.empty(), o -> o.withScheduler(clock));

    assertEquals(2, calls.get());
  }

  @Test
  void aGraphThatDidNotOptIn_neverRefuses() {
    var graph = graph(false);

    graph.run(Inputs.empty(), o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20)));

    assertEquals(1, calls.get(), "the run was not started");
  }
}
