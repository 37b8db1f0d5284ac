package dev.weft.internal;

/** Edge kinds as stored in a {@link Plan}; {@code byte} constants to keep the plan compact. */
public final class Edges {
  /** The value is passed; a failed upstream skips the dependent. */
  public static final byte REQUIRED = 0;
  /** The value is passed, or a fallback value when the upstream did not succeed. */
  public static final byte OR_ELSE = 1;
  /** An {@code Optional} of the value is passed, empty when the upstream did not succeed. */
  public static final byte OPTIONAL = 2;
  /** Ordering only, no value; a failed upstream skips the dependent. */
  public static final byte ORDER = 3;
  /** Ordering only, no value; the dependent runs whatever the upstream's outcome. */
  public static final byte ORDER_OPTIONAL = 4;

  private Edges() {}

  /** {@return whether an upstream that did not succeed stops the dependent} */
  public static boolean required(byte kind) {
    return kind == REQUIRED || kind == ORDER;
  }

  /** {@return whether the edge carries no value} */
  public static boolean orderingOnly(byte kind) {
    return kind == ORDER || kind == ORDER_OPTIONAL;
  }
}
