package dev.weft.internal;

import java.util.Arrays;

/** A growable stack of ints; confined to one thread. */
final class IntStack {
  private int[] items = new int[8];
  private int size;

  void push(int value) {
    if (size == items.length) {
      items = Arrays.copyOf(items, size * 2);
    }
    items[size++] = value;
  }

  /** {@return the top value, removed, or -1 when empty} */
  int pop() {
    return size == 0 ? -1 : items[--size];
  }

  boolean isEmpty() {
    return size == 0;
  }
}
