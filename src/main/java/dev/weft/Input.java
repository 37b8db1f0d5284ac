package dev.weft;

/**
 * A named value bound per run, such as the request's listing id. Declared with {@link
 * GraphBuilder#input(String, Class)}, bound with {@link Inputs#of(Input, Object)}; tasks depend on
 * it like on any {@link Node}. An input always succeeds: its value is known when the run starts.
 * A graph lists its inputs, with their {@link #name() names} and {@link #type() types}, in {@link
 * Graph#inputs()}.
 *
 * <p>Immutable and thread-safe.
 *
 * <p>A value that is missing or of the wrong type fails the run before any task starts, with
 * {@link IllegalArgumentException} naming the input.
 *
 * @param <T> the type of the input's value
 */
public final class Input<T> extends Node<T> {
  final Class<?> type;

  Input(GraphBuilder owner, int index, String name, Class<?> type) {
    super(owner, index, name);
    this.type = type;
  }

  /**
   * {@return the class a run checks this input's value against} The class it was declared with,
   * a primitive one as its wrapper ({@code Integer} for {@code int.class}), or {@code Object} for
   * an input declared without one ({@link GraphBuilder#input(String)}).
   */
  public Class<?> type() {
    return type;
  }

  @SuppressWarnings("unchecked")
  <U> Input<U> unchecked() {
    return (Input<U>) this;
  }
}
