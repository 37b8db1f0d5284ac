package dev.weft.testing;

import dev.weft.RunEvent;
import dev.weft.RunListener;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A faulty listener: it throws on every event of the chosen kinds, a RuntimeException, an Error,
 * or each in turn, and remembers every throwable it threw so a test can find each in {@code
 * RunResult.listenerFailures()}. One per run; thread-safe.
 */
public final class ThrowingListener implements RunListener {
  /** The event kinds, in the order of the bits of a mask. */
  public static final List<Class<? extends RunEvent>> KINDS = List.of(RunEvent.RunStarted.class,
      RunEvent.NodeReady.class, RunEvent.NodeStarted.class, RunEvent.NodeRetried.class,
      RunEvent.NodeEnded.class, RunEvent.RunEnded.class);

  /** What it throws. */
  public enum Throws { RUNTIME_EXCEPTIONS, ERRORS, BOTH_IN_TURN }

  private final int mask;
  private final Throws throwing;
  private final AtomicInteger count = new AtomicInteger();
  private volatile long outer = -1;
  private final Queue<Throwable> thrown = new ConcurrentLinkedQueue<>();

  /**
   * @param mask bit {@code i} set: throw on events of {@code KINDS.get(i)}
   * @param throwing what to throw
   */
  public ThrowingListener(int mask, Throws throwing) {
    this.mask = mask;
    this.throwing = throwing;
  }

  @Override
  public void onEvent(RunEvent event) {
    if (event instanceof RunEvent.RunStarted s && !s.nested()) {
      outer = s.runId();
    }
    // The runs of subgraph nodes keep their listeners' failures in their own results, which the
    // caller does not see: only the outer run's events throw.
    if (event.runId() != outer || (mask & 1 << KINDS.indexOf(event.getClass())) == 0) {
      return;
    }
    int n = count.incrementAndGet();
    var message = "injected listener failure #" + n + " on " + event.getClass().getSimpleName();
    boolean error = throwing == Throws.ERRORS || throwing == Throws.BOTH_IN_TURN && n % 2 == 0;
    if (error) {
      var e = new InjectedListenerError(message);
      thrown.add(e);
      throw e;
    }
    var e = new InjectedListenerException(message);
    thrown.add(e);
    throw e;
  }

  /** {@return every throwable thrown so far, as an identity set} */
  public Set<Throwable> thrown() {
    var set = Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>());
    set.addAll(thrown);
    return set;
  }

  /** {@return the kinds it throws on, e.g. [NodeStarted, RunEnded]} */
  public static List<String> kinds(int mask) {
    return KINDS.stream().filter(k -> (mask & 1 << KINDS.indexOf(k)) != 0)
        .map(Class::getSimpleName).toList();
  }

  /** The RuntimeException a faulty listener throws. */
  public static final class InjectedListenerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedListenerException(String message) {
      super(message, null, false, false);
    }
  }

  /** The Error a faulty listener throws. */
  public static final class InjectedListenerError extends Error {
    private static final long serialVersionUID = 1L;

    InjectedListenerError(String message) {
      super(message, null, false, false);
    }
  }
}
