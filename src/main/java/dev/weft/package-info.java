/**
 * Weft: typed task graphs for backend services, validated once and run concurrently on virtual
 * threads.
 *
 * <p>Declare a {@link dev.weft.Graph} once with a {@link dev.weft.GraphBuilder}, then run it per
 * request with {@link dev.weft.Graph#run(Inputs)} and read the {@link dev.weft.RunResult}.
 *
 * <p>Null policy: no method of this package accepts {@code null} unless its documentation says so
 * ({@link dev.weft.Node#orElse} and {@link dev.weft.NodeBuilder#fallback} values; a task may
 * return {@code null} as its value); passing one throws {@link java.lang.NullPointerException}
 * naming the parameter.
 */
package dev.weft;
