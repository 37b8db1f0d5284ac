package dev.weft.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Hands events to a consumer one at a time and in the order they were added, though many threads
 * add them: a queue drained by one thread at a time, whichever finds it idle. The producer adds
 * under its own lock, so that the queue's order is the order of what happened, and drains after
 * releasing it, so the consumer never runs under that lock.
 *
 * <p>Thread-safe. Every event added is delivered exactly once, by the thread that added it or by
 * one already draining, before that thread's {@link #drain} returns. A consumer that adds (a
 * listener changing the breaker it listens to) does not recurse: its event is delivered after the
 * current one. The consumer must not throw; if it does, the event is lost, the exception
 * propagates, and the events behind it wait for the next drain.
 */
public final class SerialDelivery<E> {
  private final ConcurrentLinkedQueue<E> queue = new ConcurrentLinkedQueue<>();
  // set by the one thread draining the queue
  private final AtomicBoolean draining = new AtomicBoolean();
  private final Consumer<? super E> consumer;

  public SerialDelivery(Consumer<? super E> consumer) {
    this.consumer = consumer;
  }

  /** Queues {@code event} behind those added before it. */
  public void add(E event) {
    queue.add(event);
  }

  /** Delivers what is queued, unless another thread is at it already. */
  public void drain() {
    // Checked again after letting go: an event added while this thread held the flag, whose
    // adder found it held and left, is delivered by this thread.
    while (!queue.isEmpty() && draining.compareAndSet(false, true)) {
      try {
        for (E event; (event = queue.poll()) != null; ) {
          consumer.accept(event);
        }
      } finally {
        draining.set(false);
      }
    }
  }
}
