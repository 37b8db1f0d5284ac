package dev.weft;

import static java.util.Objects.requireNonNull;

/**
 * A load from a {@link BatchLoader} that got no value: the batch function returned none for the
 * key, returned something unusable, or failed (its failure, after the loader's policies, is the
 * cause). Only the loads of that key fail; every later load of the key in the same run fails
 * the same way, with the same cause, without calling the batch function again.
 *
 * <p>Immutable; thread-safe.
 */
public final class LoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String loader;
  private final transient Object key;

  LoadException(String loader, Object key, String problem, Throwable cause) {
    super("loader '" + requireNonNull(loader, "loader") + "' " + problem + " for key "
        + describe(key), cause);
    this.loader = loader;
    this.key = key;
  }

  /** {@return the loader's name} */
  public String loader() {
    return loader;
  }

  /** {@return the key that got no value} */
  public Object key() {
    return key;
  }

  private static String describe(Object key) {
    try {
      return String.valueOf(key);
    } catch (Throwable t) {
      return key.getClass().getName() + " (whose toString threw)";
    }
  }
}
