/**
 * Weft: typed task graphs, validated once, run concurrently on virtual threads. Only {@code
 * dev.weft} is exported; the engine lives in {@code dev.weft.internal}.
 */
module dev.weft {
  requires jdk.jfr;

  exports dev.weft;
}
