package dev.weft;

import dev.weft.internal.trace.ChromeJson;
import dev.weft.internal.trace.Dot;
import dev.weft.internal.trace.Mermaid;
import dev.weft.internal.trace.PathText;
import dev.weft.internal.trace.Shape;
import dev.weft.internal.trace.TextWaterfall;
import dev.weft.internal.trace.Timeline;
import dev.weft.internal.trace.Waterfall;
import java.time.Duration;
import java.util.List;

/**
 * Where the time of one run went: every task's {@link Span}, the critical path, and pictures of
 * the run. Obtained from {@link RunResult#trace()}.
 *
 * <pre>{@code
 * Trace trace = result.trace();
 * System.out.println(trace.criticalPathText());
 * Files.writeString(dir.resolve("trace.json"), trace.toChromeJson());   // Perfetto
 * Files.writeString(dir.resolve("waterfall.html"), trace.toHtml());     // any browser, offline
 * }</pre>
 *
 * <h2>Critical path</h2>
 * The chain of tasks that made the run as long as it was: it ends with the task that ended last,
 * and before each task comes the dependency that ended last, the one it was waiting for. Each
 * step's {@link Span#queued()} is its wait between becoming ready and starting, and its
 * {@link Span#ran()} its own time; the steps' times add up to the run's length, less the gaps
 * between a dependency's end and its dependent's readiness (nanoseconds of bookkeeping).
 *
 * <p>The path descends into what ran inside its steps: after a fan-out node comes the element
 * that ended last (ties to the lower index), and after a subgraph node the inner run's own
 * critical path, found by the same rule on the inner graph's dependencies; both recursively, so
 * an element that ran a subgraph is followed by that run's path. Those steps take place within
 * their node's time and are not added to the path's length again. In {@link #criticalPathText()}
 * they are named by their path: {@code photos[3]}, {@code host › profile}, {@code photos[3] ›
 * resize}.
 *
 * <h2>Batch calls</h2>
 * A run that loaded through {@link BatchLoader}s has its calls ({@link #batches()}) in every
 * picture of it: each named {@code users#2} (the loader, then its number among the loader's calls
 * in the order they started), beside the tasks, with the tasks that waited for it; and each task
 * that waited shows the calls it waited for. A call is no task: it is never on the critical
 * path, but a step of the path that waited for calls names them. A loader's name and its keys'
 * {@code toString} are escaped in every export like a node's name. A run that loaded nothing is
 * drawn exactly as if there were no loaders.
 *
 * <p>Immutable and thread-safe; the exports are computed on each call.
 *
 * <p>Nothing here throws: a run with failures, skips or cancellations is drawn with them.
 */
public final class Trace {
  private final Timeline run;
  private final List<Span> spans;
  private final List<Span> criticalPath;

  /** A trace of one run; {@code spans} has the span of each task by vertex, null for inputs. */
  Trace(Shape shape, long runId, Duration elapsed, Span[] spans) {
    this(shape, runId, elapsed, spans, List.of());
  }

  /**
   * A trace of one run that made the batch calls {@code batches} ({@link RunResult#batches()});
   * {@code spans} has the span of each task by vertex, null for inputs.
   */
  Trace(Shape shape, long runId, Duration elapsed, Span[] spans, List<Batch> batches) {
    this.run = Timeline.of(shape, runId, elapsed, spans, batches);
    this.spans = run.spans();
    this.criticalPath = run.criticalPath();
  }

  /** {@return the graph's name} */
  public String graph() {
    return run.shape().graph();
  }

  /** {@return the run's id} */
  public long runId() {
    return run.runId();
  }

  /** {@return how long the run took} */
  public Duration elapsed() {
    return run.elapsed();
  }

  /** {@return every task's span, in the order they started} */
  public List<Span> spans() {
    return spans;
  }

  /**
   * {@return every call of a batch loader's function made for the run, in the order they started;
   * empty if it loaded nothing}
   */
  public List<Batch> batches() {
    return run.calls().list().stream().map(c -> c.batch()).toList();
  }

  /**
   * {@return the critical path, first task first, with the steps inside a fan-out or subgraph
   * node right after it (see above); empty for a run without tasks}
   */
  public List<Span> criticalPath() {
    return criticalPath;
  }

  /**
   * {@return the critical path as text, one step a line, e.g.}
   *
   * <pre>
   * critical path of run 7 of graph 'listing-page': 88.9 ms of 89.1 ms
   *   listing         ran  31.2 ms  queued 0.104 ms  succeeded
   *   host            ran  50.3 ms  queued 0.097 ms  succeeded
   *   host › profile  ran  30.1 ms  queued 0.041 ms  succeeded
   *   host › card     ran  19.9 ms  queued 0.006 ms  succeeded
   *   page            ran 0.874 ms  queued 0.012 ms  succeeded
   * </pre>
   *
   * A step that waited for batch calls names them after its outcome: {@code waited for
   * users#1}.
   */
  public String criticalPathText() {
    return PathText.render(run);
  }

  /**
   * {@return the run as a plain-text waterfall, for logs and terminals} A row per task in the
   * order they started, what ran inside it indented under it ({@code photos[3]}, {@code host ›
   * profile}), then under {@code batch calls} a row per call ({@code users#2 round 1, 12 keys});
   * each row has its outcome, its time and a bar on an axis common to all. In the bars {@code .}
   * is a task's wait for a thread, {@code #} its run, {@code ~} the part of its run a batch call
   * it waited for took, {@code =} a call, {@code |} a task that never ran; {@code *} before a row
   * marks the critical path. After the bar, a task that waited for calls names them ({@code
   * waited for users#1}), a call the tasks that waited for it ({@code for reviews, photos[3]}), a
   * task that never ran why. Control characters in names are shown as spaces, so each row is one
   * line; the text is the same whatever the default locale.
   */
  public String toText() {
    return TextWaterfall.render(run);
  }

  /**
   * {@return the run as Chrome trace-event JSON: one track per thread, one slice per task with
   * its outcome, attempts, wait and thread as arguments; after them a track per batch loader, one
   * slice per call with its round, keys, outcome and waiters as arguments} Opens in
   * https://ui.perfetto.dev (drag the file in) and chrome://tracing.
   */
  public String toChromeJson() {
    return ChromeJson.render(run);
  }

  /**
   * {@return the run as Graphviz DOT: the graph with each node coloured by its outcome and the
   * critical path drawn bold; each batch loader a cylinder with its calls, a dashed edge to each
   * node that waited for them} Render with {@code dot -Tsvg run.dot -o run.svg}.
   */
  public String toDot() {
    return Dot.run(run);
  }

  /** {@return the run as a Mermaid flowchart, coloured like {@link #toDot()}} */
  public String toMermaid() {
    return Mermaid.run(run);
  }

  /**
   * {@return one self-contained HTML page (no scripts or styles from the network) showing a
   * waterfall: a bar per task from ready to end, its wait and its run distinct, the critical path
   * marked, details on hover; then a bar per batch call with the tasks that waited for it, whose
   * own bars mark the wait}
   */
  public String toHtml() {
    return Waterfall.render(run);
  }

  @Override
  public String toString() {
    return "Trace[graph=" + graph() + ", run=" + runId() + ", " + spans.size()
        + " tasks, elapsed=" + elapsed() + "]";
  }
}
