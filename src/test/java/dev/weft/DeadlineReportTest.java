package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.testing.FakeScheduler;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Regression (found by DeadlinePropertiesTest): a deadline timer firing while the run completes
 * must not flip {@link RunResult#deadlineExceeded()} after {@link RunEvent.RunEnded} reported it.
 */
class DeadlineReportTest {
  @Test
  void deadlinePassingAsTheRunEnds_doesNotChangeWhatTheResultReports() throws Exception {
    var fake = new FakeScheduler();
    var g = Graph.builder("flip");
    g.node("a").call(() -> 1L);
    var graph = g.build();
    var atEnd = new boolean[1];
    var options = graph.options().withExecutor(Runnable::run).withScheduler(fake)
        .withDeadline(Duration.ofMillis(100)).withListener(e -> {
          if (e instanceof RunEvent.RunEnded end) {
            atEnd[0] = end.result().deadlineExceeded();
            fake.advance(Duration.ofMillis(100)); // the deadline passes as the run ends
          }
        });
    var r = graph.runAsync(Inputs.empty(), o -> options).get();
    long until = System.nanoTime() + 1_000_000_000L;
    while (!r.deadlineExceeded() && System.nanoTime() < until) {
      Thread.onSpinWait(); // bounded: the deadline's virtual thread sets the flag soon
    }
    assertEquals(atEnd[0], r.deadlineExceeded(), "deadlineExceeded() changed after completion");
  }
}
