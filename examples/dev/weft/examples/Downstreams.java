package dev.weft.examples;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simulated downstream services of {@link ListingPage} and {@link HostPage}, and the values
 * they return. Each call sleeps about as long as its real counterpart typically takes, always the
 * same, so the example is deterministic: photo 13 hangs (its timeout replaces it with the
 * placeholder), and user 9 has deleted their account. The user and listing services take many
 * ids per call, and count their calls.
 */
public final class Downstreams {
  private Downstreams() {}

  /** A listing as the listing service returns it. */
  public record Listing(long id, String title, String city, long hostId, List<Long> photoIds) {}

  /** One photo; {@link #PLACEHOLDER} stands in for one that did not come. */
  public record Photo(long id, String url) {
    public static final Photo PLACEHOLDER = new Photo(0, "placeholder.jpg");
  }

  /** Whoever is looking at the page, or wrote a review, or hosts a listing. */
  public record User(long id, String name, boolean premium) {
    /** Stands in for a user the user service no longer knows. */
    public static final User FORMER_GUEST = new User(0, "a former guest", false);
  }

  /** A host's profile, from the user service. */
  public record Profile(long hostId, String name, boolean superhost) {}

  /** The host section of a page, made by the {@link HostCard} subgraph. */
  public record HostCard(Profile profile, double rating, String responds) {
    @Override
    public String toString() {
      return profile.name() + (profile.superhost() ? " (superhost)" : "") + ", " + rating
          + " stars, replies " + responds;
    }
  }

  /** A nightly price. */
  public record Quote(long listingId, int nightlyUsd) {}

  /** One guest review, by a user. */
  public record Review(long authorId, int stars) {}

  /** An offer shown to premium users only. */
  public record Upsell(String offer) {}

  /** The photo that hangs: its fetch never returns on its own. */
  public static final long HANGING_PHOTO = 13;

  static final List<Long> PHOTO_IDS = List.of(11L, 12L, HANGING_PHOTO, 14L, 15L, 16L);

  private static final Map<Long, Listing> LISTINGS = Map.of(
      42L, new Listing(42, "Loft by the canal", "Amsterdam", 7, PHOTO_IDS),
      43L, new Listing(43, "Houseboat on the Amstel", "Amsterdam", 7, List.of(21L, 22L)),
      44L, new Listing(44, "Attic room", "Haarlem", 7, List.of(31L)),
      45L, new Listing(45, "Studio by the park", "Amsterdam", 4, List.of(41L)));

  private static final Map<Long, User> USERS = Map.of(
      1L, new User(1, "Sam", false), 2L, new User(2, "Ada", true), 3L, new User(3, "Noor", false),
      4L, new User(4, "Jun", false), 5L, new User(5, "Lena", false),
      7L, new User(7, "Maartje", false)); // user 9 deleted their account

  private static final AtomicInteger LISTING_CALLS = new AtomicInteger();
  private static final AtomicInteger USER_CALLS = new AtomicInteger();

  public static Listing listing(long id) throws InterruptedException {
    Thread.sleep(30);
    return LISTINGS.get(id);
  }

  /** The listing service's batch endpoint: the listings of {@code ids}, in one call. */
  public static Map<Long, Listing> listings(List<Long> ids) throws InterruptedException {
    LISTING_CALLS.incrementAndGet();
    Thread.sleep(20);
    return pick(LISTINGS, ids);
  }

  /** The user service's batch endpoint: the users of {@code ids} it knows, in one call. */
  public static Map<Long, User> users(List<Long> ids) throws InterruptedException {
    USER_CALLS.incrementAndGet();
    Thread.sleep(15);
    return pick(USERS, ids);
  }

  /** {@return how many calls the listing service has had} */
  public static int listingServiceCalls() {
    return LISTING_CALLS.get();
  }

  /** {@return how many calls the user service has had} */
  public static int userServiceCalls() {
    return USER_CALLS.get();
  }

  private static <V> Map<Long, V> pick(Map<Long, V> all, List<Long> ids) {
    var found = new HashMap<Long, V>();
    for (var id : ids) {
      if (all.containsKey(id)) {
        found.put(id, all.get(id));
      }
    }
    return found;
  }

  public static List<Long> listingsOf(long hostId) throws InterruptedException {
    Thread.sleep(15);
    return List.of(42L, 43L, 44L);
  }

  public static Photo photo(long id) throws InterruptedException {
    Thread.sleep(id == HANGING_PHOTO ? 5_000 : 10 + id % 3 * 5); // interrupted by the timeout
    return new Photo(id, "photo-" + id + ".jpg");
  }

  public static Profile profile(long hostId) throws InterruptedException {
    Thread.sleep(20);
    return new Profile(hostId, "Maartje", true);
  }

  public static double rating(long hostId) throws InterruptedException {
    Thread.sleep(25);
    return 4.9;
  }

  public static String responseTime(long hostId) throws InterruptedException {
    Thread.sleep(10);
    return "within an hour";
  }

  public static Quote price(Listing listing) throws InterruptedException {
    Thread.sleep(45);
    return new Quote(listing.id(), 140 + (int) (listing.id() - 42) * 20 + 40);
  }

  public static List<Review> reviews(long listingId) throws InterruptedException {
    Thread.sleep(20);
    return List.of(new Review(3, 5), new Review(4, 4), new Review(3, 5), new Review(5, 4),
        new Review(9, 3));
  }

  /** The recommendation service: listings like {@code listingId}. */
  public static List<Long> similar(long listingId) throws InterruptedException {
    Thread.sleep(30);
    return List.of(43L, 44L, 45L);
  }

  public static Upsell upsell(Listing listing) throws InterruptedException {
    Thread.sleep(20);
    return new Upsell("early check-in at " + listing.title() + " for $25");
  }
}
