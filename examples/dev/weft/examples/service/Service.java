package dev.weft.examples.service;

import java.lang.reflect.InvocationTargetException;
import java.net.URI;

/**
 * The service under test, started on a {@link Fleet}: {@code ListingService} when it is on the
 * class path, otherwise (or with {@code --service=stub}) the stand-in {@code StubService}. Both
 * are found by name, so either file may be absent.
 *
 * @param kind which one runs
 * @param uri its base URI
 * @param closer closes it
 */
record Service(String kind, URI uri, AutoCloseable closer) implements AutoCloseable {
  private static final String PACKAGE = Service.class.getPackageName();

  static Service start(Fleet fleet, String which) throws Exception {
    if (!which.equals("stub")) {
      try {
        return start("ListingService", fleet);
      } catch (ClassNotFoundException e) {
        if (which.equals("listing")) {
          throw e;
        }
        System.out.println("no ListingService yet: running the stand-in StubService");
      }
    }
    return start("StubService", fleet);
  }

  private static Service start(String name, Fleet fleet) throws Exception {
    var type = Class.forName(PACKAGE + "." + name);
    try {
      var start = type.getDeclaredMethod("start", Fleet.class);
      var started = (AutoCloseable) start.invoke(null, fleet);
      var uri = (URI) type.getDeclaredMethod("uri").invoke(started);
      return new Service(name, uri, started);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  @Override
  public void close() throws Exception {
    closer.close();
  }
}
