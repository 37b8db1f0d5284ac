package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * "Good enough" pages: an optional node whose recent median would not fit in what is left of the
 * run's deadline is omitted instead of run; a required one is refused when the graph is built.
 */
class SkipWhenLateTest {
  private final FakeScheduler clock = new FakeScheduler();
  private final AtomicInteger calls = new AtomicInteger();

  private record Page(Graph graph, Node<String> similar, Node<String> page) {}

  /** {@code similar} takes 50 ms of the fake clock; {@code page} takes it optionally. */
  private Page page() {
    var g = Graph.builder("listing");
    Node<String> similar = g.node("similar").skipWhenLate().call(() -> {
      calls.incrementAndGet();
      clock.advance(Duration.ofMillis(50));
      return "similar listings";
    });
    Node<String> page = g.task("page", similar.optional(),
        (Optional<String> s) -> "page" + s.map(v -> " with " + v).orElse(" without similar"));
    return new Page(g.build(), similar, page);
  }

  private void warm(Page p, int runs) {
    for (int i = 0; i < runs; i++) {
      p.graph.run(Inputs.empty(), o -> o.withScheduler(clock));
    }
  }

  @Test
  void aNodeThatWouldNotMakeItIsOmitted_andThePageIsServedWithoutIt() {
    var p = page();
    warm(p, 20);
    int before = calls.get();

    var result = p.graph.run(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20)));

    assertEquals(Outcome.Status.OMITTED, result.outcome(p.similar).status());
    assertEquals("page without similar", result.get(p.page));
    assertEquals(before, calls.get(), "the late node was run anyway");
  }

  @Test
  void aNodeWithTimeEnoughRuns() {
    var p = page();
    warm(p, 20);

    var result = p.graph.run(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(200)));

    assertEquals("page with similar listings", result.get(p.page));
  }

  @Test
  void untilItsHistoryHoldsTwentyAttempts_itAlwaysRuns() {
    var p = page();
    warm(p, 19);

    int before = calls.get();
    var result = p.graph.run(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20)));

    // it ran (and its 50 ms then passed the deadline: cancelled, or done just before)
    assertEquals(before + 1, calls.get(), "the node was not run");
    assertNotEquals(Outcome.Status.OMITTED, result.outcome(p.similar).status());
  }

  @Test
  void itsHistoryAgesOut_afterTwoWindows() {
    var p = page();
    warm(p, 20);
    clock.advance(Duration.ofSeconds(21)); // the history reaches 10 to 20 s back

    int before = calls.get();
    var result = p.graph.run(Inputs.empty(),
        o -> o.withScheduler(clock).withDeadline(Duration.ofMillis(20)));

    // it ran (and its 50 ms then passed the deadline: cancelled, or done just before)
    assertEquals(before + 1, calls.get(), "the node was not run");
    assertNotEquals(Outcome.Status.OMITTED, result.outcome(p.similar).status());
  }

  @Test
  void aDependentThatRequiresIt_isRefusedWhenTheGraphIsBuilt() {
    var g = Graph.builder("listing");
    Node<String> similar = g.node("similar").skipWhenLate().call(() -> "similar");
    g.task("page", similar, s -> "page with " + s);

    var e = assertThrows(InvalidGraphException.class, g::build);
    assertTrue(e.getMessage().contains("node 'similar' of graph 'listing' may be omitted when "
        + "late (skipWhenLate), but 'page' requires it: take it with optional() or orElse(...)"),
        e.getMessage());
  }
}
