package dev.weft.internal;

import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

/**
 * Whether Weft's JFR events would be recorded now, asked without initialising JFR. The first use
 * of any {@code jdk.jfr.Event} subclass initialises JFR's internals, which took 0.7 to 1.4 s on
 * the first run of a graph on the 2-core test machine while nothing recorded; with a recording
 * running (JFR initialised), it takes about 10 ms. So the events' classes are touched only once
 * JFR is initialised: until a recording starts, a run creates no event at all. They register
 * when JFR initialises (a listener, which costs no initialisation itself), so a recording's first
 * events find their types and threads described. Thread-safe.
 */
public final class Jfr {
  private Jfr() {}

  static {
    FlightRecorder.addListener(new FlightRecorderListener() {
      @Override
      public void recorderInitialized(FlightRecorder recorder) {
        Probes.NODE.getClass(); // registers Weft's event types as JFR comes up
      }
    });
  }

  /** The probes, created on first use once JFR is up: an event's class registers it. */
  private static final class Probes {
    static final NodeExecutionEvent NODE = new NodeExecutionEvent();
    static final RunExecutionEvent RUN = new RunExecutionEvent();
    static final BatchExecutionEvent BATCH = new BatchExecutionEvent();
  }

  /** {@return whether {@code dev.weft.NodeExecution} events are recorded now} */
  public static boolean nodes() {
    return FlightRecorder.isInitialized() && Probes.NODE.isEnabled();
  }

  /** {@return whether {@code dev.weft.Run} events are recorded now} */
  public static boolean runs() {
    return FlightRecorder.isInitialized() && Probes.RUN.isEnabled();
  }

  /** {@return whether {@code dev.weft.BatchExecution} events are recorded now} */
  public static boolean batches() {
    return FlightRecorder.isInitialized() && Probes.BATCH.isEnabled();
  }
}
