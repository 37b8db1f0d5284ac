package dev.weft.examples.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON for the example service, JDK-only: {@link #parse} reads objects (as {@code
 * Map<String, Object>}), arrays ({@code List<Object>}), strings, numbers ({@code Long} when
 * integral, else {@code Double}), booleans and null; {@link #write} writes the same back. Not a
 * general-purpose library: no streaming, no limits beyond the input's size. Stateless and
 * thread-safe; malformed input throws {@link IllegalArgumentException} naming the offset.
 */
public final class Json {
  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  /** {@return the value {@code text} holds} */
  public static Object parse(String text) {
    var json = new Json(text);
    json.space();
    var value = json.value();
    json.space();
    if (json.at != text.length()) {
      throw json.error("trailing characters");
    }
    return value;
  }

  /** {@return {@code value} as an object} Throws if it is not one. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Object value) {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new IllegalArgumentException("expected a JSON object, got " + value);
  }

  /** {@return {@code value} as an array} Throws if it is not one. */
  @SuppressWarnings("unchecked")
  public static List<Object> array(Object value) {
    if (value instanceof List<?> list) {
      return (List<Object>) list;
    }
    throw new IllegalArgumentException("expected a JSON array, got " + value);
  }

  /** {@return {@code value} as a long} Throws if it is not an integral number. */
  public static long number(Object value) {
    if (value instanceof Long n) {
      return n;
    }
    throw new IllegalArgumentException("expected an integer, got " + value);
  }

  private Object value() {
    if (at >= text.length()) {
      throw error("unexpected end");
    }
    char c = text.charAt(at);
    return switch (c) {
      case '{' -> objectValue();
      case '[' -> arrayValue();
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> numberValue();
    };
  }

  private Map<String, Object> objectValue() {
    var map = new LinkedHashMap<String, Object>();
    at++;
    space();
    if (peek() == '}') {
      at++;
      return map;
    }
    for (;;) {
      space();
      var key = string();
      space();
      expect(':');
      space();
      map.put(key, value());
      space();
      if (peek() == ',') {
        at++;
      } else {
        expect('}');
        return map;
      }
    }
  }

  private List<Object> arrayValue() {
    var list = new ArrayList<>();
    at++;
    space();
    if (peek() == ']') {
      at++;
      return list;
    }
    for (;;) {
      space();
      list.add(value());
      space();
      if (peek() == ',') {
        at++;
      } else {
        expect(']');
        return list;
      }
    }
  }

  private String string() {
    expect('"');
    var sb = new StringBuilder();
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (at >= text.length()) {
        break;
      }
      char e = text.charAt(at++);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          if (at + 4 > text.length()) {
            throw error("short \\u escape");
          }
          sb.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> sb.append(e); // \" \\ \/
      }
    }
    throw error("unterminated string");
  }

  private Object numberValue() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    var n = text.substring(start, at);
    if (n.isEmpty()) {
      throw error("unexpected character '" + text.charAt(start) + "'");
    }
    try {
      return n.contains(".") || n.contains("e") || n.contains("E") ? (Object) Double.valueOf(n)
          : (Object) Long.valueOf(n);
    } catch (NumberFormatException e) {
      throw error("bad number '" + n + "'");
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, at)) {
      throw error("expected " + word);
    }
    at += word.length();
    return value;
  }

  private char peek() {
    if (at >= text.length()) {
      throw error("unexpected end");
    }
    return text.charAt(at);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    at++;
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("bad JSON at offset " + at + ": " + what);
  }

  /** {@return {@code value} as JSON: maps, lists, strings, numbers, booleans, null, records no} */
  public static String write(Object value) {
    var sb = new StringBuilder();
    write(value, sb);
    return sb.toString();
  }

  private static void write(Object value, StringBuilder sb) {
    switch (value) {
      case null -> sb.append("null");
      case String s -> quote(s, sb);
      case Number n -> sb.append(n);
      case Boolean b -> sb.append(b);
      case Map<?, ?> map -> {
        sb.append('{');
        boolean first = true;
        for (var e : map.entrySet()) {
          sb.append(first ? "" : ",");
          first = false;
          quote(String.valueOf(e.getKey()), sb);
          sb.append(':');
          write(e.getValue(), sb);
        }
        sb.append('}');
      }
      case List<?> list -> {
        sb.append('[');
        for (int i = 0; i < list.size(); i++) {
          sb.append(i == 0 ? "" : ",");
          write(list.get(i), sb);
        }
        sb.append(']');
      }
      default -> throw new IllegalArgumentException("cannot write " + value.getClass() + " as JSON");
    }
  }

  private static void quote(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
