/**
 * A synthetic embedding catalog with the structure real ad embeddings have, for benchmarks at a
 * scale no shipped data set reaches (a million ads): vectors bunch around topics of very unequal
 * size, topics differ in how tight they are, and the variance is spread unevenly over directions
 * (a decaying spectrum, as sentence embeddings and their projections have) in directions that are
 * not the coordinate axes. Queries are readers whose taste mixes two topics. Every vector is unit
 * length, as the projector's outputs are.
 */
import { createSeededRandom, type SeededRandom } from '../seeded-random.js';

/** Options of {@link createClusteredEmbeddings}. */
export interface ClusteredEmbeddingOptions {
  /** Number of ad vectors. */
  readonly count: number;
  /** Number of reader (query) vectors. */
  readonly queries: number;
  /** @defaultValue `128` */
  readonly dim?: number;
  /** @defaultValue `2000` */
  readonly topics?: number;
  /**
   * Spectrum decay: direction j has standard deviation `(1 + j / 8)^-decay`.
   * @defaultValue `0.5` (the leading 24 of 128 directions carry about half the variance)
   */
  readonly decay?: number;
  /**
   * Topic popularity follows Zipf's law with this exponent.
   * @defaultValue `0.8`
   */
  readonly zipf?: number;
  /** @defaultValue `1` */
  readonly seed?: number;
}

/** The catalog and its readers, row-major unit vectors. */
export interface ClusteredEmbeddings {
  readonly dim: number;
  readonly ads: Float32Array;
  readonly queries: Float32Array;
}

/** Householder reflections composed into the fixed rotation that hides the axes. */
const REFLECTIONS = 4;

function normalizeInto(out: Float32Array, at: number, v: Float64Array): void {
  let sq = 0;
  for (const x of v) sq += x * x;
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  for (let j = 0; j < v.length; j++) out[at + j] = (v[j] as number) * inv;
}

/** Cumulative Zipf weights, to draw a topic by binary search. */
function zipfTable(topics: number, exponent: number): Float64Array {
  const table = new Float64Array(topics);
  let sum = 0;
  for (let t = 0; t < topics; t++) table[t] = sum += (t + 1) ** -exponent;
  for (let t = 0; t < topics; t++) table[t] = (table[t] as number) / sum;
  return table;
}

function drawTopic(table: Float64Array, rng: SeededRandom): number {
  const u = rng.next();
  let lo = 0;
  let hi = table.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((table[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Generates the catalog (deterministic per seed).
 * @param options - sizes, shape and seed
 * @returns unit ad vectors and unit query vectors
 * @throws RangeError when a size is not a non-negative integer
 */
export function createClusteredEmbeddings(options: ClusteredEmbeddingOptions): ClusteredEmbeddings {
  const { count, queries } = options;
  const dim = options.dim ?? 128;
  const topics = options.topics ?? 2000;
  for (const [name, value] of Object.entries({ count, queries, dim, topics })) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
  const rng = createSeededRandom(options.seed ?? 1);
  const decay = options.decay ?? 0.5;
  const spectrum = Float64Array.from({ length: dim }, (_, j) => (1 + j / 8) ** -decay);
  const reflections = Array.from({ length: REFLECTIONS }, () => {
    const v = Float64Array.from({ length: dim }, () => rng.nextNormal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
  const latent = new Float64Array(dim);
  /** Shapes `latent` by the spectrum and rotates it (in place). */
  const embed = (): Float64Array => {
    for (let j = 0; j < dim; j++) latent[j] = (latent[j] as number) * (spectrum[j] as number);
    for (const v of reflections) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += (v[j] as number) * (latent[j] as number);
      for (let j = 0; j < dim; j++) latent[j] = (latent[j] as number) - 2 * dot * (v[j] as number);
    }
    return latent;
  };
  const centers = Array.from({ length: topics }, () =>
    Float64Array.from({ length: dim }, () => rng.nextNormal()),
  );
  // Tight and loose topics: the within-topic spread ranges over [0.3, 0.8] of the between-topic one.
  const spreads = Float64Array.from({ length: topics }, () => 0.3 + 0.5 * rng.next());
  const popularity = zipfTable(topics, options.zipf ?? 0.8);
  const ads = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const t = drawTopic(popularity, rng);
    const center = centers[t] as Float64Array;
    const spread = spreads[t] as number;
    for (let j = 0; j < dim; j++) latent[j] = (center[j] as number) + spread * rng.nextNormal();
    normalizeInto(ads, i * dim, embed());
  }
  const readers = new Float32Array(queries * dim);
  for (let q = 0; q < queries; q++) {
    const a = centers[drawTopic(popularity, rng)] as Float64Array;
    const b = centers[drawTopic(popularity, rng)] as Float64Array;
    for (let j = 0; j < dim; j++) {
      latent[j] = (a[j] as number) + 0.5 * (b[j] as number) + 0.5 * rng.nextNormal();
    }
    normalizeInto(readers, q * dim, embed());
  }
  return { dim, ads, queries: readers };
}
