package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testing.Cases;
import dev.weft.testing.Cases.Trial;
import dev.weft.testing.Dag;
import dev.weft.testing.Dag.Edge;
import dev.weft.testing.Dag.Kind;
import dev.weft.testing.Invariants;
import dev.weft.testing.Probe;
import dev.weft.testing.RandomDags;
import dev.weft.testing.ReferenceExecutor;
import dev.weft.testing.WeftDag;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Bad input over random graphs: cycles of every length, declarations never defined, missing,
 * foreign, wrong-typed, duplicate and null inputs, and refused builder calls interleaved with good
 * ones. Each must fail with a clear exception and leave no partial state: nothing runs, and the
 * builder or graph works as if the bad call had never been made.
 */
class BadInputTest {
  private static final String CLASS = "BadInputTest#";
  private static final int CASES = Cases.count(500);

  @Test
  void cyclesOfAnyLength_areRefusedAtBuild_namingARealCycle() {
    Cases.forAll(CLASS + "cyclesOfAnyLength_areRefusedAtBuild_namingARealCycle", CASES, seed -> {
      var rnd = new Random(seed);
      var dag = new RandomDags(rnd, 30, RandomDags.CHEAP).next();
      var tasks = tasks(dag);
      int u = tasks.get(rnd.nextInt(tasks.size()));
      int v = u;
      for (int steps = rnd.nextInt(10); steps > 0; steps--) {
        var below = dependents(dag, v);
        if (below.isEmpty()) {
          break;
        }
        v = below.get(rnd.nextInt(below.size()));
      }
      // u now depends on a node at the end of a path that starts at u: a cycle
      return new Trial<>(seed, dag.withEdge(u, new Edge(v, Kind.values()[rnd.nextInt(5)])),
          "closing edge " + dag.spec(v).name() + " -> " + dag.spec(u).name());
    }, (dag, closing) -> {
      if (acyclic(dag)) {
        return null; // a shrunk graph without the cycle proves nothing
      }
      try {
        new WeftDag(dag, "cyclic");
        return "build() accepted a graph with a cycle";
      } catch (InvalidGraphException e) {
        var path = e.nodes();
        var edges = new HashSet<String>();
        for (var s : dag.nodes()) {
          for (var edge : s.deps()) {
            edges.add(dag.spec(edge.from()).name() + " -> " + s.name());
          }
        }
        if (path.size() < 2 || !path.getFirst().equals(path.getLast())) {
          return "the reported path " + path + " is not closed";
        }
        for (int i = 0; i + 1 < path.size(); i++) {
          if (!edges.contains(path.get(i) + " -> " + path.get(i + 1))) {
            return "the reported cycle " + path + " has no edge " + path.get(i) + " -> "
                + path.get(i + 1);
          }
        }
        if (!e.getMessage().contains(String.join(" -> ", path)) || !"cyclic".equals(e.graph())) {
          return "the message does not name the cycle and graph: " + e.getMessage();
        }
        return null;
      }
    });
  }

  @Test
  void declarationsNeverDefined_areAllNamedAtBuild_andDefiningThemThenBuilds() {
    forSeeds(CLASS + "declarationsNeverDefined_areAllNamedAtBuild_andDefiningThemThenBuilds",
        seed -> {
          var rnd = new Random(seed);
          var g = Graph.builder("ghosts");
          var handles = new ArrayList<Node<Long>>();
          var ghosts = new ArrayList<Node<Long>>();
          var steps = new ArrayList<Boolean>(); // true: declare a ghost; false: define a task
          steps.addAll(Collections.nCopies(1 + rnd.nextInt(4), true));
          steps.addAll(Collections.nCopies(1 + rnd.nextInt(20), false));
          Collections.shuffle(steps, rnd);
          for (boolean ghost : steps) {
            var name = (ghost ? "ghost" : "t") + handles.size();
            if (ghost) {
              ghosts.add(g.declare(name));
              handles.add(ghosts.getLast());
              continue;
            }
            var values = new ArrayList<Dep<?>>();
            var node = g.node(name);
            for (int k = rnd.nextInt(Math.min(4, handles.size() + 1)); k > 0; k--) {
              var dep = handles.get(rnd.nextInt(handles.size()));
              switch (rnd.nextInt(4)) {
                case 0 -> values.add(dep);
                case 1 -> values.add(dep.orElse(0L));
                case 2 -> node.after(dep);
                default -> node.after(dep.optional());
              }
            }
            handles.add(unchecked(node.call(values, ctx -> 1L)));
          }
          var names = ghosts.stream().map(Node::name).toList();
          try {
            g.build();
            return "build() accepted undefined declarations " + names;
          } catch (InvalidGraphException e) {
            if (!e.nodes().equals(names) || !names.stream().allMatch(e.getMessage()::contains)) {
              return "expected exactly " + names + " named, got " + e.nodes() + ": "
                  + e.getMessage();
            }
          }
          for (var ghost : ghosts) {
            g.node(ghost).call(() -> 2L);
          }
          var result = g.build().run(Inputs.empty());
          return result.succeeded() ? null : "after defining them: " + result;
        });
  }

  /** How a run's inputs are wrong. */
  enum BadInputs { MISSING, FOREIGN, WRONG_TYPE, DUPLICATE, NULL_VALUE }

  @Test
  void missingForeignWrongTypedDuplicateOrNullInputs_areRefusedBeforeAnyTaskStarts() {
    Cases.forAll(CLASS
        + "missingForeignWrongTypedDuplicateOrNullInputs_areRefusedBeforeAnyTaskStarts", CASES,
        seed -> {
          var rnd = new Random(seed);
          var gen = new RandomDags(rnd, 30, RandomDags.SUCCEEDING);
          var dag = gen.next();
          for (int tries = 0; tries < 50 && dag.size() == dag.taskCount(); tries++) {
            dag = gen.next();
          }
          return new Trial<>(seed, dag, BadInputs.values()[rnd.nextInt(5)]);
        },
        (dag, bad) -> {
          var inputs = new ArrayList<Integer>();
          for (int v = 0; v < dag.size(); v++) {
            if (dag.isInput(v)) {
              inputs.add(v);
            }
          }
          if (inputs.isEmpty()) {
            return null;
          }
          var w = new WeftDag(dag, "inputs");
          var probe = Probe.plain(dag);
          var options = w.graph().options();
          var problem = switch (bad) {
            case MISSING -> {
              var given = Inputs.empty();
              var missing = new ArrayList<String>();
              for (int v : inputs) {
                if (missing.isEmpty() || dag.spec(v).salt() % 2 == 0) {
                  missing.add("'" + dag.spec(v).name() + "'");
                } else {
                  given = given.and(input(w, v), dag.spec(v).salt());
                }
              }
              var bound = given;
              yield refused(() -> w.start(probe, options, bound), IllegalArgumentException.class,
                  missing.toArray(String[]::new));
            }
            case FOREIGN -> {
              var other = Graph.builder("other");
              var foreign = other.input(dag.spec(inputs.getFirst()).name(), Long.class);
              yield refused(() -> w.start(probe, options, w.inputs().and(foreign, 1L)),
                  IllegalArgumentException.class, "'other'", "'inputs'");
            }
            case WRONG_TYPE -> {
              Input<Object> first = input(w, inputs.getFirst());
              var given = Inputs.of(first, "not a Long");
              for (int v : inputs.subList(1, inputs.size())) {
                given = given.and(input(w, v), dag.spec(v).salt());
              }
              var bound = given;
              yield refused(() -> w.start(probe, options, bound), IllegalArgumentException.class,
                  dag.spec(inputs.getFirst()).name(), "java.lang.Long", "java.lang.String");
            }
            case DUPLICATE -> refused(() -> w.inputs().and(input(w, inputs.getLast()), 1L),
                IllegalArgumentException.class, dag.spec(inputs.getLast()).name());
            case NULL_VALUE -> refused(() -> Inputs.of(input(w, inputs.getFirst()), null),
                NullPointerException.class, dag.spec(inputs.getFirst()).name());
          };
          if (problem != null) {
            return problem;
          }
          for (int v = 0; v < dag.size(); v++) {
            if (probe.calls(v) > 0) {
              return dag.spec(v).name() + " ran although the run was refused";
            }
          }
          // nothing of the refused run lingers: the graph still runs as the reference says
          probe.openGate();
          var result = w.start(probe, options).get(Probe.BOUND_SECONDS, TimeUnit.SECONDS);
          var out = new ArrayList<>(probe.violations());
          out.addAll(Invariants.outcomes(w, probe, result, false));
          out.addAll(Invariants.matchesReference(w, result, ReferenceExecutor.run(dag)));
          return out.isEmpty() ? null : String.join("\n    ", out);
        });
  }

  @Test
  void refusedBuilderCalls_interleavedWithGoodOnes_leaveNoTraceInTheGraph() {
    var refusals = new AtomicInteger();
    Cases.forAll(CLASS + "refusedBuilderCalls_interleavedWithGoodOnes_leaveNoTraceInTheGraph",
        CASES, seed -> new Trial<>(seed, new RandomDags(new Random(seed), 30,
            RandomDags.FAILING).next(), seed),
        (dag, seed) -> {
          var rnd = new Random(seed);
          var stranger = Graph.builder("stranger");
          Node<Long> foreign = stranger.task("foreign", () -> 1L);
          Node<Long> undefined = stranger.declare("undefined");
          var wrong = new ArrayList<String>();
          WeftDag.Interleave saboteur = (g, declared) -> {
            if (rnd.nextInt(3) > 0) {
              return;
            }
            var fresh = "refused-" + rnd.nextInt(1_000_000);
            Node<Object> known = declared.isEmpty() ? null
                : declared.get(rnd.nextInt(declared.size()));
            int kind = rnd.nextInt(8);
            if (known == null && (kind == 0 || kind == 1 || kind == 7)) {
              return; // nothing declared yet to collide with
            }
            var problem = refused(() -> switch (kind) {
              case 0 -> g.task(known.name(), () -> 1L);
              case 1 -> g.input(known.name(), Long.class);
              case 2 -> g.task(fresh, foreign, x -> x);
              case 3 -> g.node(fresh).after(foreign.optional());
              case 4 -> g.task(fresh, known == null ? List.of(foreign) : List.of(known, foreign),
                  ctx -> 1L);
              case 5 -> g.task(fresh, Arrays.asList(known, null), ctx -> 1L);
              case 6 -> g.node(undefined);
              default -> g.declare(known.name());
            }, kind == 5 ? NullPointerException.class : InvalidGraphException.class);
            refusals.incrementAndGet();
            if (problem != null) {
              wrong.add("bad call #" + kind + " (" + fresh + "): " + problem);
            }
          };
          WeftDag w;
          try {
            w = new WeftDag(dag, "refusals", saboteur);
          } catch (RuntimeException e) {
            return "a good call failed after refused ones: " + e;
          }
          if (!wrong.isEmpty()) {
            return String.join("\n    ", wrong);
          }
          var probe = Probe.plain(dag);
          probe.openGate();
          var result = w.start(probe, w.graph().options()).get(Probe.BOUND_SECONDS,
              TimeUnit.SECONDS);
          var out = new ArrayList<>(probe.violations());
          out.addAll(Invariants.outcomes(w, probe, result, false));
          out.addAll(Invariants.matchesReference(w, result, ReferenceExecutor.run(dag)));
          return out.isEmpty() ? null : String.join("\n    ", out);
        });
    assertTrue(refusals.get() > CASES, "too few refused calls were tried: " + refusals);
  }

  // ---- helpers ----

  /** {@return null if {@code call} throws {@code type} with a message naming every word} */
  private static String refused(Supplier<?> call, Class<? extends RuntimeException> type,
      String... words) {
    try {
      call.get();
      return "accepted; expected " + type.getSimpleName();
    } catch (RuntimeException e) {
      if (!type.isInstance(e)) {
        return "threw " + e + "; expected " + type.getSimpleName();
      }
      for (var word : words) {
        if (e.getMessage() == null || !e.getMessage().contains(word)) {
          return "the message does not name " + word + ": " + e.getMessage();
        }
      }
      return null;
    }
  }

  /** A check over seeds without a graph to shrink. */
  @FunctionalInterface
  private interface SeedCheck {
    String violation(long seed) throws Exception;
  }

  private static void forSeeds(String where, SeedCheck check) {
    Long only = Long.getLong("weft.seed");
    int total = only != null ? 1 : CASES;
    for (int i = 0; i < total; i++) {
      long seed = only != null ? only : Cases.seedOf(where, i);
      String violation;
      try {
        violation = check.violation(seed);
      } catch (Exception e) {
        violation = "threw " + e;
      }
      assertEquals(null, violation, "seed " + seed + " (re-run: mvn test -Dtest='" + where
          + "' -Dweft.seed=" + seed + ")");
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T unchecked(Object o) {
    return (T) o;
  }

  private static Input<Object> input(WeftDag w, int v) {
    return unchecked(w.node(v));
  }

  private static List<Integer> tasks(Dag dag) {
    var list = new ArrayList<Integer>();
    for (int v = 0; v < dag.size(); v++) {
      if (!dag.isInput(v)) {
        list.add(v);
      }
    }
    return list;
  }

  private static List<Integer> dependents(Dag dag, int u) {
    var list = new ArrayList<Integer>();
    for (int v = 0; v < dag.size(); v++) {
      for (var e : dag.spec(v).deps()) {
        if (e.from() == u && !list.contains(v)) {
          list.add(v);
        }
      }
    }
    return list;
  }

  /** {@return whether {@code dag}, whose edges may point anywhere, has no cycle (Kahn)} */
  private static boolean acyclic(Dag dag) {
    int n = dag.size();
    var indegree = new int[n];
    for (int v = 0; v < n; v++) {
      indegree[v] = dag.spec(v).deps().size();
    }
    var ready = new ArrayList<Integer>();
    for (int v = 0; v < n; v++) {
      if (indegree[v] == 0) {
        ready.add(v);
      }
    }
    int seen = 0;
    while (!ready.isEmpty()) {
      int u = ready.removeLast();
      seen++;
      for (int v = 0; v < n; v++) {
        for (var e : dag.spec(v).deps()) {
          if (e.from() == u && --indegree[v] == 0) {
            ready.add(v);
          }
        }
      }
    }
    return seen == n;
  }
}
