package dev.weft;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The critical-path text reads the same whatever the JVM's default locale. */
class TraceLocaleTest {
  @Test
  void criticalPathText_usesADecimalPoint_evenUnderAGermanDefaultLocale() {
    var g = Graph.builder("locale");
    Node<Integer> a = g.task("a", () -> 1);
    g.task("b", a, x -> x + 1);
    var graph = g.build();
    var previous = Locale.getDefault();
    String text;
    try {
      Locale.setDefault(Locale.GERMANY);
      text = graph.run(Inputs.empty()).trace().criticalPathText();
    } finally {
      Locale.setDefault(previous);
    }
    assertTrue(Pattern.compile("\\d+\\.\\d+ ms").matcher(text).find(), text);
    assertFalse(Pattern.compile("\\d+,\\d+ ms").matcher(text).find(), text);
  }
}
