package dev.weft;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * The values of a graph's {@link Input}s for one run: {@code Inputs.of(listingId, 42L)}, or for
 * more, {@code Inputs.of(a, 1).and(b, "x")}.
 *
 * <p>Immutable and thread-safe; {@link #and} returns a copy. Values may not be {@code null} (use
 * {@code Optional} for an absent value), and an input may be bound once: binding fails at once with
 * a {@link NullPointerException} or {@link IllegalArgumentException} naming the input. A run
 * refuses, before any task starts, inputs of another graph, unbound inputs and values of the wrong
 * type ({@link IllegalArgumentException}, naming the input).
 */
public final class Inputs {
  private static final Inputs EMPTY = new Inputs(new Input<?>[0], new Object[0]);

  private final Input<?>[] inputs;
  private final Object[] values;

  private Inputs(Input<?>[] inputs, Object[] values) {
    this.inputs = inputs;
    this.values = values;
  }

  /** {@return no inputs, for a graph that declares none} */
  public static Inputs empty() {
    return EMPTY;
  }

  /** {@return one input bound to its value} */
  public static <T> Inputs of(Input<T> input, T value) {
    return EMPTY.and(input, value);
  }

  /** {@return two inputs bound to their values} */
  public static <A, B> Inputs of(Input<A> a, A valueA, Input<B> b, B valueB) {
    return EMPTY.and(a, valueA).and(b, valueB);
  }

  /**
   * {@return a copy of these inputs with one more bound}
   *
   * @throws IllegalArgumentException if {@code input} is already bound
   */
  public <T> Inputs and(Input<T> input, T value) {
    requireNonNull(input, "input");
    requireNonNull(value, () -> "value of input '" + input.name() + "'");
    for (var bound : inputs) {
      if (bound == input) {
        throw new IllegalArgumentException("input '" + input.name() + "' is already bound");
      }
    }
    var more = Arrays.copyOf(inputs, inputs.length + 1);
    var moreValues = Arrays.copyOf(values, values.length + 1);
    more[inputs.length] = input;
    moreValues[values.length] = value;
    return new Inputs(more, moreValues);
  }

  /** {@return how many inputs are bound} */
  public int size() {
    return inputs.length;
  }

  Input<?> input(int i) {
    return inputs[i];
  }

  Object value(int i) {
    return values[i];
  }

  @Override
  public String toString() {
    var sb = new StringBuilder("Inputs{");
    for (int i = 0; i < inputs.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(inputs[i].name()).append('=').append(values[i]);
    }
    return sb.append('}').toString();
  }
}
