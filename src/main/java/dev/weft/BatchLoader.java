package dev.weft;

import static java.util.Objects.requireNonNull;

import dev.weft.internal.Attempts;
import dev.weft.internal.Run;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Batches and de-duplicates a task graph's calls to one downstream that takes many keys at once.
 * Declared once and shared across graphs and runs, like a {@link CircuitBreaker}; tasks call
 * {@link #load} or {@link #loadMany} as plain blocking calls on their threads:
 *
 * <pre>{@code
 * static final BatchLoader<Long, User> USERS =
 *     BatchLoader.of("users", (List<Long> ids) -> userService.fetchMany(ids)).maxBatchSize(100);
 *
 * var authors = b.forEach("authors", reviews, r -> USERS.load(r.authorId()));
 * }</pre>
 *
 * <h2>When keys are sent</h2>
 *
 * <p>Keys asked for by a run's tasks wait until the run goes quiet: every thread that runs one of
 * its tasks (fan-out elements and subgraphs' tasks included) is waiting on a loader, or has ended,
 * or waits for such a task to end. Then no further key can be asked for before some value arrives,
 * so every waiting key of every loader is sent at once, one call per loader and {@link
 * #maxBatchSize} keys. The number of calls is then the depth of the data dependencies (a key
 * computed from a loaded value is a level deeper), whatever the number of keys: Haxl's rounds.
 * Unlike Haxl, a task whose call has answered goes on at once, without waiting for the round's
 * other calls: with several loaders, or a round split by {@code maxBatchSize}, the keys it asks
 * for next may go out before the slower calls answer, in a round of their own (more calls, less
 * waiting).
 *
 * <p>A task handed to the executor counts as running from then on, so a ready task that has not
 * started yet keeps the run from going quiet (its keys join the round). On a bounded pool whose
 * threads all wait on loads, the tasks queued behind them cannot start: the backstop below sends
 * the keys then, and theirs go in a later round; prefer virtual threads (the default).
 *
 * <p>A task blocked on something Weft cannot see (a plain socket, a sleep, a lock) keeps the run
 * from going quiet. For that, a backstop: once a task begins to wait while the run is not quiet,
 * the keys go out when the request has made no progress for {@link #maxDelay} (1 ms by default:
 * no key asked for, no task started or ended), and at the latest ten times that after the first
 * key. Tasks that are slow only because the machine is busy still make progress, so they do not
 * split a round.
 *
 * <p>The call of a round is made on the thread of the task whose wait left the run quiet (it would
 * only wait meanwhile), unless that task has a timeout of its own; the round's other calls, each
 * on a virtual thread of its own. If the task is stopped meanwhile and the call fails, the call's
 * keys are sent again for the other tasks waiting for them.
 *
 * <h2>Within one run</h2>
 *
 * <p>Each key is fetched at most once: later loads of it get the same value, or fail the same
 * way, without another call. A key the batch function returns no value for fails only its loads,
 * with a {@link LoadException} naming the loader and the key; a call that fails (after the
 * loader's timeout, retry, breaker and bulkhead, applied per call in the order a node's are)
 * fails every load of its keys, with a {@code LoadException} whose cause is the failure. A run's
 * cancellation, deadline or fail-fast interrupts its waiting loads like any task: they throw
 * {@link CancellationException} with the thread's interrupt status set. A call nobody waits for
 * any more is cancelled (its thread interrupted), and its keys are forgotten: a later load asks
 * again. A call runs with the run's context and {@code ScopedValue}s; one on a thread of its
 * own holds the run open until it ends, and one that ignores the interrupt for the run's grace
 * is reported in {@link RunResult#stragglers()} as {@code loader users#2} (one made on a task's
 * thread, as that task).
 *
 * <h2>Across runs</h2>
 *
 * <p>With {@link #sharedAcrossRuns()}, a run about to send a key that another run's call is
 * already fetching waits for that call instead (single flight). Such a call belongs to no run: it
 * runs without any run's context, has only the loader's timeout, and is cancelled only when no
 * run waits for any of its keys any more; a run's deadline ends only that run's wait. Values are
 * shared only while in flight, and a failure is never shared with a run that asks after it
 * happened: only the runs that waited see it.
 *
 * <p>Loads are allowed only from a task's own body (not from an inline node, which must not
 * block, nor from listeners or another loader's batch function): elsewhere they throw {@link
 * IllegalStateException}. Each run's figures are in {@link RunResult#loaders()}, each call in
 * {@link RunResult#batches()}, as a {@link RunEvent.BatchEnded} event and a {@code
 * dev.weft.BatchExecution} JFR event.
 *
 * <p>Immutable and thread-safe: the configuring methods return a new loader, which shares no keys,
 * calls or figures with this one even under the same name; configure a loader once, where it is
 * declared, and share that one. The batch function is called from several threads at once.
 *
 * @param <K> the key type: equal keys are one key
 * @param <V> the value type
 */
public final class BatchLoader<K, V> {
  /** A batch function that answers with a map; keys it leaves out fail their loads. */
  @FunctionalInterface
  public interface BatchFunction<K, V> {
    /** {@return the values of {@code keys} (distinct, in the order they were asked for)} */
    Map<K, V> load(List<K> keys) throws Exception;
  }

  /** A batch function that answers with one value per key, in the order of the keys. */
  @FunctionalInterface
  public interface ListBatchFunction<K, V> {
    /** {@return the values of {@code keys}, one per key, in their order; null is a value} */
    List<V> load(List<K> keys) throws Exception;
  }

  static final long DEFAULT_MAX_DELAY_NANOS = 1_000_000;

  final String name;
  private final BatchFunction<K, V> function;
  private final ListBatchFunction<K, V> listFunction;
  final int maxBatchSize;
  final long maxDelayNanos;
  final boolean shared;
  private final Guard.Policies policies;
  // the node-style policies, applied per call; null when it has none
  final Guard guard;
  // shared loaders only: the keys some run's call is fetching now, to the call
  final Map<Object, Loads.Flight> inFlight;

  private BatchLoader(String name, BatchFunction<K, V> function,
      ListBatchFunction<K, V> listFunction, int maxBatchSize, long maxDelayNanos,
      boolean shared, Guard.Policies policies) {
    this.name = name;
    this.function = function;
    this.listFunction = listFunction;
    this.maxBatchSize = maxBatchSize;
    this.maxDelayNanos = maxDelayNanos;
    this.shared = shared;
    this.policies = policies;
    boolean any = policies.timeoutNanos() > 0 || policies.retry() != null
        || policies.breaker() != null || policies.bulkhead() != null;
    this.guard = any ? new Guard(name + " (loader)", null, policies) : null;
    this.inFlight = shared ? new ConcurrentHashMap<>() : null;
  }

  /**
   * A loader named {@code name} (for errors, events and traces) whose batch function returns a
   * map from key to value.
   */
  public static <K, V> BatchLoader<K, V> of(String name, BatchFunction<K, V> function) {
    return new BatchLoader<>(checkName(name), requireNonNull(function, "function"), null,
        Integer.MAX_VALUE, DEFAULT_MAX_DELAY_NANOS, false, new Guard.Policies(0, null, null, null,
            null));
  }

  /** A loader whose batch function returns one value per key, in key order. */
  public static <K, V> BatchLoader<K, V> ofList(String name,
      ListBatchFunction<K, V> function) {
    return new BatchLoader<>(checkName(name), null, requireNonNull(function, "function"),
        Integer.MAX_VALUE, DEFAULT_MAX_DELAY_NANOS, false, new Guard.Policies(0, null, null, null,
            null));
  }

  private static String checkName(String name) {
    requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a loader's name must not be blank");
    }
    return name;
  }

  /**
   * {@return a loader that sends at most {@code keys} keys per call} A larger round is split
   * into calls made at once. Unlimited by default.
   */
  public BatchLoader<K, V> maxBatchSize(int keys) {
    if (keys < 1) {
      throw new IllegalArgumentException("loader '" + name + "': maxBatchSize must be at least 1,"
          + " got " + keys);
    }
    return new BatchLoader<>(name, function, listFunction, keys, maxDelayNanos, shared, policies);
  }

  /**
   * {@return a loader whose waiting keys go out once the run has made no progress for {@code
   * delay}, even if it has not gone quiet (and at most ten times {@code delay} after the first
   * key)} 1 ms by default: it bounds what a task blocked outside Weft's sight costs the others;
   * it matters only when tasks block so.
   */
  public BatchLoader<K, V> maxDelay(Duration delay) {
    long nanos = positive(delay, "maxDelay");
    return new BatchLoader<>(name, function, listFunction, maxBatchSize, nanos, shared, policies);
  }

  /** {@return a loader whose every call attempt is interrupted after {@code timeout}} */
  public BatchLoader<K, V> timeout(Duration timeout) {
    long nanos = positive(timeout, "timeout");
    return with(new Guard.Policies(nanos, policies.retry(), policies.breaker(),
        policies.bulkhead(), null));
  }

  /** {@return a loader that retries a failed call under {@code retry}} */
  public BatchLoader<K, V> retry(RetryPolicy retry) {
    return with(new Guard.Policies(policies.timeoutNanos(), requireNonNull(retry, "retry"),
        policies.breaker(), policies.bulkhead(), null));
  }

  /** {@return a loader whose calls go through {@code breaker}, which may be shared} */
  public BatchLoader<K, V> circuitBreaker(CircuitBreaker breaker) {
    return with(new Guard.Policies(policies.timeoutNanos(), policies.retry(),
        requireNonNull(breaker, "breaker"), policies.bulkhead(), null));
  }

  /** {@return a loader whose calls each take a place in {@code bulkhead}, which may be shared} */
  public BatchLoader<K, V> bulkhead(Bulkhead bulkhead) {
    return with(new Guard.Policies(policies.timeoutNanos(), policies.retry(), policies.breaker(),
        requireNonNull(bulkhead, "bulkhead"), null));
  }

  /**
   * {@return a loader whose calls are shared across runs: a key another run is fetching now is
   * not fetched again} See the class notes for what that means for cancellation and failures.
   */
  public BatchLoader<K, V> sharedAcrossRuns() {
    return new BatchLoader<>(name, function, listFunction, maxBatchSize, maxDelayNanos, true,
        policies);
  }

  private BatchLoader<K, V> with(Guard.Policies p) {
    return new BatchLoader<>(name, function, listFunction, maxBatchSize, maxDelayNanos, shared, p);
  }

  private long positive(Duration d, String what) {
    requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("loader '" + name + "': " + what
          + " must be positive, got " + d);
    }
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /** {@return the loader's name} */
  public String name() {
    return name;
  }

  /** {@return whether calls are shared across runs} */
  public boolean isSharedAcrossRuns() {
    return shared;
  }

  /**
   * Loads the value of {@code key}, waiting for the run's next round if it has not been fetched.
   *
   * @return its value, possibly null if the batch function gave null
   *
   * @throws LoadException if the key got no value, or its call failed
   * @throws CancellationException if the task was stopped while it waited (interrupt status set)
   * @throws IllegalStateException if called outside a task's body, or from an inline node
   */
  @SuppressWarnings("unchecked")
  public V load(K key) {
    requireNonNull(key, () -> "loader '" + name + "': a key must not be null");
    var cells = loaderRun("load").request(List.of(key));
    return (V) Loads.valueOf(this, cells.get(0));
  }

  /**
   * Loads the values of {@code keys} together: one wait, however many of them must be fetched.
   *
   * @return the values by key, in the order of {@code keys} (duplicates once)
   *
   * @throws LoadException for the first key (in that order) that got no value; those of later
   *     keys are attached as suppressed
   * @throws CancellationException if the task was stopped while it waited (interrupt status set)
   * @throws IllegalStateException if called outside a task's body, or from an inline node
   */
  @SuppressWarnings("unchecked")
  public Map<K, V> loadMany(Collection<? extends K> keys) {
    requireNonNull(keys, "keys");
    var distinct = new ArrayList<Object>(keys.size());
    var seen = new java.util.HashSet<Object>();
    for (var key : keys) {
      requireNonNull(key, () -> "loader '" + name + "': a key must not be null");
      if (seen.add(key)) {
        distinct.add(key);
      }
    }
    var values = new LinkedHashMap<K, V>();
    if (distinct.isEmpty()) {
      return values;
    }
    var cells = loaderRun("loadMany").request(distinct);
    LoadException first = null;
    for (var cell : cells) {
      try {
        values.put((K) cell.key, (V) Loads.valueOf(this, cell));
      } catch (LoadException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
    return values;
  }

  private Loads.LoaderRun loaderRun(String what) {
    var run = Run.currentRun();
    if (run == null) {
      throw new IllegalStateException("loader '" + name + "': " + what + " was called outside a"
          + " Weft task (thread " + Thread.currentThread().getName() + "); loads are allowed only"
          + " from the body of a task of a running graph");
    }
    if (dev.weft.internal.Faults.inHook()) {
      throw new IllegalStateException("loader '" + name + "': " + what + " was called from a"
          + " listener of graph '" + run.plan().graph() + "'; loads are allowed only from the"
          + " body of a task");
    }
    Attempts site = Run.currentSite();
    int key = Run.currentKey();
    if (Run.inline(site, key)) {
      throw new IllegalStateException("loader '" + name + "': node '"
          + run.plan().name(site.owner(key)) + "' of graph '" + run.plan().graph()
          + "' is inline, so it must not block, and a load blocks; drop .inline() from it");
    }
    return Loads.of(run).of(this);
  }

  /**
   * Calls the batch function once. {@return what it returned, a map or a list (never null, a
   * list of one value per key): the value a breaker's {@code recordResultIf} sees}
   */
  Object fetch(List<Object> keys) throws Exception {
    @SuppressWarnings("unchecked")
    var typed = (List<K>) (List<?>) keys;
    if (function != null) {
      var map = function.load(typed);
      if (map == null) {
        throw new IllegalStateException("loader '" + name + "': the batch function returned null"
            + " for " + keys.size() + " keys");
      }
      return map;
    }
    var list = listFunction.load(typed);
    if (list == null || list.size() != keys.size()) {
      throw new IllegalStateException("loader '" + name + "': the batch function returned "
          + (list == null ? "null" : list.size() + " values") + " for " + keys.size()
          + " keys; a list must hold one value per key, in their order");
    }
    return list;
  }

  /** {@return the values of {@code keys} in what {@link #fetch} returned, indexed like them} */
  Object[] values(List<Object> keys, Object fetched) {
    var values = new Object[keys.size()];
    if (fetched instanceof Map<?, ?> map) {
      for (int i = 0; i < values.length; i++) {
        var key = keys.get(i);
        var value = map.get(key);
        values[i] = value != null || map.containsKey(key) ? value : Loads.MISSING;
      }
    } else {
      var list = (List<?>) fetched;
      for (int i = 0; i < values.length; i++) {
        values[i] = list.get(i);
      }
    }
    return values;
  }

  @Override
  public String toString() {
    return "BatchLoader[" + name + (shared ? ", shared across runs" : "") + "]";
  }
}
