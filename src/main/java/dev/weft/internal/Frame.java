package dev.weft.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The per-thread scratch of one loop of a run: ended vertices to propagate, ready ones to run
 * here, and the thread as the loop found it. Confined to its thread.
 */
final class Frame {
  // Where TaskContext.current() finds the loop running on a thread. A thread-local costs a new
  // map on every fresh virtual thread (about 150 B and a weak reference per task in a fan-out),
  // so loops sit in a table indexed by a hash of their thread's id, claimed by CAS and checked by
  // thread on read; a loop whose slot is held by another live thread falls back to the
  // thread-local. Only a slot's own thread writes it once claimed, and reads its own writes.
  private static final int SLOTS = 1 << 12;
  private static final Frame[] BY_THREAD = new Frame[SLOTS];
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Frame[].class);
  private static final ThreadLocal<Frame> OVERFLOW = new ThreadLocal<>();

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

  // the run this loop works for, and the task running now: its key in site (the run's vertices
  // when site is null, else a fan-out's elements), or -1. For TaskContext.current().
  final Run<?> run;
  Attempts site;
  int current = -1;

  Frame(Run<?> run, boolean inline) {
    this.run = run;
    this.inline = inline;
  }

  // set by enter(): whether this loop sits in the table (else in OVERFLOW), and what it replaced
  private boolean inTable;
  private Frame outer;

  private static int slot(Thread thread) {
    long id = thread.threadId();
    return (int) (id ^ (id >>> 12)) * 0x9E3779B9 >>> 20; // 12 bits, scattered: ids are dense
  }

  /** Makes this the thread's current loop, until {@link #leave}; a nested run's loop replaces. */
  void enter() {
    int i = slot(thread);
    var held = (Frame) SLOT.getVolatile(BY_THREAD, i);
    if (held != null && held.thread == thread) {
      outer = held; // a task of another run on this thread starts this run
      inTable = true;
      SLOT.setVolatile(BY_THREAD, i, this);
    } else if (held == null && SLOT.compareAndSet(BY_THREAD, i, null, this)) {
      inTable = true;
    } else {
      outer = OVERFLOW.get();
      OVERFLOW.set(this);
    }
  }

  /** Puts back what {@link #enter} replaced. */
  void leave() {
    if (inTable) {
      SLOT.setVolatile(BY_THREAD, slot(thread), outer);
    } else {
      OVERFLOW.set(outer); // not remove(): on a reused thread the next set would allocate again
    }
  }

  /** {@return the loop running on this thread, or null} */
  static Frame current() {
    var thread = Thread.currentThread();
    var held = (Frame) SLOT.getVolatile(BY_THREAD, slot(thread));
    // A loop in the table is the innermost: a nested run's loop replaces it there, and one that
    // overflowed can only be outside it (it entered while another thread held the slot).
    return held != null && held.thread == thread ? held : OVERFLOW.get();
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

  /**
   * {@return the next vertex this loop runs, or -1} Handed-back ones first: inline tasks are
   * cheap and must not wait behind an ordinary task this thread keeps for itself, which may block
   * (their own dependents would wait with them); the kept one runs once they are done.
   */
  int next() {
    if (handedBack != null) {
      int v = handedBack.pop();
      if (v >= 0) {
        return v;
      }
    }
    int v = nextVertex;
    nextVertex = -1;
    return v;
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
        if (run.countQueued) {
          run.exit(); // the submitter's loop runs it, and is counted already
        }
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
