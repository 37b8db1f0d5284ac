package dev.weft;

import static dev.weft.internal.Check.atLeastOne;
import static dev.weft.internal.Check.positive;
import static dev.weft.internal.Check.rate;
import static dev.weft.internal.Check.types;
import static java.util.Objects.requireNonNull;

import dev.weft.internal.Breaker;
import dev.weft.internal.OutcomeWindow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Stops calling a downstream that keeps failing or has become slow. One breaker is shared by
 * every node that calls that downstream, in any number of graphs and concurrent runs: create it
 * once per service dependency and attach it with {@link NodeBuilder#circuitBreaker} or {@link
 * BatchLoader#circuitBreaker}.
 *
 * <pre>{@code
 * static final CircuitBreaker PAYMENTS = CircuitBreaker.builder("payments")
 *     .slidingWindow(20).minimumCalls(10).failureRateThreshold(0.5)
 *     .slowCallDurationThreshold(Duration.ofMillis(500)).slowCallRateThreshold(0.8)
 *     .ignoreOn(NotFoundException.class)
 *     .openDuration(Duration.ofSeconds(5)).halfOpenProbes(2)
 *     .onStateChange(t -> log.info(t.toString()))
 *     .build();
 * }</pre>
 *
 * <h2>States</h2>
 * {@link State#CLOSED}: calls go through and their outcomes are kept in a window, either the last
 * {@link Builder#slidingWindow} calls or those that ended within the last {@link
 * Builder#timeWindow}. Once at least {@code minimumCalls} are in the window and the share of
 * failures reaches {@code failureRateThreshold}, or the share of slow calls reaches {@code
 * slowCallRateThreshold}, the breaker opens. {@link State#OPEN}: every call is rejected at once
 * with {@link CircuitOpenException}, without running, for {@code openDuration}. {@link
 * State#HALF_OPEN}: then up to {@code halfOpenProbes} calls go through as probes (others are
 * rejected); one probe that fails or is slow opens the breaker again, {@code halfOpenProbes}
 * successful ones close it. The breaker notices that its open duration is over when it is next
 * used (a call, {@link #state()}, a rate); it then half-opens as of the moment that was due.
 * {@link State#FORCED_OPEN} ({@link #forceOpen}) rejects every call and {@link State#DISABLED}
 * ({@link #disable}) lets every call through and counts none, each until {@link #reset} closes
 * the breaker. Every state change starts counting afresh (an empty window, no probes), and a call
 * admitted in one state whose outcome arrives after the breaker left it (a slow call finishing
 * after it opened) is not counted.
 *
 * <h2>What counts</h2>
 * By default a call fails when its attempt ends with any exception or error, {@link
 * NodeTimeoutException} included, and succeeds when it returns. {@link Builder#recordOn} and
 * {@link Builder#recordIf} narrow the failures that count; any other exception then counts as a
 * success (the downstream did answer). {@link Builder#ignoreOn} and {@link Builder#ignoreIf} name
 * failures that count as neither, such as a 404 or a request refused as bad input: the call is not
 * counted at all and a probe gives its place back; ignoring wins over recording. {@link
 * Builder#recordResultIf} counts a value as a failure (a response with status 503); the node
 * still returns it. For a {@link BatchLoader}, a call is one call of its batch function, and its
 * value the map or list that function returned. Never counted: calls cancelled with their run,
 * and calls rejected by the breaker itself or by a {@link Bulkhead} inside it.
 *
 * <p>These classifiers run on the call's thread once it has ended, outside the breaker's lock. One
 * that throws does not change the call's outcome; the call then counts as a failure (a breaker
 * that cannot tell errs on the side of the downstream), and what the classifier threw is attached
 * as suppressed to the call's failure, or, when the call returned a value, logged through {@link
 * System.Logger} (logger {@code dev.weft}) at WARNING.
 *
 * <h2>Slow calls</h2>
 * With {@link Builder#slowCallDurationThreshold}, a call that took at least that long is slow,
 * whether it failed or not. A call's duration is measured on the breaker's clock ({@link
 * Builder#scheduler}) from its admission to its end, so it includes any wait for a place in a
 * {@link Bulkhead} inside the breaker; a call that timed out took its timeout.
 *
 * <h2>Windows</h2>
 * A count window ({@link Builder#slidingWindow}, the default) holds the last {@code n} outcomes. A
 * time window ({@link Builder#timeWindow}) holds those of calls that ended within its length,
 * aggregated in {@value OutcomeWindow#BUCKETS} buckets of a twentieth of it each, aligned on the
 * breaker's clock: an outcome counts for at most the window's length after the call ended, and at
 * least nineteen twentieths of it. Either costs O(1) per call and fixed memory.
 *
 * <h2>Events</h2>
 * Every change of state is announced once as a {@link Transition} to the listeners of {@link
 * Builder#onStateChange}, in the order the changes happened, one delivery at a time, and never
 * under the breaker's lock: on the thread whose call or method caused the change (or noticed it,
 * for an open duration that is over), or on a thread already delivering earlier ones. By the time
 * such a call or method returns, its transitions have been delivered, unless another thread is
 * delivering them at that moment. A listener may use the breaker; a change it causes is delivered
 * after the current one. Listeners hold up the call that delivers them and should be quick. One
 * that throws disturbs neither the call nor later deliveries, to it or to the others: what it threw
 * is logged through {@link System.Logger} (logger {@code dev.weft}) at WARNING.
 *
 * <h2>Thread-safety</h2>
 * Thread-safe. Counting takes a lock, held only for the bookkeeping: never while a call, a
 * classifier, a listener or the clock runs. Admitting a call while the breaker is closed, forced
 * open or disabled takes no lock at all.
 *
 * <h2>Failure modes</h2>
 * A clock ({@link Scheduler#nanoTime}) that throws fails the attempt that read it with what it
 * threw, the attempt's own failure attached; the call is not counted and the breaker stays as it
 * was. A public method of the breaker that reads the clock throws what it threw, changing nothing.
 */
public final class CircuitBreaker {
  /** The breaker's state. */
  public enum State {
    /** Calls go through and are counted. */
    CLOSED,
    /** Calls are rejected without running, until the open duration is over. */
    OPEN,
    /** A few probe calls go through to test the downstream; others are rejected. */
    HALF_OPEN,
    /** Set by {@link #forceOpen}: calls are rejected without running, until {@link #reset}. */
    FORCED_OPEN,
    /** Set by {@link #disable}: calls go through and are not counted, until {@link #reset}. */
    DISABLED
  }

  /**
   * A change of a breaker's state, as delivered to the listeners of {@link
   * Builder#onStateChange}. Immutable.
   *
   * @param breaker the breaker's name
   * @param from the state it left
   * @param to the state it entered, never {@code from}
   * @param reason why it changed
   * @param failureRate the breaker's {@link CircuitBreaker#failureRate()} once in {@code to}: for
   *     an opening, the rate that opened it
   * @param slowCallRate the breaker's {@link CircuitBreaker#slowCallRate()} once in {@code to}
   * @param nanoTime when it changed, on the breaker's clock ({@link Scheduler#nanoTime}): for a
   *     half-opening, when the open duration was over, even if noticed later
   */
  public record Transition(String breaker, State from, State to, Reason reason,
      double failureRate, double slowCallRate, long nanoTime) {
    /** Why a breaker changed its state. */
    public enum Reason {
      /** Closed to open: the failure rate in the window reached its threshold. */
      FAILURE_RATE,
      /** Closed to open: the slow-call rate in the window reached its threshold. */
      SLOW_CALL_RATE,
      /** Open to half-open: the open duration is over. */
      OPEN_DURATION_OVER,
      /** Half-open to open: a probe failed. */
      PROBE_FAILED,
      /** Half-open to open: a probe succeeded, but was slow. */
      PROBE_SLOW,
      /** Half-open to closed: every probe succeeded in time. */
      PROBES_SUCCEEDED,
      /** {@link CircuitBreaker#forceOpen} was called. */
      FORCED_OPEN,
      /** {@link CircuitBreaker#disable} was called. */
      DISABLED,
      /** {@link CircuitBreaker#reset} was called, in a state other than closed. */
      RESET
    }

    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code breaker}, {@code from}, {@code to} or {@code reason}
     *     is null
     */
    public Transition {
      requireNonNull(breaker, "breaker");
      requireNonNull(from, "from");
      requireNonNull(to, "to");
      requireNonNull(reason, "reason");
    }
  }

  private final String name;
  private final Breaker core;

  private CircuitBreaker(String name, Breaker core) {
    this.name = name;
    this.core = core;
  }

  /**
   * Starts configuring a breaker. Defaults: a window of the last 100 calls, 20 minimum calls (or
   * the window, if smaller), failure-rate threshold 0.5, no slow calls, open for 30 s, 1 probe,
   * every failure counted, no listener, the {@link Scheduler#system() system} clock.
   *
   * @param name names the breaker in exceptions, transitions and its {@code toString}
   * @return a builder
   */
  public static Builder builder(String name) {
    return new Builder(requireNonNull(name, "name"));
  }

  /** {@return the breaker's name} */
  public String name() {
    return name;
  }

  /**
   * {@return the current state} An open breaker whose open duration is over half-opens here, and
   * that transition is delivered before this returns (unless another thread is delivering).
   *
   * @throws RuntimeException what the breaker's clock threw, if it was open
   */
  public State state() {
    return core.state();
  }

  /**
   * {@return the failure rate the breaker stands on} While closed, the share of failures among
   * the calls in the window (0 when it is empty); while open or half-open, the rate that last
   * opened it: the window's when a threshold was reached, or the probes' when a probe failed or
   * was slow; 0 while forced open or disabled.
   *
   * @throws RuntimeException what the breaker's clock threw
   */
  public double failureRate() {
    return core.rate(false);
  }

  /**
   * {@return the slow-call rate the breaker stands on} As {@link #failureRate()}, for the share of
   * slow calls; always 0 without {@link Builder#slowCallDurationThreshold}.
   *
   * @throws RuntimeException what the breaker's clock threw
   */
  public double slowCallRate() {
    return core.rate(true);
  }

  /**
   * Holds the breaker open: {@link State#FORCED_OPEN} rejects every call, however long, until
   * {@link #reset}. Nothing happens if it is forced open already.
   *
   * @throws RuntimeException what the breaker's clock threw, changing nothing
   */
  public void forceOpen() {
    core.manual(State.FORCED_OPEN, Transition.Reason.FORCED_OPEN);
  }

  /**
   * Takes the breaker out of the way: {@link State#DISABLED} lets every call through and counts
   * none, until {@link #reset}. Nothing happens if it is disabled already.
   *
   * @throws RuntimeException what the breaker's clock threw, changing nothing
   */
  public void disable() {
    core.manual(State.DISABLED, Transition.Reason.DISABLED);
  }

  /**
   * Closes the breaker with an empty window, from any state. Already closed, it only empties the
   * window (outcomes of calls admitted before are not counted), with no transition.
   *
   * @throws RuntimeException what the breaker's clock threw, changing nothing
   */
  public void reset() {
    core.manual(State.CLOSED, Transition.Reason.RESET);
  }

  // ---- the attempt protocol, used by Guard ----

  /**
   * Admits a call or not. {@return a permit for {@link #record} or {@link #release}, or null
   * when the call is rejected}
   */
  Breaker.Permit tryAcquire() {
    return core.tryAcquire();
  }

  /**
   * Counts the outcome of a call admitted with {@code permit}: it failed with {@code failure}, or
   * returned {@code value} if that is null; its duration runs from its admission to now.
   */
  void record(Breaker.Permit permit, Throwable failure, Object value) {
    core.record(permit, failure, value);
  }

  /** Gives back an admission whose call produced no outcome to count. */
  void release(Breaker.Permit permit) {
    core.release(permit);
  }

  /** {@return the breaker's name and state, e.g. {@code CircuitBreaker[payments, OPEN]}} */
  @Override
  public String toString() {
    return "CircuitBreaker[" + name + ", " + state() + "]";
  }

  /**
   * Configures a {@link CircuitBreaker}. Not thread-safe. Every setter checks its argument at
   * once and throws {@link IllegalArgumentException} naming the setting (or {@link
   * NullPointerException}, for a null); settings that contradict each other throw at {@link
   * #build()}. {@code build()} copies the settings: the builder can go on being changed and
   * building others.
   */
  public static final class Builder {
    private static final long MIN_TIME_WINDOW = Duration.ofMillis(1).toNanos();

    private final String name;
    private int windowCalls = 100;
    private long windowNanos; // 0: a count window
    private int minimumCalls = -1; // unset: 20, or a count window if smaller
    private double failureThreshold = 0.5;
    private long slowNanos;
    private double slowThreshold = Double.NaN; // unset: 1 once slowNanos is set
    private long openNanos = Duration.ofSeconds(30).toNanos();
    private int probes = 1;
    private Scheduler clock = Scheduler.system();
    private final List<Class<? extends Throwable>> recordOn = new ArrayList<>();
    private final List<Predicate<? super Throwable>> recordIf = new ArrayList<>();
    private final List<Class<? extends Throwable>> ignoreOn = new ArrayList<>();
    private final List<Predicate<? super Throwable>> ignoreIf = new ArrayList<>();
    private final List<Predicate<Object>> recordResultIf = new ArrayList<>();
    private final List<Consumer<? super Transition>> listeners = new ArrayList<>();

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Keeps the outcomes of the last {@code calls} (at least 1) calls; replaces a {@link
     * #timeWindow} set before.
     *
     * @return this
     */
    public Builder slidingWindow(int calls) {
      this.windowCalls = atLeastOne(calls, "slidingWindow");
      this.windowNanos = 0;
      return this;
    }

    /**
     * Keeps the outcomes of the calls that ended within the last {@code window} (at least 1 ms),
     * in 20 buckets of a twentieth of it (see Windows in {@link CircuitBreaker}); replaces a
     * {@link #slidingWindow} set before.
     *
     * @return this
     */
    public Builder timeWindow(Duration window) {
      long nanos = positive(window, "timeWindow");
      if (nanos < MIN_TIME_WINDOW) {
        throw new IllegalArgumentException("timeWindow must be at least 1 ms, not " + window);
      }
      this.windowNanos = nanos;
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
      this.failureThreshold = rate(rate, "failureRateThreshold");
      return this;
    }

    /**
     * Counts a call that took at least {@code duration} (positive) as slow; unset, no call is.
     *
     * @return this
     */
    public Builder slowCallDurationThreshold(Duration duration) {
      this.slowNanos = positive(duration, "slowCallDurationThreshold");
      return this;
    }

    /**
     * Opens when the share of slow calls reaches {@code rate}, in (0, 1]; 1 unless set. Needs
     * {@link #slowCallDurationThreshold}.
     *
     * @return this
     */
    public Builder slowCallRateThreshold(double rate) {
      this.slowThreshold = rate(rate, "slowCallRateThreshold");
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
     * Reads time from {@code scheduler}, a fake one in tests: for open durations, slow calls,
     * time windows and transitions.
     *
     * @return this
     */
    public Builder scheduler(Scheduler scheduler) {
      this.clock = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Counts as failures only the failures that are instances of one of {@code types} (at least
     * one), or that a {@link #recordIf} predicate matches; other exceptions count as successes.
     * Adds to the types given before.
     *
     * @return this
     */
    @SafeVarargs
    public final Builder recordOn(Class<? extends Throwable>... types) {
      recordOn.addAll(types("recordOn", types));
      return this;
    }

    /**
     * Counts as failures only the failures that {@code predicate} matches, or that are instances
     * of a {@link #recordOn} type; other exceptions count as successes. Adds to the predicates
     * given before: any one matching counts the failure.
     *
     * @return this
     */
    public Builder recordIf(Predicate<? super Throwable> predicate) {
      recordIf.add(requireNonNull(predicate, "recordIf"));
      return this;
    }

    /**
     * Counts failures that are instances of one of {@code types} (at least one) as neither
     * failures nor successes, even if recorded; adds to the types given before.
     *
     * @return this
     */
    @SafeVarargs
    public final Builder ignoreOn(Class<? extends Throwable>... types) {
      ignoreOn.addAll(types("ignoreOn", types));
      return this;
    }

    /**
     * Counts failures that {@code predicate} matches as neither failures nor successes, even if
     * recorded; adds to the predicates given before.
     *
     * @return this
     */
    public Builder ignoreIf(Predicate<? super Throwable> predicate) {
      ignoreIf.add(requireNonNull(predicate, "ignoreIf"));
      return this;
    }

    /**
     * Counts a call that returned a value {@code predicate} matches as a failure; the value, which
     * may be null, is still the call's. Adds to the predicates given before.
     *
     * @return this
     */
    public Builder recordResultIf(Predicate<Object> predicate) {
      recordResultIf.add(requireNonNull(predicate, "recordResultIf"));
      return this;
    }

    /**
     * Delivers every change of state to {@code listener}, after the listeners added before it
     * (see Events in {@link CircuitBreaker}).
     *
     * @return this
     */
    public Builder onStateChange(Consumer<? super Transition> listener) {
      listeners.add(requireNonNull(listener, "onStateChange"));
      return this;
    }

    /**
     * {@return a new breaker, closed}
     *
     * @throws IllegalArgumentException if {@code minimumCalls} exceeds a {@code slidingWindow},
     *     or {@code slowCallRateThreshold} is set without {@code slowCallDurationThreshold}
     */
    public CircuitBreaker build() {
      // the defaults are resolved for this breaker only: the builder stays as it was set
      if (windowNanos == 0 && minimumCalls > windowCalls) {
        throw new IllegalArgumentException("minimumCalls (" + minimumCalls
            + ") must not exceed slidingWindow (" + windowCalls + "), or the breaker never opens");
      }
      if (slowNanos == 0 && !Double.isNaN(slowThreshold)) {
        throw new IllegalArgumentException("slowCallRateThreshold (" + slowThreshold
            + ") needs a slowCallDurationThreshold, or no call is ever slow");
      }
      int minimum = minimumCalls > 0 ? minimumCalls
          : windowNanos > 0 ? 20 : Math.min(20, windowCalls);
      return new CircuitBreaker(name, new Breaker(new Breaker.Settings(name, windowCalls,
          windowNanos, minimum, failureThreshold, slowNanos,
          Double.isNaN(slowThreshold) ? 1 : slowThreshold, openNanos, probes, clock, recordOn,
          recordIf, ignoreOn, ignoreIf, recordResultIf, listeners)));
    }
  }
}
