package dev.weft.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.FailureMode;
import dev.weft.Outcome;
import dev.weft.RunOptions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The probe's interrupt checks and the harness's safe texts, on task bodies called directly on
 * this thread (no engine): a check that cannot fire, or fires when it should not, would make the
 * properties that rely on it mean nothing.
 */
class ProbeTest {
  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  private static Probe probe(Behaviour... behaviours) {
    var nodes = new java.util.ArrayList<Dag.Spec>();
    for (int v = 0; v < behaviours.length; v++) {
      nodes.add(new Dag.Spec("n" + v, false, behaviours[v], List.of(), 7 + v, false, v));
    }
    return Probe.plain(new Dag(nodes, false));
  }

  @Test
  void aTaskStartingInterrupted_isAViolation_namingTheTaskThatLeftIt() throws Exception {
    var p = probe(Behaviour.RESTORE_INTERRUPT, Behaviour.RETURN);
    p.starting(RunOptions.defaults());
    assertEquals(Dag.mix(7, List.of()), p.body(0, List.of()));
    assertTrue(Thread.currentThread().isInterrupted(), "RESTORE_INTERRUPT leaves it set");
    p.body(1, List.of());
    assertEquals(1, p.violations().size(), p.violations().toString());
    var violation = p.violations().getFirst();
    assertTrue(violation.startsWith("n1: it started") && violation.contains("n0 (RESTORE"),
        violation);
  }

  @Test
  void aTaskStartingInterrupted_isRight_onceTheRunMayBeCancelled() throws Exception {
    var p = probe(Behaviour.RETURN, Behaviour.THROW_UNCHECKED, Behaviour.RETURN);
    p.starting(RunOptions.defaults().withFailureMode(FailureMode.FAIL_FAST));
    Thread.currentThread().interrupt();
    p.body(0, List.of()); // nothing failed yet: a leak
    Thread.interrupted();
    assertThrows(Behaviour.InjectedRuntimeException.class, () -> p.body(1, List.of()));
    Thread.currentThread().interrupt();
    p.body(2, List.of()); // after a failure, fail-fast may have interrupted it
    assertEquals(1, p.violations().size(), p.violations().toString());
    assertTrue(p.violations().getFirst().startsWith("n0: "), p.violations().toString());

    var cancelled = probe(Behaviour.RETURN);
    cancelled.starting(RunOptions.defaults());
    cancelled.cancellationMayFollow();
    Thread.currentThread().interrupt();
    cancelled.body(0, List.of());
    assertEquals(List.of(), cancelled.violations());
  }

  @Test
  void returnOnInterrupt_returnsItsValueAtOnce_withTheInterruptRestored() throws Exception {
    var p = probe(Behaviour.RETURN_ON_INTERRUPT);
    p.starting(RunOptions.defaults());
    p.cancellationMayFollow();
    Thread.currentThread().interrupt();
    assertEquals(Dag.mix(7, List.of()), p.body(0, List.of()));
    assertTrue(Thread.currentThread().isInterrupted());
    assertTrue(p.returnedInterrupted(0) && p.hasReturned(0) && p.thrown(0) == null);
  }

  @Test
  void anInterruptLeftOnTheCallersThread_isClearedWhenATaskLeftItOnPurpose() throws Exception {
    var p = probe(Behaviour.RESTORE_INTERRUPT, Behaviour.RETURN);
    p.starting(RunOptions.defaults());
    p.body(0, List.of());
    p.clearInterruptLeftHere(false);
    assertFalse(Thread.currentThread().isInterrupted());
    assertEquals(List.of(), p.violations());

    p.body(1, List.of());
    Thread.currentThread().interrupt(); // not by the task
    p.clearInterruptLeftHere(false);
    assertFalse(Thread.currentThread().isInterrupted());
    assertEquals(1, p.violations().size(), p.violations().toString());
  }

  @Test
  void anOpaqueFailure_isDescribedAndPrintedWithoutItsMessage() {
    var opaque = Behaviour.THROW_OPAQUE.failure("n3");
    assertThrows(IllegalStateException.class, opaque::getMessage);
    assertThrows(IllegalStateException.class, opaque::getLocalizedMessage);
    assertThrows(IllegalStateException.class, opaque::toString);
    assertEquals("OpaqueFailure in n3", ReferenceExecutor.describe(opaque));
    var text = SafeText.of(List.of(new Outcome.Failed<Long>("n3", opaque)));
    assertTrue(text.startsWith("[Failed[node=n3, error=dev.weft.testing.Behaviour$OpaqueFailure"),
        text);
    assertEquals("Failed[node=n4, error=java.lang.IllegalStateException: x]",
        SafeText.of(new Outcome.Failed<Long>("n4", new IllegalStateException("x"))));
  }
}
