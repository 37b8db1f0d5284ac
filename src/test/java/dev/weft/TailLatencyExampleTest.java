package dev.weft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.TailLatency;
import dev.weft.testing.StdOut;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The tail-latency example runs as its javadoc says: hedges are sent, a few percent of the calls,
 * and the outage's retries stay within the budget, each failure saying why. No timing is
 * asserted: the latency table is the machine's.
 */
class TailLatencyExampleTest {
  @Test
  void hedgesAreSent_andTheOutageStaysWithinTheBudget() throws Exception {
    var text = StdOut.of(() -> TailLatency.main(new String[] {"60"}));

    var calls = Pattern.compile("calls: (\\d+) without hedging, (\\d+) hedged \\((\\d+) hedges")
        .matcher(text);
    assertTrue(calls.find(), text);
    int plain = Integer.parseInt(calls.group(1));
    int hedges = Integer.parseInt(calls.group(3));
    assertTrue(plain == 60 * 20, text);
    assertTrue(hedges > 0 && hedges <= 2 * plain, "hedges sent: " + hedges + "\n" + text);

    var outage = Pattern.compile("400 shard requests, (\\d+) calls").matcher(text);
    assertTrue(outage.find(), text);
    int sent = Integer.parseInt(outage.group(1));
    // 20% of 400 requests plus a reserve of 1/s over 10 s
    assertTrue(sent >= 400 && sent <= 400 + 80 + 10, "outage calls: " + sent + "\n" + text);
    assertTrue(text.contains("attached: retry budget 'shards' is spent (20% of requests + 1/s "
        + "over 10 s): retry 2 of node 'results' was not sent"), text);
    assertTrue(text.contains("shards answered: 0 of 400"), text);
  }
}
