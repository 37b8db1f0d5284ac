/** Weft: typed task graphs, validated once, run concurrently on virtual threads. */
module dev.weft {
  exports dev.weft;
}
