package dev.weft;

import dev.weft.internal.Attempts;
import dev.weft.internal.BatchCall;
import dev.weft.internal.BatchExecutionEvent;
import dev.weft.internal.Jfr;
import dev.weft.internal.Failures;
import dev.weft.internal.Run;
import dev.weft.internal.Waiting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The loaders of one request (a root run and its subgraphs' runs): per loader, every key asked
 * for, those waiting to be sent, and the calls in flight. Made by the request's first load.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>The engine counts the request's active threads ({@link Run#enter}); a thread that waits for
 * keys stops counting ({@link Waiting}), and the one that brings the count to zero calls {@link
 * #quiescent}, which sends every loader's waiting keys. A call that hands out values counts
 * itself while it does, and counts each waiter it wakes before it wakes it, so the count never
 * reads zero while a woken task has yet to run. The {@code maxDelay} timer sends keys that waited
 * that long anyway: the count only decides how early they may go, never whether they go.
 *
 * <p>Each {@link LoaderRun} guards its keys with its own monitor, held only for bookkeeping
 * (never while calling out, waiting or waking); a {@link Flight}'s monitor guards who waits for
 * it. Lock order: a LoaderRun's, then a Flight's.
 */
final class Loads implements Run.Quiet {
  /** What a call answered for a key it returned no value for. */
  static final Object MISSING = new Object();
  private static final AtomicLong SHARED_CALLS = new AtomicLong();
  private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  final Run<?> root;
  private final Map<BatchLoader<?, ?>, LoaderRun> byLoader = new ConcurrentHashMap<>();
  private final List<LoaderRun> order = new CopyOnWriteArrayList<>();

  private Loads(Run<?> root) {
    this.root = root;
  }

  /** {@return the loaders of the request {@code run} belongs to} */
  static Loads of(Run<?> run) {
    return (Loads) run.loads(() -> new Loads(run.root()));
  }

  /** {@return the loaders of the request, or null if it loaded nothing} */
  static Loads ifAny(Run<?> run) {
    return (Loads) run.loadsIfAny();
  }

  LoaderRun of(BatchLoader<?, ?> loader) {
    var l = byLoader.get(loader);
    if (l != null) {
      return l;
    }
    return byLoader.computeIfAbsent(loader, k -> {
      var fresh = new LoaderRun(k, this);
      order.add(fresh);
      return fresh;
    });
  }

  @Override
  public void quiescent() {
    for (var l : order) {
      l.dispatch();
    }
  }

  /**
   * The request went quiet as {@code waiter} began to wait: sends every loader's keys, and
   * makes one call of {@code waiter}'s own on its thread, which would only wait meanwhile (one
   * hand-off fewer for the call: the waiter's own wake-up). Only a call of a loader not shared
   * across runs (a shared call belongs to no run's thread), and only for a task without a
   * timeout of its own: a batch function that ignores the interrupt would hold the task past
   * it, where a wait would have ended at once. (The run's deadline still ends it: the cut-off
   * reports the task as a straggler, as one whose own body ignores the interrupt.)
   */
  void quiescent(LoaderRun mine, Waiter waiter) {
    Flight inline = null;
    for (var l : order) {
      for (var flight : l.takeRound()) {
        if (inline == null && l == mine && !l.loader.shared && !waiter.site.timed(waiter.key)
            && flight.awaitedBy(waiter)) {
          inline = flight;
        } else {
          flight.start();
        }
      }
    }
    if (inline != null) {
      inline.runInline(waiter);
    }
  }

  @Override
  public Runnable cutOff(Map<String, Thread> into) {
    var cut = new ArrayList<Flight>();
    for (var l : order) {
      for (var flight : l.flying()) {
        if (flight.cutOff(into)) {
          cut.add(flight);
        }
      }
    }
    return () -> cut.forEach(Flight::release);
  }

  List<LoaderStats> stats() {
    var stats = new ArrayList<LoaderStats>(order.size());
    for (var l : order) {
      stats.add(l.stats());
    }
    return List.copyOf(stats);
  }

  List<Batch> batches() {
    var all = new ArrayList<Batch>();
    for (var l : order) {
      all.addAll(l.batches());
    }
    all.sort(Comparator.comparing(Batch::started));
    return List.copyOf(all);
  }

  /** {@return the value of a cell that has been answered} Throws its failure as a load's. */
  static Object valueOf(BatchLoader<?, ?> loader, Cell cell) {
    if (cell.failure != null) {
      throw new LoadException(loader.name, cell.key, "failed: "
          + Failures.describe(cell.failure), cell.failure);
    }
    if (cell.value == MISSING) {
      throw new LoadException(loader.name, cell.key, "returned no value", null);
    }
    return cell.value;
  }

  /** One key asked for in one request. Guarded by its LoaderRun's monitor. */
  static final class Cell {
    final Object key;
    final LoaderRun owner;
    final ArrayList<Waiter> waiters = new ArrayList<>(1);
    // the tasks that waited for it, by path, for its call's record
    final LinkedHashSet<String> waitedBy = new LinkedHashSet<>(2);
    Flight flight;
    boolean done;
    // no one waits for it any more, and it was forgotten: a value that arrives is dropped
    boolean abandoned;
    Object value;
    Throwable failure;

    Cell(Object key, LoaderRun owner) {
      this.key = key;
      this.owner = owner;
    }
  }

  /** One load waiting for its keys: one thread, one wait. */
  static final class Waiter {
    final Thread thread = Thread.currentThread();
    final Waiting waiting;
    // the task that waits: its table and key
    final Attempts site = Run.currentSite();
    final int key = Run.currentKey();
    final ArrayList<Cell> cells = new ArrayList<>(1);
    int missing; // guarded by the LoaderRun's monitor
    volatile boolean over;

    Waiter(Run<?> run) {
      this.waiting = new Waiting(run);
    }

    /** {@return whether the waiting task has been interrupted} */
    boolean disturbed() {
      return site.disturbed(key);
    }
  }

  /** One loader in one request. */
  static final class LoaderRun {
    final BatchLoader<?, ?> loader;
    final Loads loads;
    final Run<?> root;
    private final HashMap<Object, Cell> cells = new HashMap<>();
    private ArrayList<Cell> pending = new ArrayList<>();
    // the backstop: armed when a key waits while the run is not quiet; when the first key now
    // waiting and the last were asked for, on the scheduler's clock
    private Future<?> timer;
    private long firstAskedAt;
    private long lastAskedAt;
    private long progressAtArm;
    private int rounds;
    private int calls;
    private long requested;
    private long fetched;
    private long saved;
    private final ArrayList<Batch> batches = new ArrayList<>();
    // the calls of this run on threads of their own, holding the run open
    private final ArrayList<Flight> flying = new ArrayList<>();

    LoaderRun(BatchLoader<?, ?> loader, Loads loads) {
      this.loader = loader;
      this.loads = loads;
      this.root = loads.root;
    }

    /**
     * Asks for {@code keys} (distinct) for the current task and waits until each is answered.
     * {@return their cells, answered, in order}
     */
    List<Cell> request(List<Object> keys) {
      var run = Run.currentRun();
      var answered = new ArrayList<Cell>(keys.size());
      Waiter waiter = null;
      String path = null;
      synchronized (this) {
        for (var key : keys) {
          requested++;
          var cell = cells.get(key);
          if (cell == null) {
            cell = new Cell(key, this);
            cells.put(key, cell);
            if (pending.isEmpty()) {
              firstAskedAt = root.scheduler().nanoTime();
              lastAskedAt = firstAskedAt;
            } else if (timer != null) {
              lastAskedAt = root.scheduler().nanoTime(); // keys still coming: the backstop waits
            }
            pending.add(cell);
          } else {
            saved++;
          }
          answered.add(cell);
          if (!cell.done) {
            if (waiter == null) {
              waiter = new Waiter(run);
              path = Run.currentPath();
            }
            waiter.missing++;
            waiter.cells.add(cell);
            cell.waiters.add(waiter);
            cell.waitedBy.add(path);
          }
        }
      }
      if (waiter != null) {
        await(waiter);
      }
      return answered;
    }

    /**
     * Arms the backstop, if keys wait and it is not armed: the run did not go quiet when this
     * task began to wait, so something else runs, maybe blocked where Weft cannot see it. Marks
     * the request's progress as of this wait either way (see {@link #backstop}).
     */
    private synchronized void armBackstop() {
      if (!pending.isEmpty()) {
        lastAskedAt = root.scheduler().nanoTime();
        progressAtArm = root.progressMark();
        if (timer == null) {
          schedule(loader.maxDelayNanos);
        }
      }
    }

    private void schedule(long nanos) {
      try {
        timer = root.scheduler().schedule(this::backstop, nanos, TimeUnit.NANOSECONDS);
      } catch (Throwable t) {
        root.keepSchedulerFault(t); // the run goes on: its going quiet still sends the keys
      }
    }

    /**
     * The backstop's timer: sends the waiting keys once the request made no progress for {@code
     * maxDelay} (no key asked for, no task ended or started: something is blocked where Weft
     * cannot see it; tasks that still ask or end are running, only slowly, on a busy machine),
     * and at the latest {@code 10 * maxDelay} after the first key.
     */
    private void backstop() {
      synchronized (this) {
        if (pending.isEmpty()) {
          return;
        }
        long now = root.scheduler().nanoTime();
        long delay = loader.maxDelayNanos;
        long latest = firstAskedAt + 10 * Math.min(delay, Long.MAX_VALUE / 10);
        long progress = root.progressMark();
        if (progress != progressAtArm && latest - now > 0) {
          progressAtArm = progress; // it moved: give it another maxDelay
          schedule(Math.min(delay, latest - now));
          return;
        }
        long due = Math.min(lastAskedAt + delay, latest);
        if (due - now > 0) {
          schedule(due - now);
          return;
        }
      }
      dispatch();
    }

    private void await(Waiter waiter) {
      var waiting = waiter.waiting;
      int how = waiting.pauseQuietly(() -> waiter.over);
      if (how == Waiting.ACTIVE) {
        armBackstop();
      } else if (how == Waiting.QUIET) {
        loads.quiescent(this, waiter); // it was the last that could ask for a key: send them
      }
      boolean interrupted = false;
      while (!waiter.over) {
        if (Thread.interrupted()) {
          interrupted = true;
          break;
        }
        LockSupport.park(this);
      }
      waiting.resume();
      if (interrupted) {
        Thread.currentThread().interrupt(); // the task's to see: it was stopped
        if (!leave(waiter)) {
          throw new CancellationException("loader '" + loader.name + "': the wait for "
              + (waiter.cells.size() == 1 ? "key " + waiter.cells.get(0).key
                  : waiter.cells.size() + " keys")
              + " was interrupted: its task was stopped");
        }
      }
    }

    /**
     * The waiter gives up: its cells no one else waits for are forgotten, and a call no one
     * waits for any more is cancelled. {@return whether it had been answered meanwhile}
     */
    private boolean leave(Waiter waiter) {
      var idle = new ArrayList<Flight>(1);
      synchronized (this) {
        if (waiter.over) {
          return true;
        }
        for (var cell : waiter.cells) {
          if (cell.done || !cell.waiters.remove(waiter) || !cell.waiters.isEmpty()) {
            continue;
          }
          cell.abandoned = true;
          cells.remove(cell.key, cell); // a later load asks again
          if (cell.flight == null) {
            pending.remove(cell);
            if (pending.isEmpty() && timer != null) {
              timer.cancel(false);
              timer = null;
            }
          } else if (cell.flight.unsubscribe() && !idle.contains(cell.flight)) {
            idle.add(cell.flight);
          }
        }
      }
      for (var flight : idle) {
        flight.cancel("loader '" + loader.name + "': no task waits for call " + flight.label
            + " any more");
      }
      return false;
    }

    /** Sends the keys waiting now, if any: one round. */
    void dispatch() {
      for (var flight : takeRound()) {
        flight.start();
      }
    }

    /** {@return the calls of one round: the keys waiting now, if any; not started yet} */
    List<Flight> takeRound() {
      var flights = new ArrayList<Flight>(1);
      synchronized (this) {
        if (pending.isEmpty()) {
          return flights;
        }
        var batch = pending;
        pending = new ArrayList<>();
        if (timer != null) {
          timer.cancel(false);
          timer = null;
        }
        int round = ++rounds;
        Flight current = null;
        for (var cell : batch) {
          if (loader.shared && joinShared(cell)) {
            saved++; // another run fetches it now
            continue;
          }
          if (current == null || current.keys.size() >= loader.maxBatchSize) {
            current = new Flight(loader, this, round, ++calls);
            flights.add(current);
          }
          current.add(cell);
          fetched++;
        }
      }
      return flights;
    }

    /**
     * Puts back, as waiting, the cells of a call that failed because the task whose thread made
     * it was interrupted, and sends them again from a thread of their own: the interrupt was
     * that task's, not theirs.
     */
    void retryElsewhere(List<Cell> cells) {
      synchronized (this) {
        for (var cell : cells) {
          if (!cell.done && !cell.abandoned) {
            cell.flight = null;
            pending.add(cell);
          }
        }
        if (pending.isEmpty()) {
          return;
        }
      }
      Thread.ofVirtual().name("weft-loader-" + loader.name).start(this::dispatch);
    }

    /** A shared loader's key another run is fetching: waits for that call. */
    private boolean joinShared(Cell cell) {
      for (;;) {
        var flight = loader.inFlight.get(cell.key);
        if (flight == null) {
          return false;
        }
        if (flight.join(cell)) {
          cell.flight = flight;
          return true;
        }
        loader.inFlight.remove(cell.key, flight); // answered or cancelled: not in flight
      }
    }

    /** Answers the cells of a call that ended; wakes their waiters. */
    void answer(List<Cell> answered, Flight flight, Object[] values, Throwable failure,
        Batch record) {
      var woken = new ArrayList<Waiter>();
      synchronized (this) {
        for (var cell : answered) {
          if (cell.abandoned || cell.done) {
            continue;
          }
          cell.done = true;
          if (failure != null) {
            cell.failure = failure;
          } else {
            cell.value = values[flight.indexOf(cell.key)];
          }
          for (var w : cell.waiters) {
            if (--w.missing == 0) {
              w.over = true;
              woken.add(w);
            }
          }
          cell.waiters.clear();
        }
        if (record != null) {
          batches.add(record);
        }
      }
      for (var w : woken) {
        w.waiting.wake(); // counted before it can run: see the class notes
        LockSupport.unpark(w.thread);
      }
    }

    /** {@return the paths of the tasks that waited for {@code answered}} */
    synchronized List<String> waiters(List<Cell> answered) {
      var paths = new LinkedHashSet<String>();
      for (var cell : answered) {
        paths.addAll(cell.waitedBy);
      }
      return List.copyOf(paths);
    }

    synchronized List<Flight> flying() {
      return List.copyOf(flying);
    }

    synchronized void flying(Flight flight, boolean started) {
      if (started) {
        flying.add(flight);
      } else {
        flying.remove(flight);
      }
    }

    synchronized void record(Batch batch) {
      batches.add(batch);
    }

    synchronized LoaderStats stats() {
      return new LoaderStats(loader.name, rounds, calls, requested, fetched, saved);
    }

    synchronized List<Batch> batches() {
      return List.copyOf(batches);
    }
  }

  /** One call of the batch function, with the cells waiting for it (of one run, or several). */
  static final class Flight {
    final BatchLoader<?, ?> loader;
    final LoaderRun sender;
    final Run<?> root;
    final int round;
    final String label;
    final ArrayList<Object> keys = new ArrayList<>();
    private final ArrayList<Cell> cells = new ArrayList<>();
    private final HashMap<Object, Integer> index = new HashMap<>();
    // the cells that still have waiters; guarded by this
    private int live;
    private boolean answered;
    private final AtomicBoolean released = new AtomicBoolean();
    // made on a waiting task's thread: part of that task, which the run waits for anyway, so
    // it holds nothing open and has no grace of its own
    private boolean inline;
    private volatile BatchCall call;
    private long startAt;

    Flight(BatchLoader<?, ?> loader, LoaderRun sender, int round, int number) {
      this.loader = loader;
      this.sender = sender;
      this.root = sender.root;
      this.round = round;
      this.label = loader.name + "#" + (loader.shared ? SHARED_CALLS.incrementAndGet() : number);
    }

    /** Adds a cell of the sender, before the call starts (under the sender's monitor). */
    void add(Cell cell) {
      cell.flight = this;
      synchronized (this) {
        index.put(cell.key, keys.size());
        keys.add(cell.key);
        cells.add(cell);
        live++;
      }
      if (loader.shared) {
        loader.inFlight.put(cell.key, this);
      }
    }

    private synchronized List<Cell> cellsNow() {
      return List.copyOf(cells);
    }

    /** {@return whether {@code waiter} waits for a key of this call} Under the sender's lock. */
    boolean awaitedBy(Waiter waiter) {
      synchronized (sender) {
        for (var cell : waiter.cells) {
          if (cell.flight == this) {
            return true;
          }
        }
        return false;
      }
    }

    /** Makes the call on the current thread, the thread of {@code waiter}'s task. */
    void runInline(Waiter waiter) {
      inline = true;
      var body = (BatchCall.Body) () -> loader.fetch(keys);
      call = new BatchCall(root, label, body, loader.guard, false, waiter::disturbed);
      sender.flying(this, true); // the run's cut-off may end its task, and it with it
      Object[] values = null;
      Throwable failure = null;
      startAt = root.scheduler().nanoTime();
      var jfr = Jfr.batches() ? new BatchExecutionEvent() : null;
      if (jfr != null) {
        jfr.begin();
      }
      try {
        values = loader.values(keys, call.call());
      } catch (Throwable t) {
        failure = t;
      }
      if (!released.compareAndSet(false, true)) {
        // cut off with its task (recorded then), a straggler now: its wait must not park
        Thread.currentThread().interrupt();
        return;
      }
      if (failure != null && waiter.disturbed()) {
        sender.flying(this, false);
        // The task's own interrupt may be what failed the call: not the others' failure.
        List<Cell> mine;
        synchronized (this) {
          answered = true;
          mine = List.copyOf(cells);
        }
        long now = root.scheduler().nanoTime();
        var record = new Batch(loader.name, label, round, keys, since(root, startAt), since(root, now),
            Outcome.Status.CANCELLED, failure, call.attempts(), sender.waiters(mine), false);
        sender.record(record);
        if (root.hooks() instanceof Emitter emitter) {
          emitter.batchEnded(root, record);
        }
        sender.retryElsewhere(mine);
        Thread.currentThread().interrupt(); // the call cleared it: the task's to see again
        return;
      }
      end(values, failure, jfr);
    }

    int indexOf(Object key) {
      return index.get(key);
    }

    /** Another run's cell waits for this call too. {@return false if it is too late} */
    synchronized boolean join(Cell cell) {
      if (answered || call != null && call.halted()) {
        return false;
      }
      cells.add(cell);
      live++;
      return true;
    }

    /** {@return how many cells (of any run) still wait for the call} For tests. */
    synchronized int subscribers() {
      return live;
    }

    /** A cell lost its last waiter. {@return whether nobody waits for the call any more} */
    synchronized boolean unsubscribe() {
      return !answered && --live == 0;
    }

    void start() {
      if (!loader.shared) {
        if (!root.hold()) {
          return; // the run has completed: nobody waits for its keys
        }
        sender.flying(this, true);
      }
      var body = (BatchCall.Body) () -> loader.fetch(keys);
      call = new BatchCall(root, label, body, loader.guard, loader.shared);
      boolean idle;
      synchronized (this) {
        idle = live == 0; // its waiters left while it was set up
      }
      if (idle) {
        call.cancel("loader '" + loader.name + "': no task waits for call " + label + " any more");
      }
      try {
        Thread.ofVirtual().name("weft-loader-" + loader.name).start(this::run);
      } catch (Throwable t) {
        end(null, t, null); // no thread: its keys fail with what was thrown
      }
    }

    private void run() {
      var jfr = Jfr.batches() ? new BatchExecutionEvent() : null;
      if (jfr != null) {
        jfr.begin();
      }
      startAt = root.scheduler().nanoTime();
      Object[] values = null;
      Throwable failure = null;
      try {
        values = loader.values(keys, call.call());
      } catch (Throwable t) {
        failure = t;
      }
      end(values, failure, jfr);
    }

    private void end(Object[] values, Throwable failure, BatchExecutionEvent jfr) {
      if (!loader.shared && !inline && !released.compareAndSet(false, true)) {
        return; // cut off as a straggler: the run was let go without it
      }
      if (inline) {
        sender.flying(this, false); // released by runInline
      }
      long endAt = root.scheduler().nanoTime();
      List<Cell> answered;
      synchronized (this) {
        this.answered = true;
        answered = List.copyOf(cells);
      }
      if (loader.shared) {
        for (var key : keys) {
          loader.inFlight.remove(key, this); // a failure is never handed to a later run
        }
      }
      var status = failure == null ? Outcome.Status.SUCCEEDED
          : failure instanceof CancellationException && call.halted() ? Outcome.Status.CANCELLED
          : Outcome.Status.FAILED;
      // Each run waiting for it: counted while its waiters are woken, and given its record.
      var byRun = new java.util.LinkedHashMap<LoaderRun, List<Cell>>();
      for (var cell : answered) {
        byRun.computeIfAbsent(cell.owner, k -> new ArrayList<>()).add(cell);
      }
      if (!loader.shared && !byRun.containsKey(sender)) {
        byRun.put(sender, List.of());
      }
      for (var entry : byRun.entrySet()) {
        var owner = entry.getKey();
        var theirs = entry.getValue();
        var run = owner.root;
        boolean live = !run.isDone();
        run.enter(1);
        try {
          Batch record = null;
          if (live) {
            var ownKeys = new ArrayList<Object>(theirs.size());
            for (var cell : theirs) {
              ownKeys.add(cell.key);
            }
            record = new Batch(loader.name, label, owner == sender ? round : round(owner),
                ownKeys, since(run, startAt == 0 ? endAt : startAt), since(run, endAt), status,
                failure, call == null ? 0 : call.attempts(), owner.waiters(theirs),
                loader.shared);
          }
          owner.answer(theirs, this, values, failure, record);
          if (record != null && run.hooks() instanceof Emitter emitter) {
            emitter.batchEnded(run, record);
          }
        } finally {
          run.exit();
        }
      }
      if (jfr != null) {
        jfr.end();
        jfr.loader = loader.name;
        jfr.graph = root.plan().graph();
        jfr.runId = root.id();
        jfr.round = round;
        jfr.keyCount = keys.size();
        var text = keys.size() <= 20 ? keys.toString() : keys.subList(0, 20) + " and "
            + (keys.size() - 20) + " more";
        jfr.keys = text;
        jfr.attempts = call == null ? 0 : call.attempts();
        jfr.shared = loader.shared;
        jfr.outcome = status.label();
        jfr.commit();
      }
      if (!loader.shared && !inline) {
        sender.flying(this, false);
        root.releaseHold();
      }
    }

    private static int round(LoaderRun owner) {
      synchronized (owner) {
        return Math.max(1, owner.rounds);
      }
    }

    private static Duration since(Run<?> run, long at) {
      return Duration.ofNanos(Math.max(0, at - run.startNanos()));
    }

    /**
     * Nobody waits for the call any more: it is cancelled; one made for a run that ignores the
     * interrupt for the run's grace is let go as a straggler of the run.
     */
    void cancel(String why) {
      var c = call;
      if (c == null || !c.cancel(why) || loader.shared || inline) {
        return;
      }
      try {
        root.scheduler().schedule(() -> {
          var cut = new java.util.LinkedHashMap<String, Thread>();
          if (cutOff(cut)) {
            root.addStragglers(cut); // published before the run can end
            release();
          }
        }, GRACE_NANOS, TimeUnit.NANOSECONDS);
      } catch (Throwable t) {
        root.keepSchedulerFault(t);
      }
    }

    /**
     * Ends the call, if it still runs, as a straggler recorded in {@code into}: for the grace
     * after its cancellation, or the run's cut-off. {@return whether it did: then {@link
     * #release} lets the run go, once the straggler is published}
     */
    boolean cutOff(Map<String, Thread> into) {
      var c = call;
      if (c == null) {
        return false;
      }
      c.cancel("loader '" + loader.name + "': call " + label + " was cut off with its run");
      var thread = c.cutOff();
      if (thread != null && released.compareAndSet(false, true)) {
        long now = root.scheduler().nanoTime();
        var record = new Batch(loader.name, label, round, keys, since(root, startAt), since(root, now),
            Outcome.Status.CANCELLED, new CancellationException("cut off: the call ignored its"
                + " interrupt"), c.attempts(), sender.waiters(cellsNow()), false);
        sender.record(record);
        if (root.hooks() instanceof Emitter emitter) {
          emitter.batchEnded(root, record);
        }
        if (inline) {
          // made on a task's thread: that task is the straggler, by its own name; no hold
          sender.flying(this, false);
          return false;
        }
        into.put("loader " + label, thread);
        return true;
      }
      return false;
    }

    void release() {
      sender.flying(this, false);
      root.releaseHold();
    }
  }
}
