package dev.weft.internal.trace;

import dev.weft.Outcome;

/**
 * The colours of the DOT and Mermaid pictures of a run: a fill and a border per outcome, one pair
 * for inputs, one for batch loaders, and the critical path's colour. Constants; thread-safe.
 */
public final class Palette {
  private Palette() {}

  public static final String SUCCEEDED = "#c6efce";
  public static final String SUCCEEDED_LINE = "#2e7d32";
  public static final String FAILED = "#f8b4b4";
  public static final String FAILED_LINE = "#c62828";
  public static final String SKIPPED = "#dddddd";
  public static final String SKIPPED_LINE = "#757575";
  public static final String CANCELLED = "#ffd08a";
  public static final String CANCELLED_LINE = "#e65100";
  public static final String OMITTED = "#ffffff";
  public static final String OMITTED_LINE = "#9e9e9e";
  public static final String INPUT = "#f5f7fa";
  public static final String INPUT_LINE = "#607d8b";
  public static final String CRITICAL = "#0d2b8c";
  public static final String LOADER = "#e3ebfb";
  public static final String LOADER_LINE = "#3b5bab";

  /** {@return the fill of a task that ended with {@code status}} */
  static String fill(Outcome.Status status) {
    return switch (status) {
      case SUCCEEDED -> SUCCEEDED;
      case FAILED -> FAILED;
      case SKIPPED -> SKIPPED;
      case CANCELLED -> CANCELLED;
      case OMITTED -> OMITTED;
    };
  }

  /** {@return the border of a task that ended with {@code status}} */
  static String line(Outcome.Status status) {
    return switch (status) {
      case SUCCEEDED -> SUCCEEDED_LINE;
      case FAILED -> FAILED_LINE;
      case SKIPPED -> SKIPPED_LINE;
      case CANCELLED -> CANCELLED_LINE;
      case OMITTED -> OMITTED_LINE;
    };
  }
}
