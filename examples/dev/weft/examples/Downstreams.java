package dev.weft.examples;

import java.io.IOException;
import java.util.List;

/**
 * The simulated downstream services of {@link ListingPage} and {@link HostPage}, and the values
 * they return. Each call sleeps about as long as its real counterpart typically takes, always the
 * same, so the example is deterministic: photo 13 hangs (its timeout replaces it with the
 * placeholder) and the reviews service is down.
 */
public final class Downstreams {
  private Downstreams() {}

  /** A listing as the listing service returns it. */
  public record Listing(long id, String title, String city, long hostId, List<Long> photoIds) {}

  /** One photo; {@link #PLACEHOLDER} stands in for one that did not come. */
  public record Photo(long id, String url) {
    public static final Photo PLACEHOLDER = new Photo(0, "placeholder.jpg");
  }

  /** Whoever is looking at the page. */
  public record User(long id, String name, boolean premium) {}

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

  /** One guest review. */
  public record Review(String author, int stars) {}

  /** An offer shown to premium users only. */
  public record Upsell(String offer) {}

  /** The photo that hangs: its fetch never returns on its own. */
  public static final long HANGING_PHOTO = 13;

  static final List<Long> PHOTO_IDS = List.of(11L, 12L, HANGING_PHOTO, 14L, 15L, 16L);

  public static Listing listing(long id) throws InterruptedException {
    Thread.sleep(30);
    return switch ((int) id) {
      case 42 -> new Listing(42, "Loft by the canal", "Amsterdam", 7, PHOTO_IDS);
      case 43 -> new Listing(43, "Houseboat on the Amstel", "Amsterdam", 7, List.of(21L, 22L));
      default -> new Listing(id, "Attic room", "Haarlem", 7, List.of(31L));
    };
  }

  public static List<Long> listingsOf(long hostId) throws InterruptedException {
    Thread.sleep(15);
    return List.of(42L, 43L, 44L);
  }

  public static Photo photo(long id) throws InterruptedException {
    Thread.sleep(id == HANGING_PHOTO ? 5_000 : 10 + id % 3 * 5); // interrupted by the timeout
    return new Photo(id, "photo-" + id + ".jpg");
  }

  public static User user(long id) throws InterruptedException {
    Thread.sleep(15);
    return id == 2 ? new User(2, "Ada", true) : new User(id, "Sam", false);
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

  public static List<Review> reviews(long listingId) throws IOException, InterruptedException {
    Thread.sleep(10);
    throw new IOException("reviews-service: 503 Service Unavailable");
  }

  public static Upsell upsell(Listing listing) throws InterruptedException {
    Thread.sleep(20);
    return new Upsell("early check-in at " + listing.title() + " for $25");
  }
}
