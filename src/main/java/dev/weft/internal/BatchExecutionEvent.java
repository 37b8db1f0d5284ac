package dev.weft.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * JFR: one call of a loader's batch function, on the thread that made it. Recorded whatever its
 * duration: there are few of them, one per loader and round.
 */
@Name("dev.weft.BatchExecution")
@Label("Weft Batch Execution")
@Category("Weft")
@Description("One call of a Weft loader's batch function")
@StackTrace(false)
@Threshold("0 ms")
public final class BatchExecutionEvent extends jdk.jfr.Event {
  @Label("Loader")
  public String loader;

  @Label("Graph")
  public String graph;

  @Label("Run Id")
  @Description("The run that sent the call (for a call shared across runs, the first of them)")
  public long runId;

  @Label("Round")
  public int round;

  @Label("Key Count")
  public int keyCount;

  @Label("Keys")
  @Description("The keys, as text; cut after 20")
  public String keys;

  @Label("Attempts")
  public int attempts;

  @Label("Shared")
  public boolean shared;

  @Label("Outcome")
  @Description("succeeded, failed or cancelled")
  public String outcome;
}
