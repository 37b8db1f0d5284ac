package dev.weft.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The rolling histogram behind hedge delays and medians: accuracy, rolling, concurrency. */
class LatencyHistogramTest {
  private static final long WINDOW = 10_000_000_000L;

  @Test
  void buckets_coverTheirValues_withinAnEighth() {
    for (long v = 1024; v < (1L << 37); v = v * 3 / 2 + 7) {
      int b = LatencyHistogram.bucket(v);
      long upper = LatencyHistogram.upperBound(b);
      assertTrue(upper >= v, v + " above its bucket's bound " + upper);
      assertTrue(upper <= v + v / 8 + 1, v + " read as " + upper);
      if (b > 0) {
        assertTrue(LatencyHistogram.upperBound(b - 1) < v, v + " belongs in an earlier bucket");
      }
    }
  }

  @Test
  void percentiles_ofAKnownDistribution_areReadFromAbove_withinAnEighth() {
    var h = new LatencyHistogram(WINDOW);
    var random = new Random(42);
    var values = new ArrayList<Long>();
    for (int i = 0; i < 10_000; i++) {
      long v = 1_000_000L + (long) (random.nextDouble() * 9_000_000L); // 1 to 10 ms
      values.add(v);
      h.record(v, 0);
    }
    values.sort(null);
    for (double q : new double[] {0.5, 0.95, 0.99}) {
      long truth = values.get((int) Math.ceil(q * values.size()) - 1);
      long read = h.percentile(q, 1, 0);
      assertTrue(read >= truth && read <= truth + truth / 8 + 1, "p" + q + ": " + read
          + " for " + truth);
    }
  }

  @Test
  void tooFewSamples_readAsNone() {
    var h = new LatencyHistogram(WINDOW);
    for (int i = 0; i < 19; i++) {
      h.record(5_000_000, 0);
    }
    assertEquals(-1, h.percentile(0.5, 20, 0));
    h.record(5_000_000, 0);
    assertTrue(h.percentile(0.5, 20, 0) > 0);
  }

  @Test
  void itRolls_keepingTheLastOneToTwoWindows() {
    var h = new LatencyHistogram(WINDOW);
    h.record(1_000_000, 0);
    h.record(2_000_000, WINDOW); // the next window
    assertEquals(2, h.count(WINDOW), "the window before is still read");
    assertEquals(1, h.count(2 * WINDOW), "the first window aged out");
    h.record(3_000_000, 2 * WINDOW); // clears the first window's slot for reuse
    assertEquals(2, h.count(2 * WINDOW));
    assertEquals(0, h.count(4 * WINDOW), "everything aged out");
  }

  @Test
  void concurrentRecorders_loseNothingWithinAWindow() throws Exception {
    var h = new LatencyHistogram(WINDOW);
    int threads = 8;
    int each = 10_000;
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      var done = new ArrayList<Future<?>>();
      for (int t = 0; t < threads; t++) {
        long value = 1_000_000L * (t + 1);
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            h.record(value, 5);
          }
        }));
      }
      for (var f : done) {
        f.get(10, TimeUnit.SECONDS);
      }
    }
    assertEquals((long) threads * each, h.count(5));
  }
}
