package dev.weft.examples.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the service's {@code GET /stats} says about one side ({@code "weft"} or {@code
 * "baseline"}): the requests it is handling now, and each breaker's transitions so far, oldest
 * first, such as {@code "CLOSED->OPEN"}.
 *
 * @param inflight requests being handled; 0 when idle
 * @param breakers transitions by downstream name
 */
record ServiceStats(long inflight, Map<String, List<String>> breakers) {
  /** {@return both sides of a {@code /stats} body, by side name} */
  static Map<String, ServiceStats> parse(String json) {
    var root = (Map<?, ?>) new Reader(json).value();
    var sides = new LinkedHashMap<String, ServiceStats>();
    for (var side : List.of("weft", "baseline")) {
      var s = (Map<?, ?>) root.get(side);
      if (s == null) {
        throw new IllegalArgumentException("/stats has no '" + side + "': " + json);
      }
      var breakers = new LinkedHashMap<String, List<String>>();
      if (s.get("breakers") instanceof Map<?, ?> b) {
        b.forEach((name, list) -> breakers.put((String) name,
            ((List<?>) list).stream().map(String::valueOf).toList()));
      }
      sides.put(side, new ServiceStats(((Number) s.get("inflight")).longValue(), breakers));
    }
    return sides;
  }

  /**
   * {@return the transitions since {@code before}, by breaker; a breaker's list is assumed to only
   * grow} A breaker with none is left out.
   */
  Map<String, List<String>> since(ServiceStats before) {
    var d = new LinkedHashMap<String, List<String>>();
    breakers.forEach((name, list) -> {
      int from = before.breakers.getOrDefault(name, List.of()).size();
      if (list.size() > from) {
        d.put(name, list.subList(from, list.size()));
      }
    });
    return d;
  }

  /** {@return the state each breaker is in now: the target of its last transition} */
  Map<String, String> states() {
    var m = new LinkedHashMap<String, String>();
    breakers.forEach((name, list) -> {
      if (!list.isEmpty()) {
        var last = list.get(list.size() - 1);
        m.put(name, last.substring(last.indexOf("->") + 2));
      }
    });
    return m;
  }

  /** A minimal JSON reader: objects (ordered maps), arrays, strings, numbers, literals. */
  private static final class Reader {
    private final String s;
    private int i;

    Reader(String s) {
      this.s = s;
    }

    Object value() {
      skip();
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      char c = s.charAt(i);
      switch (c) {
        case '{' -> {
          var m = new LinkedHashMap<String, Object>();
          i++;
          skip();
          if (peek('}')) {
            return m;
          }
          do {
            skip();
            var key = (String) value();
            skip();
            expect(':');
            m.put(key, value());
            skip();
          } while (take(','));
          expect('}');
          return m;
        }
        case '[' -> {
          var l = new ArrayList<Object>();
          i++;
          skip();
          if (peek(']')) {
            return l;
          }
          do {
            l.add(value());
            skip();
          } while (take(','));
          expect(']');
          return l;
        }
        case '"' -> {
          var b = new StringBuilder();
          i++;
          while (s.charAt(i) != '"') {
            char ch = s.charAt(i++);
            if (ch == '\\') {
              char e = s.charAt(i++);
              switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                  b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                  i += 4;
                }
                default -> b.append(e);
              }
            } else {
              b.append(ch);
            }
          }
          i++;
          return b.toString();
        }
        default -> {
          int start = i;
          while (i < s.length() && "{}[],: \t\r\n".indexOf(s.charAt(i)) < 0) {
            i++;
          }
          var word = s.substring(start, i);
          return switch (word) {
            case "true" -> true;
            case "false" -> false;
            case "null" -> null;
            default -> {
              try {
                yield Double.parseDouble(word);
              } catch (NumberFormatException e) {
                throw error("bad value '" + word + "'");
              }
            }
          };
        }
      }
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private boolean peek(char c) {
      if (i < s.length() && s.charAt(i) == c) {
        i++;
        return true;
      }
      return false;
    }

    private boolean take(char c) {
      skip();
      return peek(c);
    }

    private void expect(char c) {
      skip();
      if (!peek(c)) {
        throw error("expected '" + c + "'");
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at " + i + " in " + s);
    }
  }
}
