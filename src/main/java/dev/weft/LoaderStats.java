package dev.weft;

/**
 * What one {@link BatchLoader} did for one run (a request: a subgraph's loads count in the run
 * around it), in {@link RunResult#loaders()}.
 *
 * @param loader the loader's name
 * @param rounds how many times its keys were sent: once per moment the run went quiet with keys
 *     waiting (or the loader's {@code maxDelay} passed)
 * @param batches how many calls of the batch function were made: a round larger than {@code
 *     maxBatchSize} is split into several
 * @param keysRequested keys asked for by loads, every duplicate included
 * @param keysFetched keys this run sent to the batch function
 * @param duplicatesSaved loads answered by a key already fetched, waiting or in flight (for a
 *     loader shared across runs, also by another run's call)
 */
public record LoaderStats(String loader, int rounds, int batches, long keysRequested,
    long keysFetched, long duplicatesSaved) {}
