import type { ScoringEngine, TopK } from '../engines/engine.js';

/** First candidate pool, as a multiple of k: most queries finish in one engine call. */
const FIRST_POOL_FACTOR = 4;

/**
 * The `k` best ads for `cos(u, p_ad) + bias[ad]`, from any engine's cosine top-K (engines score the
 * cosine alone; the popularity prior is a re-rank stage on top, so it works the same for every
 * engine). Exact: with every bias ≤ 0 (`popularityBias` of `@privads/model` shifts them so), an ad
 * outside the engine's top-m has a total of at most the m-th cosine, so once the k-th best total
 * among the top-m reaches that cosine nothing outside can beat it; otherwise m grows fourfold, up
 * to the whole catalog.
 * @param engine - the loaded engine, or the PQ index (whose scores stand for the cosines)
 * @param query - user-space query
 * @param k - how many (≤ rows)
 * @param bias - per-ad bias ≤ 0, or undefined for the cosine alone
 * @param rows - ads in the catalog
 * @returns indices and total scores, best first (ties: lower index first)
 */
export async function biasedTopK(
  engine: Pick<ScoringEngine, 'topK'>,
  query: Float32Array,
  k: number,
  bias: Float32Array | undefined,
  rows: number,
): Promise<TopK> {
  if (bias === undefined || k <= 0) return engine.topK(query, k);
  let m = Math.min(rows, Math.max(k, k * FIRST_POOL_FACTOR));
  for (;;) {
    const pool = await engine.topK(query, m);
    const order = Array.from(pool.indices, (index, i) => ({
      index,
      score: (pool.scores[i] as number) + (bias[index] as number),
    }));
    order.sort((a, b) => b.score - a.score || a.index - b.index);
    const best = order.slice(0, k);
    const kth = best[best.length - 1]?.score ?? -Infinity;
    const floor = pool.scores[pool.scores.length - 1] ?? -Infinity;
    if (m >= rows || kth >= floor) {
      return {
        indices: Int32Array.from(best, (c) => c.index),
        scores: Float32Array.from(best, (c) => c.score),
      };
    }
    m = Math.min(rows, m * FIRST_POOL_FACTOR);
  }
}
