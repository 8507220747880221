/**
 * Which path ranks a catalog that announced a PQ index, decided by measuring both on this device.
 * The index's answer is approximate (recall@10 0.96–0.99 in docs/benchmarks.md) and its cost has a
 * floor (fast scan, stage re-rank, exact re-rank), while the exact engine's grows with the catalog
 * at a rate that depends on the device (WASM SIMD, a GPU): where the crossover lies cannot be known
 * on the server, so a fixed ad count would send some readers the slower and less exact path.
 */
import type { QuantizedMatrix, ScoringEngine } from '../engines/engine.js';
import { medianTopKMs, type TopKSource } from '../engines/median-time.js';
import type { RankingTimings } from '../types.js';

/** Queries timed per path (the median is kept, so that one preempted query does not decide). */
export const PROBE_QUERIES = 7;

/**
 * The most rows the exact engine is loaded with to be timed (32 MB at 128 dimensions): larger
 * catalogs are timed on prefixes of this size and half of it, so that choosing the index never
 * costs holding every row twice.
 */
export const EXACT_PROBE_ROWS = 1 << 18;

/** How much faster the index must be to be used: its answer is approximate, the engine's exact. */
export const INDEX_MIN_SPEEDUP = 1.25;

/**
 * Query vectors like the reader's: catalog rows (ads of the catalog's own distribution), evenly
 * spaced through it.
 * @param matrix - the catalog
 * @param n - how many
 * @returns `n` vectors of length `matrix.dim` (fewer when the catalog is smaller)
 */
export function probeQueries(matrix: QuantizedMatrix, n = PROBE_QUERIES): Float32Array[] {
  const count = Math.min(n, matrix.rows);
  return Array.from({ length: count }, (_, q) => {
    const row = Math.floor(((q + 0.5) * matrix.rows) / count);
    const scale = matrix.scales[row] as number;
    const values = matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim);
    return Float32Array.from(values, (v) => v * scale);
  });
}

/**
 * The first `rows` rows of `matrix`, as their own version (views, no copy).
 * @param matrix - the catalog
 * @param rows - how many
 */
function prefixOf(matrix: QuantizedMatrix, rows: number): QuantizedMatrix {
  if (rows >= matrix.rows) return matrix;
  return {
    version: `${matrix.version}:probe-${rows}`,
    rows,
    dim: matrix.dim,
    data: matrix.data.subarray(0, rows * matrix.dim),
    scales: matrix.scales.subarray(0, rows),
  };
}

/**
 * Times the index and the exact engine on this catalog. The engine is left loaded with the whole
 * catalog when it has at most {@link EXACT_PROBE_ROWS} ads, else with a prefix (which the caller
 * replaces or frees).
 * @param index - the catalog's loaded PQ index
 * @param engine - the exact scoring engine
 * @param matrix - the catalog's int8 rows
 * @param elapsed - a monotonic clock in milliseconds (`performance.now`)
 * @param k - results per query
 * @returns both paths' median time per query
 */
export async function timeRankingPaths(
  index: TopKSource,
  engine: ScoringEngine,
  matrix: QuantizedMatrix,
  elapsed: () => number,
  k = 10,
): Promise<RankingTimings> {
  const queries = probeQueries(matrix);
  const indexMs = await medianTopKMs(index, queries, k, elapsed);
  const timeExact = async (rows: number): Promise<number> => {
    await engine.load(prefixOf(matrix, rows));
    return medianTopKMs(engine, queries, k, elapsed);
  };
  if (matrix.rows <= EXACT_PROBE_ROWS) return { indexMs, exactMs: await timeExact(matrix.rows) };
  const half = EXACT_PROBE_ROWS / 2;
  const atHalf = await timeExact(half);
  const atFull = await timeExact(EXACT_PROBE_ROWS);
  // A fixed part (a GPU's read-back) and a part per row; noise that makes the slope negative
  // leaves only the fixed part.
  const perRow = Math.max(0, (atFull - atHalf) / (EXACT_PROBE_ROWS - half));
  return { indexMs, exactMs: atFull + perRow * (matrix.rows - EXACT_PROBE_ROWS) };
}

/**
 * @param timings - both paths' times
 * @returns whether the index is fast enough to be worth its approximation (not when both round to
 *   the same tick of a coarse clock: browsers without cross-origin isolation give 0.1 ms)
 */
export function indexIsFaster(timings: RankingTimings): boolean {
  return timings.indexMs * INDEX_MIN_SPEEDUP < timings.exactMs;
}
