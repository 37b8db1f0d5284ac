package dev.weft.internal;

import dev.weft.InvalidGraphException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Mutable vertex table behind the public graph builder. Not thread-safe: confined to the thread
 * declaring the graph. {@link #compile()} validates in O(V+E) without recursion.
 */
public final class PlanBuilder {
  private final String graph;
  private final Object owner;
  private final ArrayList<Vertex> vertices = new ArrayList<>();
  private final HashMap<String, Integer> byName = new HashMap<>();
  private boolean timed = true;

  private static final class Vertex {
    final String name;
    final boolean input;
    final Class<?> type;
    int[] deps;
    EdgeKind[] kinds;
    Object[] fallbacks;
    Invoker invoker;
    boolean guarded;
    boolean inline;
    boolean skippable;
    Condition condition;

    Vertex(String name, boolean input, Class<?> type) {
      this.name = name;
      this.input = input;
      this.type = type;
    }
  }

  /** Runs of the plan take no time per task: see {@code GraphBuilder.withoutTaskTimes}. */
  public void untimed() {
    timed = false;
  }

  public PlanBuilder(String graph) {
    this(graph, null);
  }

  /** A plan for graph {@code graph}, whose nodes belong to {@code owner} (the public builder). */
  public PlanBuilder(String graph, Object owner) {
    this.graph = graph;
    this.owner = owner;
  }

  /** Adds a vertex and returns its index; a duplicate name fails at once. */
  public int declare(String name, boolean input, Class<?> type) {
    if (byName.putIfAbsent(name, vertices.size()) != null) {
      checkFree(name); // throws, naming what holds the name
    }
    vertices.add(new Vertex(name, input, type));
    return vertices.size() - 1;
  }

  /** Fails if {@code name} is taken. */
  public void checkFree(String name) {
    Integer previous = byName.get(name);
    if (previous != null) {
      var what = vertices.get(previous).input ? "an input" : "a node";
      throw new InvalidGraphException(graph, List.of(name),
          "graph '" + graph + "' already has " + what + " named '" + name + "'");
    }
  }

  public String name(int index) {
    return vertices.get(index).name;
  }

  public boolean isDefined(int index) {
    var v = vertices.get(index);
    return v.input || v.invoker != null;
  }

  /** Gives a declared task its dependencies and body; the arrays are owned by the plan now. */
  public void define(int index, int[] deps, EdgeKind[] kinds, Object[] fallbacks, Invoker invoker) {
    var v = vertices.get(index);
    if (isDefined(index)) {
      throw new InvalidGraphException(graph, List.of(v.name),
          "node '" + v.name + "' of graph '" + graph + "' is already defined");
    }
    v.deps = deps;
    v.kinds = kinds;
    v.fallbacks = fallbacks;
    v.invoker = invoker;
  }

  /** Marks a task as cheap and non-blocking: it runs on the thread that makes it ready. */
  public void inline(int index) {
    vertices.get(index).inline = true;
  }

  /** Gives a task a condition; a second one is combined with the first: both must hold. */
  public void condition(int index, Condition condition) {
    var v = vertices.get(index);
    var first = v.condition;
    v.condition = first == null ? condition
        : (run, node) -> first.test(run, node) && condition.test(run, node);
  }

  /**
   * Wraps a defined task's body in one that runs attempts through {@link Run#endAttempt}
   * (timeouts, retries, circuit breakers, bulkheads, fallbacks).
   */
  public void guard(int index, UnaryOperator<Invoker> wrapper) {
    var v = vertices.get(index);
    v.invoker = wrapper.apply(v.invoker);
    v.guarded = true;
  }

  /**
   * Marks a task that may be omitted for lack of time: no dependent may require it, which
   * {@link #compile} checks.
   */
  public void skippable(int index) {
    vertices.get(index).skippable = true;
  }

  /** Validates the graph and compiles it to arrays; the builder must not be used afterwards. */
  public Plan compile() {
    int n = vertices.size();
    var undefined = new ArrayList<String>();
    int edges = 0;
    for (var v : vertices) {
      if (!v.input && v.invoker == null) {
        undefined.add(v.name);
      } else if (!v.input) {
        edges += v.deps.length;
      }
    }
    if (!undefined.isEmpty()) {
      throw new InvalidGraphException(graph, undefined, "graph '" + graph
          + "' has nodes declared but never defined: " + quoted(undefined));
    }
    for (var v : vertices) {
      for (int k = 0; !v.input && k < v.deps.length; k++) {
        var up = vertices.get(v.deps[k]);
        if (up.skippable && v.kinds[k].required()) {
          throw new InvalidGraphException(graph, List.of(up.name, v.name), "node '" + up.name
              + "' of graph '" + graph + "' may be omitted when late (skipWhenLate), but '"
              + v.name + "' requires it: take it with optional() or orElse(...)");
        }
      }
    }

    var names = new String[n];
    var input = new boolean[n];
    var inputTypes = new Class<?>[n];
    var invokers = new Invoker[n];
    var guarded = new boolean[n];
    var inline = new boolean[n];
    var conditions = new Condition[n];
    var depStart = new int[n + 1];
    var depNode = new int[edges];
    var depKind = new EdgeKind[edges];
    var depFallback = new Object[edges];
    var pending = new int[n];
    var outCount = new int[n + 1];
    int inputCount = 0;
    int e = 0;
    for (int i = 0; i < n; i++) {
      var v = vertices.get(i);
      names[i] = v.name;
      input[i] = v.input;
      depStart[i] = e;
      if (v.input) {
        inputTypes[i] = v.type;
        inputCount++;
        continue;
      }
      invokers[i] = v.invoker;
      guarded[i] = v.guarded;
      inline[i] = v.inline;
      conditions[i] = v.condition;
      for (int k = 0; k < v.deps.length; k++, e++) {
        int d = v.deps[k];
        depNode[e] = d;
        depKind[e] = v.kinds[k];
        depFallback[e] = v.fallbacks == null ? null : v.fallbacks[k];
      }
    }
    depStart[n] = e;
    // Edges from inputs are satisfied before a run starts: they neither count nor notify.
    for (int i = 0; i < n; i++) {
      for (int k = depStart[i]; k < depStart[i + 1]; k++) {
        if (!input[depNode[k]]) {
          pending[i]++;
          outCount[depNode[k]]++;
        }
      }
    }
    var outStart = new int[n + 1];
    for (int i = 0; i < n; i++) {
      outStart[i + 1] = outStart[i] + outCount[i];
    }
    var outNode = new int[outStart[n]];
    var outRequired = new boolean[outStart[n]];
    var fill = new int[n];
    System.arraycopy(outStart, 0, fill, 0, n);
    for (int i = 0; i < n; i++) {
      for (int k = depStart[i]; k < depStart[i + 1]; k++) {
        int d = depNode[k];
        if (!input[d]) {
          outNode[fill[d]] = i;
          outRequired[fill[d]] = depKind[k].required();
          fill[d]++;
        }
      }
    }
    var absorbs = new boolean[n];
    for (int i = 0; i < n; i++) {
      boolean all = outStart[i + 1] > outStart[i];
      for (int k = outStart[i]; k < outStart[i + 1] && all; k++) {
        all = !outRequired[k];
      }
      absorbs[i] = all;
    }

    // Kahn's algorithm: what it cannot order lies on or behind a cycle.
    int taskCount = n - inputCount;
    var indegree = pending.clone();
    var queue = new int[taskCount];
    int head = 0;
    int tail = 0;
    for (int i = 0; i < n; i++) {
      if (!input[i] && indegree[i] == 0) {
        queue[tail++] = i;
      }
    }
    int rootCount = tail;
    while (head < tail) {
      int u = queue[head++];
      for (int k = outStart[u]; k < outStart[u + 1]; k++) {
        if (--indegree[outNode[k]] == 0) {
          queue[tail++] = outNode[k];
        }
      }
    }
    if (tail < taskCount) {
      var cycle = findCycle(n, input, indegree, depStart, depNode);
      throw new InvalidGraphException(graph, cycle, "graph '" + graph + "' has a cycle: "
          + String.join(" -> ", cycle) + " (x -> y: y depends on x)");
    }
    var roots = new int[rootCount];
    System.arraycopy(queue, 0, roots, 0, rootCount);
    var inputs = new int[inputCount];
    for (int i = 0, j = 0; i < n; i++) {
      if (input[i]) {
        inputs[j++] = i;
      }
    }
    return new Plan(graph, owner, names, input, inputs, inputTypes, invokers, depStart, depNode,
        depKind, depFallback, outStart, outNode, outRequired, pending, roots, absorbs, taskCount,
        guarded, inline, conditions, timed);
  }

  /**
   * Walks from an unordered vertex to an unordered dependency until a vertex repeats. Every
   * unordered vertex has an unordered dependency, so the walk always closes a cycle.
   */
  private List<String> findCycle(int n, boolean[] input, int[] indegree, int[] depStart,
      int[] depNode) {
    int start = 0;
    while (input[start] || indegree[start] == 0) {
      start++;
    }
    var positionInPath = new int[n];
    Arrays.fill(positionInPath, -1);
    var order = new ArrayList<Integer>();
    int current = start;
    while (positionInPath[current] < 0) {
      positionInPath[current] = order.size();
      order.add(current);
      int next = -1;
      for (int k = depStart[current]; k < depStart[current + 1] && next < 0; k++) {
        int d = depNode[k];
        if (!input[d] && indegree[d] > 0) {
          next = d;
        }
      }
      current = next;
    }
    // order[from..] runs dependent -> dependency; show it in data-flow order, smallest index first.
    var cycle = new ArrayList<>(order.subList(positionInPath[current], order.size()));
    Collections.reverse(cycle);
    int first = 0;
    for (int i = 1; i < cycle.size(); i++) {
      if (cycle.get(i) < cycle.get(first)) {
        first = i;
      }
    }
    Collections.rotate(cycle, -first);
    var names = new ArrayList<String>(cycle.size() + 1);
    for (int v : cycle) {
      names.add(vertices.get(v).name);
    }
    names.add(names.get(0));
    return names;
  }

  private static String quoted(List<String> names) {
    var sb = new StringBuilder();
    for (var name : names) {
      sb.append(sb.isEmpty() ? "'" : ", '").append(name).append('\'');
    }
    return sb.toString();
  }
}
