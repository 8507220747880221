/**
 * Training and encoding of product-quantisation codes (the `PqIndex` of `@privads/protocol`): what
 * the server runs at catalog import so that the browser can rank a million ads from 4-bit codes.
 * Each stage splits the vectors into sub-spaces, learns 16 centroids per sub-space by k-means on a
 * sample, and codes every vector sub-space by sub-space; the next stage does the same for the
 * residual the stages before it leave. Coding is score-aware (ScaNN's anisotropic loss, applied
 * greedily per sub-space): the residual's component along the vector costs `anisotropy` times more
 * than the orthogonal rest, because it is what shifts the vector's score for the queries that rank
 * it near the top. Large catalogs are first split into partitions (k-means, `partitions.ts`) and
 * the stages code each vector's residual from its partition's centroid. By default the codes
 * describe the vectors rotated so that the first stage's sub-spaces share their variance evenly
 * (`balancedPcaRotation`); the index carries the rotation and the partitions.
 *
 * The same sub-space k-means, with 256 centroids and one byte per code, compresses a catalog's
 * content vectors (`trainContentQuantizer`, the bundle's `pq8` content) so that a million ads fit
 * the bundle readers decode.
 */
import { createSeededRandomSource, type RandomSource } from '@privads/dp';
import {
  CONTENT_PQ_CENTROIDS,
  PQ_CENTROIDS,
  PQ_MAX_PARTITIONS,
  PQ_MAX_ROTATION_DIM,
  PQ_MAX_STAGES,
  type PqIndex,
  type PqPartitions,
  type PqStage,
  type QuantizedContent,
} from '@privads/protocol';
import { lloyd } from './lloyd.js';
import {
  assignPartitions,
  autoPartitionCount,
  shiftByPartitions,
  trainPartitions,
} from './partitions.js';
import { balancedPcaRotation, rotateRows } from './pca-rotation.js';

/** Options of {@link trainProductQuantizer}. */
export interface ProductQuantizerOptions {
  /**
   * Sub-spaces of each stage (each an even divisor of `dim`); stage 0 is what the fast scan reads,
   * the later stages refine the re-rank.
   * @defaultValue `[32, 32, 8]` (36 bytes per ad at dim 128; 38 with the partition)
   */
  readonly stages?: readonly number[];
  /**
   * Vectors sampled (without replacement) to train each stage's centroids.
   * @defaultValue `65_536`
   */
  readonly trainingSample?: number;
  /**
   * Lloyd iterations per sub-space.
   * @defaultValue `12`
   */
  readonly iterations?: number;
  /**
   * Seed of the sampling and of the initial centroids (the codes are a deterministic function of
   * the vectors and the seed).
   * @defaultValue `1`
   */
  readonly seed?: number;
  /**
   * Called as work progresses (at least once per stage and per 16 384 vectors encoded).
   * @param done - work units finished
   * @param total - work units in all
   */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Weight of the residual's component along the vector against its orthogonal part, when coding
   * (score-aware quantisation, as ScaNN's anisotropic loss): errors along the vector move its
   * scores with the queries it ranks high for most.
   * @defaultValue `4` (`1` codes by plain nearest centroid); on the clustered benchmark catalog, 4
   *   lifted recall@10 of 40-byte codes from 0.45 to 0.57 at 100k ads (10 gave 0.50)
   */
  readonly anisotropy?: number;
  /**
   * Whether to code the vectors in a rotation that balances their variance over the first stage's
   * sub-spaces (`balancedPcaRotation`, estimated on the training sample; never above
   * `PQ_MAX_ROTATION_DIM`). `auto` trains the first stage on the sample both ways and rotates
   * only when that lowers its quantisation error: embeddings whose variance sits in a few
   * directions gain, while data whose coordinates are already independent (where any rotation
   * mixes them) keeps its axes.
   * @defaultValue `'auto'`
   */
  readonly rotate?: boolean | 'auto';
  /**
   * Partitions to split the catalog into before coding (k-means over the whole vectors, trained on
   * the sample; the stages then code each vector's residual from its partition's centroid). `0`
   * codes the vectors themselves. `auto` takes one partition per 4096 ads, at most 256, and none
   * under 65,536 ads (`autoPartitionCount`).
   * @defaultValue `'auto'`; on the clustered benchmark catalog (200k ads, plain coding), 256
   *   partitions put 0.93 of the exact top 10 among stage 0's best 200 candidates, against 0.88
   *   without
   */
  readonly partitions?: number | 'auto';
}

/**
 * Default stages: 16 bytes of fast-scan codes and 20 of re-rank refinement at dim 128, so that with
 * its 2-byte partition an ad takes 38 bytes, and a million ads fit in 40 MB. (The refinement only
 * orders the fast scan's candidates for the exact re-rank: its last stage's 4 more bytes moved
 * recall@10 at a million ads from 0.923 to 0.93, `docs/benchmarks.md`.)
 */
export const DEFAULT_PQ_STAGES: readonly number[] = [32, 32, 8];

const ENCODE_CHUNK = 16_384;

/**
 * Checks a list of stages before anything is trained (server configuration, import options).
 * @param stages - sub-spaces per stage
 * @param dim - vector dimension; without it, only what holds for every dimension is checked
 * @throws RangeError unless there are 1 to `PQ_MAX_STAGES` stages, each an even integer ≥ 2 that
 *   divides `dim`
 */
export function checkPqStages(stages: readonly number[], dim?: number): void {
  if (!Array.isArray(stages) || stages.length < 1 || stages.length > PQ_MAX_STAGES) {
    throw new RangeError(
      `a PQ index needs 1 to ${PQ_MAX_STAGES} stages, got ${JSON.stringify(stages)}`,
    );
  }
  for (const m of stages) {
    if (!Number.isInteger(m) || m < 2 || m % 2 !== 0 || (dim !== undefined && dim % m !== 0)) {
      throw new RangeError(
        `each stage's sub-space count must be an even divisor of ${dim ?? 'the dimension'}, got ${m}`,
      );
    }
  }
}

/**
 * Checks a partition setting before anything is trained (server configuration, import options).
 * @param partitions - `'auto'` or a partition count
 * @param path - what to name in the error
 * @throws RangeError unless `'auto'` or an integer 0 to `PQ_MAX_PARTITIONS`
 */
export function checkPqPartitions(partitions: number | 'auto', path = 'partitions'): void {
  if (partitions === 'auto') return;
  if (!Number.isInteger(partitions) || partitions < 0 || partitions > PQ_MAX_PARTITIONS) {
    throw new RangeError(
      `${path} must be 'auto' or an integer 0 to ${PQ_MAX_PARTITIONS}, got ${JSON.stringify(partitions)}`,
    );
  }
}

/**
 * Checks a row-major matrix given to a quantizer.
 * @returns its row count
 * @throws RangeError for a dimension under `minDim`, a ragged length or a non-finite value
 */
function checkRows(values: Float32Array, dim: number, minDim: number, name: string): number {
  if (!Number.isInteger(dim) || dim < minDim)
    throw new RangeError(`dim must be an integer >= ${minDim}, got ${dim}`);
  if (values.length % dim !== 0)
    throw new RangeError(`${name} length ${values.length} is not a multiple of dim ${dim}`);
  if (!values.every(Number.isFinite)) throw new RangeError(`${name} must be finite`);
  return values.length / dim;
}

/** Distinct row indices, a uniform sample of `k` out of `n` (partial Fisher–Yates). */
function sampleRows(n: number, k: number, rng: RandomSource): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + (rng.nextUint32() % (n - i));
    const t = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = t;
  }
  return pool.slice(0, k);
}

/**
 * The centroid (of the `k` at `book[base …]`) that best codes `residual[at … at + d)`: the nearest,
 * or with `extra > 0` the one minimising `‖r_s − c‖² + extra · (p − c · x̂_s)²`, the loss that weighs
 * the residual's component along the unit vector x̂ (`vectors[…] · inv`, currently `parallel`)
 * `1 + extra` times.
 */
function nearest(
  residual: Float32Array,
  at: number,
  book: Float32Array,
  base: number,
  d: number,
  k: number,
  extra = 0,
  vectors: Float32Array = residual,
  inv = 0,
  parallel = 0,
): number {
  let best = 0;
  let bestLoss = Infinity;
  for (let c = 0; c < k; c++) {
    let loss = 0;
    let along = 0;
    const offset = base + c * d;
    for (let j = 0; j < d; j++) {
      const centroid = book[offset + j] as number;
      const t = (residual[at + j] as number) - centroid;
      loss += t * t;
      if (extra > 0) along += centroid * (vectors[at + j] as number);
    }
    if (extra > 0) {
      const left = parallel - along * inv;
      loss += extra * left * left;
    }
    if (loss < bestLoss) {
      bestLoss = loss;
      best = c;
    }
  }
  return best;
}

/**
 * k-means with `k` centroids on one sub-space of the sampled rows (Lloyd's algorithm, initial
 * centroids drawn from the sample; an emptied cluster is re-seeded with a random sample row).
 */
function trainSubspace(
  residual: Float32Array,
  dim: number,
  rows: Int32Array,
  start: number,
  d: number,
  iterations: number,
  rng: RandomSource,
  book: Float32Array,
  base: number,
  k = PQ_CENTROIDS,
): void {
  const n = rows.length;
  const pick = (c: number): void => {
    const row = rows[rng.nextUint32() % n] as number;
    for (let j = 0; j < d; j++) book[base + c * d + j] = residual[row * dim + start + j] as number;
  };
  for (let c = 0; c < k; c++) pick(c);
  lloyd(
    {
      values: residual,
      stride: dim,
      start,
      d,
      rows,
      centroids: book,
      base,
      k,
      nearest: (at) => nearest(residual, at, book, base, d, k),
      reseed: pick,
    },
    iterations,
  );
}

/** Squared error of coding `rows` (n × dim, contiguous) with one trained stage of `m` sub-spaces. */
function stageError(
  rows: Float32Array,
  dim: number,
  m: number,
  iterations: number,
  seed: number,
): number {
  const n = rows.length / dim;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const d = dim / m;
  const book = new Float32Array(m * PQ_CENTROIDS * d);
  const rng = createSeededRandomSource(seed);
  let error = 0;
  for (let s = 0; s < m; s++) {
    const base = s * PQ_CENTROIDS * d;
    trainSubspace(rows, dim, all, s * d, d, iterations, rng, book, base);
    for (let i = 0; i < n; i++) {
      const at = i * dim + s * d;
      const c = nearest(rows, at, book, base, d, PQ_CENTROIDS);
      for (let j = 0; j < d; j++)
        error += ((rows[at + j] as number) - (book[base + c * d + j] as number)) ** 2;
    }
  }
  return error;
}

/**
 * The rotation to code in, if any (see {@link ProductQuantizerOptions.rotate}): `auto` compares the
 * first stage's error on the sampled rows with and without it, trained with the same seed.
 */
function chooseRotation(
  rows: Float32Array,
  dim: number,
  firstStage: number,
  how: { wanted: boolean | 'auto'; iterations: number; seed: number },
): Float32Array | undefined {
  const n = rows.length / dim;
  if (how.wanted === false || n === 0 || dim > PQ_MAX_ROTATION_DIM) return undefined;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const rotation = balancedPcaRotation(rows, dim, all, firstStage);
  if (how.wanted === true) return rotation;
  const plain = stageError(rows, dim, firstStage, how.iterations, how.seed);
  const rotated = stageError(
    rotateRows(rotation, rows, dim),
    dim,
    firstStage,
    how.iterations,
    how.seed,
  );
  return rotated < plain ? rotation : undefined;
}

/**
 * Learns the stages' centroids and codes every vector.
 * @param vectors - `count × dim` values, row-major (not modified)
 * @param dim - vector dimension
 * @param options - stages, sample size, iterations, seed, progress callback
 * @returns codes and centroids, in the wire format's shape (versions set to 0: the caller sets them)
 * @throws RangeError when the length is not a multiple of `dim`, a stage's sub-space count is not
 *   an even divisor of `dim`, or a value is not finite
 */
export function trainProductQuantizer(
  vectors: Float32Array,
  dim: number,
  options: ProductQuantizerOptions = {},
): PqIndex {
  const count = checkRows(vectors, dim, 2, 'vectors');
  const stagesWanted = options.stages ?? DEFAULT_PQ_STAGES;
  checkPqStages(stagesWanted, dim);
  const rng = createSeededRandomSource(options.seed ?? 1);
  const iterations = options.iterations ?? 12;
  const anisotropy = options.anisotropy ?? 4;
  if (!(anisotropy >= 1)) throw new RangeError(`anisotropy must be >= 1, got ${anisotropy}`);
  const extra = anisotropy - 1;
  const sample = sampleRows(count, Math.min(count, options.trainingSample ?? 65_536), rng);
  const chunks = Math.ceil(count / ENCODE_CHUNK);
  const wantedPartitions = options.partitions ?? 'auto';
  checkPqPartitions(wantedPartitions);
  const partitionCount = wantedPartitions === 'auto' ? autoPartitionCount(count) : wantedPartitions;
  const partitioned = partitionCount > 0 && count > 0;
  const rotationWanted = options.rotate ?? 'auto';
  const total =
    (partitioned ? 1 + chunks : 0) +
    stagesWanted.length * (1 + chunks) +
    (rotationWanted === false ? 0 : chunks);
  let done = 0;
  const progress = (): void => options.onProgress?.(++done, total);
  let partitions: PqPartitions | undefined;
  if (partitioned) {
    const centroids = trainPartitions(vectors, dim, sample, partitionCount, iterations, rng);
    progress();
    partitions = {
      centroids,
      assignment: assignPartitions(vectors, dim, centroids, progress, ENCODE_CHUNK),
    };
  }
  // What the stages code, on the sample: the vectors less their partitions' centroids.
  const sampled = new Float32Array(sample.length * dim);
  sample.forEach((row, i) => sampled.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim));
  if (partitions !== undefined) {
    const { centroids, assignment } = partitions;
    const partitionOf = (i: number): number => assignment[sample[i] as number] as number;
    shiftByPartitions(sampled, dim, centroids, partitionOf, -1);
  }
  const rotation = chooseRotation(sampled, dim, stagesWanted[0] as number, {
    wanted: rotationWanted,
    iterations,
    seed: options.seed ?? 1,
  });
  // Without a rotation, its progress units are skipped at once.
  if (!rotation && rotationWanted !== false) done += chunks;
  const coded = rotation ? rotateRows(rotation, vectors, dim, progress, ENCODE_CHUNK) : vectors;
  const residual = coded.slice();
  if (partitions !== undefined) {
    const { centroids, assignment } = partitions;
    const shifts = rotation ? rotateRows(rotation, centroids, dim) : centroids;
    shiftByPartitions(residual, dim, shifts, (i) => assignment[i] as number, -1);
  }
  const stages = stagesWanted.map((m): PqStage => {
    const d = dim / m;
    const centroids = new Float32Array(m * PQ_CENTROIDS * d);
    if (count > 0) {
      for (let s = 0; s < m; s++) {
        trainSubspace(
          residual,
          dim,
          sample,
          s * d,
          d,
          iterations,
          rng,
          centroids,
          s * PQ_CENTROIDS * d,
        );
      }
    }
    progress();
    const codes = new Uint8Array((count * m) / 2);
    for (let chunk = 0; chunk < chunks; chunk++) {
      const end = Math.min(count, (chunk + 1) * ENCODE_CHUNK);
      for (let i = chunk * ENCODE_CHUNK; i < end; i++) {
        let parallel = 0;
        let norm2 = 0;
        if (extra > 0) {
          for (let j = 0; j < dim; j++) {
            const x = coded[i * dim + j] as number;
            parallel += (residual[i * dim + j] as number) * x;
            norm2 += x * x;
          }
        }
        const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
        parallel *= inv;
        for (let s = 0; s < m; s++) {
          const at = i * dim + s * d;
          const base = s * PQ_CENTROIDS * d;
          const c = nearest(
            residual,
            at,
            centroids,
            base,
            d,
            PQ_CENTROIDS,
            extra,
            coded,
            inv,
            parallel,
          );
          if (extra > 0) {
            let shift = 0;
            for (let j = 0; j < d; j++)
              shift += (centroids[base + c * d + j] as number) * (coded[at + j] as number);
            parallel -= shift * inv;
          }
          for (let j = 0; j < d; j++)
            residual[at + j] =
              (residual[at + j] as number) - (centroids[base + c * d + j] as number);
          const byte = (i * m + s) >> 1;
          codes[byte] = (codes[byte] as number) | (s % 2 === 0 ? c : c << 4);
        }
      }
      progress();
    }
    return { subspaces: m, centroids, codes };
  });
  return {
    catalogVersion: 0,
    projectorVersion: 0,
    count,
    dim,
    stages,
    ...(rotation ? { rotation } : {}),
    ...(partitions ? { partitions } : {}),
  };
}

/**
 * The vectors a PQ index stands for: the sum of each stage's chosen centroids, rotated back when
 * the index codes rotated vectors, plus the partition's centroid when it has partitions.
 * @param index - the index
 * @returns `count × dim` values, row-major
 */
export function reconstructPq(index: PqIndex): Float32Array {
  const { count, dim, rotation } = index;
  const out = new Float32Array(count * dim);
  for (const { subspaces: m, centroids, codes } of index.stages) {
    const d = dim / m;
    for (let i = 0; i < count; i++) {
      for (let s = 0; s < m; s++) {
        const byte = codes[(i * m + s) >> 1] as number;
        const c = s % 2 === 0 ? byte & 15 : byte >> 4;
        const base = (s * PQ_CENTROIDS + c) * d;
        for (let j = 0; j < d; j++)
          out[i * dim + s * d + j] =
            (out[i * dim + s * d + j] as number) + (centroids[base + j] as number);
      }
    }
  }
  const vectors = rotation === undefined ? out : rotateRows(transpose(rotation, dim), out, dim);
  if (index.partitions !== undefined) {
    const { centroids, assignment } = index.partitions;
    shiftByPartitions(vectors, dim, centroids, (i) => assignment[i] as number, 1);
  }
  return vectors;
}

/** `Rᵀ` of a `dim × dim` row-major matrix (for an orthogonal `R`, its inverse). */
function transpose(matrix: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(dim * dim);
  for (let r = 0; r < dim; r++)
    for (let c = 0; c < dim; c++) out[c * dim + r] = matrix[r * dim + c] as number;
  return out;
}

/** Options of {@link trainContentQuantizer}. */
export interface ContentQuantizerOptions {
  /**
   * Sub-spaces M (dividing the dimension): each ad's content takes M bytes.
   * @defaultValue {@link defaultContentSubspaces} of the dimension (192 at 384: 192 bytes an ad)
   */
  readonly subspaces?: number;
  /**
   * Rows sampled (without replacement) to train the centroids.
   * @defaultValue `16_384` (64 rows per centroid)
   */
  readonly trainingSample?: number;
  /**
   * Lloyd iterations per sub-space.
   * @defaultValue `10`
   */
  readonly iterations?: number;
  /**
   * Seed of the sampling and of the initial centroids.
   * @defaultValue `1`
   */
  readonly seed?: number;
  /**
   * Called as work progresses (once per sub-space trained, then per 16 384 rows coded).
   * @param done - work units finished
   * @param total - work units in all
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The default sub-space count of `pq8` content: the most sub-spaces of at least 2 dimensions each.
 * Two dimensions a byte is 4 bits a dimension, a quarter of the f16 row's bytes; on the clustered
 * benchmark content (384-d, `docs/benchmarks.md`) it kept the squared reconstruction error near 1%,
 * where 4 and 8 dimensions a byte left 9% and 25%.
 * @param dim - content dimension
 * @returns the largest divisor of `dim` not above `dim / 2` (at least 1)
 */
export function defaultContentSubspaces(dim: number): number {
  return contentSubspaceChoices(dim)[0] ?? 1;
}

/**
 * The sub-space counts worth offering for `pq8` content, finest first: the divisors of `dim` with
 * at least 2 dimensions each (a server that must fit a size limit takes the first that fits).
 * @param dim - content dimension
 * @returns divisors of `dim` not above `dim / 2`, descending (`[1]` when there are none)
 */
export function contentSubspaceChoices(dim: number): number[] {
  const choices: number[] = [];
  for (let m = Math.floor(dim / 2); m >= 1; m--) if (dim % m === 0) choices.push(m);
  return choices.length > 0 ? choices : [1];
}

/**
 * Product-quantises content vectors for a catalog bundle (`pq8`): per sub-space, 256 centroids
 * learnt by k-means on a sample, and every row coded by its nearest centroid. What the bundle
 * carries, and so what every device and the server learn from, are the reconstructions.
 * @param values - `count × dim` content vectors, row-major (not modified)
 * @param dim - content dimension
 * @param options - sub-spaces, sample size, iterations, seed, progress callback
 * @returns the coded content
 * @throws RangeError when the length is not a multiple of `dim`, the sub-spaces do not divide
 *   `dim`, or a value is not finite
 */
export function trainContentQuantizer(
  values: Float32Array,
  dim: number,
  options: ContentQuantizerOptions = {},
): QuantizedContent {
  const count = checkRows(values, dim, 1, 'values');
  const m = options.subspaces ?? defaultContentSubspaces(dim);
  if (!Number.isInteger(m) || m < 1 || dim % m !== 0)
    throw new RangeError(`content sub-spaces must be an integer dividing ${dim}, got ${m}`);
  const d = dim / m;
  const k = CONTENT_PQ_CENTROIDS;
  const rng = createSeededRandomSource(options.seed ?? 1);
  const sample = sampleRows(count, Math.min(count, options.trainingSample ?? 16_384), rng);
  const iterations = options.iterations ?? 10;
  const chunks = Math.ceil(count / ENCODE_CHUNK);
  let done = 0;
  const progress = (): void => options.onProgress?.(++done, m + chunks);
  const codebook = new Float32Array(m * k * d);
  for (let s = 0; s < m; s++) {
    if (count > 0)
      trainSubspace(values, dim, sample, s * d, d, iterations, rng, codebook, s * k * d, k);
    progress();
  }
  const codes = new Uint8Array(count * m);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const end = Math.min(count, (chunk + 1) * ENCODE_CHUNK);
    for (let i = chunk * ENCODE_CHUNK; i < end; i++)
      for (let s = 0; s < m; s++)
        codes[i * m + s] = nearest(values, i * dim + s * d, codebook, s * k * d, d, k);
    progress();
  }
  return { encoding: 'pq8', subspaces: m, codebook, codes };
}
