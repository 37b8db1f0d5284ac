package dev.weft;

/**
 * The shapes of task bodies, one per number of dependencies. They exist so that tasks may throw
 * checked exceptions; callers write lambdas or method references and never name these types. A
 * task without dependencies is a {@link java.util.concurrent.Callable}; one with any number is an
 * {@link N}, which reads its dependencies through a {@link TaskContext}.
 *
 * <p>Whatever a body throws, {@code Error}s included, becomes the node's {@link Outcome.Failed}
 * outcome; it never escapes into the caller's thread unwrapped.
 *
 * <p>A body is called on the thread its task runs on, once per attempt; a body shared by several
 * nodes, or holding state, must be thread-safe.
 */
public final class Fn {
  private Fn() {}

  /** A task body with one dependency. */
  @FunctionalInterface
  public interface F1<A, R> {
    /** {@return the node's value} */
    R apply(A a) throws Exception;
  }

  /** A task body with two dependencies. */
  @FunctionalInterface
  public interface F2<A, B, R> {
    /** {@return the node's value} */
    R apply(A a, B b) throws Exception;
  }

  /** A task body with three dependencies. */
  @FunctionalInterface
  public interface F3<A, B, C, R> {
    /** {@return the node's value} */
    R apply(A a, B b, C c) throws Exception;
  }

  /** A task body with four dependencies. */
  @FunctionalInterface
  public interface F4<A, B, C, D, R> {
    /** {@return the node's value} */
    R apply(A a, B b, C c, D d) throws Exception;
  }

  /** A task body with any number of dependencies, read with {@link TaskContext#get(Dep)}. */
  @FunctionalInterface
  public interface N<R> {
    /** {@return the node's value} */
    R apply(TaskContext ctx) throws Exception;
  }
}
