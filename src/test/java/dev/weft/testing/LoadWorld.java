package dev.weft.testing;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/**
 * The downstream that the loaders of a generated loading graph ({@link LoadingDag}) fetch from,
 * and the load program of every task: what is asked for, from which loader, and what a failure
 * does. Everything is a pure function of the world's parameters and a task's salt, so the
 * {@link Shrinker}'s edits of a {@link Dag} keep every remaining task's program, and the engine
 * ({@link LoadingDag}) and the sequential reference ({@link LoadReference}) run the same
 * programs through the same interpreter ({@link Exec}).
 *
 * <p>Keys are {@code Long}s in {@code [0, keySpace)}, so a small key space makes the same key
 * asked for by many tasks. Each key of each loader has a fixed fate: a value (a {@code Long}),
 * a null value, no value at all (the batch function leaves it out: its loads fail), or
 * <em>poison</em>: a call that holds it throws, failing every load of every key in that call.
 * Which keys share a call depends on the rounds, so poison is only drawn where the rounds are
 * predicted exactly.
 *
 * @param salt mixed into every fate and program
 * @param keySpace how many keys each loader has
 * @param loaders how many loaders there are, named {@code L0}, {@code L1}, ...
 * @param missingMod a key has no value when its code is a multiple of this; 0: never
 * @param nullMod a key's value is null when its code is 1 modulo this; 0: never
 * @param poisonMod a key is poison when its code is 2 modulo this; 0: never
 * @param maxBatchSize the loaders' maxBatchSize, or 0 for unlimited
 * @param maxSteps the most load steps a program has (1 to 6)
 * @param constantShare in percent, how many steps ask for a key fixed by the program rather than
 *     computed from the task's arguments and earlier loaded values (a chain)
 * @param propagateShare in percent, how many steps let a failed load fail the task (where it
 *     may: never in an element of a fan-out that stops at its first failure)
 */
public record LoadWorld(long salt, int keySpace, int loaders, int missingMod, int nullMod,
    int poisonMod, int maxBatchSize, int maxSteps, int constantShare, int propagateShare) {

  /** What happens to a key when it is fetched. */
  public enum Fate { VALUE, NULL, MISSING, POISON }

  /**
   * One load of a program: {@code count} keys (1: {@code load}, more: {@code loadMany}, which
   * may hold a key twice), from loader {@code loader}.
   *
   * @param constant whether the keys are fixed by {@code salt} alone (else computed from the
   *     task's running hash: from its arguments and every value loaded before)
   * @param propagate whether a failed load fails the task (else its failure is folded into the
   *     hash and the program goes on)
   */
  public record Step(int loader, int count, long salt, boolean constant, boolean propagate) {}

  /** A task's load program. */
  public record Program(List<Step> steps) {
    public Program {
      steps = List.copyOf(steps);
    }
  }

  /** One load as the interpreter asks for it: keys as asked (duplicates kept), and distinct. */
  public record Load(int loader, boolean many, List<Long> keys, List<Long> distinct) {}

  /** {@return a random world; with {@code poison} false, no key is poison} */
  public static LoadWorld random(Random rnd, int loaders, boolean poison, boolean batchLimit,
      boolean chainy) {
    int keySpace = switch (rnd.nextInt(4)) {
      case 0 -> 2 + rnd.nextInt(6);
      case 1 -> 8 + rnd.nextInt(24);
      case 2 -> 32 + rnd.nextInt(96);
      default -> 1000;
    };
    int missingMod = rnd.nextInt(3) == 0 ? 0 : 3 + rnd.nextInt(8);
    int nullMod = rnd.nextInt(3) == 0 ? 0 : 5 + rnd.nextInt(10);
    int poisonMod = poison && rnd.nextInt(3) == 0 ? 6 + rnd.nextInt(20) : 0;
    int maxBatchSize = batchLimit && rnd.nextBoolean() ? 1 + rnd.nextInt(4) : 0;
    int maxSteps = chainy ? 3 + rnd.nextInt(4) : 1 + rnd.nextInt(4);
    int constantShare = chainy ? rnd.nextInt(15) : rnd.nextInt(70);
    int propagateShare = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(60);
    return new LoadWorld(rnd.nextLong(), keySpace, loaders, missingMod, nullMod, poisonMod,
        maxBatchSize, maxSteps, constantShare, propagateShare);
  }

  /** {@return the name of loader {@code i}} */
  public static String loaderName(int i) {
    return "L" + i;
  }

  private long code(int loader, long key) {
    return Math.abs(mix(salt + loader * 0x9E3779B97F4A7C15L, key) >>> 1);
  }

  /** {@return what happens to {@code key} of {@code loader} when it is fetched} */
  public Fate fate(int loader, long key) {
    long c = code(loader, key);
    if (poisonMod > 0 && c % poisonMod == 2) {
      return Fate.POISON;
    }
    if (missingMod > 0 && c % missingMod == 0) {
      return Fate.MISSING;
    }
    if (nullMod > 0 && c % nullMod == 1) {
      return Fate.NULL;
    }
    return Fate.VALUE;
  }

  /** {@return the value of a key whose fate is VALUE or POISON (when it is not in a call)} */
  public Long value(int loader, long key) {
    return fate(loader, key) == Fate.NULL ? null : mix(code(loader, key), 0x51ED2701L) & 0xFFFFFF;
  }

  /** {@return whether a call of {@code loader} with {@code keys} throws} */
  public boolean poisons(int loader, List<Long> keys) {
    for (var k : keys) {
      if (fate(loader, k) == Fate.POISON) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@return the program of a body whose salt is {@code salt}; {@code mayFail} false: no step
   * lets a failed load fail it}
   */
  public Program program(long salt, boolean mayFail) {
    var rnd = new Random(mix(this.salt, salt));
    // a quarter of the bodies load nothing, the rest up to maxSteps, fewer more often
    int n = rnd.nextInt(4) == 0 ? 0 : 1 + Math.min(rnd.nextInt(maxSteps), rnd.nextInt(maxSteps));
    var steps = new ArrayList<Step>(n);
    for (int i = 0; i < n; i++) {
      int count = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(4) : 1;
      steps.add(new Step(rnd.nextInt(loaders), count, rnd.nextLong(),
          rnd.nextInt(100) < constantShare, mayFail && rnd.nextInt(100) < propagateShare));
    }
    return new Program(steps);
  }

  /** {@return a fresh run of {@code program} for a body whose arguments hash to {@code h}} */
  public Exec start(Program program, long h) {
    return new Exec(program, h);
  }

  /**
   * One run of a program, as a state machine the engine's tasks drive with blocking loads and
   * the reference drives round by round: {@link #next} asks for a load, {@link #values} or
   * {@link #failed} answers it.
   */
  public final class Exec {
    private final Program program;
    private long h;
    private int index;
    private Load current;

    private Exec(Program program, long h) {
      this.program = program;
      this.h = h;
    }

    /** {@return the next load, or null when the program is over} */
    public Load next() {
      if (current != null) {
        throw new IllegalStateException("load " + current + " was not answered");
      }
      if (index >= program.steps().size()) {
        return null;
      }
      var step = program.steps().get(index);
      var keys = new ArrayList<Long>(step.count());
      for (int j = 0; j < step.count(); j++) {
        long raw = step.constant() ? mix(step.salt(), j) : mix(h, step.salt() + j);
        keys.add(Math.floorMod(raw, (long) keySpace));
      }
      current = new Load(step.loader(), step.count() > 1, List.copyOf(keys),
          List.copyOf(new LinkedHashSet<>(keys)));
      return current;
    }

    /** The current load got these values, one per distinct key, in order (nulls allowed). */
    public void values(List<Long> values) {
      for (var v : values) {
        h = mix(h, Dag.code(v));
      }
      current = null;
      index++;
    }

    /**
     * The current load failed, {@code key} first (in distinct order), by a call's failure or by
     * a missing value. {@return whether the body must now fail with that failure}
     */
    public boolean failed(long key, boolean callFailed) {
      var step = program.steps().get(index);
      h = mix(h, (callFailed ? 0x7AB1E5L : 0x3155L) * 31 + key);
      current = null;
      index++;
      return step.propagate();
    }

    /** {@return the running hash: the body's value once the program is over} */
    public long hash() {
      return h;
    }
  }

  /** A 64-bit mix of two longs. */
  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public String toString() {
    return "world(keys " + keySpace + ", " + loaders + " loader" + (loaders == 1 ? "" : "s")
        + (missingMod > 0 ? ", missing 1/" + missingMod : "")
        + (nullMod > 0 ? ", null 1/" + nullMod : "")
        + (poisonMod > 0 ? ", poison 1/" + poisonMod : "")
        + (maxBatchSize > 0 ? ", maxBatchSize " + maxBatchSize : "")
        + ", up to " + maxSteps + " steps, " + constantShare + "% constant keys, "
        + propagateShare + "% failing steps fail the task)";
  }
}
