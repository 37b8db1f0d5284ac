package dev.weft.internal;

import java.util.Locale;

/**
 * What an edge from a dependency to its dependent means: the one encoding that the plan, the
 * engine, the task context and every export use.
 */
public enum EdgeKind {
  /** The value is passed; an upstream that did not succeed skips the dependent. */
  REQUIRED("required"),
  /** The value is passed, or a fallback value when the upstream did not succeed. */
  OR_ELSE("optional"),
  /** An {@code Optional} of the value is passed, empty when the upstream did not succeed. */
  OPTIONAL("optional"),
  /**
   * The upstream's whole {@code Outcome} is passed, whatever it is: the dependent always runs and
   * sees the value or why there is none.
   */
  OUTCOME("outcome"),
  /** {@code after(x)}: ordering only, no value; an upstream that did not succeed skips it. */
  ORDER("ordering"),
  /** {@code after(x.optional())}: ordering only, no value, whatever the upstream's outcome. */
  ORDER_OPTIONAL("ordering-optional");

  private final String label;

  EdgeKind(String label) {
    this.label = label;
  }

  /** {@return whether an upstream that did not succeed stops the dependent} */
  public boolean required() {
    return this == REQUIRED || this == ORDER;
  }

  /** {@return whether the edge carries no value} */
  public boolean orderingOnly() {
    return this == ORDER || this == ORDER_OPTIONAL;
  }

  /** {@return the ordering-only edge of this one's outcome rule: what {@code after(dep)} makes} */
  public EdgeKind asOrdering() {
    return required() ? ORDER : ORDER_OPTIONAL;
  }

  /** {@return how exports label it: required, optional, outcome, ordering, ordering-optional} */
  public String label() {
    return label;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
