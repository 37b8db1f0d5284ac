package dev.weft.testing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A strict checker for the HTML pages Weft writes: a doctype, then elements whose every start tag
 * is closed in order (void elements excepted), attribute values double-quoted, no raw {@code <} or
 * {@code >} in text, every {@code &} an entity it knows, no raw control characters. {@code
 * <style>} content is kept as is. What it returns lets tests look at elements, their attributes
 * (entities decoded) and their text.
 */
public final class HtmlCheck {
  private HtmlCheck() {}

  private static final Set<String> VOID = Set.of("meta", "br", "hr", "img", "input", "link");
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*");
  private static final Pattern ATTR = Pattern.compile("[a-z][a-z-]*");
  private static final Pattern ENTITY = Pattern.compile("&(?:#(\\d+)|#x([0-9a-fA-F]+)|(\\w+));");
  private static final Map<String, String> NAMED =
      Map.of("amp", "&", "lt", "<", "gt", ">", "quot", "\"", "apos", "'", "nbsp", "\u00a0");

  /** One element, its attributes decoded, and the text inside it (descendants included). */
  public static final class Element {
    private final String name;
    private final Map<String, String> attrs;
    private final StringBuilder all;
    private final int from;
    private int to = -1;

    Element(String name, Map<String, String> attrs, StringBuilder all) {
      this.name = name;
      this.attrs = attrs;
      this.all = all;
      this.from = all.length();
    }

    /** {@return the tag name} */
    public String name() {
      return name;
    }

    /** {@return the attribute's decoded value, or null} */
    public String attr(String key) {
      return attrs.get(key);
    }

    /** {@return whether the class attribute lists {@code c}} */
    public boolean hasClass(String c) {
      var classes = attrs.get("class");
      return classes != null && Arrays.asList(classes.split(" ")).contains(c);
    }

    /** {@return the decoded text inside the element} */
    public String text() {
      return all.substring(from, to < 0 ? all.length() : to);
    }

    @Override
    public String toString() {
      return "<" + name + " " + attrs + ">";
    }
  }

  /** A checked page: its elements in document order, all its text, and its style sheets. */
  public record Page(List<Element> elements, String text, String style) {
    /** {@return the elements named {@code name} with class {@code c}, in document order} */
    public List<Element> find(String name, String c) {
      return elements.stream().filter(e -> e.name().equals(name) && (c == null || e.hasClass(c)))
          .toList();
    }
  }

  /**
   * {@return the page {@code html} holds}
   *
   * @throws AssertionError at the first thing that is not well-formed
   */
  public static Page parse(String html) {
    if (!html.regionMatches(true, 0, "<!DOCTYPE html>", 0, 15)) {
      throw new AssertionError("no <!DOCTYPE html> at the start");
    }
    var text = new StringBuilder();
    var style = new StringBuilder();
    var elements = new ArrayList<Element>();
    var open = new ArrayDeque<Element>();
    int i = 15;
    for (int k = 0; k < html.length(); k++) {
      char c = html.charAt(k);
      if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        throw fail(html, k, String.format("raw control character U+%04X", (int) c));
      }
      if (Character.isHighSurrogate(c) && k + 1 < html.length()
          && Character.isLowSurrogate(html.charAt(k + 1))) {
        k++;
      } else if (Character.isSurrogate(c)) {
        throw fail(html, k, "unpaired surrogate");
      }
    }
    while (i < html.length()) {
      char c = html.charAt(i);
      if (html.startsWith("</", i)) {
        int end = html.indexOf('>', i);
        var name = end < 0 ? "" : html.substring(i + 2, end).strip();
        if (open.isEmpty() || !open.peek().name().equals(name)) {
          throw fail(html, i, "</" + name + "> closes " + (open.isEmpty() ? "nothing"
              : "<" + open.peek().name() + ">"));
        }
        open.pop().to = text.length();
        i = end + 1;
      } else if (c == '<') {
        var m = NAME.matcher(html).region(i + 1, html.length());
        if (!m.lookingAt()) {
          throw fail(html, i, "raw '<' in text");
        }
        var name = m.group();
        i = m.end();
        var attrs = new LinkedHashMap<String, String>();
        for (;;) {
          while (i < html.length() && html.charAt(i) == ' ') {
            i++;
          }
          if (html.startsWith(">", i)) {
            i++;
            break;
          }
          var a = ATTR.matcher(html).region(i, html.length());
          if (!a.lookingAt()) {
            throw fail(html, i, "bad attribute in <" + name + ">");
          }
          i = a.end();
          String value = "";
          if (html.startsWith("=", i)) {
            if (!html.startsWith("=\"", i)) {
              throw fail(html, i, "unquoted attribute value");
            }
            int end = html.indexOf('"', i + 2);
            var raw = html.substring(i + 2, end);
            if (raw.indexOf('<') >= 0) {
              throw fail(html, i, "raw '<' in an attribute value");
            }
            value = decode(html, i + 2, raw);
            i = end + 1;
          }
          if (attrs.put(a.group(), value) != null) {
            throw fail(html, i, "attribute " + a.group() + " given twice");
          }
        }
        var element = new Element(name, Collections.unmodifiableMap(attrs), text);
        elements.add(element);
        if (name.equals("style") || name.equals("script")) {
          int end = html.indexOf("</" + name + ">", i);
          if (end < 0) {
            throw fail(html, i, "<" + name + "> not closed");
          }
          style.append(html, i, end);
          element.to = text.length();
          i = end + name.length() + 3;
        } else if (!VOID.contains(name)) {
          open.push(element);
        }
      } else if (c == '>') {
        throw fail(html, i, "raw '>' in text");
      } else if (c == '&') {
        var m = ENTITY.matcher(html).region(i, html.length());
        if (!m.lookingAt()) {
          throw fail(html, i, "'&' that is not an entity");
        }
        text.append(decode(html, i, m.group()));
        i = m.end();
      } else {
        text.append(c);
        i++;
      }
    }
    if (!open.isEmpty()) {
      throw new AssertionError("elements never closed: " + open);
    }
    return new Page(List.copyOf(elements), text.toString(), style.toString());
  }

  private static String decode(String html, int at, String raw) {
    var sb = new StringBuilder();
    for (int i = 0; i < raw.length(); ) {
      char c = raw.charAt(i);
      if (c != '&') {
        sb.append(c);
        i++;
        continue;
      }
      var m = ENTITY.matcher(raw).region(i, raw.length());
      if (!m.lookingAt()) {
        throw fail(html, at + i, "'&' that is not an entity");
      }
      if (m.group(1) != null) {
        sb.appendCodePoint(Integer.parseInt(m.group(1)));
      } else if (m.group(2) != null) {
        sb.appendCodePoint(Integer.parseInt(m.group(2), 16));
      } else if (NAMED.containsKey(m.group(3))) {
        sb.append(NAMED.get(m.group(3)));
      } else {
        throw fail(html, at + i, "unknown entity " + m.group());
      }
      i = m.end();
    }
    return sb.toString();
  }

  private static AssertionError fail(String html, int i, String what) {
    int from = Math.max(0, i - 40);
    int to = Math.min(html.length(), i + 40);
    return new AssertionError("not well-formed HTML at " + i + ": " + what + " near "
        + html.substring(from, to).replace("\n", "\\n"));
  }
}
