package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.TracingBridge;
import dev.weft.testing.StdOut;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The tracing bridge example: every node is a child span of the caller's span, in its trace. */
class TracingBridgeExampleTest {
  private static final Pattern CALLER = Pattern.compile("caller trace=(\\w+) span=(\\w+)");
  private static final Pattern SPAN =
      Pattern.compile("span trace=(\\w+) id=(\\w+) parent=(\\S+) (.+?) ([\\d.]+) ms (.*)");
  private static final Pattern LOG = Pattern.compile("log  trace=(\\S+) span=(\\S+) .*");

  private static String runMain() throws Exception {
    return StdOut.of(() -> TracingBridge.main(new String[0]));
  }

  @Test
  void everyNodeSpan_isAChildOfTheCallersSpan_inTheCallersTrace() throws Exception {
    var output = runMain();
    var lines = output.lines().toList();

    var caller = CALLER.matcher(lines.get(0));
    assertTrue(caller.matches(), "first line names the caller's span:\n" + output);
    var trace = caller.group(1);
    var parent = caller.group(2);
    var nodes = new HashSet<String>();
    var ids = new HashSet<String>();
    int logs = 0;
    for (var line : lines) {
      var span = SPAN.matcher(line);
      var log = LOG.matcher(line);
      if (span.matches()) {
        assertEquals(trace, span.group(1), "span in the caller's trace: " + line);
        assertTrue(ids.add(span.group(2)), "span ids are unique: " + line);
        if (span.group(4).startsWith("listing-page/")) {
          assertEquals(parent, span.group(3), "a node's span is a child of the caller's: " + line);
          assertTrue(span.group(6).startsWith("succeeded, 1 attempt(s)"), line);
          nodes.add(span.group(4));
        } else {
          assertEquals("GET /listings/42", span.group(4), "the caller's own span: " + line);
          assertEquals("ok", span.group(6));
          assertEquals(parent, span.group(2));
          assertEquals("-", span.group(3));
        }
      } else if (log.matches()) {
        logs++;
        assertEquals(trace, log.group(1), "task code sees the caller's trace id: " + line);
      }
    }
    assertEquals(new HashSet<>(List.of("listing-page/listing", "listing-page/host",
        "listing-page/price", "listing-page/page")), nodes, output);
    assertEquals(5, ids.size(), "four node spans and the caller's:\n" + output);
    assertEquals(3, logs, "one log line per simulated call:\n" + output);
    assertTrue(output.contains("page: host of listing 42 | price of listing 42"), output);
  }
}
