package dev.weft.testing;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/**
 * Executors that behaviour tests run on, so every behaviour is checked on virtual threads, a
 * platform pool and the calling thread alike. Use with
 * {@code @ParameterizedTest @MethodSource("dev.weft.testing.Executors#all")}.
 */
public final class Executors {
  private static final ExecutorService POOL = java.util.concurrent.Executors.newFixedThreadPool(
      4, Thread.ofPlatform().name("weft-test-pool-", 0).daemon(true).factory());

  private Executors() {}

  /** {@return a new virtual thread per task} */
  public static Executor virtual() {
    ThreadFactory factory = Thread.ofVirtual().name("weft-test-vt").factory();
    return named("virtual", task -> factory.newThread(task).start());
  }

  /** {@return a shared pool of 4 platform threads} */
  public static Executor platformPool() {
    return named("platform-pool", POOL);
  }

  /** {@return an executor that runs each task on the thread that submits it} */
  public static Executor callerRuns() {
    return named("caller-runs", Runnable::run);
  }

  /** {@return the executors that may run blocking tasks concurrently (no caller-runs)} */
  public static Stream<Named<Executor>> concurrent() {
    return Stream.of(Named.of("virtual", virtual()), Named.of("platform-pool", platformPool()));
  }

  /** {@return all three executors} */
  public static Stream<Named<Executor>> all() {
    return Stream.concat(concurrent(), Stream.of(Named.of("caller-runs", callerRuns())));
  }

  private static Executor named(String name, Executor executor) {
    return new Executor() {
      @Override
      public void execute(Runnable command) {
        executor.execute(command);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /**
   * Wraps an executor to record every thread that ran a task through it, so a test can check that
   * none of them is still running a task.
   */
  public static final class Tracking implements Executor {
    private final Executor delegate;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    public Tracking(Executor delegate) {
      this.delegate = delegate;
    }

    @Override
    public void execute(Runnable command) {
      delegate.execute(() -> {
        threads.add(Thread.currentThread());
        command.run();
      });
    }

    /** {@return the threads that ran at least one task} */
    public List<Thread> threads() {
      return List.copyOf(threads);
    }

    /** Waits up to {@code seconds} for every recorded virtual thread to terminate. */
    public boolean awaitVirtualThreadsTerminated(long seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      for (var t : threads) {
        if (t.isVirtual()) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
            return false;
          }
        }
      }
      return true;
    }
  }
}
