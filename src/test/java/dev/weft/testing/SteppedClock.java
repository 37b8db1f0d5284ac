package dev.weft.testing;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.weft.Graph;
import dev.weft.RunEvent;
import dev.weft.RunOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A fake clock that a test moves step by step, and what ended so far (nodes by name, inner ones
 * too; elements as {@code photos[3]}), so the test moves time only once what it waits for has
 * ended and every timestamp of a trace is exact. Tasks take fake time with {@link #sleep}.
 */
public final class SteppedClock {
  private final FakeScheduler fake = new FakeScheduler();
  private final BlockingQueue<String> ended = new LinkedBlockingQueue<>();

  /** {@return the graph's options on this clock, with a listener recording what ends} */
  public RunOptions options(Graph graph) {
    return graph.options().withScheduler(fake).withListener(event -> {
      switch (event) {
        case RunEvent.NodeEnded e -> ended.add(e.node());
        case RunEvent.ElementEnded e -> ended.add(e.node() + "[" + e.element() + "]");
        default -> {}
      }
    });
  }

  /** A task body that takes {@code millis} of fake time, then returns {@code value}. */
  public <T> T sleep(long millis, T value) throws InterruptedException {
    fake.sleep(millis, MILLISECONDS);
    return value;
  }

  /** Waits until {@code sleepers} tasks sleep, then moves the clock on by {@code millis}. */
  public void advance(int sleepers, long millis) {
    fake.awaitSleepers(sleepers);
    fake.advance(Duration.ofMillis(millis));
  }

  /** {@return the next name to end, waiting up to 10 s; null if none did} */
  public String nextEnded() throws InterruptedException {
    return ended.poll(10, SECONDS);
  }

  /** Waits until these have ended, in any order; a name given twice must end twice. */
  public void awaitEnded(String... names) throws InterruptedException {
    var expected = new ArrayList<>(List.of(names));
    while (!expected.isEmpty()) {
      var name = ended.poll(10, SECONDS);
      assertNotNull(name, "timed out after 10 s waiting until " + expected + " ended");
      expected.remove(name);
    }
  }
}
