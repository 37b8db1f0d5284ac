package dev.weft.internal;

/**
 * The recent call outcomes a circuit breaker decides on: how many calls, how many failed, how
 * many were slow. Either the last {@code n} calls ({@link #ofCalls}) or the calls that ended in
 * the last stretch of time ({@link #ofTime}). Each outcome costs O(1); memory is fixed when the
 * window is made.
 *
 * <p>Not thread-safe: only accessed under its breaker's lock.
 */
public abstract sealed class OutcomeWindow {
  /** How many buckets a time window is kept in; its resolution is a twentieth of its length. */
  public static final int BUCKETS = 20;

  int calls;
  int failures;
  int slow;

  private OutcomeWindow() {}

  /** {@return a window of the last {@code size} (at least 1) calls} */
  public static OutcomeWindow ofCalls(int size) {
    return new Calls(size);
  }

  /**
   * {@return a window of the calls that ended in the last {@code nanos} (at least {@link
   * #BUCKETS}), kept in {@link #BUCKETS} buckets of {@code nanos / BUCKETS} each}
   */
  public static OutcomeWindow ofTime(long nanos) {
    return new Time(nanos / BUCKETS);
  }

  /** Adds the outcome of a call that ended at {@code now}, on the breaker's clock. */
  public abstract void add(long now, boolean failed, boolean slow);

  /** Forgets what ended too long before {@code now}; a count window forgets nothing. */
  public abstract void advance(long now);

  /** Forgets everything. */
  public abstract void clear();

  /** {@return the calls in the window, as of the last {@link #add} or {@link #advance}} */
  public int calls() {
    return calls;
  }

  /** {@return the failed calls in the window} */
  public int failures() {
    return failures;
  }

  /** {@return the slow calls in the window} */
  public int slowCalls() {
    return slow;
  }

  /** A ring of the last calls' outcomes, one byte each. */
  private static final class Calls extends OutcomeWindow {
    private static final byte FAILED = 1;
    private static final byte SLOW = 2;

    private final byte[] ring;
    private int next;

    Calls(int size) {
      this.ring = new byte[size];
    }

    @Override
    public void add(long now, boolean failed, boolean slow) {
      if (calls == ring.length) {
        byte old = ring[next]; // written since the last clear: the ring is full
        failures -= old & FAILED;
        this.slow -= (old & SLOW) >> 1;
      } else {
        calls++;
      }
      ring[next] = (byte) ((failed ? FAILED : 0) | (slow ? SLOW : 0));
      failures += failed ? 1 : 0;
      this.slow += slow ? 1 : 0;
      next = next + 1 == ring.length ? 0 : next + 1;
    }

    @Override
    public void advance(long now) {}

    @Override
    public void clear() {
      calls = 0;
      failures = 0;
      slow = 0;
      next = 0;
    }
  }

  /**
   * Buckets of {@code span} nanoseconds each, aligned on the clock: bucket {@code e} holds what
   * ended in {@code [e * span, (e + 1) * span)}. The window is the newest bucket (the one {@code
   * now} falls in, partly elapsed) and the {@code BUCKETS - 1} before it, so an outcome counts
   * for at most {@code BUCKETS * span} after it ended and at least {@code (BUCKETS - 1) * span}.
   * Slot {@code floorMod(e, BUCKETS)} holds bucket {@code e} for the one {@code e} in {@code
   * (head - BUCKETS, head]}; moving {@code head} on empties the slots it passes.
   */
  private static final class Time extends OutcomeWindow {
    private final long span;
    private final int[] bucketCalls = new int[BUCKETS];
    private final int[] bucketFailures = new int[BUCKETS];
    private final int[] bucketSlow = new int[BUCKETS];
    private long head;
    private boolean empty = true; // no head yet: every slot is zero

    Time(long span) {
      this.span = span;
    }

    @Override
    public void add(long now, boolean failed, boolean slow) {
      advance(now);
      long epoch = Math.floorDiv(now, span);
      if (head - epoch >= BUCKETS) {
        return; // read its clock long before it took the lock: already out of the window
      }
      int i = Math.floorMod(epoch, BUCKETS);
      bucketCalls[i]++;
      calls++;
      if (failed) {
        bucketFailures[i]++;
        failures++;
      }
      if (slow) {
        bucketSlow[i]++;
        this.slow++;
      }
    }

    @Override
    public void advance(long now) {
      long epoch = Math.floorDiv(now, span);
      if (empty) {
        head = epoch;
        empty = false;
        return;
      }
      if (epoch <= head) {
        return; // a clock read before another thread's, taken the lock after it
      }
      if (epoch - head >= BUCKETS) {
        clear();
        head = epoch;
        empty = false;
        return;
      }
      for (long e = head + 1; e <= epoch; e++) {
        int i = Math.floorMod(e, BUCKETS);
        calls -= bucketCalls[i];
        failures -= bucketFailures[i];
        slow -= bucketSlow[i];
        bucketCalls[i] = 0;
        bucketFailures[i] = 0;
        bucketSlow[i] = 0;
      }
      head = epoch;
    }

    @Override
    public void clear() {
      java.util.Arrays.fill(bucketCalls, 0);
      java.util.Arrays.fill(bucketFailures, 0);
      java.util.Arrays.fill(bucketSlow, 0);
      calls = 0;
      failures = 0;
      slow = 0;
      empty = true;
    }
  }
}
