import type { TopK } from './engine.js';

/**
 * Keeps the `k` best (index, score) pairs seen so far in a sorted buffer. For the small `k` of ad
 * ranking (tens) most candidates fail the first comparison against the current threshold, so a
 * sorted insert beats a heap and allocates nothing per candidate.
 */
export class TopKCollector {
  readonly #k: number;
  readonly #indices: Int32Array;
  readonly #scores: Float32Array;
  #size = 0;

  /**
   * @param k - capacity (≥ 0)
   * @throws RangeError when `k` is negative or not an integer
   */
  constructor(k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be an integer >= 0, got ${k}`);
    this.#k = k;
    this.#indices = new Int32Array(k);
    this.#scores = new Float32Array(k);
  }

  /** Score a candidate must beat to enter once the buffer is full (−∞ until then). */
  get threshold(): number {
    return this.#size < this.#k ? -Infinity : (this.#scores[this.#k - 1] ?? -Infinity);
  }

  /**
   * Offers one candidate. Candidates must be offered in increasing index order so that ties keep
   * the lower index first, as the reference scorer does.
   * @param index - row index
   * @param score - its score (NaN is ignored)
   */
  push(index: number, score: number): void {
    if (this.#k === 0 || !(score > this.threshold)) return;
    const scores = this.#scores;
    const indices = this.#indices;
    let pos = this.#size < this.#k ? this.#size++ : this.#k - 1;
    while (pos > 0 && (scores[pos - 1] as number) < score) {
      scores[pos] = scores[pos - 1] as number;
      indices[pos] = indices[pos - 1] as number;
      pos--;
    }
    scores[pos] = score;
    indices[pos] = index;
  }

  /** @returns the collected pairs, best first */
  result(): TopK {
    return {
      indices: this.#indices.slice(0, this.#size),
      scores: this.#scores.slice(0, this.#size),
    };
  }
}

/**
 * The `k` best entries of a score vector.
 * @param scores - one score per row
 * @param k - how many (clamped to the length)
 * @returns indices and scores, best first (ties: lower index first)
 */
export function selectTopK(scores: Float32Array, k: number): TopK {
  const collector = new TopKCollector(Math.min(k, scores.length));
  for (let i = 0; i < scores.length; i++) collector.push(i, scores[i] as number);
  return collector.result();
}

/** Most candidates {@link topKOfCandidates} takes: its sort keys stay exact in a double. */
export const MAX_CANDIDATES = 2 ** 22 - 1;

/**
 * The `k` best of candidates given in any order: offered to a {@link TopKCollector} in increasing
 * index order, so ties keep the lower index first as everywhere else.
 * @param indices - candidate row indices (distinct integers in `[0, 2^31)`)
 * @param scores - their scores, one per index
 * @param k - how many
 * @returns indices and scores, best first (ties: lower index first)
 * @throws RangeError for more than {@link MAX_CANDIDATES} candidates
 */
export function topKOfCandidates(
  indices: ArrayLike<number>,
  scores: ArrayLike<number>,
  k: number,
): TopK {
  if (indices.length > MAX_CANDIDATES) {
    throw new RangeError(`at most ${MAX_CANDIDATES} candidates, got ${indices.length}`);
  }
  // One numeric sort of `index · span + position` keys, below 2^31 · 2^22 = 2^53: a Map from
  // index to position instead made the PQ path's query 1.6× slower at a million ads.
  const span = 2 ** Math.ceil(Math.log2(indices.length + 1));
  const keys = new Float64Array(indices.length);
  for (let c = 0; c < indices.length; c++) keys[c] = (indices[c] as number) * span + c;
  keys.sort();
  const collector = new TopKCollector(Math.min(k, indices.length));
  for (const key of keys) {
    const index = Math.floor(key / span);
    collector.push(index, scores[key - index * span] as number);
  }
  return collector.result();
}
