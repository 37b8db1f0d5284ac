package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.positive;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Stops calling a downstream that keeps failing. One breaker is shared by every node that calls
 * that downstream, in any number of graphs and concurrent runs: create it once per service
 * dependency and attach it with {@link NodeBuilder#circuitBreaker}.
 *
 * <pre>{@code
 * static final CircuitBreaker PAYMENTS = CircuitBreaker.builder("payments")
 *     .slidingWindow(20).minimumCalls(10).failureRateThreshold(0.5)
 *     .openDuration(Duration.ofSeconds(5)).halfOpenProbes(2)
 *     .build();
 * }</pre>
 *
 * <h2>States</h2>
 * {@link State#CLOSED}: calls go through; the outcomes of the last {@code slidingWindow} calls are
 * kept, and once at least {@code minimumCalls} are recorded and the share of failures reaches
 * {@code failureRateThreshold}, the breaker opens. {@link State#OPEN}: every call is rejected at
 * once with {@link CircuitOpenException}, without running, for {@code openDuration}.
 * {@link State#HALF_OPEN}: then up to {@code halfOpenProbes} calls go through as probes (others are
 * rejected); one failed probe opens the breaker again, {@code halfOpenProbes} successful ones close
 * it with an empty window. A call's failure is any exception or error its attempt ends with,
 * {@link NodeTimeoutException} included; calls cancelled with their run, and calls rejected by a
 * {@link Bulkhead} inside the breaker, are not counted. A result that arrives after the state it
 * was admitted in has changed (a slow call finishing after the breaker opened) is ignored.
 *
 * <h2>Thread-safety</h2>
 * Thread-safe. State changes happen under a lock held only for bookkeeping, never while a call
 * runs, so virtual threads never block on it for long.
 */
public final class CircuitBreaker {
  /** The breaker's state. */
  public enum State {
    /** Calls go through and are counted. */
    CLOSED,
    /** Calls are rejected without running. */
    OPEN,
    /** A few probe calls go through to test the downstream. */
    HALF_OPEN
  }

  private final String name;
  private final int window;
  private final int minimumCalls;
  private final double threshold;
  private final long openNanos;
  private final int probes;
  private final Scheduler clock;

  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private State state = State.CLOSED;
  private long generation;
  private final boolean[] failed;
  private int next;
  private int recorded;
  private int failures;
  private long openedAt;
  // the failure rate that last opened the breaker, reported while it is not closed
  private double openingRate;
  private int probesAdmitted;
  private int probesSucceeded;

  private CircuitBreaker(Builder b, int minimumCalls) {
    this.name = b.name;
    this.window = b.window;
    this.minimumCalls = minimumCalls;
    this.threshold = b.threshold;
    this.openNanos = b.openNanos;
    this.probes = b.probes;
    this.clock = b.clock;
    this.failed = new boolean[window];
  }

  /**
   * Starts configuring a breaker. Defaults: a window of 100 calls, 20 minimum calls (or the
   * window, if smaller), threshold 0.5, open for 30 s, 1 probe, the {@link Scheduler#system()
   * system} clock.
   *
   * @param name names the breaker in exceptions and in its {@code toString}
   * @return a builder
   */
  public static Builder builder(String name) {
    return new Builder(requireNonNull(name, "name"));
  }

  /** {@return the breaker's name} */
  public String name() {
    return name;
  }

  /** {@return the current state; an open breaker whose open duration is over reads HALF_OPEN} */
  public State state() {
    lock.lock();
    try {
      maybeHalfOpen();
      return state;
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@return the failure rate the breaker stands on} While closed, the share of failures among
   * the calls in the window (0 when it is empty); while open or half-open, the rate that last
   * opened it: the window's when the threshold was reached, or the probes' when a probe failed.
   */
  public double failureRate() {
    lock.lock();
    try {
      maybeHalfOpen();
      return state != State.CLOSED ? openingRate : recorded == 0 ? 0 : (double) failures / recorded;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Admits a call or not. {@return a ticket for {@link #record}/{@link #release}, or -1 when the
   * call is rejected}
   */
  long tryAcquire() {
    lock.lock();
    try {
      maybeHalfOpen();
      return switch (state) {
        case CLOSED -> generation;
        case OPEN -> -1;
        case HALF_OPEN -> probesAdmitted < probes ? admitProbe() : -1;
      };
    } finally {
      lock.unlock();
    }
  }

  private long admitProbe() {
    probesAdmitted++;
    return generation;
  }

  /** Records the outcome of a call admitted with {@code ticket}. */
  void record(long ticket, boolean success) {
    lock.lock();
    try {
      if (ticket != generation) {
        return; // admitted under an earlier state
      }
      switch (state) {
        case CLOSED -> {
          if (recorded == window) {
            failures -= failed[next] ? 1 : 0;
          } else {
            recorded++;
          }
          failed[next] = !success;
          failures += success ? 0 : 1;
          next = (next + 1) % window;
          if (recorded >= minimumCalls && failures >= threshold * recorded) {
            double rate = (double) failures / recorded;
            transition(State.OPEN);
            openingRate = rate;
          }
        }
        case HALF_OPEN -> {
          if (!success) {
            double rate = 1.0 / (probesSucceeded + 1); // one failed probe among those recorded
            transition(State.OPEN);
            openingRate = rate;
          } else if (++probesSucceeded >= probes) {
            transition(State.CLOSED);
          }
        }
        case OPEN -> { }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Gives back an admission whose call produced no outcome to count. */
  void release(long ticket) {
    lock.lock();
    try {
      if (ticket == generation && state == State.HALF_OPEN) {
        probesAdmitted--;
      }
    } finally {
      lock.unlock();
    }
  }

  private void maybeHalfOpen() {
    if (state == State.OPEN && clock.nanoTime() - openedAt >= openNanos) {
      transition(State.HALF_OPEN);
    }
  }

  private void transition(State to) {
    // the clock first: if it throws, the breaker stays as it was instead of open since never
    long now = to == State.OPEN ? clock.nanoTime() : 0;
    state = to;
    generation++;
    next = 0;
    recorded = 0;
    failures = 0;
    probesAdmitted = 0;
    probesSucceeded = 0;
    if (to == State.OPEN) {
      openedAt = now;
    }
  }

  @Override
  public String toString() {
    return "CircuitBreaker[" + name + ", " + state() + "]";
  }

  /**
   * Configures a {@link CircuitBreaker}. Not thread-safe; every setter checks its argument at once
   * and throws {@link IllegalArgumentException} naming it.
   */
  public static final class Builder {
    private final String name;
    private int window = 100;
    private int minimumCalls = -1; // unset: 20, or the window if smaller
    private double threshold = 0.5;
    private long openNanos = Duration.ofSeconds(30).toNanos();
    private int probes = 1;
    private Scheduler clock = Scheduler.system();

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Keeps the outcomes of the last {@code calls} (at least 1) calls.
     *
     * @return this
     */
    public Builder slidingWindow(int calls) {
      this.window = atLeastOne(calls, "slidingWindow");
      return this;
    }

    /**
     * Opens only once at least {@code calls} (at least 1) are in the window.
     *
     * @return this
     */
    public Builder minimumCalls(int calls) {
      this.minimumCalls = atLeastOne(calls, "minimumCalls");
      return this;
    }

    /**
     * Opens when the share of failures reaches {@code rate}, in (0, 1].
     *
     * @return this
     */
    public Builder failureRateThreshold(double rate) {
      if (!(rate > 0 && rate <= 1)) {
        throw new IllegalArgumentException("failureRateThreshold must be in (0, 1], not " + rate);
      }
      this.threshold = rate;
      return this;
    }

    /**
     * Stays open for {@code duration} (positive) before probing.
     *
     * @return this
     */
    public Builder openDuration(Duration duration) {
      this.openNanos = positive(duration, "openDuration");
      return this;
    }

    /**
     * Lets {@code calls} (at least 1) probes through when half-open.
     *
     * @return this
     */
    public Builder halfOpenProbes(int calls) {
      this.probes = atLeastOne(calls, "halfOpenProbes");
      return this;
    }

    /**
     * Reads time from {@code scheduler}, a fake one in tests.
     *
     * @return this
     */
    public Builder scheduler(Scheduler scheduler) {
      this.clock = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * {@return a new breaker, closed}
     *
     * @throws IllegalArgumentException if {@code minimumCalls} exceeds {@code slidingWindow}
     */
    public CircuitBreaker build() {
      // the default is resolved for this breaker only: the builder stays as it was set
      if (minimumCalls > window) {
        throw new IllegalArgumentException("minimumCalls (" + minimumCalls
            + ") must not exceed slidingWindow (" + window + "), or the breaker never opens");
      }
      return new CircuitBreaker(this, minimumCalls < 0 ? Math.min(20, window) : minimumCalls);
    }
  }
}
