package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Durations;

import java.time.Duration;

/**
 * A node was not run because its {@link Bulkhead} had no free place for it within the time it
 * could wait (the bulkhead's maximum wait, or less when the run's deadline was nearer): every
 * place was taken, or, for a run less than {@link Criticality#CRITICAL}, as many as its
 * criticality's share of the limit ({@link #shed()}). Retried by default. Its message names the
 * bulkhead, the node, the run's criticality and the figures:
 *
 * <pre>
 * bulkhead 'fraud' is full (4 of 4 in use): node 'check' of a DEFAULT run was not run after
 *   waiting 20 ms
 * bulkhead 'reviews' shed node 'top' of a SHEDDABLE run: 57 of 110 in use, and SHEDDABLE calls
 *   run only while fewer than 55 are; it waited 0 ns
 * </pre>
 *
 * <p>Immutable once thrown, so safe to share between threads; its constructors refuse null
 * names with {@code NullPointerException}. Its figures are those the bulkhead saw as it gave up.
 */
public final class BulkheadFullException extends RuntimeException {
  private static final long serialVersionUID = 2L;

  private final String bulkhead;
  private final String node;
  private final Criticality criticality;
  private final int inUse;
  private final int limit;
  private final int admittedBelow;
  private final Duration waited;

  /**
   * Creates the exception for a {@link Criticality#DEFAULT} call that found all {@code limit}
   * places taken.
   *
   * @param bulkhead the bulkhead's name
   * @param node the node that was not run
   * @param limit how many calls the bulkhead lets run at once
   * @param waited how long the node was allowed to wait
   */
  public BulkheadFullException(String bulkhead, String node, int limit, Duration waited) {
    this(bulkhead, node, Criticality.DEFAULT, limit, limit, limit, waited);
  }

  /**
   * Creates the exception.
   *
   * @param bulkhead the bulkhead's name
   * @param node the node that was not run
   * @param criticality the criticality of the node's run
   * @param inUse how many places were taken
   * @param limit how many calls the bulkhead let run at once
   * @param admittedBelow how many places may be taken for a call of this criticality to get one
   *     ({@code limit} for a critical call)
   * @param waited how long the node was allowed to wait
   */
  public BulkheadFullException(String bulkhead, String node, Criticality criticality, int inUse,
      int limit, int admittedBelow, Duration waited) {
    super(message(requireNonNull(bulkhead, "bulkhead"), requireNonNull(node, "node"),
        requireNonNull(criticality, "criticality"), inUse, limit, admittedBelow,
        requireNonNull(waited, "waited")));
    this.bulkhead = bulkhead;
    this.node = node;
    this.criticality = criticality;
    this.inUse = inUse;
    this.limit = limit;
    this.admittedBelow = admittedBelow;
    this.waited = waited;
  }

  private static String message(String bulkhead, String node, Criticality criticality,
      int inUse, int limit, int admittedBelow, Duration waited) {
    if (admittedBelow < limit && inUse < limit) {
      return "bulkhead '" + bulkhead + "' shed node '" + node + "' of a " + criticality
          + " run: " + inUse + " of " + limit + " in use, and " + criticality
          + " calls run only while fewer than " + admittedBelow + " are; it waited "
          + Durations.text(waited);
    }
    return "bulkhead '" + bulkhead + "' is full (" + inUse + " of " + limit + " in use): node '"
        + node + "' of a " + criticality + " run was not run after waiting "
        + Durations.text(waited);
  }

  /** {@return the bulkhead's name} */
  public String bulkhead() {
    return bulkhead;
  }

  /** {@return the node that was not run} */
  public String node() {
    return node;
  }

  /** {@return the criticality of the node's run} */
  public Criticality criticality() {
    return criticality;
  }

  /** {@return how many places were taken as the node gave up} */
  public int inUse() {
    return inUse;
  }

  /** {@return how many calls the bulkhead let run at once as the node gave up} */
  public int limit() {
    return limit;
  }

  /**
   * {@return how many places may be taken for a call of the node's criticality to get one: the
   * limit for a critical call, its criticality's share of it otherwise}
   */
  public int admittedBelow() {
    return admittedBelow;
  }

  /**
   * {@return whether the node was refused for its criticality: fewer than {@link #limit()} places
   * were taken, so a more critical call would have run}
   */
  public boolean shed() {
    return admittedBelow < limit && inUse < limit;
  }

  /** {@return how long the node was allowed to wait} */
  public Duration waited() {
    return waited;
  }
}
