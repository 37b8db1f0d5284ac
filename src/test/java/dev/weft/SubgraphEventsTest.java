package dev.weft;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
