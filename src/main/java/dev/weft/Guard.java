package dev.weft;

import dev.weft.internal.AttemptEnd;
import dev.weft.internal.Attempts;
import dev.weft.internal.Breaker;
import dev.weft.internal.Elements;
import dev.weft.internal.Failures;
import dev.weft.internal.Hedges;
import dev.weft.internal.Invoker;
import dev.weft.internal.LatencyHistogram;
import dev.weft.internal.Run;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A task body wrapped in its node's policies, nested as Failsafe writes it:
 * {@code Fallback(Retry(CircuitBreaker(Bulkhead(Timeout(task)))))}; for a hedged node, {@code
 * Fallback(Retry(Timeout(Hedge(CircuitBreaker(Bulkhead(task))))))}.
 *
 * <p>Why this order: the timeout is innermost so that every attempt gets its own limit and a
 * bulkhead place is held only while an attempt runs; the bulkhead sits inside the breaker so that a
 * call the breaker rejects never takes a place, and a call the bulkhead rejects is not counted
 * against the downstream; the breaker sits inside the retry so that every attempt is counted and
 * an opening breaker stops further attempts at once; the fallback is outermost so that it sees the
 * failure that is left once everything else has been tried. Hedging sits inside the retry, so a
 * retry starts a fresh set of hedged attempts; the timeout bounds all of one set together (a hedge
 * sent late must still end in time); every hedged attempt is a call of its own to the downstream,
 * so each is admitted by the breaker, counted by it, and holds a bulkhead place.
 */
final class Guard implements Invoker, Elements.Policies {
  /** The node's policies; any may be absent (0 or null). */
  record Policies(long timeoutNanos, RetryPolicy retry, CircuitBreaker breaker, Bulkhead bulkhead,
      Fn.F1<? super Throwable, ?> fallback, HedgePolicy hedge, RetryBudget budget,
      LatencyHistogram history) {
    Policies(long timeoutNanos, RetryPolicy retry, CircuitBreaker breaker, Bulkhead bulkhead,
        Fn.F1<? super Throwable, ?> fallback) {
      this(timeoutNanos, retry, breaker, bulkhead, fallback, null, null, null);
    }
  }

  /** How far back a node's recent latencies reach: between one and two of these. */
  static final long HISTORY_WINDOW_NANOS = 10_000_000_000L;

  private final String node;
  // the node's body, for a node's attempts; null for a fan-out's, whose table runs each element
  private final Invoker body;
  private final Policies p;

  Guard(String node, Invoker body, Policies policies) {
    this.node = node;
    this.body = body;
    this.p = policies;
  }

  /**
   * {@return whether a node whose recent latencies are {@code recent} can still make it in
   * {@code run}: the run has no deadline, or at least the node's median left, or the node has too
   * short a history to say}
   */
  static boolean inTime(LatencyHistogram recent, Run<?> run) {
    long left = run.untilDeadlineNanos();
    if (left == Long.MAX_VALUE) {
      return true;
    }
    long median = recent.percentile(0.5, 20, run.scheduler().nanoTime());
    return median < 0 || left >= median;
  }

  @Override
  public Object invoke(Run<?> run, int v) throws Throwable {
    return run(run.attempts(), v);
  }

  /** Runs task {@code v} of {@code site} (a vertex, or an element) under the policies. */
  @Override
  public Object run(Attempts site, int v) throws Throwable {
    if (p.fallback == null) {
      return retrying(site, v);
    }
    Throwable failure;
    try {
      return retrying(site, v);
    } catch (Throwable t) {
      failure = t;
    }
    if (site.stopped(v)) {
      throw failure; // the run was cancelled: no fallback
    }
    try {
      var failed = failure;
      return site.bound(() -> p.fallback.apply(failed)); // user code: inside the bindings too
    } catch (Throwable t) {
      // A fallback that rethrows what it was given (a type filter) fails with it, as it was.
      Failures.suppress(t, failure);
      throw t;
    }
  }

  /**
   * Runs the attempts. {@return the first attempt's value that succeeds} Throws the last failure,
   * the earlier ones attached, also when what fails is the scheduler between two attempts: so
   * the fallback sees every way the node failed. No retry once the run has stopped the node.
   */
  private Object retrying(Attempts site, int v) throws Throwable {
    var clock = site.scheduler();
    ArrayList<Throwable> earlier = null;
    Throwable failure = null;
    try {
      long first = clock.nanoTime();
      if (p.budget != null) {
        p.budget.deposit(); // one request: its retries and hedges withdraw from what it adds
      }
      for (int attempt = 1; ; attempt++) {
        if (attempt > 1 && site.stopped(v)) {
          // cancelled between attempts, its interrupt swallowed: the retry it was promised is
          // what the stop cancelled, so it ends cancelled (the failure it would retry attached)
          throw stoppedBeforeAttempt(attempt);
        }
        try {
          return attempt(site, v, attempt);
        } catch (Throwable t) {
          if (failure != null) {
            (earlier == null ? earlier = new ArrayList<>() : earlier).add(failure);
          }
          failure = t;
        }
        if (site.stopped(v) || !retryAgain(site, v, attempt, failure, first)) {
          throw failure; // cancelled: no retry, and no fallback (see invoke)
        }
      }
    } catch (Throwable t) {
      if (earlier != null) {
        for (var e : earlier) {
          Failures.suppress(t, e);
        }
      }
      if (failure != null) {
        Failures.suppress(t, failure); // the scheduler failed after an attempt did
      }
      throw t;
    }
  }

  /** {@return the value of one attempt} Throws what it failed with, a timeout included. */
  private Object attempt(Attempts attempts, int v, int attempt) throws Throwable {
    Throwable failure = null;
    Object value = null;
    Breaker.Permit permit = null;
    boolean countable = false;
    attempts.begin(v, attempt);
    var jfr = Attempts.beginJfr();
    long began = p.history != null && p.hedge == null ? attempts.scheduler().nanoTime() : 0;
    try {
      if (p.hedge != null) {
        value = hedged(attempts, v); // the breaker admits and counts each hedged attempt
      } else {
        if (p.breaker != null && (permit = p.breaker.tryAcquire()) == null) {
          throw new CircuitOpenException(p.breaker.name(), node);
        }
        value = bulkheadAndTimeout(attempts, v, true);
      }
      countable = true;
    } catch (Throwable t) {
      failure = t;
      countable = !(t instanceof CircuitOpenException || t instanceof BulkheadFullException);
    }
    var how = attempts.end(v);
    if (jfr != null) {
      attempts.commitJfr(jfr, v, attempt, switch (how) {
        case CANCELLED, CUT_OFF -> Outcome.Status.CANCELLED;
        case TIMED_OUT -> Outcome.Status.FAILED;
        case COMPLETED -> failure == null ? Outcome.Status.SUCCEEDED : Outcome.Status.FAILED;
      });
    }
    if (how == AttemptEnd.CUT_OFF) {
      if (permit != null) {
        p.breaker.release(permit); // a cut-off probe must give its place back
      }
      throw new CancellationException("cut off at the run's cancellation");
    }
    if (how == AttemptEnd.TIMED_OUT) {
      failure = new NodeTimeoutException(node, Duration.ofNanos(p.timeoutNanos), attempt,
          failure);
      countable = true;
    }
    if (began != 0 && how == AttemptEnd.COMPLETED && failure == null) {
      long now = attempts.scheduler().nanoTime();
      p.history.record(now - began, now); // what skipping a late node reads
    }
    if (permit != null) {
      if (how == AttemptEnd.CANCELLED || !countable) {
        p.breaker.release(permit);
      } else {
        p.breaker.record(permit, failure, value); // may attach to failure, or throw the clock's
      }
    }
    if (failure != null) {
      throw failure;
    }
    return value;
  }

  private CancellationException stoppedBeforeAttempt(int attempt) {
    return new CancellationException("node '" + node + "' was stopped before its attempt "
        + attempt);
  }

  /** Decides on a retry and, if there is one, waits out its delay. */
  private boolean retryAgain(Attempts site, int v, int attempt, Throwable failure, long first)
      throws InterruptedException {
    var retry = p.retry;
    if (retry == null || attempt >= retry.maxAttempts() || site.halted()) {
      return false;
    }
    try {
      if (!retry.retries(failure)) {
        return false;
      }
    } catch (Throwable broken) {
      // A retryIf/abortIf predicate that throws decides nothing: no retry, and the node fails
      // with its own failure, what the predicate threw attached.
      Failures.suppress(failure, broken);
      return false;
    }
    long delay = retry.delayNanos(attempt);
    var clock = site.scheduler();
    long now = clock.nanoTime();
    long deadlineAt = site.deadlineAt();
    long untilDeadline = deadlineAt == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineAt - now;
    if (delay > retry.maxDurationNanos() - (now - first) || delay >= untilDeadline) {
      return false; // the retry could not even start in time
    }
    if (p.budget != null && !p.budget.tryWithdraw()) {
      Failures.suppress(failure, new BudgetExhaustedException(p.budget.name(), node,
          "retry " + (attempt + 1), p.budget.terms()));
      return false;
    }
    if (!site.retried(v, attempt, failure, delay)) {
      return false; // cut off while it was reported
    }
    if (site.stopped(v)) {
      throw stoppedBeforeAttempt(attempt + 1); // cancelled once its retry was announced
    }
    if (delay > 0) {
      clock.sleep(delay, TimeUnit.NANOSECONDS);
    }
    return true;
  }

  /** Runs one set of hedged attempts of task {@code v}, all within the node's timeout. */
  private Object hedged(Attempts site, int v) throws Throwable {
    Future<?> timer = p.timeoutNanos > 0 && p.timeoutNanos < site.remainingNanos(v)
        ? site.timeout(v, p.timeoutNanos) : null;
    try {
      return Hedges.run(site, v, p.hedge.maxHedges(), this::hedgedAttempt, hedging);
    } finally {
      if (timer != null) {
        timer.cancel(false);
      }
    }
  }

  /** One hedged attempt {@code k}: a call of its own, admitted and counted by the breaker. */
  private Object hedgedAttempt(Hedges hedges, int k) throws Throwable {
    Breaker.Permit permit = null;
    if (p.breaker != null && (permit = p.breaker.tryAcquire()) == null) {
      throw new CircuitOpenException(p.breaker.name(), node);
    }
    Throwable failure = null;
    Object value = null;
    try {
      value = bulkheadAndTimeout(hedges, k, false);
    } catch (Throwable t) {
      failure = t;
    }
    if (permit != null) {
      // a loser, or an attempt of a cancelled run, says nothing about the downstream; the first
      // attempt the node's timeout stopped does: it was too slow (see Hedges.countable)
      if (failure instanceof BulkheadFullException || !hedges.countable(k)) {
        p.breaker.release(permit);
      } else {
        p.breaker.record(permit, failure, value); // may attach to failure, or throw the clock's
      }
    }
    if (failure != null) {
      throw failure;
    }
    return value;
  }

  // what the hedged attempts of this node read: delay, budget, history
  private final Hedges.Policy hedging = new Hedges.Policy() {
    @Override
    public long delayNanos(long now) {
      return p.hedge.delayNanos(p.history, now);
    }

    @Override
    public boolean mayHedge(int k) {
      return p.budget == null || p.budget.tryWithdraw();
    }

    @Override
    public void sample(long nanos, long now) {
      p.history.record(nanos, now);
    }

    @Override
    public void unsent(int k) {
      if (p.budget != null) {
        p.budget.refund();
      }
    }
  };

  /**
   * Runs one attempt inside its bulkhead place (taken for the run's criticality) and, if {@code
   * timed}, under its timeout (a hedged attempt runs under its set's). An adaptive bulkhead learns
   * from the attempt: its duration on the run's clock, and whether it returned, failed, timed out
   * (its timer fired) or was cancelled (a hedge that lost is).
   */
  private Object bulkheadAndTimeout(Attempts site, int v, boolean timed) throws Throwable {
    var bulkhead = p.bulkhead;
    if (bulkhead != null) {
      bulkhead.acquire(site.run().criticality(), site.remainingNanos(v), node);
    }
    var clock = site.scheduler();
    long start = Long.MIN_VALUE; // not read: the attempt's time is unknown
    Future<?> timer = null;
    boolean timedOut = false;
    Throwable failure = null;
    try {
      if (bulkhead != null && bulkhead.adaptive() != null) {
        start = clock.nanoTime();
      }
      // A timeout past the deadline is moot: the deadline cancels the run first.
      if (timed && p.timeoutNanos > 0 && p.timeoutNanos < site.remainingNanos(v)) {
        timer = site.timeout(v, p.timeoutNanos);
      }
      return site.call(v, body);
    } catch (Throwable t) {
      failure = t;
      throw t;
    } finally {
      try {
        if (timer != null) {
          timedOut = !timer.cancel(false); // too late to cancel: it fired
        }
      } finally {
        if (bulkhead != null) {
          var clockFailed = bulkhead.release(clock, start, failure, timedOut, site.stopped(v));
          if (clockFailed != null) {
            if (failure == null) {
              throw clockFailed; // as a clock failing anywhere in an attempt fails it
            }
            Failures.suppress(failure, clockFailed);
          }
        }
      }
    }
  }

}
