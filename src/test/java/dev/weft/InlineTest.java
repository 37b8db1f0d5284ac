package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@link NodeBuilder#inline()}: cheap tasks run on the thread that made them ready. */
class InlineTest {
  @Test
  void inlineTask_runsOnTheThreadThatEndedItsLastDependency() {
    var threads = new ConcurrentHashMap<String, Thread>();
    var g = Graph.builder("inline");
    Node<Integer> fetch = g.task("fetch", () -> {
      threads.put("fetch", Thread.currentThread());
      return 1;
    });
    Node<Integer> compute = g.node("compute").inline().call(fetch, x -> {
      threads.put("compute", Thread.currentThread());
      return x + 1;
    });
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    assertEquals(2, result.get(compute));
    assertSame(threads.get("fetch"), threads.get("compute"));
  }

  @Test
  void inlineRoot_runsOnTheCallersThreadInsideRunAsync() throws Exception {
    var ranOn = new ArrayList<Thread>();
    var g = Graph.builder("inline-root");
    Input<Integer> in = g.input("in", Integer.class);
    Node<Integer> twice = g.node("twice").inline().call(in, x -> {
      ranOn.add(Thread.currentThread());
      return 2 * x;
    });
    var graph = g.build();

    var future = graph.runAsync(Inputs.of(in, 21));

    assertEquals(List.of(Thread.currentThread()), ranOn, "should have run before runAsync returned");
    assertTrue(future.isDone());
    assertEquals(42, future.get().get(twice));
  }

  @Test
  void inlineSiblings_runOneAfterAnother_whileOrdinarySiblingsRunConcurrently() throws Exception {
    int width = 8;
    var allBlocked = new CountDownLatch(width);
    var threads = ConcurrentHashMap.<Thread>newKeySet();
    var inlineThreads = ConcurrentHashMap.<Thread>newKeySet();
    var g = Graph.builder("mixed");
    Node<Integer> root = g.task("root", () -> 0);
    var nodes = new ArrayList<Node<Integer>>();
    for (int i = 0; i < width; i++) {
      nodes.add(g.task("blocking" + i, root, x -> {
        threads.add(Thread.currentThread());
        allBlocked.countDown();
        assertTrue(allBlocked.await(10, SECONDS), "ordinary siblings must overlap");
        return 1;
      }));
      nodes.add(g.node("cheap" + i).inline().call(root, x -> {
        inlineThreads.add(Thread.currentThread());
        return 1;
      }));
    }
    Node<Integer> sum = g.task("sum", nodes, ctx -> nodes.stream().mapToInt(ctx::get).sum());
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    assertEquals(2 * width, result.get(sum));
    assertEquals(width, threads.size(), "each blocking sibling on its own virtual thread");
    assertEquals(1, inlineThreads.size(), "inline siblings all on the thread that ended root");
  }

  @Test
  void inlineTask_withTimeout_isStillInterruptedAndFails() {
    var g = Graph.builder("inline-timeout");
    Node<Integer> root = g.task("root", () -> 1);
    Node<Integer> slow = g.node("slow").inline().timeout(Duration.ofMillis(20))
        .call(root, x -> {
          Thread.sleep(60_000);
          return x;
        });
    Node<Integer> after = g.task("after", root, x -> x + 1);
    var graph = g.build();

    var result = graph.run(Inputs.empty());

    var failed = assertInstanceOf(Outcome.Failed.class, result.outcome(slow));
    assertInstanceOf(NodeTimeoutException.class, failed.error());
    assertEquals(2, result.get(after));
  }

  /**
   * A thread that ends a task keeps one ordinary dependent for itself; the inline ones it runs
   * first, so what depends on them is handed on before the kept task blocks.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("dev.weft.testing.Executors#concurrent")
  void inlineDependents_runBeforeTheOrdinaryOneTheThreadKeeps(java.util.concurrent.Executor
      executor) throws Exception {
    var dStarted = new CountDownLatch(1);
    var g = Graph.builder("inline-first").options(RunOptions.defaults().withExecutor(executor));
    Node<Integer> root = g.task("root", () -> 1);
    Node<Boolean> b = g.task("b", root, x -> dStarted.await(10, SECONDS)); // blocks until d runs
    Node<Integer> c = g.node("c").inline().call(root, x -> x + 1);
    Node<Integer> d = g.task("d", c, x -> {
      dStarted.countDown();
      return x + 1;
    });
    var result = g.build().run(Inputs.empty());

    assertEquals(3, result.get(d));
    assertTrue(result.get(b), "d should have started while b was blocked, not after it");
  }
}
