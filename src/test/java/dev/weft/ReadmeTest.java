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
