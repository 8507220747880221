/**
 * The partitions of a product-quantised index (an inverted file, as FAISS's IVF-PQ): k-means over
 * the whole vectors, so that the 4-bit codes only have to tell apart the ads of one partition. On
 * catalogs whose ads bunch around topics, what is left after the partition's centroid is the small
 * within-topic part that decides which of a topic's ads rank first.
 */
import type { RandomSource } from '@privads/dp';
import { PQ_MAX_PARTITIONS } from '@privads/protocol';
import { lloyd } from './lloyd.js';

/** Ads per partition that {@link autoPartitionCount} aims at. */
const ADS_PER_PARTITION = 4096;
/**
 * Most partitions `auto` picks: assigning every ad costs `count × partitions × dim`
 * multiply-adds at catalog import; at a million ads (dim 128) 244 partitions made the build 55 s
 * longer in a browser worker, and 512 made it about two minutes longer for little more recall
 * (docs/benchmarks.md).
 */
const MAX_AUTO_PARTITIONS = 256;

/**
 * How many partitions `partitions: 'auto'` gives a catalog: one per 4096 ads, at most 256, and
 * none below 16 (a small catalog is scanned whole anyway, and its codes are already fine).
 * @param count - ads in the catalog
 * @returns the partition count, or 0 for none
 */
export function autoPartitionCount(count: number): number {
  const partitions = Math.min(MAX_AUTO_PARTITIONS, Math.floor(count / ADS_PER_PARTITION));
  return partitions >= 16 ? partitions : 0;
}

/** Squared norms of `count` rows of `dim` values. */
function squaredNorms(rows: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length / dim);
  for (let c = 0; c < out.length; c++) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += (rows[c * dim + j] as number) ** 2;
    out[c] = sum;
  }
  return out;
}

/**
 * The centroid nearest to `vectors[at … at + dim)`: the smallest `‖c‖² − 2 x·c` (‖x‖² is the same
 * for every centroid). Four centroids per pass, so each value of x is loaded once for four of them.
 */
function nearestCentroid(
  vectors: Float32Array,
  at: number,
  centroids: Float32Array,
  norms: Float32Array,
  dim: number,
): number {
  const count = norms.length;
  let best = 0;
  let bestDistance = Infinity;
  let c = 0;
  for (; c + 4 <= count; c += 4) {
    const o0 = c * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let j = 0; j < dim; j++) {
      const x = vectors[at + j] as number;
      d0 += x * (centroids[o0 + j] as number);
      d1 += x * (centroids[o1 + j] as number);
      d2 += x * (centroids[o2 + j] as number);
      d3 += x * (centroids[o3 + j] as number);
    }
    d0 = (norms[c] as number) - 2 * d0;
    d1 = (norms[c + 1] as number) - 2 * d1;
    d2 = (norms[c + 2] as number) - 2 * d2;
    d3 = (norms[c + 3] as number) - 2 * d3;
    if (d0 < bestDistance) {
      bestDistance = d0;
      best = c;
    }
    if (d1 < bestDistance) {
      bestDistance = d1;
      best = c + 1;
    }
    if (d2 < bestDistance) {
      bestDistance = d2;
      best = c + 2;
    }
    if (d3 < bestDistance) {
      bestDistance = d3;
      best = c + 3;
    }
  }
  for (; c < count; c++) {
    let dot = 0;
    for (let j = 0; j < dim; j++)
      dot += (vectors[at + j] as number) * (centroids[c * dim + j] as number);
    const distance = (norms[c] as number) - 2 * dot;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return best;
}

/**
 * Learns `partitions` centroids by k-means (Lloyd's algorithm) on the sampled rows: initial
 * centroids are distinct sample rows, and a partition left empty is re-seeded with a random one.
 * @param vectors - `count × dim` values, row-major
 * @param dim - vector dimension
 * @param sample - rows to train on (at least `partitions` of them)
 * @param partitions - how many (1 to `PQ_MAX_PARTITIONS`)
 * @param iterations - Lloyd iterations
 * @param rng - random source of the seeding
 * @returns `partitions × dim` centroids, row-major
 * @throws RangeError when `partitions` is out of range or above the sample's size
 */
export function trainPartitions(
  vectors: Float32Array,
  dim: number,
  sample: Int32Array,
  partitions: number,
  iterations: number,
  rng: RandomSource,
): Float32Array {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > PQ_MAX_PARTITIONS) {
    throw new RangeError(`partitions must be 1 to ${PQ_MAX_PARTITIONS}, got ${partitions}`);
  }
  if (partitions > sample.length) {
    throw new RangeError(
      `${partitions} partitions need at least as many sampled vectors, got ${sample.length}`,
    );
  }
  const centroids = new Float32Array(partitions * dim);
  const seed = (c: number, row: number): void =>
    centroids.set(vectors.subarray(row * dim, (row + 1) * dim), c * dim);
  // The sample is a uniform random draw already: its first rows are distinct random seeds.
  for (let c = 0; c < partitions; c++) seed(c, sample[c] as number);
  let norms: Float32Array = new Float32Array(partitions);
  lloyd(
    {
      values: vectors,
      stride: dim,
      start: 0,
      d: dim,
      rows: sample,
      centroids,
      base: 0,
      k: partitions,
      nearest: (at) => nearestCentroid(vectors, at, centroids, norms, dim),
      reseed: (c) => seed(c, sample[rng.nextUint32() % sample.length] as number),
      beforeIteration: () => {
        norms = squaredNorms(centroids, dim);
      },
    },
    iterations,
  );
  return centroids;
}

/**
 * The nearest partition of every vector.
 * @param vectors - `count × dim` values, row-major
 * @param dim - vector dimension
 * @param centroids - `partitions × dim` values, row-major
 * @param onChunk - called after each `chunkRows` vectors
 * @param chunkRows - vectors per progress call
 * @returns `count` partition numbers
 */
export function assignPartitions(
  vectors: Float32Array,
  dim: number,
  centroids: Float32Array,
  onChunk?: () => void,
  chunkRows = 16_384,
): Uint16Array {
  const count = vectors.length / dim;
  const norms = squaredNorms(centroids, dim);
  const out = new Uint16Array(count);
  for (let start = 0; start < count; start += chunkRows) {
    const end = Math.min(count, start + chunkRows);
    for (let i = start; i < end; i++)
      out[i] = nearestCentroid(vectors, i * dim, centroids, norms, dim);
    onChunk?.();
  }
  return out;
}

/**
 * Adds `sign ×` each row's partition centroid to `rows` (in place): −1 makes residuals of vectors,
 * +1 turns residuals back into vectors.
 * @param rows - `n × dim` values, row-major
 * @param dim - vector dimension
 * @param centroids - `partitions × dim` values, row-major
 * @param partitionOf - the partition of row `i`
 * @param sign - `1` or `-1`
 */
export function shiftByPartitions(
  rows: Float32Array,
  dim: number,
  centroids: Float32Array,
  partitionOf: (i: number) => number,
  sign: 1 | -1,
): void {
  const n = rows.length / dim;
  for (let i = 0; i < n; i++) {
    const base = partitionOf(i) * dim;
    for (let j = 0; j < dim; j++)
      rows[i * dim + j] = (rows[i * dim + j] as number) + sign * (centroids[base + j] as number);
  }
}
