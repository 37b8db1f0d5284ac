package dev.weft.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** JFR: one Weft run, from its start to its end; recorded at or above 1 ms by default. */
@Name("dev.weft.Run")
@Label("Weft Run")
@Category("Weft")
@Description("One run of a Weft graph")
@StackTrace(false)
@Threshold("1 ms")
public final class RunExecutionEvent extends jdk.jfr.Event {
  @Label("Graph")
  public String graph;

  @Label("Run Id")
  public long runId;

  @Label("Parent Run Id")
  @Description("The run whose node ran this run as a subgraph, or 0")
  public long parentRunId;

  @Label("Parent Node")
  @Description("The node of the parent run that ran this run as a subgraph, or empty")
  public String parentNode;

  @Label("Tasks")
  public int tasks;

  @Label("Failed")
  public int failed;

  @Label("Skipped")
  public int skipped;

  @Label("Cancelled")
  public int cancelled;

  @Label("Omitted")
  @Description("Nodes left out because their condition did not hold")
  public int omitted;

  @Label("Deadline Exceeded")
  public boolean deadlineExceeded;
}
