package dev.weft;

import dev.weft.internal.Readout;
import dev.weft.internal.Run;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of every node of one run. Returned once the run has ended, so nothing in it changes.
 *
 * <pre>{@code
 * RunResult r = graph.run(Inputs.of(listingId, 42L));
 * Page page = r.get(pageNode);            // the value, or NodeException naming the node
 * r.failures().forEach(f -> log.warn(f.node() + " failed", f.error()));
 * }</pre>
 *
 * <p>Immutable and thread-safe (as far as the nodes' values are). Asking about a node of another
 * graph throws {@link IllegalArgumentException}.
 */
public final class RunResult {
  private final Graph graph;
  private final Run<RunResult> run;
  private final Readout out;

  RunResult(Graph graph, Run<RunResult> run) {
    this.graph = graph;
    this.run = run;
    this.out = run.readout();
  }

  /** {@return the graph's name} */
  public String graph() {
    return graph.name();
  }

  /** {@return the run's id, unique within this JVM} */
  public long runId() {
    return run.id();
  }

  /**
   * {@return the value of {@code node}, possibly {@code null}}
   *
   * @throws NodeException if the node failed, was skipped (naming the node whose failure caused
   *     it) or was cancelled; its cause is the failure's exception
   */
  @SuppressWarnings("unchecked")
  public <T> T get(Node<T> node) {
    int v = graph.vertex(node);
    if (out.status(v) != Outcome.Status.SUCCEEDED) {
      throw new NodeException(out.outcome(v));
    }
    return (T) out.value(v);
  }

  /** {@return how {@code node} ended} */
  @SuppressWarnings("unchecked")
  public <T> Outcome<T> outcome(Node<T> node) {
    return (Outcome<T>) out.outcome(graph.vertex(node));
  }

  /** {@return the nodes that failed, in the order they ended; empty when none did} */
  public List<Outcome.Failed<?>> failures() {
    var list = new ArrayList<Outcome.Failed<?>>();
    for (int v : out.failed()) {
      list.add((Outcome.Failed<?>) out.outcome(v));
    }
    return Collections.unmodifiableList(list);
  }

  /**
   * {@return whether every node succeeded} Literally: an {@link Outcome.Omitted omitted} node did
   * not succeed either, though it is no failure; ask {@code failures().isEmpty()} whether anything
   * went wrong.
   */
  public boolean succeeded() {
    for (int v = 0; v < run.plan().size(); v++) {
      if (out.status(v) != Outcome.Status.SUCCEEDED) {
        return false;
      }
    }
    return true;
  }

  /**
   * Throws if any node failed, for callers that want all or nothing.
   *
   * @return this result, when no node failed
   * @throws NodeException for the first failure, with later ones attached as suppressed
   */
  public RunResult throwIfFailed() {
    var failures = failures();
    if (failures.isEmpty()) {
      return this;
    }
    var first = new NodeException(failures.get(0));
    for (int i = 1; i < failures.size(); i++) {
      first.addSuppressed(new NodeException(failures.get(i)));
    }
    throw first;
  }

  /** {@return how long the run took, from start until its last node ended} */
  public Duration elapsed() {
    return out.elapsed();
  }

  /** {@return when each task became ready, started and ended, in the order they started} */
  public List<Span> spans() {
    var spans = new ArrayList<Span>(run.plan().taskCount());
    for (int v = 0; v < run.plan().size(); v++) {
      if (!run.plan().isInput(v)) {
        spans.add(out.span(v));
      }
    }
    spans.sort(Comparator.comparing(Span::started));
    return Collections.unmodifiableList(spans);
  }

  @Override
  public String toString() {
    var counts = new EnumMap<Outcome.Status, Integer>(Outcome.Status.class);
    for (int v = 0; v < run.plan().size(); v++) {
      counts.merge(out.status(v), 1, Integer::sum);
    }
    var sb = new StringBuilder("RunResult[graph=").append(graph()).append(", run=")
        .append(runId());
    for (var status : Outcome.Status.values()) {
      sb.append(", ").append(status.label()).append('=').append(counts.getOrDefault(status, 0));
    }
    return sb.append(", elapsed=").append(elapsed()).append(']').toString();
  }

  /** {@return where the time of this run went: spans, critical path, exports} */
  public Trace trace() {
    var spans = new Span[run.plan().size()];
    for (int v = 0; v < spans.length; v++) {
      if (!run.plan().isInput(v)) {
        spans[v] = out.span(v);
      }
    }
    return new Trace(graph.shape(), runId(), elapsed(), spans, batches());
  }

  /** {@return whether the run's deadline passed before it ended} */
  public boolean deadlineExceeded() {
    return out.deadlineExceeded();
  }

  /**
   * {@return the tasks that still ran, ignoring their interrupt, when the run was cut off a grace
   * after it was cancelled (by its deadline, fail-fast or its caller), each with the thread
   * running it (for its stack trace); empty almost always} Their outcome is {@link
   * Outcome.Cancelled}; whatever they return later is dropped. What ran inside a task and still
   * runs is named by its path: a fan-out's element as {@code photos[3]}, a subgraph's task as
   * {@code host/profile} (also when the subgraph's own run cut it off and ended in time for its
   * node, so every thread that outlives the run is here).
   */
  public Map<String, Thread> stragglers() {
    var map = new LinkedHashMap<String, Thread>();
    out.stragglers().forEach((v, thread) -> map.put(run.plan().name(v), thread));
    map.putAll(out.innerStragglers()); // photos[3], host/profile: what ran inside them
    return Collections.unmodifiableMap(map);
  }

  /**
   * {@return what went wrong in listeners and context scopes during the run (they never disturb
   * it); empty almost always} Fixed before the result is returned: a failure after that (a
   * straggler's context scope closing late) is logged through {@link System.Logger} instead.
   */
  public List<Throwable> listenerFailures() {
    return run.faults().hookFailures();
  }

  /**
   * {@return per {@link BatchLoader} the run's loads used, in the order first used: rounds, calls,
   * keys asked for and fetched, duplicates saved; empty if it loaded nothing} Loads are counted
   * per request: a subgraph's loads are counted in the outermost run, and its own result reports
   * the same figures.
   */
  public List<LoaderStats> loaders() {
    var loads = Loads.ifAny(run);
    return loads == null ? List.of() : loads.stats();
  }

  /**
   * {@return every call of a loader's batch function made for the run (the request, as for
   * {@link #loaders()}), in the order they started; empty if it loaded nothing}
   */
  public List<Batch> batches() {
    var loads = Loads.ifAny(run);
    return loads == null ? List.of() : loads.batches();
  }
}
