package dev.weft.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;

/**
 * One wait of a request's thread for something Weft will wake it from: a loader's keys, a
 * fan-out's elements, a subgraph's run. While it waits the thread is not counted as active
 * ({@link Run#enter}), so that a request whose threads all wait on loaders can send their keys;
 * whoever wakes it counts it again before it runs, so no woken thread is ever running uncounted
 * while the count reads zero. Exactly one of the waker and the thread itself counts it again,
 * decided by compare-and-set. Wakers must themselves be counted while they wake (a task's
 * thread, or a loader's call that counts itself while it hands out values).
 *
 * <p>Used by the waiting thread ({@link #pause}, {@link #resume}) and by wakers ({@link #wake});
 * thread-safe.
 */
public final class Waiting {
  private static final VarHandle UNCOUNTED;

  static {
    try {
      UNCOUNTED = MethodHandles.lookup().findVarHandle(Waiting.class, "uncounted", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Run<?> run;
  private volatile boolean uncounted;

  /** A wait of the current thread, a thread of {@code run}'s request. */
  public Waiting(Run<?> run) {
    this.run = run;
  }

  /**
   * Stops counting the waiting thread, unless {@code over} says the wait is over already. If
   * that leaves the request quiet and the wait is still not over, tells its loaders: this thread
   * was the last that could have asked for a key. {@return whether the request was quiet: the
   * wait was over, or the loaders were told}
   */
  public boolean pause(BooleanSupplier over) {
    int how = pauseQuietly(over);
    if (how == QUIET) {
      run.quiescent();
    }
    return how != ACTIVE;
  }

  /** {@link #pauseQuietly}: the request still has active threads. */
  public static final int ACTIVE = 0;
  /** {@link #pauseQuietly}: the wait was over already. */
  public static final int OVER = 1;
  /** {@link #pauseQuietly}: this thread was the last active one; it must tell the loaders. */
  public static final int QUIET = 2;

  /**
   * {@link #pause}, except that a thread that leaves the request quiet tells no loader itself:
   * its caller does, and may make one of their calls on this thread while it would wait.
   * {@return ACTIVE, OVER or QUIET}
   */
  public int pauseQuietly(BooleanSupplier over) {
    uncounted = true;
    if (over.getAsBoolean()) {
      if (!UNCOUNTED.compareAndSet(this, true, false)) {
        run.exit(); // a waker counted this thread again already, and it had not stopped: undo one
      }
      return OVER;
    }
    if (run.exitQuietly()) {
      return over.getAsBoolean() ? OVER : QUIET;
    }
    return ACTIVE;
  }

  /** The waiting thread goes on: counts it again, unless its waker did. */
  public void resume() {
    if (UNCOUNTED.compareAndSet(this, true, false)) {
      run.enter(1);
    }
  }

  /**
   * A waker, counted itself, that has made the wait over: counts the waiting thread again if
   * it is paused. The caller unparks it after this.
   */
  public void wake() {
    if (uncounted && UNCOUNTED.compareAndSet(this, true, false)) {
      run.enter(1);
    }
  }
}
