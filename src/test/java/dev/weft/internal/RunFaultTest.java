package dev.weft.internal;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** White-box: a fault inside the engine itself still completes the run's future. */
class RunFaultTest {
  private static Plan twoTasks() {
    var b = new PlanBuilder("faulty");
    int a = b.declare("a", false, null);
    int c = b.declare("c", false, null);
    b.define(a, new int[0], new EdgeKind[0], null, (run, v) -> 1);
    b.define(c, new int[] {a}, new EdgeKind[] {EdgeKind.REQUIRED}, new Object[1], (run, v) -> 2);
    return b.compile();
  }

  private static <R> Settings<R> settings(Executor executor) {
    return new Settings<>(executor, false, dev.weft.Scheduler.system(), false, 0, null,
        new dev.weft.ContextPropagator[0]);
  }

  @Test
  void faultWhileCompletingTheRun_completesTheFutureExceptionally() throws Exception {
    var bug = new IllegalStateException("bug in the result factory");
    Executor virtual = Thread::startVirtualThread;

    var future = Run.start(twoTasks(), new Object[2], settings(virtual), run -> {
      throw bug;
    });

    var e = assertThrows(ExecutionException.class, () -> future.get(10, SECONDS));
    var fault = assertInstanceOf(IllegalStateException.class, e.getCause());
    assertTrue(fault.getMessage().contains("graph 'faulty'"), fault.getMessage());
    assertSame(bug, fault.getCause());
  }

  @Test
  void faultOnTheCallersThread_completesTheFutureExceptionally() {
    var bug = new IllegalStateException("bug");

    var future = Run.start(twoTasks(), new Object[2], settings(Runnable::run), run -> {
      throw bug;
    });

    assertTrue(future.isCompletedExceptionally());
    var e = assertThrows(ExecutionException.class, future::get);
    assertSame(bug, e.getCause().getCause());
  }

  @Test
  void plan_recordsWhichFailuresAreAbsorbedByOptionalEdges() {
    var b = new PlanBuilder("absorb");
    int up = b.declare("up", false, null);
    int soft = b.declare("soft", false, null);
    int hard = b.declare("hard", false, null);
    b.define(up, new int[0], new EdgeKind[0], null, (run, v) -> 1);
    b.define(soft, new int[] {up}, new EdgeKind[] {EdgeKind.OPTIONAL}, new Object[1], (run, v) -> 2);
    b.define(hard, new int[] {soft}, new EdgeKind[] {EdgeKind.REQUIRED}, new Object[1], (run, v) -> 3);
    var plan = b.compile();

    assertTrue(plan.absorbs[up], "every dependent of 'up' reads it optionally");
    assertEquals(false, plan.absorbs[soft]);
    assertEquals(false, plan.absorbs[hard], "a sink absorbs nothing");
  }
}
