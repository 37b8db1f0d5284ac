package dev.weft.testing;

import dev.weft.BatchLoader;
import dev.weft.Dep;
import dev.weft.FailureMode;
import dev.weft.Fn;
import dev.weft.Graph;
import dev.weft.GraphBuilder;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.LoadException;
import dev.weft.Node;
import dev.weft.NodeBuilder;
import dev.weft.RunOptions;
import dev.weft.RunResult;
import dev.weft.Subgraph;
import dev.weft.TaskContext;
import dev.weft.testing.Dag.Edge;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link Dag} declared as a Weft graph whose task bodies run load programs ({@link LoadWorld})
 * against {@link BatchLoader}s made for it, recording every load and every call of a batch
 * function in the run's {@link Record}. Declared as {@link WeftDag} declares a dag (inputs,
 * forward declarations, every edge kind, fixed arities and {@code ctx.get}, fan-outs,
 * subgraphs in CONTINUE mode, conditions), with the same body keys ({@link Layout}).
 *
 * <p>A body's value is its program's final hash (its arguments' {@link Dag#mix}, then every loaded
 * value or failure folded in), a list of them for a {@link Dag.ListOf} task; its behaviour only
 * decides whether it returns null or throws after its loads ({@link #effective}), and a {@link
 * Behaviour#SLEEP} body sleeps 50 us before them. Runs of one
 * {@code LoadingDag} must not overlap: the record is swapped per run.
 */
public final class LoadingDag {
  private final Dag dag;
  private final LoadWorld world;
  private final Layout layout;
  private final Graph graph;
  private final List<Node<Object>> handles;
  private final Inputs inputs;
  private final List<BatchLoader<Long, Long>> loaders;
  private final LoadWorld.Program[] programs;
  private volatile Record record;

  /** One call of a batch function, as it saw it. */
  public record Call(int loader, int number, List<Long> keys, RuntimeException failure) {}

  /**
   * One load as the task saw it: what it asked for, and what it got (a value for {@code load},
   * a map for {@code loadMany}) or the {@link LoadException}.
   */
  public record Seen(int body, LoadWorld.Load load, Object got, LoadException failure) {}

  /** A body that ended by throwing, as {@link Record#end} holds it. */
  public record Threw(Throwable error) {}

  /** What one run did: its calls, its loads, how each body ended; thread-safe. */
  public static final class Record {
    final Queue<Call> calls = new ConcurrentLinkedQueue<>();
    final AtomicInteger callCount = new AtomicInteger();
    final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    final AtomicIntegerArray bodyCalls;
    final AtomicReferenceArray<Object> ends;
    final Map<Integer, LoadWorld.Load> waiting = new ConcurrentHashMap<>();
    final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private static final Object NULL = new Object();

    Record(int keys) {
      bodyCalls = new AtomicIntegerArray(keys);
      ends = new AtomicReferenceArray<>(keys);
    }

    public List<Call> calls() {
      return List.copyOf(calls);
    }

    public List<Seen> seen() {
      return List.copyOf(seen);
    }

    /** {@return how often body {@code key} was called} */
    public int bodyCalls(int key) {
      return bodyCalls.get(key);
    }

    /** {@return whether body {@code key} ended} */
    public boolean ended(int key) {
      return ends.get(key) != null;
    }

    /** {@return what body {@code key} returned (null too), or a {@link Threw}} */
    public Object end(int key) {
      var e = ends.get(key);
      return e == NULL ? null : e;
    }

    /** {@return the loads that are waiting now, by body key} */
    public Map<Integer, LoadWorld.Load> waiting() {
      return Map.copyOf(waiting);
    }

    public List<String> violations() {
      return List.copyOf(violations);
    }
  }

  public LoadingDag(Dag dag, LoadWorld world, String name) {
    this.dag = dag;
    this.world = world;
    this.layout = Layout.of(dag);
    this.programs = new LoadWorld.Program[layout.size()];
    for (int k = 0; k < layout.size(); k++) {
      int owner = layout.owner(k);
      boolean mayFail = owner < 0 || layout.spec(owner).fanOut().collect();
      programs[k] = world.program(layout.spec(k).salt(), mayFail);
    }
    var made = new ArrayList<BatchLoader<Long, Long>>();
    for (int i = 0; i < world.loaders(); i++) {
      int loader = i;
      BatchLoader<Long, Long> l = BatchLoader.of(LoadWorld.loaderName(i),
          (List<Long> keys) -> fetch(loader, keys));
      made.add(world.maxBatchSize() > 0 ? l.maxBatchSize(world.maxBatchSize()) : l);
    }
    this.loaders = List.copyOf(made);
    var g = Graph.builder(name);
    var nodes = declare(g, dag, 0, "");
    var bound = Inputs.empty();
    for (int v = 0; v < dag.size(); v++) {
      if (dag.isInput(v)) {
        bound = bound.and((Input<Object>) nodes.get(v), dag.spec(v).salt());
      }
    }
    this.graph = g.build();
    this.handles = List.copyOf(nodes);
    this.inputs = bound;
  }

  /**
   * {@return what body behaviour {@code b} amounts to here: RETURN_NULL and THROW_UNCHECKED as
   * such (a throw not in an element of a fan-out that stops at its first failure: which of its
   * siblings it stops would depend on timing), anything else RETURN}
   */
  public static Behaviour effective(Behaviour b, boolean stoppingElement) {
    return b == Behaviour.RETURN_NULL ? b
        : b == Behaviour.THROW_UNCHECKED && !stoppingElement ? b : Behaviour.RETURN;
  }

  /** {@return what a body of {@code spec} whose program ended with hash {@code h} returns} */
  static Object result(Dag.Spec spec, Behaviour b, long h) {
    return switch (b) {
      case RETURN_NULL -> null;
      case THROW_UNCHECKED -> throw (RuntimeException) b.failure(spec.name());
      default -> spec.listLength() >= 0 ? Dag.listOf(h, spec.listLength()) : h;
    };
  }

  /** {@return whether body {@code key} is an element of a fan-out that stops at a failure} */
  boolean stoppingElement(int key) {
    return stoppingElement(layout, key);
  }

  static boolean stoppingElement(Layout layout, int key) {
    int owner = layout.owner(key);
    return owner >= 0 && !layout.spec(owner).fanOut().collect();
  }

  private Map<Long, Long> fetch(int loader, List<Long> keys) {
    var rec = record;
    int number = rec.callCount.incrementAndGet();
    var copy = List.copyOf(keys);
    RuntimeException failure = world.poisons(loader, copy)
        ? new CallFailure(LoadWorld.loaderName(loader), number) : null;
    rec.calls.add(new Call(loader, number, copy, failure));
    if (failure != null) {
      throw failure;
    }
    var values = new HashMap<Long, Long>();
    for (var k : copy) {
      if (world.fate(loader, k) != LoadWorld.Fate.MISSING) {
        values.put(k, world.value(loader, k));
      }
    }
    return values;
  }

  /** What a call holding a poison key throws; unique per call, so a cause names its call. */
  public static final class CallFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int number;

    CallFailure(String loader, int number) {
      super("call " + number + " of loader " + loader + " holds a poison key", null, false,
          false);
      this.number = number;
    }
  }

  /** Runs body {@code key}: its load program, then its behaviour. */
  private Object body(int key, List<Object> args) {
    var rec = record;
    rec.bodyCalls.incrementAndGet(key);
    var spec = layout.spec(key);
    try {
      if (spec.behaviour() == Behaviour.SLEEP) {
        sleep(); // blocking where the engine cannot see
      }
      var exec = world.start(programs[key], Dag.mix(spec.salt(), args));
      for (LoadWorld.Load load; (load = exec.next()) != null; ) {
        var loader = loaders.get(load.loader());
        rec.waiting.put(key, load);
        try {
          if (!load.many()) {
            Long value = loader.load(load.keys().getFirst());
            rec.seen.add(new Seen(key, load, value, null));
            exec.values(Collections.singletonList(value));
          } else {
            Map<Long, Long> got = loader.loadMany(load.keys());
            rec.seen.add(new Seen(key, load, new ArrayList<>(got.entrySet()), null));
            var values = new ArrayList<Long>();
            for (var k : load.distinct()) {
              values.add(got.get(k));
            }
            exec.values(values);
          }
        } catch (LoadException e) {
          rec.seen.add(new Seen(key, load, null, e));
          if (exec.failed(e.key() instanceof Long k ? k : -1, e.getCause() != null)) {
            throw e;
          }
        } finally {
          rec.waiting.remove(key);
        }
      }
      var value = result(spec, effective(spec.behaviour(), stoppingElement(key)), exec.hash());
      rec.ends.set(key, value == null ? Record.NULL : value);
      return value;
    } catch (RuntimeException | Error t) {
      if (!(t instanceof LoadException) && !(t instanceof Behaviour.InjectedRuntimeException)) {
        rec.violations.add(spec.name() + " threw " + SafeText.of(t));
      }
      rec.ends.set(key, new Threw(t));
      throw t;
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(java.time.Duration.ofNanos(50_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.util.concurrent.CancellationException("interrupted in its sleep");
    }
  }

  // ---- declaring the graph, as WeftDag does ----

  private List<Node<Object>> declare(GraphBuilder g, Dag d, int base, String prefix) {
    var nodes = new ArrayList<Node<Object>>(d.size());
    for (int v = 0; v < d.size(); v++) {
      var name = prefix + d.spec(v).name();
      nodes.add(!d.isInput(v) ? null : base == 0 ? unchecked(g.input(name, Long.class))
          : unchecked(g.input(name)));
    }
    if (d.forward()) {
      for (int v : d.declarationOrder()) {
        nodes.set(v, g.declare(prefix + d.spec(v).name()));
      }
    }
    for (int v = 0; v < d.size(); v++) {
      if (!d.isInput(v)) {
        nodes.set(v, define(g, d, nodes, v, base, prefix));
      }
    }
    return nodes;
  }

  private Node<Object> define(GraphBuilder g, Dag d, List<Node<Object>> nodes, int v, int base,
      String prefix) {
    var spec = d.spec(v);
    int key = base + v;
    NodeBuilder<Object> node = d.forward() && spec.fanOut() == null ? g.node(nodes.get(v))
        : g.node(prefix + spec.name());
    var values = new ArrayList<Dep<Object>>();
    for (var e : spec.deps()) {
      var dep = dep(d, nodes, v, e);
      if (e.kind().carriesValue()) {
        values.add(dep);
      } else {
        node.after(dep);
      }
    }
    if (spec.when() != null) {
      var e = spec.deps().stream().filter(x -> x.from() == spec.when().from()).findFirst()
          .orElseThrow();
      var when = spec.when();
      node.when(dep(d, nodes, v, e), when::holds);
    }
    if (spec.fanOut() != null) {
      var f = spec.fanOut();
      for (var extra : values.subList(1, values.size())) {
        node.after(extra);
      }
      if (f.maxConcurrency() > 0) {
        node.maxConcurrency(f.maxConcurrency());
      }
      Dep<List<Object>> items = unchecked(values.getFirst());
      Fn.F1<Object, Object> element = item -> body(
          layout.element(key, TaskContext.current().element()), Arrays.asList(item));
      return unchecked(f.collect() ? node.forEachOutcome(items, element)
          : node.forEach(items, element));
    }
    if (spec.sub() != null) {
      var inner = spec.sub().inner();
      var ig = Graph.builder(prefix + spec.name() + "-sub");
      var innerNodes = declare(ig, inner, layout.subBase(key), prefix + spec.name() + "_");
      var sub = Subgraph.of(ig.build(), innerNodes.getLast()).withFailureMode(
          FailureMode.CONTINUE);
      int k = 0;
      for (int u = 0; u < inner.size(); u++) {
        if (inner.isInput(u)) {
          sub = sub.bind((Input<Object>) innerNodes.get(u), values.get(k++));
        }
      }
      for (var extra : values.subList(k, values.size())) {
        node.after(extra);
      }
      return node.subgraph(sub);
    }
    int arity = spec.viaContext() ? -1 : values.size();
    return switch (arity) {
      case 0 -> node.call(() -> body(key, List.of()));
      case 1 -> node.call(values.get(0), a -> body(key, Arrays.asList(a)));
      case 2 -> node.call(values.get(0), values.get(1), (a, b) -> body(key, Arrays.asList(a, b)));
      case 3 -> node.call(values.get(0), values.get(1), values.get(2),
          (a, b, c) -> body(key, Arrays.asList(a, b, c)));
      default -> node.call(values, ctx -> {
        var args = new Object[values.size()];
        for (int i = 0; i < args.length; i++) {
          args[i] = ctx.get(values.get(i));
        }
        return body(key, Arrays.asList(args));
      });
    };
  }

  private static Dep<Object> dep(Dag d, List<Node<Object>> nodes, int v, Edge e) {
    var up = nodes.get(e.from());
    return switch (e.kind()) {
      case VALUE, AFTER -> up;
      case OR_ELSE -> up.orElse(d.fallback(v, e));
      case OPTIONAL -> unchecked(up.optional());
      case OUTCOME -> unchecked(up.outcome());
      case AFTER_OPTIONAL -> (d.spec(v).salt() & 1) == 0 ? unchecked(up.optional())
          : up.orElse(null);
    };
  }

  @SuppressWarnings("unchecked")
  private static <T> T unchecked(Object o) {
    return (T) o;
  }

  /** {@return a fresh record for the next run, which its tasks and calls write to} */
  public Record newRecord() {
    var rec = new Record(layout.size());
    this.record = rec;
    return rec;
  }

  /**
   * Starts a run, recording into the last {@link #newRecord}. With a synchronous executor the
   * run happens inside this call: call it from a thread that may be abandoned.
   */
  public CompletableFuture<RunResult> runAsync(RunOptions options) {
    return graph.runAsync(inputs, o -> options);
  }

  public Dag dag() {
    return dag;
  }

  public LoadWorld world() {
    return world;
  }

  public Layout layout() {
    return layout;
  }

  public Graph graph() {
    return graph;
  }

  /** {@return the load program of body {@code key}} */
  public LoadWorld.Program program(int key) {
    return programs[key];
  }

  /** {@return the Weft handle of node {@code v}} */
  public Node<Object> node(int v) {
    return handles.get(v);
  }
}
