package dev.weft.internal;

import static java.util.Objects.requireNonNull;

import dev.weft.CircuitBreaker.State;
import dev.weft.CircuitBreaker.Transition;
import dev.weft.CircuitBreaker.Transition.Reason;
import dev.weft.Scheduler;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The state machine behind a {@link dev.weft.CircuitBreaker}, whose javadoc states what it does.
 *
 * <p>Implementation notes. Every state change bumps a generation; a {@link Permit} carries the
 * generation that admitted it, so an outcome that arrives after the state changed is dropped by
 * comparing two longs, and a probe's place is given back only to the half-open period that gave
 * it. The lock guards the counts; the state is also volatile, so that admitting a call while
 * closed, forced open or disabled reads it without the lock: a stale read is the same as a call
 * admitted just before the change, whose outcome the generation then drops. While closed and with
 * no slow calls to time, every call gets the period's one permit: nothing is allocated per call.
 *
 * <p>Nothing foreign runs under the lock. The clock is read before it is taken, so readings may
 * arrive in another order than they were made: the time window takes an outcome into the bucket
 * of its own time, and transitions never go back in time. The classifiers run before it, on the
 * call's thread. Transitions are queued under it (so the queue's order is theirs) and delivered
 * after it by {@link SerialDelivery}.
 *
 * <p>Thread-safe.
 */
public final class Breaker {
  /**
   * A breaker's settings, checked and resolved by its builder.
   *
   * @param slowNanos 0 when no call is slow
   * @param windowNanos the length of a time window; 0 for a count window of {@code windowCalls}
   */
  public record Settings(String name, int windowCalls, long windowNanos, int minimumCalls,
      double failureThreshold, long slowNanos, double slowThreshold, long openNanos, int probes,
      Scheduler clock, List<Class<? extends Throwable>> recordOn,
      List<Predicate<? super Throwable>> recordIf, List<Class<? extends Throwable>> ignoreOn,
      List<Predicate<? super Throwable>> ignoreIf, List<Predicate<Object>> recordResultIf,
      List<Consumer<? super Transition>> listeners) {
    /** Copies the lists, so that the builder's later changes do not reach the breaker. */
    public Settings {
      requireNonNull(name, "name");
      recordOn = List.copyOf(recordOn);
      recordIf = List.copyOf(recordIf);
      ignoreOn = List.copyOf(ignoreOn);
      ignoreIf = List.copyOf(ignoreIf);
      recordResultIf = List.copyOf(recordResultIf);
      listeners = List.copyOf(listeners);
    }
  }

  /** An admission: the generation of the state that gave it, and when, if slow calls count. */
  public static final class Permit {
    // admitted while disabled: nothing to record or release
    static final Permit UNCOUNTED = new Permit(-1, 0, false);

    final long generation;
    final long startNanos;
    final boolean probe;

    Permit(long generation, long startNanos, boolean probe) {
      this.generation = generation;
      this.startNanos = startNanos;
      this.probe = probe;
    }
  }

  private enum Verdict { SUCCESS, FAILURE, IGNORED }

  private final Settings s;
  private final Scheduler clock;
  private final long slowNanos;
  // null without listeners; added to under the lock, drained after it
  private final SerialDelivery<Transition> events;

  private final ReentrantLock lock = new ReentrantLock();
  // written under the lock; read without it where a stale value is as good as an earlier call
  private volatile State state = State.CLOSED;
  // the permit of the current closed period, written before the state that publishes it
  private volatile Permit closedPermit = new Permit(0, 0, false);
  // guarded by lock
  private long generation;
  private final OutcomeWindow window;
  private long openedAt;
  private long lastTransitionAt = Long.MIN_VALUE;
  // the rates that last opened the breaker, reported while it is open or half-open
  private double openingFailureRate;
  private double openingSlowRate;
  private int probesAdmitted;
  private int probesSucceeded;

  public Breaker(Settings settings) {
    this.s = settings;
    this.clock = settings.clock();
    this.slowNanos = settings.slowNanos();
    this.events = settings.listeners().isEmpty() ? null : new SerialDelivery<>(this::announce);
    this.window = settings.windowNanos() > 0 ? OutcomeWindow.ofTime(settings.windowNanos())
        : OutcomeWindow.ofCalls(settings.windowCalls());
  }

  /** {@return the state, half-opened first if its open duration is over} */
  public State state() {
    var current = state;
    if (current != State.OPEN) {
      return current;
    }
    long now = clock.nanoTime();
    lock.lock();
    try {
      maybeHalfOpen(now);
      return state;
    } finally {
      lock.unlock();
      deliver();
    }
  }

  /** {@return the failure rate, or the slow-call rate, the breaker stands on} */
  public double rate(boolean slow) {
    long now = clock.nanoTime();
    lock.lock();
    try {
      maybeHalfOpen(now);
      return switch (state) {
        case CLOSED -> {
          window.advance(now);
          int calls = window.calls();
          yield calls == 0 ? 0 : (double) (slow ? window.slowCalls() : window.failures()) / calls;
        }
        case OPEN, HALF_OPEN -> slow ? openingSlowRate : openingFailureRate;
        case FORCED_OPEN, DISABLED -> 0;
      };
    } finally {
      lock.unlock();
      deliver();
    }
  }

  /** Moves to {@code to} by hand, unless there already; to CLOSED, empties the window anyway. */
  public void manual(State to, Reason reason) {
    long now = clock.nanoTime();
    lock.lock();
    try {
      maybeHalfOpen(now);
      if (state != to || to == State.CLOSED) {
        transition(to, reason, now, 0, 0);
      }
    } finally {
      lock.unlock();
      deliver();
    }
  }

  // ---- the attempt protocol ----

  /**
   * Admits a call or not. {@return a permit for {@link #record} or {@link #release}, or null
   * when the call is rejected}
   */
  public Permit tryAcquire() {
    var current = state;
    if (current == State.DISABLED) {
      return Permit.UNCOUNTED;
    } else if (current == State.FORCED_OPEN) {
      return null;
    } else if (current == State.CLOSED && slowNanos == 0) {
      return closedPermit; // as of the read of state, or of a later closed period
    }
    long now = clock.nanoTime();
    if (current == State.CLOSED) {
      return new Permit(closedPermit.generation, now, false);
    }
    lock.lock();
    try {
      maybeHalfOpen(now);
      return switch (state) {
        case CLOSED -> new Permit(generation, now, false);
        case HALF_OPEN -> probesAdmitted < s.probes() ? admitProbe(now) : null;
        case OPEN, FORCED_OPEN -> null;
        case DISABLED -> Permit.UNCOUNTED;
      };
    } finally {
      lock.unlock();
      deliver();
    }
  }

  private Permit admitProbe(long now) {
    probesAdmitted++;
    return new Permit(generation, now, true);
  }

  /**
   * Counts the outcome of a call admitted with {@code permit}: it failed with {@code failure}, or
   * returned {@code value} if that is null. A classifier that throws has its throwable attached to
   * {@code failure}. Throws only what the clock threw, {@code failure} attached, counting nothing.
   */
  public void record(Permit permit, Throwable failure, Object value) {
    if (permit == Permit.UNCOUNTED) {
      return;
    }
    var verdict = classify(failure, value);
    if (verdict == Verdict.IGNORED) {
      release(permit);
      return;
    }
    long now;
    try {
      now = clock.nanoTime();
    } catch (Throwable t) {
      release(permit);
      Failures.suppress(t, failure);
      throw t;
    }
    boolean failed = verdict == Verdict.FAILURE;
    boolean slow = slowNanos > 0 && now - permit.startNanos >= slowNanos;
    lock.lock();
    try {
      if (permit.generation != generation) {
        return; // admitted under an earlier state
      }
      switch (state) {
        case CLOSED -> {
          window.add(now, failed, slow);
          int calls = window.calls();
          if (calls >= s.minimumCalls()) {
            double failureRate = (double) window.failures() / calls;
            double slowRate = (double) window.slowCalls() / calls;
            if (window.failures() >= s.failureThreshold() * calls) {
              transition(State.OPEN, Reason.FAILURE_RATE, now, failureRate, slowRate);
            } else if (slowNanos > 0 && window.slowCalls() >= s.slowThreshold() * calls) {
              transition(State.OPEN, Reason.SLOW_CALL_RATE, now, failureRate, slowRate);
            }
          }
        }
        case HALF_OPEN -> {
          if (failed || slow) {
            double recorded = probesSucceeded + 1; // the others all succeeded in time
            transition(State.OPEN, failed ? Reason.PROBE_FAILED : Reason.PROBE_SLOW, now,
                failed ? 1 / recorded : 0, slow ? 1 / recorded : 0);
          } else if (++probesSucceeded >= s.probes()) {
            transition(State.CLOSED, Reason.PROBES_SUCCEEDED, now, 0, 0);
          }
        }
        case OPEN, FORCED_OPEN, DISABLED -> { } // none admits a call of its own generation
      }
    } finally {
      lock.unlock();
      deliver();
    }
  }

  /** Gives back an admission whose call produced no outcome to count. */
  public void release(Permit permit) {
    if (!permit.probe) {
      return; // only probes are limited
    }
    lock.lock();
    try {
      if (permit.generation == generation && state == State.HALF_OPEN) {
        probesAdmitted--;
      }
    } finally {
      lock.unlock();
    }
  }

  /** {@return how the call counts} Runs user code: never under the lock. */
  private Verdict classify(Throwable failure, Object value) {
    try {
      if (failure == null) {
        var predicates = s.recordResultIf();
        for (int i = 0; i < predicates.size(); i++) {
          if (predicates.get(i).test(value)) {
            return Verdict.FAILURE;
          }
        }
        return Verdict.SUCCESS;
      }
      if (matches(s.ignoreOn(), s.ignoreIf(), failure)) {
        return Verdict.IGNORED;
      }
      return s.recordOn().isEmpty() && s.recordIf().isEmpty()
          || matches(s.recordOn(), s.recordIf(), failure) ? Verdict.FAILURE : Verdict.SUCCESS;
    } catch (Throwable broken) {
      if (failure != null) {
        Failures.suppress(failure, broken);
      } else {
        Faults.log("circuit breaker '" + s.name() + "': a recordResultIf predicate threw; the "
            + "call counts as a failure and keeps its value", broken);
      }
      return Verdict.FAILURE;
    }
  }

  private static boolean matches(List<Class<? extends Throwable>> types,
      List<Predicate<? super Throwable>> predicates, Throwable failure) {
    for (int i = 0; i < types.size(); i++) {
      if (types.get(i).isInstance(failure)) {
        return true;
      }
    }
    for (int i = 0; i < predicates.size(); i++) {
      if (predicates.get(i).test(failure)) {
        return true;
      }
    }
    return false;
  }

  // ---- state changes, under the lock ----

  private void maybeHalfOpen(long now) {
    if (state == State.OPEN && now - openedAt >= s.openNanos()) {
      transition(State.HALF_OPEN, Reason.OPEN_DURATION_OVER, openedAt + s.openNanos(),
          openingFailureRate, openingSlowRate);
    }
  }

  private void transition(State to, Reason reason, long at, double failureRate,
      double slowRate) {
    var from = state;
    // clocks read outside the lock may arrive in any order: transitions keep theirs
    at = Math.max(at, lastTransitionAt);
    lastTransitionAt = at;
    generation++;
    window.clear();
    probesAdmitted = 0;
    probesSucceeded = 0;
    openingFailureRate = failureRate;
    openingSlowRate = slowRate;
    if (to == State.OPEN) {
      openedAt = at;
    } else if (to == State.CLOSED) {
      closedPermit = new Permit(generation, 0, false);
    }
    state = to;
    if (events != null && from != to) {
      events.add(new Transition(s.name(), from, to, reason, failureRate, slowRate, at));
    }
  }

  // ---- delivery, after the lock ----

  private void deliver() {
    if (events != null) {
      events.drain();
    }
  }

  private void announce(Transition transition) {
    for (var listener : s.listeners()) {
      try {
        listener.accept(transition);
      } catch (Throwable t) {
        Faults.log("circuit breaker '" + s.name() + "': a state-change listener threw on "
            + transition.from() + " -> " + transition.to() + "; deliveries go on", t);
      }
    }
  }
}
