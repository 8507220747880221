/**
 * The one timing that engine and ranking-path choices compare: what a reader waits for per query.
 */

/** Anything that answers top-K queries (a scoring engine, the PQ index). */
export interface TopKSource {
  topK(query: Float32Array, k: number): Promise<unknown>;
}

/**
 * The median time of one `topK`, after one untimed call: the first pays for compilation and cold
 * caches, and the median keeps one preempted query from deciding.
 * @param source - what answers
 * @param queries - the timed queries, in order (repeat one to time it several times)
 * @param k - results per query
 * @param elapsed - a monotonic clock in milliseconds
 * @returns milliseconds per query (0 without queries)
 */
export async function medianTopKMs(
  source: TopKSource,
  queries: readonly Float32Array[],
  k = 10,
  elapsed: () => number = () => performance.now(),
): Promise<number> {
  const first = queries[0];
  if (first === undefined) return 0;
  await source.topK(first, k);
  const times: number[] = [];
  for (const query of queries) {
    const start = elapsed();
    await source.topK(query, k);
    times.push(elapsed() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}
