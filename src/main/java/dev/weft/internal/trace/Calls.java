package dev.weft.internal.trace;

import static dev.weft.internal.Durations.millis;

import dev.weft.Batch;
import dev.weft.Outcome;
import dev.weft.Span;
import dev.weft.internal.Failures;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The batch calls of a run ({@link Batch}, from {@code RunResult.batches()}) laid over its spans
 * for the exports: each call named {@code users#2} (its loader, then its number among that
 * loader's calls in the order they started), its waiters matched to the spans of the tasks that
 * waited ({@code reviews}, {@code photos[3]}, {@code host › profile}), and per span the calls it
 * waited for. A waiter is matched by its path as the engine writes it ({@code host/profile}); a
 * path that several spans share (the same subgraph task in several elements) goes to those whose
 * time overlaps the call's, and one that matches no span is shown as written. Keys are shown by
 * their {@code toString}, which may throw or say anything: {@link #keyText} never fails, and the
 * exports escape it like any name. Building it is linear in spans, calls and waiters. Immutable
 * and thread-safe.
 */
public final class Calls {
  /** At most this many keys of a call are shown; the rest are counted. */
  static final int KEYS_SHOWN = 20;
  /** A key's text is cut to this many characters. */
  static final int KEY_CHARS = 120;

  static final Calls NONE = new Calls(List.of(), new IdentityHashMap<>(), List.of());

  /**
   * One call.
   *
   * @param batch the call as the run recorded it
   * @param label its name: the loader's, {@code #}, and its number among that loader's calls
   * @param waiters the tasks that waited for it, as the trace names them, in the call's order
   * @param vertices the run's nodes (by index) those tasks are or ran inside, in that order
   */
  public record Call(Batch batch, String label, List<String> waiters, List<Integer> vertices) {
    /** {@return the call in a few words: {@code users#2 round 1, 12 keys}} */
    public String title() {
      int n = batch.keys().size();
      return label + " round " + batch.round() + ", " + n + (n == 1 ? " key" : " keys");
    }

    /** {@return its outcome as a label: {@code succeeded}, {@code failed}, {@code cancelled}} */
    public String outcome() {
      return batch.status().label();
    }

    /** {@return its first keys as text, the others counted: {@code 1, 2, 3 (+9 more)}} */
    public String keys() {
      var keys = batch.keys();
      var sb = new StringBuilder();
      for (int i = 0; i < Math.min(KEYS_SHOWN, keys.size()); i++) {
        sb.append(i == 0 ? "" : ", ").append(keyText(keys.get(i)));
      }
      if (keys.size() > KEYS_SHOWN) {
        sb.append(" (+").append(keys.size() - KEYS_SHOWN).append(" more)");
      }
      return sb.toString();
    }

    /** {@return its details as plain lines, for tooltips} */
    public String details() {
      var b = batch;
      var sb = new StringBuilder("batch call ").append(title())
          .append("\nloader: ").append(b.loader()).append(b.shared() ? " (shared across runs)"
              : "")
          .append("\noutcome: ").append(outcome()).append(", ").append(b.attempts())
          .append(b.attempts() == 1 ? " attempt" : " attempts")
          .append("\nstarted ").append(millis(b.started())).append(", ended ")
          .append(millis(b.ended())).append(", took ").append(millis(b.duration()))
          .append("\nkeys: ").append(b.keys().isEmpty() ? "none of this run" : keys())
          .append("\nwaiting: ").append(waiters.isEmpty() ? "no task" : list(waiters, 50));
      if (b.failure() != null) {
        sb.append("\nerror: ").append(Failures.describe(b.failure()));
      }
      return sb.toString();
    }
  }

  /**
   * A loader's calls in a run, for the graph pictures.
   *
   * @param name the loader's name
   * @param calls how many calls it made
   * @param rounds how many rounds they went out in
   * @param keys the run's keys in them
   * @param failed how many calls did not succeed
   * @param nanos the calls' time, added up
   * @param vertices the nodes that waited for them, in the order first seen
   */
  public record Loader(String name, int calls, int rounds, int keys, int failed, long nanos,
      List<Integer> vertices) {
    /** {@return a line under its name: {@code 3 calls · 3 rounds · 24 keys · 9.0 ms}} */
    public String summary() {
      return calls + (calls == 1 ? " call" : " calls") + " \u00b7 " + rounds
          + (rounds == 1 ? " round" : " rounds") + " \u00b7 " + keys
          + (keys == 1 ? " key" : " keys") + " \u00b7 " + millis(nanos)
          + (failed == 0 ? "" : " \u00b7 " + failed + " not succeeded");
    }
  }

  private final List<Call> calls;
  private final Map<Span, int[]> waits; // by identity: the calls each span waited for
  private final List<Loader> loaders;

  private Calls(List<Call> calls, Map<Span, int[]> waits, List<Loader> loaders) {
    this.calls = calls;
    this.waits = waits;
    this.loaders = loaders;
  }

  /** A span as a waiter's path names it, with its label in the trace and its run's node. */
  private record Target(Span span, String label, int vertex) {}

  /**
   * {@return the calls laid over the spans}
   *
   * @param spans per node, its task's span; null for inputs
   * @param batches the run's calls, in any order: they are sorted by start (stably)
   */
  static Calls of(Span[] spans, List<Batch> batches) {
    if (batches.isEmpty()) {
      return NONE;
    }
    var sorted = new ArrayList<>(batches);
    sorted.sort(Comparator.comparing(Batch::started));
    var byPath = new HashMap<String, List<Target>>();
    for (int v = 0; v < spans.length; v++) {
      if (spans[v] != null) {
        index(byPath, spans[v], spans[v].label(), "", "", v);
      }
    }
    var numbers = new HashMap<String, Integer>();
    var list = new ArrayList<Call>(sorted.size());
    var waited = new IdentityHashMap<Span, List<Integer>>();
    var perLoader = new LinkedHashMap<String, List<Integer>>();
    for (int i = 0; i < sorted.size(); i++) {
      var b = sorted.get(i);
      int number = numbers.merge(b.loader(), 1, Integer::sum);
      var labels = new LinkedHashSet<String>();
      var vertices = new LinkedHashSet<Integer>();
      for (var path : b.waiters()) {
        var targets = byPath.getOrDefault(path, List.of());
        var matched = targets.size() == 1 ? targets : overlapping(targets, b);
        if (matched.isEmpty()) {
          labels.add(path);
          continue;
        }
        for (var t : matched) {
          labels.add(t.label());
          vertices.add(t.vertex());
          var mine = waited.computeIfAbsent(t.span(), s -> new ArrayList<>(1));
          if (mine.isEmpty() || mine.getLast() != i) {
            mine.add(i);
          }
        }
      }
      list.add(new Call(b, b.call() != null ? b.call() : b.loader() + "#" + number,
          List.copyOf(labels),
          List.copyOf(vertices)));
      perLoader.computeIfAbsent(b.loader(), k -> new ArrayList<>()).add(i);
    }
    var waits = new IdentityHashMap<Span, int[]>();
    waited.forEach((s, is) -> waits.put(s, is.stream().mapToInt(Integer::intValue).toArray()));
    var loaders = new ArrayList<Loader>(perLoader.size());
    perLoader.forEach((name, is) -> {
      var rounds = new LinkedHashSet<Integer>();
      var vertices = new LinkedHashSet<Integer>();
      int keys = 0;
      int failed = 0;
      long nanos = 0;
      for (int i : is) {
        var c = list.get(i);
        rounds.add(c.batch().round());
        vertices.addAll(c.vertices());
        keys += c.batch().keys().size();
        failed += c.batch().status() == Outcome.Status.SUCCEEDED ? 0 : 1;
        nanos += c.batch().duration().toNanos();
      }
      loaders.add(new Loader(name, is.size(), rounds.size(), keys, failed, nanos,
          List.copyOf(vertices)));
    });
    return new Calls(List.copyOf(list), waits, List.copyOf(loaders));
  }

  /**
   * Indexes {@code s} and what ran inside it under their paths as the engine writes them: an
   * element as {@code photos[3]}, a subgraph's task as {@code host/profile} (after the node's
   * name, also for an element that ran the subgraph).
   */
  private static void index(Map<String, List<Target>> byPath, Span s, String label, String path,
      String prefix, int vertex) {
    byPath.computeIfAbsent(path + s.label(), p -> new ArrayList<>(1))
        .add(new Target(s, label, vertex));
    for (var c : s.children()) {
      var p = c.element() >= 0 || c.hedge() >= 0 ? path : path + s.node() + "/";
      var shown = Timeline.prefix(prefix, s, c);
      index(byPath, c, shown + c.label(), p, shown, vertex);
    }
  }

  /** {@return those of {@code targets} whose time overlaps the call's} */
  private static List<Target> overlapping(List<Target> targets, Batch b) {
    var out = new ArrayList<Target>(1);
    for (var t : targets) {
      if (t.span().started().compareTo(b.ended()) <= 0
          && t.span().ended().compareTo(b.started()) >= 0) {
        out.add(t);
      }
    }
    return out;
  }

  /** {@return whether the run made no call} */
  public boolean isEmpty() {
    return calls.isEmpty();
  }

  /** {@return the calls, in the order they started} */
  public List<Call> list() {
    return calls;
  }

  /** {@return the {@code i}-th call to start} */
  public Call get(int i) {
    return calls.get(i);
  }

  /** {@return the indices of the calls {@code s} waited for, in the order they started} */
  public int[] waitedFor(Span s) {
    var is = waits.get(s);
    return is == null ? new int[0] : is.clone();
  }

  /** {@return the loaders that made calls, in the order of their first call} */
  public List<Loader> loaders() {
    return loaders;
  }

  /** {@return the latest end of a call, in nanoseconds since the run started; 0 if none} */
  public long latest() {
    long end = 0;
    for (var c : calls) {
      end = Math.max(end, c.batch().ended().toNanos());
    }
    return end;
  }

  /** {@return the labels of the calls {@code s} waited for: {@code users#1, users#3}} */
  public String waitedForText(Span s) {
    var is = waits.get(s);
    if (is == null) {
      return "";
    }
    var labels = new ArrayList<String>(is.length);
    for (int i : is) {
      labels.add(calls.get(i).label());
    }
    return String.join(", ", labels);
  }

  /**
   * {@return a key as text: its {@code toString}, cut to {@value #KEY_CHARS} characters} If that
   * throws or yields null, its class with a note, so the text is never missing.
   */
  public static String keyText(Object key) {
    String text;
    try {
      text = String.valueOf(key);
    } catch (Throwable broken) {
      return key.getClass().getName() + " (its toString() threw "
          + broken.getClass().getName() + ")";
    }
    if (text == null) {
      return key.getClass().getName();
    }
    if (text.length() > KEY_CHARS) {
      int cut = KEY_CHARS;
      if (Character.isHighSurrogate(text.charAt(cut - 1))) {
        cut--;
      }
      text = text.substring(0, cut) + "\u2026";
    }
    return text;
  }

  /** {@return the first {@code max} of {@code items}, comma-separated, the others counted} */
  static String list(List<String> items, int max) {
    if (items.size() <= max) {
      return String.join(", ", items);
    }
    return String.join(", ", items.subList(0, max)) + " (+" + (items.size() - max) + " more)";
  }
}
