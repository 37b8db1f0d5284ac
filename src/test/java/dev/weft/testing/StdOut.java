package dev.weft.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What an example's {@code main} prints: System.out captured around one call. */
public final class StdOut {
  private StdOut() {}

  /** A program's entry point, as the tests call it. */
  @FunctionalInterface
  public interface Main {
    void run() throws Exception;
  }

  /**
   * {@return everything {@code main} printed on System.out} Calls are serialised: System.out is
   * one for the whole JVM.
   */
  public static synchronized String of(Main main) throws Exception {
    var bytes = new ByteArrayOutputStream();
    var previous = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(previous);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
