package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The events of a subgraph node's inner run, seen by the outer run's listeners. */
class SubgraphEventsTest {
  /**
   * A subgraph node stopped before its inner run began (here: cancelled by a listener of its own
   * NodeStarted, on its thread) still gives that run RunStarted first, no events for its inputs,
   * and one RunEnded. Found by the property harness: the inner run was adopted, and so
   * cancelled, before it had reported RunStarted and given its inputs their values.
   */
  @Test
  void innerRunStoppedBeforeItBegan_reportsRunStartedFirst_andNoEventsForItsInputs()
      throws Exception {
    var ig = Graph.builder("inner");
    Input<Integer> in = ig.input("in", Integer.class);
    Node<Integer> twice = ig.task("twice", in, x -> 2 * x);
    var inner = ig.build();

    var started = new CompletableFuture<CompletableFuture<RunResult>>();
    var innerEvents = Collections.synchronizedList(new ArrayList<RunEvent>());
    var ended = new CompletableFuture<RunResult>();
    var g = Graph.builder("outer").options(RunOptions.defaults().withListener(e -> {
      if (e.graph().equals("inner")) {
        innerEvents.add(e);
      }
      if (e instanceof RunEvent.NodeStarted s && s.node().equals("host")) {
        started.join().cancel(true); // on the node's thread, before its inner run starts
      }
      if (e instanceof RunEvent.RunEnded end && end.graph().equals("outer")) {
        ended.complete(end.result());
      }
    }));
    Input<Integer> x = g.input("x", Integer.class);
    Node<Integer> host = g.node("host").subgraph(Subgraph.of(inner, twice).bind(in, x));
    var future = g.build().runAsync(Inputs.of(x, 21));
    started.complete(future);
    var result = ended.get(10, SECONDS);

    assertInstanceOf(Outcome.Cancelled.class, result.outcome(host));
    List<RunEvent> events;
    synchronized (innerEvents) {
      events = List.copyOf(innerEvents);
    }
    if (!events.isEmpty()) { // an inner run that never began may report nothing at all
      assertInstanceOf(RunEvent.RunStarted.class, events.getFirst(), events.toString());
      assertInstanceOf(RunEvent.RunEnded.class, events.getLast(), events.toString());
      assertTrue(events.stream().noneMatch(e -> e instanceof RunEvent.NodeEnded n
          && n.node().equals("in")), "an input has events: " + events);
      assertEquals(1, events.stream().filter(e -> e instanceof RunEvent.RunEnded).count());
    }
  }

  /**
   * A run's result does not change once it completed: a subgraph node cut off at the deadline
   * (its inner task ignores the interrupt) has the same span, children included, before and
   * after its inner run ends, and the same as its NodeEnded's. Found by the property harness
   * (DeadlinePropertiesTest, seed 2206901387227059829): the children appeared once the
   * straggling inner run ended. Which of the two runs' cut-offs comes first is a race, so this
   * test catches the bug only when the inner one is later.
   */
  @Test
  void subgraphNodeCutOffAtTheDeadline_keepsItsSpan_whenItsInnerRunEndsLater() throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    var ig = Graph.builder("inner");
    ig.task("stubborn", () -> {
      while (release.getCount() > 0) {
        try {
          release.await();
        } catch (InterruptedException ignored) {
          // a task that ignores interrupts
        }
      }
      return 1;
    });
    Node<Integer> quick = ig.task("quick", () -> 2);
    var inner = ig.build();
    var innerEnded = new CompletableFuture<Void>();
    var nodeEnded = new CompletableFuture<Span>();
    var g = Graph.builder("outer").options(RunOptions.defaults().withListener(e -> {
      if (e instanceof RunEvent.RunEnded && e.graph().equals("inner")) {
        innerEnded.complete(null);
      }
      if (e instanceof RunEvent.NodeEnded n && n.node().equals("host")) {
        nodeEnded.complete(n.span());
      }
    }));
    g.node("host").subgraph(Subgraph.of(inner, quick));
    try {
      var result = g.build().run(Inputs.empty(), o -> o.withDeadline(Duration.ofMillis(20)));
      var before = result.spans();
      release.countDown();
      innerEnded.get(10, SECONDS);

      assertTrue(result.deadlineExceeded());
      assertEquals(before, result.spans());
      assertEquals(nodeEnded.get(10, SECONDS), result.spans().getFirst());
    } finally {
      release.countDown();
    }
  }
}
