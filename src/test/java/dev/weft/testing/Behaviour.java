package dev.weft.testing;

import java.util.List;

/**
 * What a generated task does when it runs ({@link Probe#body} carries it out). Every behaviour that
 * produces a value computes it from the task's arguments with {@link Dag#mix}, so a wrong argument
 * shows up as a wrong value downstream.
 *
 * <p>Whatever a task leaves on its thread is the engine's to contain: every task starts with its
 * interrupt status clear (unless the run's cancellation interrupted that very task), and nothing
 * may describe a failure by calling its {@code getMessage} or {@code toString}.
 */
public enum Behaviour {
  /** Returns its value. */
  RETURN,
  /** Returns {@code null}. */
  RETURN_NULL,
  /** Throws {@link InjectedException}, a checked exception. */
  THROW_CHECKED,
  /** Throws {@link InjectedRuntimeException}. */
  THROW_UNCHECKED,
  /** Throws {@link InjectedError}. */
  THROW_ERROR,
  /** Sleeps a few dozen microseconds, then returns its value; an interrupt ends it (it throws). */
  SLEEP,
  /** Waits for the run's gate, which the harness opens once the run has started. */
  BLOCK,
  /** Sleeps in short steps, swallowing every interrupt, then returns its value. */
  IGNORE_INTERRUPT,
  /** Waits until interrupted, then throws {@link InterruptedException}; never returns. */
  HANG,
  /** Arrives at the run's rendezvous latch and waits until every rendezvous task has arrived. */
  RENDEZVOUS,
  /**
   * Throws for its first {@link Dag.Spec#flakes} calls (checked or unchecked, by its salt), then
   * returns its value: the behaviour retries exist for.
   */
  FLAKY,
  /** Sleeps a few milliseconds (by its salt), then returns its value; an interrupt ends it. */
  NAP,
  /**
   * Runs for 2 to 101 ms of real time (by its salt) swallowing every interrupt, then returns its
   * value: what a run deadline must cut off as a straggler.
   */
  STUBBORN,
  /**
   * Catches an {@link InterruptedException} it made itself (a client library's own timeout),
   * restores the interrupt as the idiom asks, and returns its value. It succeeds; the interrupt
   * it leaves set must reach no other task.
   */
  RESTORE_INTERRUPT,
  /**
   * Throws {@link OpaqueFailure}, an unchecked exception whose {@code getMessage}, {@code
   * getLocalizedMessage} and {@code toString} throw; otherwise it fails as {@link
   * #THROW_UNCHECKED} does.
   */
  THROW_OPAQUE,
  /**
   * Sleeps as {@link #SLEEP} does, then returns its value; an interrupt ends the sleep, and it
   * returns its value at once with the interrupt restored. So it succeeds even when cancelled:
   * a task that returns a value despite the interrupt succeeded.
   */
  RETURN_ON_INTERRUPT;

  /** {@return whether the task throws of its own accord, on every call} */
  public boolean fails() {
    return this == THROW_CHECKED || this == THROW_UNCHECKED || this == THROW_ERROR
        || this == THROW_OPAQUE;
  }

  /** {@return whether the task goes on running when interrupted} */
  public boolean ignoresInterrupts() {
    return this == IGNORE_INTERRUPT || this == STUBBORN;
  }

  /** {@return the behaviours the shrinker tries instead of this one, simplest first} */
  public List<Behaviour> simpler() {
    return switch (this) {
      case RETURN -> List.of();
      case THROW_UNCHECKED -> List.of(RETURN);
      case THROW_CHECKED, THROW_ERROR, THROW_OPAQUE -> List.of(RETURN, THROW_UNCHECKED);
      // the same interrupt left set, but always
      case RETURN_ON_INTERRUPT -> List.of(RETURN, RESTORE_INTERRUPT);
      default -> List.of(RETURN);
    };
  }

  /** {@return the throwable a failing behaviour throws for {@code node}} */
  Throwable failure(String node) {
    var message = name() + " in " + node;
    return switch (this) {
      case THROW_CHECKED -> new InjectedException(message);
      case THROW_UNCHECKED -> new InjectedRuntimeException(message);
      case THROW_ERROR -> new InjectedError(message);
      case THROW_OPAQUE -> new OpaqueFailure(node);
      default -> throw new IllegalStateException(this + " does not fail");
    };
  }

  /** {@return what a {@link #FLAKY} task of this spec throws while it fails} */
  static Throwable flakyFailure(Dag.Spec spec) {
    var message = "FLAKY in " + spec.name();
    return flakyUnchecked(spec) ? new InjectedRuntimeException(message)
        : new InjectedException(message);
  }

  /** {@return whether a {@link #FLAKY} task of this spec throws unchecked exceptions} */
  static boolean flakyUnchecked(Dag.Spec spec) {
    return (spec.salt() & 2) != 0;
  }

  /** {@return how long a {@link #NAP} task of this spec sleeps, in milliseconds} */
  static long napMillis(Dag.Spec spec) {
    return 1 + ((spec.salt() >>> 8) & 15);
  }

  /** {@return how long a {@link #STUBBORN} task of this spec runs, in milliseconds} */
  static long stubbornMillis(Dag.Spec spec) {
    return 2 + Math.floorMod(spec.salt() >>> 16, 100);
  }

  /** The checked exception of {@link #THROW_CHECKED}; no stack trace, failures are common. */
  public static final class InjectedException extends Exception {
    private static final long serialVersionUID = 1L;

    InjectedException(String message) {
      super(message, null, false, false);
    }
  }

  /** The unchecked exception of {@link #THROW_UNCHECKED}. */
  public static final class InjectedRuntimeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedRuntimeException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The exception of {@link #THROW_OPAQUE}: its message cannot be read, nor can it be printed.
   * The harness compares it by class and {@link #node}.
   */
  public static final class OpaqueFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String node;

    /** An opaque failure thrown by {@code node}. */
    public OpaqueFailure(String node) {
      super(null, null, false, false);
      this.node = node;
    }

    /** {@return the node that threw it} */
    public String node() {
      return node;
    }

    @Override
    public String getMessage() {
      throw new IllegalStateException("getMessage of an opaque failure");
    }

    @Override
    public String getLocalizedMessage() {
      throw new IllegalStateException("getLocalizedMessage of an opaque failure");
    }

    @Override
    public String toString() {
      throw new IllegalStateException("toString of an opaque failure");
    }
  }

  /** The error of {@link #THROW_ERROR}. */
  public static final class InjectedError extends Error {
    private static final long serialVersionUID = 1L;

    InjectedError(String message) {
      super(message, null, false, false);
    }
  }
}
