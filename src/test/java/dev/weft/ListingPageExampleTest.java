package dev.weft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.ListingPage;
import dev.weft.testing.StdOut;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's main example runs, renders a partial page, and writes its trace with --trace. */
class ListingPageExampleTest {
  @Test
  void listingPage_withTrace_printsThePartialPageAndCriticalPath_andWritesEveryFile()
      throws Exception {
    var text = StdOut.of(() -> ListingPage.main(new String[] {"--trace"}));
    assertTrue(text.contains("reviews:     (unavailable)"), text);
    assertTrue(text.contains("partial page: reviews failed"), text);
    assertTrue(text.contains("critical path of run"), text);
    var dir = Path.of("target", "weft-trace");
    for (var file : new String[] {"trace.json", "graph.dot", "run.dot", "run.mmd",
        "waterfall.html"}) {
      var path = dir.resolve(file);
      assertTrue(Files.size(path) > 0, path + " should be written");
      assertTrue(Files.getLastModifiedTime(path).toMillis() > System.currentTimeMillis() - 600_000,
          path + " should be fresh");
    }
    assertTrue(Files.readString(dir.resolve("waterfall.html")).contains("similar"));
  }
}
