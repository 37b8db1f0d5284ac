package dev.weft.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checkers the export tests rely on accept what is valid and refuse what a lenient reader
 * would let through, so a passing export test means something.
 */
class ExportCheckersTest {
  @Test
  void strictJson_readsEveryKindOfValue() {
    var value = StrictJson.parse(" {\"a\": [1, -0.5e+3, true, false, null, \"\\u00e9\\n\\\"\\/\"],"
        + " \"b\": {}, \"c\": [], \"d\": \"\ud83e\uddf5\"} ");
    var map = StrictJson.object(value, "root");
    var list = StrictJson.array(map.get("a"), "a");
    assertEquals(new BigDecimal(1), list.get(0));
    assertEquals(new BigDecimal("-0.5e+3"), list.get(1));
    assertEquals(List.of(true, false), list.subList(2, 4));
    assertNull(list.get(4));
    assertEquals("é\n\"/", list.get(5));
    assertEquals(Map.of(), map.get("b"));
    assertEquals("\ud83e\uddf5", map.get("d"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "['a']",
      "\"tab\there\"", "\"new\nline\"", "\"bad \\x escape\"", "\"short \\u12\"",
      "\"bad \\u12g4\"", "01", "1.", ".5", "-", "1e", "+1", "NaN", "tru", "nul",
      "{\"a\":1,\"a\":2}", "[1] x", "[1] // comment", "\"unterminated", "\"lone \ud800\"", "",
      "[", "{\"a\":1"})
  void strictJson_refusesWhatIsNotStrictJson(String json) {
    assertThrows(IllegalArgumentException.class, () -> StrictJson.parse(json), json);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "digraph g { a; b; a -> c; }",
      "digraph g { a [label=\"x]; }",
      "digraph g { a [label=\"x\"]; ",
      "digraph g { a [label=\"x\" ; }",
      "digraph g { a [label=x, label=y]; }",
      "digraph g { a; a; }",
      "digraph g { a [label=\"bad \\q escape\"]; }",
      "digraph g { a [label=\"raw\nnewline\"]; }",
      "digraph g { a [label=\"a &lt; b\"]; }",
      "digraph g { subgraph; }",
      "digraph g { a -> b -> c; a; b; c; }",
      "digraph g { a } }"})
  void graphSyntax_refusesBrokenDot(String dot) {
    assertThrows(AssertionError.class, () -> GraphSyntax.parseDot(dot), dot);
  }

  @Test
  void graphSyntax_readsDotLabelsAsGraphvizShowsThem() {
    var dot = GraphSyntax.parseDot(
        "digraph \"g\" {\n  n0 [label=\"say \\\"hi\\\"\\n\\\\ &amp;\"];\n  n1;\n  n0 -> n1;\n}\n");
    assertEquals("say \"hi\"\n\\ &", dot.nodes().get("n0").label());
    assertEquals(1, dot.edges().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "flowchart LR\n  n0(\"a\")\n  n0 --> n1\n",
      "flowchart LR\n  n0(\"a\")\n  n1(\"b\")\n  n0 -->|\"x\"| n2\n",
      "flowchart LR\n  n0(\"a \"quoted\"\")\n",
      "flowchart LR\n  n0(\"raw # hash\")\n",
      "flowchart LR\n  n0(\"raw <b>\")\n",
      "flowchart LR\n  n0(\"a\")\n  n0(\"a\")\n",
      "flowchart LR\n  n0(\"a\"\n",
      "flowchart LR\n  n0(\"a\")\n  linkStyle 0 stroke:red\n",
      "flowchart LR\n  n0(\"a\")\n  class n0 undefined\n",
      "flowchart LR\n  n0(\"a\")\n  style n9 fill:red\n",
      "graph TD\n  n0(\"a\")\n",
      "flowchart LR\n  n0(\"a\")"})
  void graphSyntax_refusesBrokenMermaid(String mermaid) {
    assertThrows(AssertionError.class, () -> GraphSyntax.parseMermaid(mermaid), mermaid);
  }

  @Test
  void graphSyntax_decodesMermaidEntitiesAndLineBreaks() {
    var m = GraphSyntax.parseMermaid("flowchart LR\n  n0[/\"#34;a#34; #35;<br>b\"/]\n");
    assertEquals("\"a\" #\nb", m.nodes().get("n0").label());
    assertEquals(true, m.nodes().get("n0").input());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "<html><body></html>",
      "<!DOCTYPE html><html><p>a < b</p></html>",
      "<!DOCTYPE html><html><p>a > b</p></html>",
      "<!DOCTYPE html><html><p>fish & chips</p></html>",
      "<!DOCTYPE html><html><p>&bogus;</p></html>",
      "<!DOCTYPE html><html><p title=unquoted>x</p></html>",
      "<!DOCTYPE html><html><p title=\"a\" title=\"b\">x</p></html>",
      "<!DOCTYPE html><html><p><b>x</p></b></html>",
      "<!DOCTYPE html><html><p>x</p>",
      "<!DOCTYPE html><html><p>bell \u0007</p></html>",
      "<!DOCTYPE html><html><p>lone \ud800</p></html>"})
  void htmlCheck_refusesMalformedPages(String html) {
    assertThrows(AssertionError.class, () -> HtmlCheck.parse(html), html);
  }

  @Test
  void htmlCheck_decodesTextAndAttributes() {
    var page = HtmlCheck.parse("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>"
        + "a>b{}</style></head><body><p class=\"x y\" title=\"a&#10;&quot;b&quot;\">1 &lt; 2"
        + " &amp; 3</p></body></html>");
    var p = page.find("p", "y").getFirst();
    assertEquals("a\n\"b\"", p.attr("title"));
    assertEquals("1 < 2 & 3", p.text());
    assertEquals("a>b{}", page.style());
  }
}
