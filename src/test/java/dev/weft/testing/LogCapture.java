package dev.weft.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Captures what Weft logs while open, instead of printing it, and counts the records per run id:
 * so a test can check that a run whose listeners threw logged exactly once, and thousands of
 * injected failures do not flood the build output. Open one at a time; thread-safe.
 *
 * <p>Weft logs through {@code System.Logger}, backed by java.util.logging. The tests compile
 * inside module {@code dev.weft}, which does not read {@code java.logging}, but run on the class
 * path, where it is there: so it is reached by reflection, a {@code StreamHandler} writing into
 * this class's stream. Where that fails, nothing is captured and {@link #active()} is false.
 */
public final class LogCapture implements AutoCloseable {
  private static final Pattern RUN = Pattern.compile("in run (\\d+)\\b");

  private final ByteArrayOutputStream sink = new ByteArrayOutputStream();
  private final Object logger;
  private final Object handler;
  private final boolean parents;
  // guarded by this
  private final Map<Long, Integer> counts = new HashMap<>();
  private int parsed;

  public LogCapture() {
    Object l = null;
    Object h = null;
    boolean p = true;
    try {
      var loggerClass = Class.forName("java.util.logging.Logger");
      var handlerClass = Class.forName("java.util.logging.Handler");
      l = loggerClass.getMethod("getLogger", String.class).invoke(null, "dev.weft");
      var formatter = Class.forName("java.util.logging.SimpleFormatter").getConstructor()
          .newInstance();
      h = Class.forName("java.util.logging.StreamHandler").getConstructor(OutputStream.class,
          Class.forName("java.util.logging.Formatter")).newInstance(sink, formatter);
      p = (Boolean) loggerClass.getMethod("getUseParentHandlers").invoke(l);
      loggerClass.getMethod("addHandler", handlerClass).invoke(l, h);
      loggerClass.getMethod("setUseParentHandlers", boolean.class).invoke(l, false);
    } catch (ReflectiveOperationException | RuntimeException e) {
      l = null;
      h = null;
    }
    this.logger = l;
    this.handler = h;
    this.parents = p;
  }

  /** {@return whether records are captured} */
  public boolean active() {
    return handler != null;
  }

  /** {@return how many records named run {@code runId} so far, or -1 if not capturing} */
  public synchronized int count(long runId) {
    if (handler == null) {
      return -1;
    }
    invoke(handler, "flush");
    byte[] bytes;
    synchronized (sink) {
      bytes = sink.toByteArray();
    }
    int end = bytes.length;
    while (end > parsed && bytes[end - 1] != '\n') {
      end--; // parse whole lines only
    }
    var text = new String(bytes, parsed, end - parsed, StandardCharsets.UTF_8);
    parsed = end;
    var m = RUN.matcher(text);
    while (m.find()) {
      counts.merge(Long.parseLong(m.group(1)), 1, Integer::sum);
    }
    return counts.getOrDefault(runId, 0);
  }

  /** {@return everything captured so far, or "" if not capturing} */
  public String text() {
    if (handler == null) {
      return "";
    }
    invoke(handler, "flush");
    synchronized (sink) {
      return sink.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    if (handler != null) {
      try {
        var handlerClass = Class.forName("java.util.logging.Handler");
        logger.getClass().getMethod("removeHandler", handlerClass).invoke(logger, handler);
        logger.getClass().getMethod("setUseParentHandlers", boolean.class).invoke(logger,
            parents);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("could not restore the dev.weft logger", e);
      }
    }
  }

  private static void invoke(Object target, String method) {
    try {
      target.getClass().getMethod(method).invoke(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
