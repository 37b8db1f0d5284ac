package dev.weft.jarcheck;

import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.RunOptions;
import java.util.List;

/**
 * Checks Weft's jar as a user's program loads it, run by the build's verify phase on Java 25:
 * {@code class-path} and {@code module-path} (the jar, loaded from where the mode says) bind a
 * ScopedValue in a task and in a fan-out's elements; {@code base} (Weft's base classes alone, as
 * Java 21 to 24 load them) refuses to register one. Exits non-zero, saying why, if not.
 */
public final class JarCheck {
  private static final ScopedValue<String> REQUEST_ID = ScopedValue.newInstance();

  private JarCheck() {}

  public static void main(String[] args) throws Exception {
    var mode = args[0];
    var module = Graph.class.getModule();
    check(module.isNamed() == mode.equals("module-path"),
        "Weft loaded in " + module + " in mode " + mode);
    if (mode.equals("base")) {
      try {
        RunOptions.defaults().withScopedValue(REQUEST_ID);
        fail("the base classes registered a ScopedValue");
      } catch (UnsupportedOperationException expected) {
        check(expected.getMessage().contains("needs Java 25"), expected.getMessage());
        System.out.println("JarCheck base: refused: " + expected.getMessage());
      }
      return;
    }
    var g = Graph.builder("jar-check");
    Input<List<Integer>> items = g.input("items");
    Node<String> task = g.task("task", () -> REQUEST_ID.orElse("unbound"));
    Node<List<String>> each = g.forEach("each", items, i -> REQUEST_ID.orElse("unbound") + i);
    var graph = g.options(RunOptions.defaults().withScopedValue(REQUEST_ID)).build();
    var result = ScopedValue.where(REQUEST_ID, "req-7")
        .call(() -> graph.run(Inputs.of(items, List.of(1, 2))));
    check(result.get(task).equals("req-7"), "task saw " + result.get(task));
    check(result.get(each).equals(List.of("req-71", "req-72")), "elements saw " + result.get(each));
    check(!REQUEST_ID.isBound(), "bound after the run");
    System.out.println("JarCheck " + mode + ": " + module + " binds ScopedValues");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      fail(what);
    }
  }

  private static void fail(String what) {
    System.err.println("JarCheck failed: " + what);
    System.exit(1);
  }
}
