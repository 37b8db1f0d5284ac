package dev.weft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.examples.Checkout;
import dev.weft.testing.StdOut;
import org.junit.jupiter.api.Test;

/**
 * The checkout example runs as its javadoc says: the promotions node falls back, checkouts are
 * charged while payments is up, and the shared breaker opens once payments is down. Only what
 * holds on a loaded machine is asserted (a slow machine may turn a checkout away at the bulkhead).
 */
class CheckoutExampleTest {
  @Test
  void checkout_chargesWithTheFallbackPromo_thenTheBreakerOpensWhenPaymentsIsDown()
      throws Exception {
    var text = StdOut.of(() -> Checkout.main(new String[0]));
    var phases = text.split("== phase 2", -1);
    assertTrue(phases.length == 2, text);
    assertTrue(phases[0].contains("charged 4999 cents (promo -)"),
        "phase 1 should charge a checkout, with the promotions fallback:\n" + text);
    assertTrue(phases[0].contains("fraud bulkhead after the burst: Bulkhead[fraud, 0/2 in use]"),
        "every bulkhead place should be given back:\n" + text);
    assertTrue(!phases[1].contains("charged"), "no charge while payments is down:\n" + text);
    assertTrue(phases[1].contains("circuit breaker 'payments' is open"),
        "the breaker should turn later checkouts away:\n" + text);
    assertTrue(phases[1].strip().endsWith("payments breaker: OPEN"), text);
  }
}
