package dev.weft.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Graph;
import dev.weft.Inputs;
import dev.weft.RunOptions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** White-box: the real scheduler's queue does not keep the timers of attempts that ended. */
class SystemSchedulerTest {
  private static final int NODES = 100;
  private static final int RUNS = 100;

  @Test
  void tenThousandQuickTimedNodes_leaveNoCancelledTimersQueued_onOneTimerThread() {
    var timers = SystemScheduler.INSTANCE;
    var maxPendingDuringRuns = new AtomicInteger();
    var g = Graph.builder("quick-timed")
        .options(RunOptions.defaults().withDeadline(Duration.ofHours(1)));
    for (int i = 0; i < NODES; i++) {
      g.node("quick" + i).timeout(Duration.ofMinutes(30)).call(() -> {
        maxPendingDuringRuns.accumulateAndGet(timers.pendingTimers(), Math::max);
        return 1;
      });
    }
    var graph = g.build();
    int before = timers.pendingTimers();

    for (int run = 0; run < RUNS; run++) {
      assertTrue(graph.run(Inputs.empty()).succeeded());
    }
    int after = timers.pendingTimers();

    assertTrue(maxPendingDuringRuns.get() >= 2,
        "a running node should have its timeout and the run's deadline queued; saw "
            + maxPendingDuringRuns.get());
    // a handful of unrelated timers (other tests' short straggler timers) may come and go
    assertTrue(after <= before + 8, (NODES * RUNS) + " timed nodes left " + (after - before)
        + " timers queued (" + before + " before, " + after + " after)");
    long timerThreads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("weft-timer")).count();
    assertEquals(1, timerThreads, "all timers should share one thread");
  }
}
