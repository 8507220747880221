/**
 * What the benchmark workers share: latency statistics and the naive baseline they are measured
 * against (a plain Float32 loop, then a top-K insertion pass).
 */

/** @returns p50, p95 and mean of `samples`, rounded to microseconds */
export function stats(samples: readonly number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const round = (x: number): number => Number(x.toFixed(3));
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    mean: round(samples.reduce((s, x) => s + x, 0) / samples.length),
  };
}

/** The naive baseline: every score in a Float32 loop, then the k best by insertion. */
export function naiveTopK(rows: Float32Array, dim: number, q: Float32Array, k: number): Int32Array {
  const count = rows.length / dim;
  const best = new Int32Array(k).fill(-1);
  const bestScores = new Float32Array(k).fill(-Infinity);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (rows[i * dim + j] as number) * (q[j] as number);
    if (s <= (bestScores[k - 1] as number)) continue;
    let p = k - 1;
    while (p > 0 && (bestScores[p - 1] as number) < s) {
      bestScores[p] = bestScores[p - 1] as number;
      best[p] = best[p - 1] as number;
      p--;
    }
    bestScores[p] = s;
    best[p] = i;
  }
  return best;
}
