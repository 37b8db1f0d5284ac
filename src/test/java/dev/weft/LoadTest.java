package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Load: many concurrent runs of one 20-node I/O-bound graph (every task sleeps, as if calling a
 * service), started from many caller threads. Every run must complete with the right page, and
 * once the results are dropped nothing may keep a run alive. The first task of every run waits
 * until the first task of every other run has started, so all runs are provably in flight at
 * once. A slice runs in CI; the {@code stress} tag runs 10,000 runs ({@code mvn test -Pstress}).
 */
class LoadTest {
  private static final long BOUND_SECONDS = 120;

  /** One request: its id, and a payload that makes a retained run visible in the heap. */
  record Request(long id, byte[] payload) {}

  /** A run started for request {@code id}. */
  record Pending(long id, CompletableFuture<RunResult> future) {}

  /** The graph: listing, 4 services on it, 3 calls per service, 2 combiners and the page. */
  static final class Hydration {
    final Graph graph;
    final Input<Request> request;
    final Node<Long> page;
    final AtomicLong tasksRun = new AtomicLong();
    volatile CountDownLatch allArrived = new CountDownLatch(0);

    Hydration() {
      var g = Graph.builder("load-page");
      request = g.input("request", Request.class);
      Node<Long> listing = g.task("listing", request, r -> {
        // every run's first task waits for every other run's: all runs are in flight at once
        allArrived.countDown();
        if (!allArrived.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
          throw new IllegalStateException("not every run started within the bound");
        }
        return call(r.id() * 31, 1);
      });
      var calls = new ArrayList<Node<Long>>();
      for (int s = 0; s < 4; s++) {
        long k = s;
        Node<Long> service = g.task("service-" + s, listing, l -> call(l + k, 1 + k % 3));
        for (int c = 0; c < 3; c++) {
          long j = c;
          calls.add(g.task("call-" + s + "-" + c, service, v -> call(v * 7 + j, 1 + j)));
        }
      }
      var left = calls.subList(0, 6);
      var right = calls.subList(6, 12);
      Node<Long> sumLeft = g.task("left", left, ctx -> call(sum(ctx, left), 1));
      Node<Long> sumRight = g.task("right", right, ctx -> call(sum(ctx, right), 1));
      page = g.task("page", sumLeft, sumRight, (a, b) -> call(a * 1_000_003 + b, 1));
      graph = g.build();
    }

    private long call(long value, long millis) throws InterruptedException {
      Thread.sleep(millis); // the task's I/O
      tasksRun.incrementAndGet();
      return value;
    }

    private static long sum(TaskContext ctx, List<Node<Long>> nodes) {
      long sum = 0;
      for (var n : nodes) {
        sum += ctx.get(n);
      }
      return sum;
    }

    /** {@return the page the graph computes for {@code id}, computed directly} */
    static long expected(long id) {
      long listing = id * 31;
      long[] halves = new long[2];
      for (int s = 0; s < 4; s++) {
        for (int c = 0; c < 3; c++) {
          halves[s / 2] += (listing + s) * 7 + c;
        }
      }
      return halves[0] * 1_000_003 + halves[1];
    }
  }

  @Test
  void aThousandConcurrentRuns_fromManyCallers_allCompleteAndNoneIsRetained() throws Exception {
    load(1_000, 16);
  }

  @Test
  @Tag("stress")
  void tenThousandConcurrentRuns_fromManyCallers_allCompleteAndNoneIsRetained() throws Exception {
    load(Integer.getInteger("weft.stress.load", 10_000), 64);
  }

  private static void load(int runs, int callers) throws Exception {
    var h = new Hydration();
    long baseline = usedAfterGc();
    h.allArrived = new CountDownLatch(runs);
    var queue = new ReferenceQueue<Request>();
    var requests = new ConcurrentLinkedQueue<WeakReference<Request>>();
    var pending = new ConcurrentLinkedQueue<Pending>();
    var inFlight = new AtomicInteger();
    var maxInFlight = new AtomicInteger();
    var next = new AtomicInteger();
    long began = System.nanoTime();
    var threads = new ArrayList<Thread>();
    for (int c = 0; c < callers; c++) {
      threads.add(Thread.ofPlatform().name("load-caller-" + c).start(() -> {
        for (int i = next.getAndIncrement(); i < runs; i = next.getAndIncrement()) {
          var request = new Request(i, new byte[1024]);
          requests.add(new WeakReference<>(request, queue));
          maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          pending.add(new Pending(i, h.graph.runAsync(Inputs.of(h.request, request))
              .whenComplete((r, t) -> inFlight.decrementAndGet())));
        }
      }));
    }
    for (var t : threads) {
      assertTrue(t.join(Duration.ofSeconds(BOUND_SECONDS)), "a caller did not finish submitting");
    }
    assertTrue(h.allArrived.await(BOUND_SECONDS, TimeUnit.SECONDS),
        h.allArrived.getCount() + " runs had not started their first task");
    long inFlightHeap = used();
    int lost = 0;
    var wrong = new ArrayList<String>();
    for (var p : pending) {
      try {
        var result = p.future().get(BOUND_SECONDS, TimeUnit.SECONDS);
        if (!result.succeeded() || result.get(h.page) != Hydration.expected(p.id())) {
          wrong.add("request " + p.id() + ": " + result);
        }
      } catch (Exception e) {
        lost++;
      }
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    pending.clear();
    long after = usedAfterGc();
    int collected = 0;
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        collected < runs && System.nanoTime() < deadline; ) {
      System.gc();
      for (Reference<?> r = queue.remove(100); r != null; r = queue.poll()) {
        collected++;
      }
    }
    System.out.printf("[weft load] %,d runs of a 20-node sleeping graph from %d callers: "
        + "%,d in flight at once, %,d tasks, %,d ms; lost %d, wrong %d; heap %,d KB before, "
        + "%,d KB with all in flight (%,d B per run), %,d KB after; %,d of %,d runs collected%n",
        runs, callers, maxInFlight.get(), h.tasksRun.get(), millis, lost, wrong.size(),
        baseline / 1024, inFlightHeap / 1024, (inFlightHeap - baseline) / runs, after / 1024,
        collected, runs);
    assertEquals(0, lost, "runs whose future did not complete");
    assertEquals(List.of(), wrong.subList(0, Math.min(5, wrong.size())), "failed runs");
    assertEquals(20L * runs, h.tasksRun.get(), "tasks run");
    assertEquals(runs, collected, "runs still reachable after their results were dropped");
    // retained runs would hold at least their 1 KB payloads
    long tolerance = Math.max(8L << 20, runs * 1024L);
    assertTrue(after - baseline < tolerance, "heap after the runs " + after / 1024 + " KB, "
        + "before " + baseline / 1024 + " KB");
  }

  private static long usedAfterGc() {
    System.gc();
    System.gc();
    return used();
  }

  private static long used() {
    var runtime = Runtime.getRuntime();
    return runtime.totalMemory() - runtime.freeMemory();
  }
}
