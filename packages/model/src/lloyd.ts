/**
 * Lloyd's algorithm, shared by the product quantizer's sub-spaces and the index's partitions: each
 * iteration assigns every sampled row to its nearest centroid and moves each centroid to the mean of
 * its rows; a centroid left without rows is re-seeded by the caller.
 */

/** Where the rows and the centroids lie, and how to find a row's nearest centroid. */
export interface LloydProblem {
  /** Row-major values; a row's sub-vector starts at `row × stride + start`. */
  readonly values: Float32Array;
  readonly stride: number;
  readonly start: number;
  /** Length of the sub-vectors (and of the centroids). */
  readonly d: number;
  /** The rows to train on. */
  readonly rows: ArrayLike<number>;
  /** `k × d` centroid values from `base`, updated in place. */
  readonly centroids: Float32Array;
  readonly base: number;
  readonly k: number;
  /** Index (0‥k−1) of the centroid nearest to the sub-vector at `at`. */
  nearest(at: number): number;
  /** Gives centroid `c` a new start (it was left without rows). */
  reseed(c: number): void;
  /** Called before each iteration's assignment (e.g. to refresh the centroids' norms). */
  beforeIteration?(): void;
}

/**
 * Runs `iterations` Lloyd iterations.
 * @param problem - rows, centroids and the nearest-centroid rule
 * @param iterations - how many
 */
export function lloyd(problem: LloydProblem, iterations: number): void {
  const { values, stride, start, d, rows, centroids, base, k } = problem;
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let it = 0; it < iterations; it++) {
    problem.beforeIteration?.();
    sums.fill(0);
    counts.fill(0);
    for (let r = 0; r < rows.length; r++) {
      const at = (rows[r] as number) * stride + start;
      const c = problem.nearest(at);
      counts[c] = (counts[c] as number) + 1;
      for (let j = 0; j < d; j++)
        sums[c * d + j] = (sums[c * d + j] as number) + (values[at + j] as number);
    }
    for (let c = 0; c < k; c++) {
      const count = counts[c] as number;
      if (count === 0) problem.reseed(c);
      else
        for (let j = 0; j < d; j++)
          centroids[base + c * d + j] = (sums[c * d + j] as number) / count;
    }
  }
}
