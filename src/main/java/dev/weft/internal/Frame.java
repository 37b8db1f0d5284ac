package dev.weft.internal;

/**
 * The per-thread scratch of one loop of a run: ended vertices to propagate, ready ones to run
 * here, and the thread as the loop found it. Confined to its thread.
 */
final class Frame {
  // the loop running on this thread, set once per loop: what TaskContext.current() reads
  private static final ThreadLocal<Frame> CURRENT = new ThreadLocal<>();

  // false for the caller's frame, in runAsync; true for a thread of the executor
  final boolean inline;
  final IntStack ended = new IntStack();
  private IntStack handedBack;
  int nextVertex = -1;
  // vertices this thread ended and has not yet subtracted from the run's remaining count
  int finished;
  // when this thread ended its last task, reused as the next task's start time (0: unknown)
  long clock;
  // the thread running this loop, and its name and context class loader before the first task:
  // each task gets the thread as the loop found it (see restoreThread)
  final Thread thread = Thread.currentThread();
  final String threadName = thread.getName();
  final ClassLoader loader = thread.getContextClassLoader();
  // Only the caller's frame: its thread runs inline tasks (all tasks, with a synchronous
  // executor), and must go back to the caller with the caller's interrupt status. An interrupt
  // found before a task is the caller's unless the last task left it; one found at the end is
  // cleared only if the last task left it. (An outside interrupt landing while a task runs on
  // the caller's thread is that task's to see, and is not told apart from what it leaves.)
  boolean callerInterrupted;
  boolean taskLeftInterrupt;

  // the run this loop works for, and the vertex whose task runs now, or -1: TaskContext.current()
  final Run<?> run;
  int current = -1;

  Frame(Run<?> run, boolean inline) {
    this.run = run;
    this.inline = inline;
  }

  /** Makes this the thread's current loop. {@return the loop it replaces, for {@link #leave}} */
  Frame enter() {
    var outer = CURRENT.get();
    CURRENT.set(this);
    return outer;
  }

  /** Puts back the loop {@link #enter} replaced. */
  static void leave(Frame outer) {
    CURRENT.set(outer); // not remove(): on a reused thread the next set would allocate again
  }

  /** {@return the loop running on this thread, or null} */
  static Frame current() {
    return CURRENT.get();
  }

  /**
   * Undoes what a task did to its thread's name or context class loader, so the next task run
   * here, or the caller's thread, does not inherit it. Thread-locals are the task's own (or a
   * {@link dev.weft.ContextPropagator}'s): the engine cannot know which are meant to last.
   */
  void restoreThread() {
    if (thread.getName() != threadName) {
      thread.setName(threadName);
    }
    if (thread.getContextClassLoader() != loader) {
      thread.setContextClassLoader(loader);
    }
  }

  /** Gives the caller's thread back with the caller's interrupt status, not a task's. */
  void returnCallerThread() {
    if (taskLeftInterrupt) {
      Thread.interrupted();
    }
    if (callerInterrupted) {
      Thread.currentThread().interrupt();
    }
  }

  void handBack(int v) {
    if (handedBack == null) {
      handedBack = new IntStack();
    }
    handedBack.push(v);
  }

  int next() {
    int v = nextVertex;
    if (v >= 0) {
      nextVertex = -1;
      return v;
    }
    return handedBack == null ? -1 : handedBack.pop();
  }

  /** A vertex handed to the executor. */
  static final class Worker implements Runnable {
    private final Run<?> run;
    private final int vertex;
    private final Thread submitter;
    // set while the submitter is inside execute(); read racily, see run()
    Frame handBack;

    Worker(Run<?> run, int vertex, Thread submitter, Frame handBack) {
      this.run = run;
      this.vertex = vertex;
      this.submitter = submitter;
      this.handBack = handBack;
    }

    @Override
    public void run() {
      var frame = handBack;
      // Run by the submitting thread inside execute(): a synchronous executor. Give the vertex
      // back to the submitter's loop instead of recursing.
      if (frame != null && submitter == Thread.currentThread()) {
        frame.handBack(vertex);
      } else {
        run.work(vertex);
      }
    }

    @Override
    public String toString() {
      return "weft task '" + run.plan.name(vertex) + "' of run " + run.id;
    }
  }
}
