package dev.weft.testing;

import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Text for what the harness prints: {@link String#valueOf}, unless that throws, as it does for a
 * {@link Behaviour.OpaqueFailure} or for an outcome, span or event that holds one. Then a
 * throwable is shown by its class, a record by its components and a collection by its elements,
 * each in turn safely. So a report never fails for what it reports.
 */
public final class SafeText {
  private SafeText() {}

  /** {@return {@code o} as text, without letting its {@code toString} fail} */
  public static String of(Object o) {
    try {
      return String.valueOf(o);
    } catch (RuntimeException e) {
      return structure(o);
    }
  }

  private static String structure(Object o) {
    var type = o.getClass();
    return switch (o) {
      case Throwable t -> type.getName() + " (its toString throws)";
      case Collection<?> c -> c.stream().map(SafeText::of).collect(
          Collectors.joining(", ", "[", "]"));
      case Map<?, ?> m -> m.entrySet().stream().map(e -> of(e.getKey()) + "=" + of(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
      case Record r -> {
        var sb = new StringBuilder(type.getSimpleName()).append('[');
        var components = type.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
          sb.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=');
          try {
            sb.append(of(components[i].getAccessor().invoke(r)));
          } catch (ReflectiveOperationException | RuntimeException e) {
            sb.append('?');
          }
        }
        yield sb.append(']').toString();
      }
      default -> type.getName() + "@" + Integer.toHexString(System.identityHashCode(o));
    };
  }
}
