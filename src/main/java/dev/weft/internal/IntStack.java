package dev.weft.internal;

import java.util.Arrays;

/** A growable stack of ints; confined to one thread. */
final class IntStack {
  // The bottom value is kept in a field and the array made only for a second one: most stacks
  // (a thread loop's ended vertices, one task at a time) never hold more than one value, and an
  // array of 8 would cost 48 B per thread loop, so per task in a fan-out on virtual threads.
  private int bottom;
  private int[] above;
  private int size;

  void push(int value) {
    if (size == 0) {
      bottom = value;
    } else if (above == null) {
      above = new int[8];
      above[0] = value;
    } else {
      if (size - 1 == above.length) {
        above = Arrays.copyOf(above, above.length * 2);
      }
      above[size - 1] = value;
    }
    size++;
  }

  /** {@return the top value, removed, or -1 when empty} */
  int pop() {
    return size == 0 ? -1 : --size == 0 ? bottom : above[size - 1];
  }

  boolean isEmpty() {
    return size == 0;
  }
}
