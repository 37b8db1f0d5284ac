package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * The null policy of package-info, checked by reflection over the whole public API rather than
 * call by call: {@code null} in any reference parameter (unless documented as allowed) throws
 * {@link NullPointerException}, and leaves no partial state behind.
 */
class NullPolicyTest {
  /**
   * Every public method and constructor of the builder, run and policy API, with {@code null} in
   * each reference parameter in turn (the others valid), throws {@link NullPointerException}
   * with a message; the builder it was called on still declares the names that call used and
   * builds a working graph.
   */
  @Test
  void nullInAnyParameterOfThePublicApi_throwsNpe_andLeavesTheBuilderUsable() throws Exception {
    assertNullsRefused(List.of(Graph.class, GraphBuilder.class, NodeBuilder.class, Node.class,
        Input.class, Inputs.class, RunOptions.class, RunResult.class, RetryPolicy.class,
        CircuitBreaker.class, CircuitBreaker.Builder.class, CircuitBreaker.Transition.class,
        Bulkhead.class, Bulkhead.Builder.class, AdaptiveLimit.class, Bulkhead.LimitChange.class,
        NodeException.class,
        Outcome.Succeeded.class, Outcome.Failed.class, Outcome.Skipped.class,
        Outcome.Cancelled.class, Outcome.Omitted.class, Span.class, Subgraph.class), 80);
  }

  /**
   * The package's null policy holds for the public exceptions too, as it does for {@link
   * NodeException} and the outcomes: a null node, breaker or bulkhead name is refused.
   */
  @Test
  void publicExceptionConstructors_refuseNullNames_likeTheRestOfTheApi() throws Exception {
    assertNullsRefused(List.of(NodeTimeoutException.class, CircuitOpenException.class,
        BulkheadFullException.class, FanOutException.class), 5);
  }

  private static void assertNullsRefused(List<Class<?>> types, int atLeast) throws Exception {
    var problems = new ArrayList<String>();
    int calls = 0;
    for (var type : types) {
      var members = new ArrayList<Executable>(List.of(type.getMethods()));
      members.addAll(List.of(type.getConstructors()));
      for (var member : members) {
        var declaring = member.getDeclaringClass();
        if (!declaring.getPackageName().equals("dev.weft")
            || declaring.isRecord() && member instanceof Method) {
          continue; // Object's and Throwable's methods are not Weft's; records' are accessors
        }
        var params = member.getParameterTypes();
        for (int i = 0; i < params.length; i++) {
          if (params[i].isPrimitive() || nullAllowed(member, i)) {
            continue;
          }
          var world = new NullWorld();
          var args = new Object[params.length];
          for (int k = 0; k < params.length; k++) {
            args[k] = k == i ? null : world.valueOf(params[k]);
          }
          calls++;
          var problem = world.invoke(type, member, args);
          if (problem != null) {
            problems.add(member + " with null #" + i + ": " + problem);
          }
          problems.addAll(world.stillUsable(member + " with null #" + i));
        }
      }
    }
    assertTrue(calls >= atLeast, "only " + calls + " calls tried");
    assertEquals(List.of(), problems);
  }

  /** {@return whether the documentation allows {@code null} for parameter {@code i}} */
  private static boolean nullAllowed(Executable member, int i) {
    return member.getName().equals("orElse") // the fallback may be null
        || member.getName().equals("fallback") // so may a node's fallback value
        || member.getDeclaringClass() == Outcome.Succeeded.class && i == 1 // and a task's value
        || member.getDeclaringClass() == NodeTimeoutException.class && i == 3; // and a cause
  }

  /** A fresh builder, graph and result, and a valid argument for every parameter type. */
  private static final class NullWorld {
    final GraphBuilder g = Graph.builder("world");
    final Input<Long> in = g.input("in", Long.class);
    final Node<Long> base = g.task("base", in, x -> x);
    final List<String> names = new ArrayList<>();
    final GraphBuilder other = Graph.builder("other");
    final Input<Long> otherIn = other.input("otherIn", Long.class);
    final Node<Long> otherNode = other.task("otherNode", otherIn, x -> x + 1);
    final Graph graph = other.build();
    final RunResult result = graph.run(Inputs.of(otherIn, 1L));
    final Graph inner = Graph.builder("inner").build(); // no inputs: usable as any subgraph

    Object valueOf(Class<?> type) {
      if (type == int.class) {
        return 2;
      }
      if (type == double.class) {
        return 0.5;
      }
      if (type == long.class) {
        return 1L;
      }
      if (type == java.util.function.UnaryOperator.class) {
        return java.util.function.UnaryOperator.identity();
      }
      if (type == boolean.class) {
        return false;
      }
      if (type == String.class) {
        names.add("fresh" + names.size());
        return names.getLast();
      }
      if (type == Class.class) {
        return Long.class;
      }
      if (type == Input.class) {
        return in;
      }
      if (type == Node.class || type == Dep.class || type == Object.class) {
        return base;
      }
      if (type == Dep[].class) {
        return new Dep<?>[] {base};
      }
      if (type == List.class) {
        return List.of(base);
      }
      if (type == Inputs.class) {
        return Inputs.of(otherIn, 1L);
      }
      if (type == RunOptions.class) {
        return RunOptions.defaults();
      }
      if (type == Executor.class) {
        return (Executor) Runnable::run;
      }
      if (type == FailureMode.class) {
        return FailureMode.CONTINUE;
      }
      if (type.isEnum()) { // a breaker's State, a transition's Reason
        return type.getEnumConstants()[0];
      }
      if (type == Outcome.class) {
        return new Outcome.Cancelled<>("x", "a test");
      }
      if (type == Throwable.class) {
        return new IllegalStateException("x");
      }
      if (type == Duration.class) {
        return Duration.ofMillis(5);
      }
      if (type == Class[].class) {
        return new Class<?>[] {RuntimeException.class};
      }
      if (type == RetryPolicy.class) {
        return RetryPolicy.fixed(2, Duration.ofMillis(1));
      }
      if (type == CircuitBreaker.class) {
        return CircuitBreaker.builder("breaker").build();
      }
      if (type == Bulkhead.class) {
        return Bulkhead.builder("bulkhead").maxConcurrent(2).build();
      }
      if (type == AdaptiveLimit.class) {
        return AdaptiveLimit.of(2, 1, 4);
      }
      if (type == Criticality.class) {
        return Criticality.SHEDDABLE;
      }
      if (type == Bulkhead.LimitChange.Cause.class) {
        return Bulkhead.LimitChange.Cause.GROWTH;
      }
      if (type == Scheduler.class) {
        return Scheduler.system();
      }
      if (type == Subgraph.class) {
        return Subgraph.of(inner);
      }
      if (type == Graph.class) {
        return inner;
      }
      if (type.isInterface()) { // Callable, Predicate and the Fn shapes
        return Proxy.newProxyInstance(type.getClassLoader(),
            new Class<?>[] {type}, (proxy, method, args) -> switch (method.getName()) {
              case "toString" -> "task";
              case "hashCode" -> 0;
              case "equals" -> proxy == args[0];
              default -> method.getReturnType() == boolean.class ? (Object) true : 1L;
            });
      }
      throw new AssertionError("no argument for " + type);
    }

    Object instanceOf(Class<?> type) {
      if (type == GraphBuilder.class) {
        return g;
      }
      if (type == NodeBuilder.class) {
        return g.node((String) valueOf(String.class));
      }
      if (type == Graph.class) {
        return graph;
      }
      if (type == RunResult.class) {
        return result;
      }
      if (type == Subgraph.class) {
        return Subgraph.of(graph, otherNode);
      }
      if (type == FanOutException.class) {
        return new FanOutException("n", 0, new IllegalStateException("x"));
      }
      if (type == Inputs.class) {
        return Inputs.of(otherIn, 1L);
      }
      if (type == RunOptions.class) {
        return RunOptions.defaults();
      }
      if (type == Input.class) {
        return in;
      }
      if (type == Node.class) {
        return base;
      }
      if (type == NodeException.class) {
        return new NodeException(new Outcome.Cancelled<>("x", "a test"));
      }
      if (type == RetryPolicy.class || type == CircuitBreaker.class || type == Bulkhead.class
          || type == AdaptiveLimit.class) {
        return valueOf(type);
      }
      if (type == CircuitBreaker.Builder.class) {
        return CircuitBreaker.builder("breaker");
      }
      if (type == Bulkhead.Builder.class) {
        return Bulkhead.builder("bulkhead");
      }
      return null; // records: only their constructors are called
    }

    /** {@return null if the call threw a NullPointerException with a message} */
    String invoke(Class<?> type, Executable member, Object[] args)
        throws Exception {
      try {
        if (member instanceof Constructor<?> c) {
          c.newInstance(args);
        } else {
          var m = (Method) member;
          m.invoke(Modifier.isStatic(m.getModifiers()) ? null
              : instanceOf(type), args);
        }
        return "accepted null";
      } catch (InvocationTargetException e) {
        var cause = e.getCause();
        return cause instanceof NullPointerException && cause.getMessage() != null ? null
            : "threw " + cause;
      }
    }

    /** {@return what is wrong with the builder after the refused call} */
    List<String> stillUsable(String call) {
      var out = new ArrayList<String>();
      try {
        for (var name : names) {
          g.task(name, base, x -> x * 2); // the refused call must not have taken the name
        }
        var built = g.build();
        var r = built.run(Inputs.of(in, 21L));
        if (!r.succeeded() || r.get(base) != 21L) {
          out.add("after " + call + ": " + r);
        }
      } catch (RuntimeException e) {
        out.add("after " + call + " the builder is broken: " + e);
      }
      return out;
    }
  }
}
