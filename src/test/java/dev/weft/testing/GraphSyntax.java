package dev.weft.testing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parsers for the Graphviz DOT and Mermaid flowcharts Weft writes: they check the text is
 * balanced (brackets, braces, parentheses, quotes), that every statement has a form the language
 * accepts, that labels use only valid escapes, that no node is declared twice, and that every edge
 * (and every class, style and link style) refers to a declared node. They accept only the subset
 * of each language Weft uses, so anything unexpected fails loudly.
 */
public final class GraphSyntax {
  private GraphSyntax() {}

  /** A DOT node statement; {@code attrs} hold raw (still escaped) values. */
  public record DotNode(String id, Map<String, String> attrs) {
    /** {@return the label as Graphviz shows it, escapes decoded} */
    public String label() {
      return dotText(attrs.getOrDefault("label", id));
    }
  }

  /** A DOT edge statement. */
  public record DotEdge(String from, String to, Map<String, String> attrs) {}

  /** A parsed DOT digraph. */
  public record Dot(String name, Map<String, String> graphAttrs, Map<String, DotNode> nodes,
      List<DotEdge> edges) {
    /** {@return the node labelled {@code name}, alone or followed by one line of run details} */
    public DotNode named(String name) {
      for (var n : nodes.values()) {
        if (labels(n.label(), name)) {
          return n;
        }
      }
      throw new AssertionError("no node labelled '" + name + "' in " + nodes.keySet());
    }
  }

  /**
   * A Mermaid node: its id, its decoded label and whether it is drawn as an input. A run's batch
   * loader is a node too, with an id {@code l0}, {@code l1}, ... and no edge into it.
   */
  public record MermaidNode(String id, String label, boolean input) {}

  /** A Mermaid edge, numbered in order as {@code linkStyle} counts them. */
  public record MermaidEdge(int index, String from, String arrow, String label, String to) {}

  /** A parsed Mermaid flowchart. */
  public record Mermaid(String title, Map<String, MermaidNode> nodes, List<MermaidEdge> edges,
      Map<String, String> classDefs, Map<String, String> classOf, Map<String, String> styles,
      Map<Integer, String> linkStyles) {
    /** {@return the node labelled {@code name}, alone or followed by one line of run details} */
    public MermaidNode named(String name) {
      for (var n : nodes.values()) {
        if (labels(n.label(), name)) {
          return n;
        }
      }
      throw new AssertionError("no node labelled '" + name + "' in " + nodes.keySet());
    }
  }

  private static boolean labels(String label, String name) {
    return label.equals(name) || label.startsWith(name + "\n")
        && label.indexOf('\n', name.length() + 1) < 0;
  }

  /**
   * Checks that brackets, braces and parentheses outside quoted strings are balanced and that
   * every double-quoted string (with backslash escapes) closes on its own line.
   *
   * @throws AssertionError naming the line of the first problem
   */
  public static void checkBalanced(String text) {
    var open = new ArrayDeque<Character>();
    int line = 1;
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        if (quoted) {
          throw new AssertionError("line " + line + ": a quoted string is not closed");
        }
        line++;
      } else if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if ("([{".indexOf(c) >= 0) {
        open.push(c);
      } else if (")]}".indexOf(c) >= 0) {
        char expected = "([{".charAt(")]}".indexOf(c));
        if (open.isEmpty() || open.pop() != expected) {
          throw new AssertionError("line " + line + ": unbalanced '" + c + "'");
        }
      }
    }
    if (quoted || !open.isEmpty()) {
      throw new AssertionError("unbalanced at the end: " + (quoted ? "open quote" : open));
    }
  }

  // ---- DOT

  private record Token(char kind, String text, int at) {} // kind: 'i' id, 's' string, else punct

  /**
   * {@return the digraph {@code text} holds}
   *
   * @throws AssertionError if it is not well-formed DOT of the expected subset
   */
  public static Dot parseDot(String text) {
    checkBalanced(text);
    var tokens = dotTokens(text);
    var p = new int[] {0};
    expectWord(tokens, p, "digraph");
    var name = id(tokens, p);
    expectPunct(tokens, p, '{');
    var graphAttrs = new LinkedHashMap<String, String>();
    var nodes = new LinkedHashMap<String, DotNode>();
    var edges = new ArrayList<DotEdge>();
    while (!isPunct(tokens, p[0], '}')) {
      var t = at(tokens, p[0]);
      if (t.kind() == 'i' && List.of("graph", "node", "edge").contains(t.text().toLowerCase())) {
        p[0]++;
        var attrs = attrs(tokens, p);
        if (t.text().equalsIgnoreCase("graph")) {
          graphAttrs.putAll(attrs);
        }
      } else {
        if (t.kind() == 'i' && List.of("subgraph", "digraph", "strict")
            .contains(t.text().toLowerCase())) {
          throw new AssertionError("keyword '" + t.text() + "' used as a node at " + t.at());
        }
        var from = id(tokens, p);
        if (isPunct(tokens, p[0], '>')) { // the "->" operator
          p[0]++;
          var to = id(tokens, p);
          edges.add(new DotEdge(from, to, isPunct(tokens, p[0], '[') ? attrs(tokens, p)
              : Map.of()));
        } else {
          if (nodes.containsKey(from)) {
            throw new AssertionError("node " + from + " declared twice");
          }
          nodes.put(from, new DotNode(from, isPunct(tokens, p[0], '[') ? attrs(tokens, p)
              : Map.of()));
        }
      }
      expectPunct(tokens, p, ';');
    }
    p[0]++;
    if (p[0] != tokens.size()) {
      throw new AssertionError("content after the closing brace at " + at(tokens, p[0]).at());
    }
    for (var e : edges) {
      for (var end : List.of(e.from(), e.to())) {
        if (!nodes.containsKey(end)) {
          throw new AssertionError("edge " + e.from() + " -> " + e.to() + ": " + end
              + " is not declared as a node");
        }
      }
    }
    for (var n : nodes.values()) {
      n.label(); // its escapes must decode
    }
    return new Dot(name, graphAttrs, Collections.unmodifiableMap(nodes), List.copyOf(edges));
  }

  /**
   * {@return a DOT label as Graphviz shows it} Only the escapes Weft writes are accepted: {@code
   * \\}, {@code \"}, {@code \n} and, since Graphviz decodes HTML entities, {@code &amp;}; a raw
   * {@code &} is refused.
   */
  public static String dotText(String raw) {
    var sb = new StringBuilder();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '&') {
        if (!raw.startsWith("&amp;", i)) {
          throw new AssertionError("raw '&' that Graphviz would read as an entity in " + raw);
        }
        sb.append('&');
        i += 4;
        continue;
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = i + 1 < raw.length() ? raw.charAt(++i) : '?';
      switch (e) {
        case '\\', '"' -> sb.append(e);
        case 'n' -> sb.append('\n');
        default -> throw new AssertionError("unexpected escape \\" + e + " in label " + raw);
      }
    }
    return sb.toString();
  }

  private static List<Token> dotTokens(String text) {
    var tokens = new ArrayList<Token>();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        i++;
      } else if (c == '"') {
        var sb = new StringBuilder();
        int start = i++;
        for (;; i++) {
          if (i >= text.length()) {
            throw new AssertionError("unterminated string at " + start);
          }
          char d = text.charAt(i);
          if (d < 0x20) {
            throw new AssertionError("raw control character in a string at " + i);
          }
          if (d == '"') {
            break;
          }
          if (d == '\\') {
            if (i + 1 >= text.length()) {
              throw new AssertionError("backslash at the end at " + i);
            }
            char e = text.charAt(++i);
            sb.append('\\').append(e); // kept for dotText
            continue;
          }
          sb.append(d);
        }
        i++;
        tokens.add(new Token('s', sb.toString(), start));
      } else if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '>') {
        tokens.add(new Token('>', "->", i));
        i += 2;
      } else if ("{}[];,=".indexOf(c) >= 0) {
        tokens.add(new Token(c, String.valueOf(c), i++));
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
        int start = i;
        while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i))
            || text.charAt(i) == '_' || text.charAt(i) == '.')) {
          i++;
        }
        tokens.add(new Token('i', text.substring(start, i), start));
      } else {
        throw new AssertionError("unexpected '" + c + "' at " + i);
      }
    }
    return tokens;
  }

  private static Map<String, String> attrs(List<Token> tokens, int[] p) {
    expectPunct(tokens, p, '[');
    var attrs = new LinkedHashMap<String, String>();
    while (!isPunct(tokens, p[0], ']')) {
      var key = id(tokens, p);
      expectPunct(tokens, p, '=');
      var value = id(tokens, p);
      if (attrs.put(key, value) != null) {
        throw new AssertionError("attribute " + key + " given twice");
      }
      if (isPunct(tokens, p[0], ',') || isPunct(tokens, p[0], ';')) {
        p[0]++;
      }
    }
    p[0]++;
    return attrs;
  }

  /** An ID: a bare word, or a quoted string with its escapes kept (see {@link #dotText}). */
  private static String id(List<Token> tokens, int[] p) {
    var t = at(tokens, p[0]++);
    if (t.kind() == 'i') {
      return t.text();
    }
    if (t.kind() == 's') {
      return t.text();
    }
    throw new AssertionError("an ID expected at " + t.at() + ", found " + t.text());
  }

  private static Token at(List<Token> tokens, int p) {
    if (p >= tokens.size()) {
      throw new AssertionError("unexpected end of DOT");
    }
    return tokens.get(p);
  }

  private static boolean isPunct(List<Token> tokens, int p, char c) {
    return at(tokens, p).kind() == c;
  }

  private static void expectPunct(List<Token> tokens, int[] p, char c) {
    var t = at(tokens, p[0]++);
    if (t.kind() != c) {
      throw new AssertionError("'" + c + "' expected at " + t.at() + ", found " + t.text());
    }
  }

  private static void expectWord(List<Token> tokens, int[] p, String word) {
    var t = at(tokens, p[0]++);
    if (t.kind() != 'i' || !t.text().equalsIgnoreCase(word)) {
      throw new AssertionError("'" + word + "' expected at " + t.at());
    }
  }

  // ---- Mermaid

  private static final Pattern NODE =
      Pattern.compile("  (n\\d+)(?:\\[/\"([^\"]*)\"/]|\\(\"([^\"]*)\"\\))");
  // a batch loader of a run, drawn as a cylinder
  private static final Pattern LOADER = Pattern.compile("  (l\\d+)\\[\\(\"([^\"]*)\"\\)]");
  private static final Pattern EDGE =
      Pattern.compile("  ([nl]\\d+) (-->|-\\.->|==>)\\|\"([^\"]*)\"\\| (n\\d+)");
  private static final Pattern CLASS_DEF = Pattern.compile("  classDef (\\w+) ([^\\s;]+)");
  private static final Pattern CLASS =
      Pattern.compile("  class ([nl]\\d+(?:,[nl]\\d+)*) (\\w+)");
  private static final Pattern STYLE = Pattern.compile("  style (n\\d+) ([^\\s;]+)");
  private static final Pattern LINK_STYLE = Pattern.compile("  linkStyle (\\d+) ([^;]+)");
  private static final Pattern ENTITY = Pattern.compile("#(\\d+);");

  /**
   * {@return the flowchart {@code text} holds}
   *
   * @throws AssertionError if it is not well-formed Mermaid of the expected subset
   */
  public static Mermaid parseMermaid(String text) {
    checkBalanced(text);
    if (!text.endsWith("\n")) {
      throw new AssertionError("no final newline");
    }
    var lines = List.of(text.substring(0, text.length() - 1).split("\n", -1));
    int i = 0;
    String title = null;
    if (lines.get(0).equals("---")) {
      if (!lines.get(1).startsWith("title: ") || !lines.get(2).equals("---")) {
        throw new AssertionError("front matter must be a title between --- lines");
      }
      title = (String) StrictJson.parse(lines.get(1).substring("title: ".length()));
      i = 3;
    }
    if (!lines.get(i).equals("flowchart LR")) {
      throw new AssertionError("'flowchart LR' expected, found " + lines.get(i));
    }
    var nodes = new LinkedHashMap<String, MermaidNode>();
    var edges = new ArrayList<MermaidEdge>();
    var classDefs = new LinkedHashMap<String, String>();
    var classOf = new LinkedHashMap<String, String>();
    var styles = new LinkedHashMap<String, String>();
    var linkStyles = new LinkedHashMap<Integer, String>();
    for (i++; i < lines.size(); i++) {
      var line = lines.get(i);
      Matcher m;
      if ((m = NODE.matcher(line)).matches()) {
        var input = m.group(2) != null;
        var node = new MermaidNode(m.group(1), mermaidText(input ? m.group(2) : m.group(3)),
            input);
        if (nodes.put(node.id(), node) != null) {
          throw new AssertionError("node " + node.id() + " declared twice");
        }
      } else if ((m = LOADER.matcher(line)).matches()) {
        var node = new MermaidNode(m.group(1), mermaidText(m.group(2)), false);
        if (nodes.put(node.id(), node) != null) {
          throw new AssertionError("node " + node.id() + " declared twice");
        }
      } else if ((m = EDGE.matcher(line)).matches()) {
        declared(nodes, m.group(1), line);
        declared(nodes, m.group(4), line);
        edges.add(new MermaidEdge(edges.size(), m.group(1), m.group(2), mermaidText(m.group(3)),
            m.group(4)));
      } else if ((m = CLASS_DEF.matcher(line)).matches()) {
        classDefs.put(m.group(1), m.group(2));
      } else if ((m = CLASS.matcher(line)).matches()) {
        if (!classDefs.containsKey(m.group(2))) {
          throw new AssertionError("class " + m.group(2) + " used before classDef: " + line);
        }
        for (var id : m.group(1).split(",")) {
          declared(nodes, id, line);
          if (classOf.put(id, m.group(2)) != null) {
            throw new AssertionError("node " + id + " given two classes");
          }
        }
      } else if ((m = STYLE.matcher(line)).matches()) {
        declared(nodes, m.group(1), line);
        styles.put(m.group(1), m.group(2));
      } else if ((m = LINK_STYLE.matcher(line)).matches()) {
        int index = Integer.parseInt(m.group(1));
        if (index >= edges.size()) {
          throw new AssertionError("linkStyle of edge " + index + " of " + edges.size());
        }
        if (linkStyles.put(index, m.group(2)) != null) {
          throw new AssertionError("two linkStyles for edge " + index);
        }
      } else {
        throw new AssertionError("line " + (i + 1) + " is not a statement Weft writes: " + line);
      }
    }
    return new Mermaid(title, Collections.unmodifiableMap(nodes), List.copyOf(edges),
        classDefs, classOf, styles, linkStyles);
  }

  /**
   * {@return a Mermaid label as it renders} {@code #code;} entities are decoded and {@code <br>}
   * becomes a newline; characters Mermaid or HTML would interpret must not appear raw.
   */
  public static String mermaidText(String raw) {
    var sb = new StringBuilder();
    for (int i = 0; i < raw.length(); ) {
      if (raw.startsWith("<br>", i)) {
        sb.append('\n');
        i += 4;
        continue;
      }
      char c = raw.charAt(i);
      if (c == '#') {
        var m = ENTITY.matcher(raw).region(i, raw.length());
        if (!m.lookingAt()) {
          throw new AssertionError("raw '#' that is not an entity code in label " + raw);
        }
        sb.appendCodePoint(Integer.parseInt(m.group(1)));
        i = m.end();
        continue;
      }
      if ("\"<>&`|".indexOf(c) >= 0 || c < 0x20) {
        throw new AssertionError("unescaped '" + c + "' in label " + raw);
      }
      sb.append(c);
      i++;
    }
    return sb.toString();
  }

  private static void declared(Map<String, MermaidNode> nodes, String id, String line) {
    if (!nodes.containsKey(id)) {
      throw new AssertionError(id + " is not a declared node: " + line);
    }
  }
}
