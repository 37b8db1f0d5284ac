package dev.weft.internal;


/**
 * A validated graph compiled to arrays: the part of a graph that every run shares. Immutable and
 * safe to share between threads; nothing in it changes per run.
 *
 * <p>Vertices are numbered in declaration order; inputs are vertices too. Dependencies of vertex
 * {@code i} are {@code depNode[depStart[i] .. depStart[i+1])}, value dependencies first, then
 * ordering-only ones, each with its edge kind and fallback. Dependents are the reverse edges
 * {@code outNode[outStart[i] .. outStart[i+1])}, leaving out edges from inputs, which are satisfied
 * before a run starts.
 */
public final class Plan {
  final String graph;
  /** What the plan's nodes belong to: the public builder that declared them. */
  final Object owner;
  final String[] names;
  final boolean[] input;
  final int[] inputs;
  final Class<?>[] inputTypes;
  final Invoker[] invokers;
  final int[] depStart;
  final int[] depNode;
  final EdgeKind[] depKind;
  final Object[] depFallback;
  final int[] outStart;
  final int[] outNode;
  final boolean[] outRequired;
  /** Per vertex, how many dependencies (edges from tasks) must end before it may start. */
  final int[] initialPending;
  /** Tasks with nothing to wait for, in declaration order. */
  final int[] roots;
  /** Per vertex: every dependent tolerates its failure, so FAIL_FAST does not cancel for it. */
  final boolean[] absorbs;
  final int taskCount;
  /** Per vertex: its invoker runs attempts through {@link Run#endAttempt} (retries, timeouts). */
  final boolean[] guardedVertex;
  /** Per vertex: cheap and non-blocking, run on the thread that made it ready. */
  final boolean[] inline;
  /** Per vertex: whether it runs at all once ready, or null (it always does). */
  final Condition[] conditions;
  /** Whether any vertex is guarded. */
  final boolean guarded;
  /** Whether runs read the clock for every task's span (see Run.taskClock). */
  final boolean timed;
  /**
   * For vertices with many dependencies, an open-addressing table from upstream vertex to its
   * first edge position: {@code [key+1, position]} pairs, 0 marking a free slot.
   */
  private final int[][] depIndex;

  Plan(String graph, Object owner, String[] names, boolean[] input, int[] inputs,
      Class<?>[] inputTypes, Invoker[] invokers, int[] depStart, int[] depNode,
      EdgeKind[] depKind, Object[] depFallback, int[] outStart, int[] outNode,
      boolean[] outRequired, int[] initialPending, int[] roots, boolean[] absorbs, int taskCount,
      boolean[] guardedVertex, boolean[] inline, Condition[] conditions, boolean timed) {
    this.graph = graph;
    this.owner = owner;
    this.names = names;
    this.input = input;
    this.inputs = inputs;
    this.inputTypes = inputTypes;
    this.invokers = invokers;
    this.depStart = depStart;
    this.depNode = depNode;
    this.depKind = depKind;
    this.depFallback = depFallback;
    this.outStart = outStart;
    this.outNode = outNode;
    this.outRequired = outRequired;
    this.initialPending = initialPending;
    this.roots = roots;
    this.absorbs = absorbs;
    this.taskCount = taskCount;
    this.guardedVertex = guardedVertex;
    this.inline = inline;
    this.conditions = conditions;
    this.timed = timed;
    boolean any = false;
    for (boolean g : guardedVertex) {
      any |= g;
    }
    this.guarded = any;
    this.depIndex = new int[names.length][];
    for (int i = 0; i < names.length; i++) {
      int degree = depStart[i + 1] - depStart[i];
      if (degree > 16) {
        var table = new int[2 * Integer.highestOneBit(degree * 2 - 1) * 2];
        int mask = table.length / 2 - 1;
        for (int k = depStart[i]; k < depStart[i + 1]; k++) {
          int slot = mix(depNode[k]) & mask;
          while (table[2 * slot] != 0 && table[2 * slot] != depNode[k] + 1) {
            slot = (slot + 1) & mask;
          }
          if (table[2 * slot] == 0) { // keep the first position of a repeated dependency
            table[2 * slot] = depNode[k] + 1;
            table[2 * slot + 1] = k;
          }
        }
        depIndex[i] = table;
      }
    }
  }

  private static int mix(int key) {
    return key * 0x9E3779B9 >>> 7;
  }

  public String graph() {
    return graph;
  }

  /** {@return what the plan's nodes belong to, as given to its builder} */
  public Object owner() {
    return owner;
  }

  public int size() {
    return names.length;
  }

  public int taskCount() {
    return taskCount;
  }

  public String name(int vertex) {
    return names[vertex];
  }

  public boolean isInput(int vertex) {
    return input[vertex];
  }

  /** {@return the input vertices, in declaration order} */
  public int[] inputs() {
    return inputs.clone();
  }

  public Class<?> inputType(int vertex) {
    return inputTypes[vertex];
  }

  /** {@return the edge position of {@code upstream} among {@code vertex}'s dependencies, or -1} */
  public int findDep(int vertex, int upstream) {
    var table = depIndex[vertex];
    if (table != null) {
      int mask = table.length / 2 - 1;
      for (int slot = mix(upstream) & mask; table[2 * slot] != 0; slot = (slot + 1) & mask) {
        if (table[2 * slot] == upstream + 1) {
          return table[2 * slot + 1];
        }
      }
      return -1;
    }
    for (int k = depStart[vertex]; k < depStart[vertex + 1]; k++) {
      if (depNode[k] == upstream) {
        return k;
      }
    }
    return -1;
  }

  public boolean guardedVertex(int vertex) {
    return guardedVertex[vertex];
  }

  public EdgeKind edgeKind(int edge) {
    return depKind[edge];
  }

  /** {@return the vertices {@code vertex} depends on, in declaration order} */
  public int[] dependencies(int vertex) {
    return java.util.Arrays.copyOfRange(depNode, depStart[vertex], depStart[vertex + 1]);
  }

  /** {@return the kinds of {@code vertex}'s dependency edges, see {@link EdgeKind}} */
  public EdgeKind[] dependencyKinds(int vertex) {
    return java.util.Arrays.copyOfRange(depKind, depStart[vertex], depStart[vertex + 1]);
  }

  /** {@return the names of {@code vertex}'s dependencies, in declaration order} */
  public java.util.List<String> dependencyNames(int vertex) {
    var list = new java.util.ArrayList<String>();
    for (int k = depStart[vertex]; k < depStart[vertex + 1]; k++) {
      list.add(names[depNode[k]]);
    }
    return list;
  }
}
