package dev.weft;

/**
 * How much a run matters when a shared {@link Bulkhead} is saturated: less critical runs are
 * refused first, so that the calls a page cannot do without still get through an overloaded
 * downstream. Set per run with {@link RunOptions#withCriticality}; a subgraph's run has its
 * outer run's criticality, and so have the loader calls a run makes.
 *
 * <pre>{@code
 * graph.run(inputs, o -> o.withCriticality(Criticality.SHEDDABLE)); // a prefetch, say
 * }</pre>
 *
 * <p>The names follow Google's request criticality (the SRE book, "Handling Overload", names
 * {@code CRITICAL_PLUS}, {@code CRITICAL}, {@code SHEDDABLE_PLUS} and {@code SHEDDABLE});
 * Weft keeps three levels, listed from most to least critical. What each level may use of a
 * bulkhead is the bulkhead's to say ({@link Bulkhead.Builder#criticalityShares}): by default
 * {@code CRITICAL} and {@code DEFAULT} calls share the whole limit, {@code CRITICAL} ones first in
 * line for a place that frees, and {@code SHEDDABLE} calls run only while fewer than half of the
 * places are taken.
 *
 * <p>An enum: immutable and thread-safe.
 */
public enum Criticality {
  /** Needed to answer at all (the price on a checkout page): refused only at the full limit. */
  CRITICAL,
  /** Every run's unless it says otherwise: the behaviour of a bulkhead without criticality. */
  DEFAULT,
  /** Can be dropped under load (prefetches, recommendations, batch work): refused first. */
  SHEDDABLE
}
