package dev.weft.testing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON parser (RFC 8259) for checking what Weft writes: it refuses anything a lenient
 * parser would let through, such as trailing commas, unescaped control characters, unknown or short
 * escapes, leading zeros, single quotes, comments, duplicate keys, unpaired raw surrogates and
 * trailing content. Objects become insertion-ordered maps, arrays lists, numbers {@link
 * BigDecimal}, {@code null} Java {@code null}.
 */
public final class StrictJson {
  private final String s;
  private int i;

  private StrictJson(String s) {
    this.s = s;
  }

  /**
   * {@return the value {@code json} holds}
   *
   * @throws IllegalArgumentException naming the offset of the first thing that is not strict JSON
   */
  public static Object parse(String json) {
    var p = new StrictJson(json);
    p.space();
    var value = p.value();
    p.space();
    if (p.i != json.length()) {
      throw p.error("content after the value");
    }
    return value;
  }

  /** {@return {@code value} as an object, or fails naming {@code what}} */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Object value, String what) {
    if (value instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    throw new AssertionError(what + " is not a JSON object: " + value);
  }

  /** {@return {@code value} as an array, or fails naming {@code what}} */
  @SuppressWarnings("unchecked")
  public static List<Object> array(Object value, String what) {
    if (value instanceof List<?> l) {
      return (List<Object>) l;
    }
    throw new AssertionError(what + " is not a JSON array: " + value);
  }

  private Object value() {
    if (i >= s.length()) {
      throw error("a value expected");
    }
    char c = s.charAt(i);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw error("unexpected '" + c + "'");
      }
    };
  }

  private Map<String, Object> object() {
    i++;
    var map = new LinkedHashMap<String, Object>();
    space();
    if (peek() == '}') {
      i++;
      return Collections.unmodifiableMap(map);
    }
    for (;;) {
      space();
      if (peek() != '"') {
        throw error("a string key expected");
      }
      int at = i;
      var key = string();
      space();
      expect(':');
      space();
      if (map.containsKey(key)) {
        i = at;
        throw error("duplicate key \"" + key + "\"");
      }
      map.put(key, value());
      space();
      char c = next();
      if (c == '}') {
        return Collections.unmodifiableMap(map);
      }
      if (c != ',') {
        i--;
        throw error("',' or '}' expected");
      }
    }
  }

  private List<Object> array() {
    i++;
    var list = new ArrayList<Object>();
    space();
    if (peek() == ']') {
      i++;
      return Collections.unmodifiableList(list);
    }
    for (;;) {
      space();
      list.add(value());
      space();
      char c = next();
      if (c == ']') {
        return Collections.unmodifiableList(list);
      }
      if (c != ',') {
        i--;
        throw error("',' or ']' expected");
      }
    }
  }

  private String string() {
    expect('"');
    var sb = new StringBuilder();
    for (;;) {
      if (i >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        i--;
        throw error(String.format("unescaped control character U+%04X in a string", (int) c));
      }
      if (Character.isHighSurrogate(c)) {
        if (i >= s.length() || !Character.isLowSurrogate(s.charAt(i))) {
          i--;
          throw error("unpaired raw surrogate");
        }
        sb.append(c).append(s.charAt(i++));
        continue;
      }
      if (Character.isLowSurrogate(c)) {
        i--;
        throw error("unpaired raw surrogate");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (i + 4 > s.length()) {
            throw error("short \\u escape");
          }
          int code = 0;
          for (int k = 0; k < 4; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0) {
              throw error("bad hex digit in \\u escape");
            }
            code = code * 16 + d;
          }
          i += 4;
          sb.append((char) code);
        }
        default -> {
          i -= 2;
          throw error("bad escape \\" + e);
        }
      }
    }
  }

  private BigDecimal number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    if (peek() == '0') {
      i++;
      if (isDigit(peek())) {
        throw error("leading zero");
      }
    } else {
      digits();
    }
    if (peek() == '.') {
      i++;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      i++;
      if (peek() == '+' || peek() == '-') {
        i++;
      }
      digits();
    }
    return new BigDecimal(s.substring(start, i));
  }

  private void digits() {
    if (!isDigit(peek())) {
      throw error("a digit expected");
    }
    while (isDigit(peek())) {
      i++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private Object literal(String word, Object value) {
    if (!s.startsWith(word, i)) {
      throw error("'" + word + "' expected");
    }
    i += word.length();
    return value;
  }

  private void space() {
    while (i < s.length() && " \t\n\r".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
  }

  private char peek() {
    return i < s.length() ? s.charAt(i) : '\0';
  }

  private char next() {
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(i++);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("'" + c + "' expected");
    }
    i++;
  }

  private IllegalArgumentException error(String what) {
    int from = Math.max(0, i - 20);
    int to = Math.min(s.length(), i + 20);
    return new IllegalArgumentException("not strict JSON at offset " + i + ": " + what + " near "
        + s.substring(from, to).replace("\n", "\\n"));
  }
}
