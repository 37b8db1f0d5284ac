package dev.weft.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * JFR: one attempt of one task of a Weft run, on the thread that ran it, so that execution
 * samples of that thread in that interval can be attributed to the node. Recorded at or above
 * 1 ms by default; lower the threshold to see every attempt.
 */
@Name("dev.weft.NodeExecution")
@Label("Weft Node Execution")
@Category("Weft")
@Description("One attempt of a task of a Weft run")
@StackTrace(false)
@Threshold("1 ms")
public final class NodeExecutionEvent extends jdk.jfr.Event {
  @Label("Graph")
  public String graph;

  @Label("Node")
  public String node;

  @Label("Element")
  @Description("The index of the fan-out element this attempt ran, or -1 for the node itself")
  public int element;

  @Label("Run Id")
  public long runId;

  @Label("Parent Run Id")
  @Description("The run whose node ran this run as a subgraph, or 0")
  public long parentRunId;

  @Label("Attempt")
  public int attempt;

  @Label("Hedge")
  @Description("Which of a hedged attempt's calls this is: 0 the first, 1, 2, ... the hedges; "
      + "-1 when the node is not hedged")
  public int hedge;

  @Label("Outcome")
  @Description("succeeded, failed or cancelled")
  public String outcome;
}
