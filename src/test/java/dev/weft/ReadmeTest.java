package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's quick start compiles and runs exactly as written, with only Weft on the path. */
class ReadmeTest {
  private static final Path README = Path.of("README.md");
  private static final Path QUICK_START =
      Path.of("examples/dev/weft/examples/QuickStart.java");

  static String quickStart() throws IOException {
    var matcher = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL)
        .matcher(Files.readString(README));
    assertTrue(matcher.find(), "README.md should contain a ```java block");
    return matcher.group(1);
  }

  @Test
  void quickStart_compilesAndRunsWithOnlyWeftOnTheClassPath(@TempDir Path dir) throws Exception {
    var source = dir.resolve("QuickStart.java");
    Files.writeString(source, quickStart());
    var weft = Path.of(Graph.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    var bin = Path.of(System.getProperty("java.home"), "bin");

    var compiled = run(bin.resolve("javac").toString(), "--release", "21", "-cp",
        weft.toString(), "-d", dir.toString(), source.toString());
    assertEquals("", compiled, "the quick start should compile without warnings");
    var output = run(bin.resolve("java").toString(), "-cp",
        weft + File.pathSeparator + dir, "QuickStart");
    var lines = output.lines().toList();
    assertEquals("Hello Ada (u42), 0 new posts", lines.get(0), output);
    assertTrue(lines.get(1).contains("feed service is down"), output);
  }

  /**
   * The README's policy snippet (its second {@code java} block) is a fragment: its {@code static}
   * declarations go into a class and the rest into a method with the names it uses ({@code g},
   * {@code cart}, the downstream clients) declared around it; then it must compile without a
   * warning against Weft alone.
   */
  @Test
  void policySnippet_compilesAgainstWeftAlone(@TempDir Path dir) throws Exception {
    var blocks = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL)
        .matcher(Files.readString(README)).results().map(m -> m.group(1)).toList();
    assertTrue(blocks.size() >= 2, "README.md should have a second ```java block (policies)");
    var fields = new StringBuilder();
    var body = new StringBuilder();
    boolean inField = false;
    for (var line : blocks.get(1).lines().toList()) {
      inField |= line.startsWith("static ");
      (inField ? fields : body).append("  ").append(line).append('\n');
      inField &= !line.endsWith(";");
    }
    assertTrue(fields.length() > 0 && body.length() > 0, blocks.get(1));
    var source = dir.resolve("PolicySnippet.java");
    Files.writeString(source, """
        import dev.weft.*;
        import java.io.IOException;
        import java.time.Duration;

        class PolicySnippet {
          record Cart(String id) {}
          record Payment(String id) {}
          record Promo(String code) {
            static final Promo NONE = new Promo("-");
          }
          interface Payments { Payment charge(Cart cart) throws IOException; }
          interface FraudService { boolean check(Cart cart) throws IOException; }
          interface Promos { Promo best(Cart cart) throws IOException; }
          static Payments payments;
          static FraudService fraudService;
          static Promos promos;
        """ + fields + """
          static void declare(GraphBuilder g, Node<Cart> cart) {
        """ + body + """
          }
        }
        """);
    var weft = Path.of(Graph.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    var javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
    assertEquals("", run(javac, "--release", "21", "-Xlint:all", "-cp", weft.toString(), "-d",
        dir.toString(), source.toString()), "the policy snippet should compile without warnings");
  }

  /**
   * The snippets of the README's "Graphs shaped by data" section are fragments too: each goes
   * into a method of its own whose parameters are the names they use ({@code g}, {@code listing},
   * {@code viewer}, ...), beside the types and downstream clients they call; then they must all
   * compile without a warning against Weft alone.
   */
  @Test
  void dataShapedSnippets_compileAgainstWeftAlone(@TempDir Path dir) throws Exception {
    var readme = Files.readString(README);
    int start = readme.indexOf("\n## Graphs shaped by data\n");
    assertTrue(start >= 0, "README.md should have a section 'Graphs shaped by data'");
    int end = readme.indexOf("\n## ", start + 1);
    var blocks = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL)
        .matcher(readme.substring(start, end < 0 ? readme.length() : end)).results()
        .map(m -> m.group(1)).toList();
    assertEquals(4, blocks.size(), "one snippet per capability: fan-out, subgraphs, conditions, "
        + "outcome edges");
    var methods = new StringBuilder();
    for (int i = 0; i < blocks.size(); i++) {
      methods.append("  static void snippet").append(i).append("(GraphBuilder g, Node<Listing> ")
          .append("listing, Node<User> viewer, Node<List<Long>> reviewIds, Node<List<Long>> ")
          .append("hostIds, Node<List<Review>> reviewList) {\n");
      blocks.get(i).lines().forEach(line -> methods.append("    ").append(line).append('\n'));
      methods.append("  }\n");
    }
    var source = dir.resolve("DataSnippets.java");
    Files.writeString(source, """
        import dev.weft.*;
        import java.io.IOException;
        import java.time.Duration;
        import java.util.List;

        class DataSnippets {
          record Listing(long id, long hostId, List<Long> photoIds) {}
          record Photo(long id) {
            static final Photo PLACEHOLDER = new Photo(0);
          }
          record Review(String author, int stars) {}
          record User(long id, boolean premium) {}
          record Profile(String name) {}
          record HostCard(Profile profile, double rating) {}
          record Upsell(String text) {}
          interface PhotoService { Photo fetch(long id) throws IOException; }
          interface ReviewService {
            Review fetch(long id) throws IOException;
            double rating(long hostId) throws IOException;
          }
          interface Users { Profile profile(long id) throws IOException; }
          interface Upsells { Upsell offer(Listing listing) throws IOException; }
          static PhotoService photoService;
          static ReviewService reviewService;
          static Users users;
          static Upsells upsells;
        """ + methods + "}\n");
    compilesAgainstWeftAlone(dir, source, "the data-shaped snippets should compile without");
  }

  /**
   * The snippet of the README's "Adaptive limits and criticality" section is a fragment like the
   * policy one: its {@code static} declaration goes into a class, the rest into a method whose
   * parameters are the names it uses; then it must compile without a warning against Weft alone.
   */
  @Test
  void adaptiveLimitSnippet_compilesAgainstWeftAlone(@TempDir Path dir) throws Exception {
    var fragment = Fragment.of("\n### Adaptive limits and criticality\n", true,
        "one snippet: the bulkhead and a node and run using it");
    var fields = fragment.fields();
    var body = fragment.body();
    var source = dir.resolve("LimitSnippet.java");
    Files.writeString(source, """
        import dev.weft.*;
        import java.io.IOException;
        import java.time.Duration;
        import java.util.List;

        class LimitSnippet {
          record Listing(long id) {}
          record Review(String text) {}
          interface ReviewService { List<Review> top(Listing listing) throws IOException; }
          static ReviewService reviewService;
        """ + fields + """
          static void declare(GraphBuilder g, Node<Listing> listing, Graph graph, Inputs inputs) {
        """ + body + """
          }
        }
        """);
    compilesAgainstWeftAlone(dir, source, "the adaptive-limit snippet should compile without");
  }

  /**
   * The README's "Batching" snippet is a fragment like the policy one: its {@code static}
   * declarations (up to the line that ends in {@code ;}, a trailing comment aside) go into a
   * class, the rest into a method whose parameters are the nodes it uses; then it must compile
   * without a warning against Weft alone.
   */
  @Test
  void batchingSnippet_compilesAgainstWeftAlone(@TempDir Path dir) throws Exception {
    var fragment = Fragment.of("\n## Batching\n", true,
        "one snippet: the loaders and the nodes that load");
    var fields = fragment.fields();
    var body = fragment.body();
    var source = dir.resolve("BatchingSnippet.java");
    Files.writeString(source, """
        import dev.weft.*;
        import java.io.IOException;
        import java.time.Duration;
        import java.util.List;
        import java.util.Map;

        class BatchingSnippet {
          record User(long id, String name) {}
          record Review(long authorId, int stars) {}
          record Listing(long id, long hostId) {}
          interface UserService { Map<Long, User> fetchMany(List<Long> ids) throws IOException; }
          interface ListingService {
            Map<Long, Listing> fetchMany(List<Long> ids) throws IOException;
          }
          static UserService userService;
          static ListingService listingService;
        """ + fields + """
          static void declare(GraphBuilder g, Node<List<Review>> reviews,
              Node<List<Long>> similarIds) {
        """ + body + """
          }
        }
        """);
    compilesAgainstWeftAlone(dir, source, "the batching snippet should compile without");
  }

  /**
   * The README's "Tail latency and overload" snippet is a fragment like the batching one; it must
   * compile without a warning against Weft alone.
   */
  @Test
  void tailLatencySnippet_compilesAgainstWeftAlone(@TempDir Path dir) throws Exception {
    var fragment = Fragment.of("\n## Tail latency and overload\n", false,
        "a snippet: the budget, and hedged and skippable nodes");
    var fields = fragment.fields();
    var body = fragment.body();
    var source = dir.resolve("TailSnippet.java");
    Files.writeString(source, """
        import dev.weft.*;
        import java.io.IOException;
        import java.time.Duration;
        import java.util.List;
        import java.util.Optional;

        class TailSnippet {
          record Shard(int id) {}
          record Hits(List<String> ids) {}
          record Ad(String text) {}
          record Page(List<Outcome<Hits>> hits, Optional<List<Ad>> ads) {}
          interface Index { Hits search(Shard shard, boolean hedge) throws IOException; }
          interface AdService { List<Ad> fetch(String query) throws IOException; }
          static Index index;
          static AdService adService;
        """ + fields + """
          static Node<Page> declare(GraphBuilder g, Node<List<Shard>> shards, Input<String> query) {
        """ + body + """
            return page;
          }
        }
        """);
    compilesAgainstWeftAlone(dir, source, "the tail-latency snippet should compile without");
  }

  /** A README section's first {@code java} snippet: its static declarations, and the rest. */
  private record Fragment(String fields, String body) {
    /**
     * Reads the first snippet of the section starting at {@code heading} (up to the next {@code
     * ## } heading): its {@code static} declarations (up to the line that ends in {@code ;}, a
     * trailing comment aside) are the fields, the rest the body, each line indented for a class.
     */
    static Fragment of(String heading, boolean onlyOne, String what) throws IOException {
      var readme = Files.readString(README);
      int start = readme.indexOf(heading);
      assertTrue(start >= 0, "README.md should have a section '" + heading.strip() + "'");
      int end = readme.indexOf("\n## ", start + 1);
      var blocks = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL)
          .matcher(readme.substring(start, end < 0 ? readme.length() : end)).results()
          .map(m -> m.group(1)).toList();
      assertTrue(onlyOne ? blocks.size() == 1 : !blocks.isEmpty(), what + ": " + blocks.size());
      var fields = new StringBuilder();
      var body = new StringBuilder();
      boolean inField = false;
      for (var line : blocks.get(0).lines().toList()) {
        inField |= line.startsWith("static ");
        (inField ? fields : body).append("  ").append(line).append('\n');
        inField &= !line.replaceFirst("\\s*//.*$", "").endsWith(";");
      }
      assertTrue(fields.length() > 0 && body.length() > 0, blocks.get(0));
      return new Fragment(fields.toString(), body.toString());
    }
  }

  /** Compiles {@code source} against Weft alone, for Java 21, and expects no warning. */
  private static void compilesAgainstWeftAlone(Path dir, Path source, String what)
      throws Exception {
    var weft = Path.of(Graph.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    var javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
    assertEquals("", run(javac, "--release", "21", "-Xlint:all", "-cp", weft.toString(), "-d",
        dir.toString(), source.toString()), what + " warnings:\n" + Files.readString(source));
  }

  private static String run(String... command) throws Exception {
    var log = Files.createTempFile("weft-readme", ".log");
    var process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    boolean finished = process.waitFor(60, TimeUnit.SECONDS);
    if (!finished) {
      process.destroyForcibly();
    }
    var output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertTrue(finished, "timed out: " + String.join(" ", command) + "\n" + output);
    assertEquals(0, process.exitValue(), output);
    return output;
  }

  @Test
  void quickStartExample_isTheReadmeQuickStart() throws IOException {
    var example = Files.readString(QUICK_START);
    assertEquals(List.of("package dev.weft.examples;", ""), example.lines().limit(2).toList());
    assertEquals(quickStart(), example.substring(example.indexOf('\n', example.indexOf('\n') + 1)
        + 1), "examples/QuickStart.java should be the README's quick start");
  }
}
