package dev.weft.examples;

import dev.weft.Bulkhead;
import dev.weft.CircuitBreaker;
import dev.weft.Graph;
import dev.weft.Input;
import dev.weft.Inputs;
import dev.weft.Node;
import dev.weft.Outcome;
import dev.weft.RetryPolicy;
import dev.weft.RunOptions;
import dev.weft.RunResult;
import dev.weft.Span;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A checkout calling three flaky downstreams, each behind the policy it needs:
 *
 * <ul>
 *   <li>payments: a 60 ms timeout per attempt, 3 attempts with exponential backoff, and a circuit
 *       breaker shared by every checkout, so a payments outage stops costing time;
 *   <li>fraud: a bulkhead of 2 places shared by every checkout, so a slow fraud service cannot
 *       take every thread of the service with it;
 *   <li>promotions: down today, so the node falls back to "no promotion".
 * </ul>
 *
 * <p>Phase 1 runs 6 checkouts at once while payments is healthy but slow now and then; phase 2
 * takes payments down and shows the breaker opening. Run it with
 * {@code mvn -q test-compile exec:exec -Dexample=dev.weft.examples.Checkout}.
 */
public final class Checkout {
  record Cart(String id, int totalCents) {}

  record Promo(String code, int discountCents) {
    static final Promo NONE = new Promo("-", 0);
  }

  record Payment(String id, int chargedCents) {}

  record Receipt(Cart cart, Payment payment, Promo promo, boolean fraudChecked) {}

  /** Simulated downstreams. Payments hangs on every 4th call and refuses while "down". */
  static final class Services {
    static final AtomicInteger PAYMENT_CALLS = new AtomicInteger();
    static volatile boolean paymentsDown;

    static Cart cart(String id) throws InterruptedException {
      Thread.sleep(5);
      return new Cart(id, 4_999);
    }

    static Payment charge(Cart cart, Promo promo) throws IOException, InterruptedException {
      int call = PAYMENT_CALLS.incrementAndGet();
      if (paymentsDown) {
        Thread.sleep(5);
        throw new IOException("payments: 503 Service Unavailable");
      }
      Thread.sleep(call % 4 == 0 ? 5_000 : 15); // every 4th call hangs: the timeout cuts it
      return new Payment("pay-" + call, cart.totalCents() - promo.discountCents());
    }

    static boolean fraudCheck(Cart cart) throws InterruptedException {
      Thread.sleep(30);
      return true;
    }

    static Promo promo(Cart cart) throws IOException {
      throw new IOException("promotions: connection refused");
    }
  }

  static final CircuitBreaker PAYMENTS = CircuitBreaker.builder("payments")
      .slidingWindow(10).minimumCalls(4).failureRateThreshold(0.5)
      .openDuration(Duration.ofSeconds(10)).halfOpenProbes(1)
      .build();
  static final Bulkhead FRAUD = Bulkhead.builder("fraud")
      .maxConcurrent(2).maxWait(Duration.ofMillis(200))
      .build();

  static final Input<String> CART_ID;
  static final Node<Receipt> RECEIPT;
  static final Graph GRAPH;

  static {
    var g = Graph.builder("checkout")
        .options(RunOptions.defaults().withDeadline(Duration.ofSeconds(1)));
    CART_ID = g.input("cartId", String.class);
    Node<Cart> cart = g.task("cart", CART_ID, Services::cart);
    Node<Promo> promo = g.node("promo").fallback(Promo.NONE).call(cart, Services::promo);
    Node<Boolean> fraud = g.node("fraud").bulkhead(FRAUD).call(cart, Services::fraudCheck);
    Node<Payment> payment = g.node("payment")
        .timeout(Duration.ofMillis(60))
        .retry(RetryPolicy.exponential(3, Duration.ofMillis(10))
            .withMaxDelay(Duration.ofMillis(40)))
        .circuitBreaker(PAYMENTS)
        .after(fraud) // charge only once fraud has cleared the cart
        .call(cart, promo, Services::charge);
    RECEIPT = g.task("receipt", cart, payment, promo, fraud, Receipt::new);
    GRAPH = g.build();
  }

  public static void main(String[] args) {
    System.out.println("== phase 1: 6 concurrent checkouts, payments slow now and then");
    checkouts(6);
    System.out.println("fraud bulkhead after the burst: " + FRAUD);
    System.out.println();

    System.out.println("== phase 2: payments goes down");
    Services.paymentsDown = true;
    for (int i = 0; i < 4; i++) {
      checkouts(1);
    }
    System.out.println("payments breaker: " + PAYMENTS.state());
  }

  private static void checkouts(int n) {
    var futures = new ArrayList<CompletableFuture<RunResult>>();
    for (int i = 0; i < n; i++) {
      futures.add(GRAPH.runAsync(Inputs.of(CART_ID, "cart-" + (i + 1))));
    }
    for (var future : futures) {
      report(future.join());
    }
  }

  private static void report(RunResult result) {
    var line = new StringBuilder(String.format("run %-3d %6.1f ms  ", result.runId(),
        result.elapsed().toNanos() / 1e6));
    if (result.outcome(RECEIPT) instanceof Outcome.Succeeded<Receipt> ok) {
      var r = ok.value();
      line.append("charged ").append(r.payment().chargedCents()).append(" cents (promo ")
          .append(r.promo().code()).append(")");
    } else {
      var failure = result.failures().isEmpty() ? "none" : result.failures().get(0).error()
          .getMessage();
      line.append("no receipt: ").append(failure);
    }
    line.append("  ").append(attempts(result.spans()));
    System.out.println(line);
  }

  private static String attempts(List<Span> spans) {
    var payment = spans.stream().filter(s -> s.node().equals("payment")).findFirst();
    return payment.map(s -> "[payment attempts: " + s.attempts() + "]").orElse("");
  }
}
