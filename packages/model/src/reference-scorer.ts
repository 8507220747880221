/**
 * The reference scorer: plain f64 loops, obviously correct, slow. Every scoring engine (WebGPU,
 * WASM, typed-array CPU) is tested against it; its tie and NaN rules are the contract.
 */
import { checkVector, dotRow, rowNorm, type NumericArray } from './vector.js';

/**
 * Cosine scores `cos(user, projected[i])` for every catalog row, in f64.
 * A zero row (or a zero user) scores 0.
 * @param user - user vector (`dim` entries)
 * @param projected - `count × dim` row-major projected ad vectors (typically a catalog's Float32Array)
 * @param count - number of rows
 * @param dim - row length
 * @returns `count` scores in [−1, 1]
 * @throws RangeError when the lengths disagree with `count` and `dim`, or `user` is not finite
 */
export function referenceScores(
  user: NumericArray,
  projected: NumericArray,
  count: number,
  dim: number,
): Float64Array {
  if (!Number.isInteger(dim) || dim < 1)
    throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  checkVector('user', user, dim);
  if (projected.length !== count * dim) {
    throw new RangeError(
      `projected must have count·dim = ${count * dim} elements, got ${projected.length}`,
    );
  }
  const scores = new Float64Array(count);
  const uNorm = rowNorm(user, 0, dim);
  if (uNorm === 0) return scores;
  for (let i = 0; i < count; i++) {
    const pNorm = rowNorm(projected, i, dim);
    scores[i] = pNorm === 0 ? 0 : dotRow(user, projected, i) / (uNorm * pNorm);
  }
  return scores;
}

/**
 * Indices of the `k` highest scores, best first. Ties go to the lower index; NaN ranks below
 * every number (including −Infinity).
 * @param scores - one score per item
 * @param k - how many to return (clamped to `scores.length`)
 * @returns item indices, best first
 * @throws RangeError when `k` is not a non-negative integer
 */
export function referenceTopK(scores: NumericArray, k: number): number[] {
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`k must be a non-negative integer, got ${k}`);
  const key = (i: number): number => (Number.isNaN(scores[i]!) ? -Infinity : scores[i]!);
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => {
    const nanA = Number.isNaN(scores[a]!);
    const nanB = Number.isNaN(scores[b]!);
    if (nanA !== nanB) return nanA ? 1 : -1;
    return key(b) - key(a) || a - b;
  });
  return order.slice(0, Math.min(k, order.length));
}
