package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;

import dev.weft.Outcome;
import dev.weft.Span;
import dev.weft.internal.Failures;
import java.util.Locale;

/**
 * The text every export shares: escapers that quote arbitrary text (quotes, backslashes, control
 * characters, unpaired surrogates, any Unicode) so that the output stays well-formed in its
 * language, exact decimals, and a span's label and details. Durations come from {@link
 * dev.weft.internal.Durations#millis}, outcomes from {@link Outcome.Status#label()}, threads from
 * {@link Span#thread()}; a user's throwable is described by {@link Failures#describe}, which never
 * throws. Pure functions; thread-safe.
 */
final class ExportText {
  private ExportText() {}

  /** {@return a run's label under the node's name: its time and attempts, or its outcome} */
  static String runLabel(Span s) {
    var outcome = s.outcome().status();
    if (s.attempts() == 0) {
      return outcome.label();
    }
    var what = outcome == Outcome.Status.SUCCEEDED ? "" : outcome.label() + " \u00b7 ";
    return what + millis(s.ran()) + " \u00b7 " + s.attempts()
        + (s.attempts() == 1 ? " attempt" : " attempts");
  }

  /** {@return a span's details as plain lines, for tooltips} */
  static String details(Span s, boolean critical) {
    return details(s, "", critical);
  }

  /** {@return the details of a span whose label has {@code prefix} before it} */
  static String details(Span s, String prefix, boolean critical) {
    var sb = new StringBuilder(prefix).append(s.label());
    if (critical) {
      sb.append(" (critical path)");
    }
    sb.append("\noutcome: ").append(s.outcome().status().label()).append(", ")
        .append(s.attempts()).append(s.attempts() == 1 ? " attempt" : " attempts")
        .append("\nready ").append(millis(s.ready())).append(", started ")
        .append(millis(s.started())).append(", ended ").append(millis(s.ended()))
        .append("\nwaited ").append(millis(s.queued())).append(", ran ").append(millis(s.ran()))
        .append("\nthread: ").append(s.threadId() == 0 ? "none (never ran)" : s.thread());
    var problem = problem(s.outcome());
    if (problem != null) {
      sb.append("\nerror: ").append(problem);
    } else if (s.outcome() instanceof Outcome.Omitted<?>) {
      sb.append('\n').append(never(s.outcome()));
    }
    return sb.toString();
  }

  /** {@return in a few words, why a task never started: {@code skipped: 'flaky' failed}} */
  static String never(Outcome<?> outcome) {
    return switch (outcome) {
      case Outcome.Skipped<?> s -> "skipped: '" + s.cause() + "' failed";
      case Outcome.Omitted<?> o -> o.cause().equals(o.node())
          ? "omitted: its condition did not hold" : "omitted: '" + o.cause() + "' was omitted";
      default -> outcome.status().label();
    };
  }

  /** {@return what went wrong, for the details of a span; null if it succeeded} */
  static String problem(Outcome<?> outcome) {
    return switch (outcome) {
      case Outcome.Succeeded<?> s -> null;
      case Outcome.Failed<?> f -> Failures.describe(f.error());
      case Outcome.Skipped<?> s -> "skipped: '" + s.cause() + "' failed with "
          + Failures.describe(s.error());
      case Outcome.Cancelled<?> c -> "cancelled: " + c.reason();
      case Outcome.Omitted<?> o -> null; // not a problem: the request did not need it
    };
  }

  /** {@return {@code s} as a JSON string literal, quotes included} */
  static String json(String s) {
    var sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          // line and paragraph separators too, so the JSON can be pasted into JavaScript
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || unpaired(s, i)) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /**
   * {@return {@code s} escaped for a double-quoted Graphviz string, without the quotes} Newlines
   * become {@code \n} line breaks; other control characters become spaces; {@code &} becomes
   * {@code &amp;}, since Graphviz decodes HTML entities in every string.
   */
  static String dot(String s) {
    var sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '&' -> sb.append("&amp;");
        default -> sb.append(control(c) ? ' ' : unpaired(s, i) ? '\ufffd' : c);
      }
    }
    return sb.toString();
  }

  /**
   * {@return {@code s} escaped for a double-quoted Mermaid label, without the quotes} Characters
   * that Mermaid or the HTML it renders into would interpret become {@code #code;} entities;
   * newlines become {@code <br>}; other control characters become spaces.
   */
  static String mermaid(String s) {
    var sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"', '#', '&', '<', '>', '`', '|', '\\', '[', ']', '{', '}', '(', ')', ';', ':',
            '%' ->
            sb.append('#').append((int) c).append(';');
        case '\n' -> sb.append("<br>");
        default -> sb.append(control(c) ? ' ' : unpaired(s, i) ? '\ufffd' : c);
      }
    }
    return sb.toString();
  }

  /**
   * {@return {@code s} escaped for HTML text and double- or single-quoted attributes} Newlines
   * become {@code &#10;} (line breaks in a {@code title} tooltip); other control characters and
   * unpaired surrogates, which HTML cannot carry, become U+FFFD.
   */
  static String html(String s) {
    var sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        case '\n' -> sb.append("&#10;");
        case '\t' -> sb.append(' ');
        default -> sb.append(control(c) || unpaired(s, i) ? '\ufffd' : c);
      }
    }
    return sb.toString();
  }

  /** {@return {@code value / 10^scale} as an exact JSON number, without trailing zeros} */
  static String decimal(long value, int scale) {
    long unit = 1;
    for (int i = 0; i < scale; i++) {
      unit *= 10;
    }
    var sign = value < 0 ? "-" : "";
    long whole = Math.abs(value / unit);
    long frac = Math.abs(value % unit);
    if (frac == 0) {
      return sign + whole;
    }
    var digits = new StringBuilder(Long.toString(frac));
    while (digits.length() < scale) {
      digits.insert(0, '0');
    }
    while (digits.charAt(digits.length() - 1) == '0') {
      digits.setLength(digits.length() - 1);
    }
    return sign + whole + "." + digits;
  }

  private static boolean control(char c) {
    return c < 0x20 || (c >= 0x7f && c < 0xa0);
  }

  /** {@return whether {@code s.charAt(i)} is a surrogate without its other half} */
  private static boolean unpaired(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    return false;
  }
}
