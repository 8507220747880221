/**
 * The contribution bound of the per-ad counts: a device reports at most `max` events of a kind
 * (impressions, or clicks) per round. When it saw more, its counts are scaled down to `max` in
 * proportion and rounded by the largest-remainder rule, so the reported counts stay integers,
 * never exceed what happened, keep the ads' shares as closely as integers can, and sum to exactly
 * `max`. The L2 norm of a bounded count vector is then at most `max` (all on one ad), which is the
 * sensitivity the round's counts query is priced with (`countsSensitivity` of `@privads/protocol`).
 */
import { requireCount } from './validate.js';

/**
 * Bounds one device's per-ad counts of one kind.
 * @param counts - events per ad this round (non-negative integers)
 * @param max - most events the device may report (integer ≥ 0)
 * @returns a new vector: `counts` when their sum is ≤ max, else integers ≤ counts summing to max
 * @throws TypeError / RangeError when `max` or an entry is not a non-negative safe integer
 */
export function boundCounts(counts: ArrayLike<number>, max: number): Uint32Array {
  requireCount('max', max);
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    total += requireCount(`counts[${i}]`, counts[i] as number);
  }
  const out = Uint32Array.from(counts);
  if (total <= max) return out;
  const remainders: { index: number; remainder: number }[] = [];
  let assigned = 0;
  for (let i = 0; i < out.length; i++) {
    const exact = ((counts[i] as number) * max) / total;
    const whole = Math.floor(exact);
    out[i] = whole;
    assigned += whole;
    if (exact > whole) remainders.push({ index: i, remainder: exact - whole });
  }
  // Ties go to the lower index, so the result is a function of the counts alone.
  remainders.sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (let k = 0; assigned < max && k < remainders.length; k++, assigned++) {
    const { index } = remainders[k] as { index: number };
    out[index] = (out[index] as number) + 1;
  }
  return out;
}
