import { BackendError, ensureMemory, PQ_CENTROIDS, type PqIndex } from '@privads/protocol';
import type { TopK } from './engine.js';
import { pq4FastScanWasm } from './kernels/pq4-fast-scan.generated.js';
import { TopKCollector } from './top-k.js';
import { align16, compileKernel } from './wasm-module.js';

/** Ads per fast-scan block (two 4-bit codes per byte × 16 bytes). */
const BLOCK = 32;
/** Largest u8 lookup-table entry. */
const LUT_LEVELS = 255;

/** The exports of `kernels/pq4-fast-scan.wat`. */
export interface FastScanKernel {
  readonly memory: WebAssembly.Memory;
  fastScan(
    codes: number,
    luts: number,
    subspaces: number,
    block: number,
    blocks: number,
    threshold: number,
    outIndices: number,
    outScores: number,
    capacity: number,
    scratch: number,
    outCount: number,
    bias: number,
  ): number;
}

/** Options of {@link PqSearcher.topK}. */
export interface PqSearchOptions {
  /**
   * Candidates the fast scan passes to the re-rank (which scores them with every stage).
   * @defaultValue `1000`
   */
  readonly rerank?: number;
}

/** Byte offsets in the kernel's memory, and where each partition's blocks lie. */
interface Layout {
  readonly luts: number;
  readonly scratch: number;
  readonly outCount: number;
  readonly codes: number;
  /** Where the candidate buffers start (they grow at the end of memory). */
  readonly outIndices: number;
  /** Partition `p`'s blocks are `firstBlock[p] … firstBlock[p + 1]` (one partition without any). */
  readonly firstBlock: Int32Array;
  /** The ad in each slot (`block × 32 + lane`), or -1 for the padding that ends a partition. */
  readonly slotAds: Int32Array;
}

/**
 * Ranks a product-quantised catalog (`PqIndex`, a million ads in tens of megabytes): a fast scan
 * of stage 0's 4-bit codes with u8 lookup tables in SIMD registers (i8x16.swizzle) keeps the best
 * few hundred candidates, then every stage's codes re-rank them with f32 lookup tables. In an index
 * with partitions, each partition's ads lie in blocks of their own, scanned best partition first
 * (by the query's score for its centroid), and a partition whose best possible total cannot beat
 * the candidates found so far is skipped whole.
 *
 * The whole index is what it searches: it is meant to be downloaded whole, never as a shard chosen
 * by the reader's profile (which shard a device asks for would tell the server and the network
 * what the reader is interested in).
 */
export class PqSearcher {
  readonly #kernel: FastScanKernel;
  #index: PqIndex | undefined;
  #layout: Layout | undefined;

  private constructor(kernel: FastScanKernel) {
    this.#kernel = kernel;
  }

  /**
   * @returns a searcher with its own kernel instance
   * @throws BackendError `BACKEND_UNAVAILABLE` when WebAssembly SIMD128 is not supported here
   */
  static async create(): Promise<PqSearcher> {
    const module = await compileKernel(pq4FastScanWasm);
    if (module === undefined) {
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        'the PQ fast scan needs WebAssembly SIMD128, which is not supported here',
      );
    }
    const { exports } = await WebAssembly.instantiate(module);
    return new PqSearcher(exports as unknown as FastScanKernel);
  }

  /** Catalog version of the loaded index, if any. */
  get loadedVersion(): number | undefined {
    return this.#index?.catalogVersion;
  }

  /**
   * Makes `index` the catalog to search: lays stage 0's codes out in fast-scan blocks.
   * @param index - a decoded index (see `decodePqIndex`)
   * @throws RangeError when it has no stage or stage 0 has more than 128 sub-spaces (u16 totals)
   */
  load(index: PqIndex): void {
    const first = index.stages[0];
    if (first === undefined) throw new RangeError('a PQ index needs at least one stage, got 0');
    const m = first.subspaces;
    if (m > 128) throw new RangeError(`stage 0 may have at most 128 sub-spaces, got ${m}`);
    const { firstBlock, slotAds } = slotsOf(index);
    const blocks = firstBlock[firstBlock.length - 1] as number;
    const luts = 0;
    const scratch = align16(luts + m * 16);
    const outCount = scratch + 64;
    const codes = align16(outCount + 4);
    const outIndices = align16(codes + blocks * m * 16);
    ensureMemory(this.#kernel.memory, outIndices);
    const blocked = new Uint8Array(this.#kernel.memory.buffer, codes, blocks * m * 16);
    blocked.fill(0);
    const rowBytes = m / 2;
    for (let slot = 0; slot < slotAds.length; slot++) {
      const i = slotAds[slot] as number;
      if (i < 0) continue;
      const lane = slot % BLOCK;
      const shift = lane < 16 ? 0 : 4;
      const base = Math.floor(slot / BLOCK) * m * 16 + (lane % 16);
      for (let s = 0; s < m; s++) {
        const byte = first.codes[i * rowBytes + (s >> 1)] as number;
        const code = s % 2 === 0 ? byte & 15 : byte >> 4;
        const at = base + s * 16;
        blocked[at] = (blocked[at] as number) | (code << shift);
      }
    }
    this.#index = index;
    this.#layout = { luts, scratch, outCount, codes, outIndices, firstBlock, slotAds };
  }

  /**
   * The `k` best ads for a query.
   * @param query - user-space vector of length `dim`
   * @param k - how many (clamped to the catalog)
   * @param options - re-rank depth
   * @returns ad indices and their re-ranked scores, best first (ties: lower index first)
   * @throws Error when nothing is loaded; RangeError on a wrong query length or `rerank` < 1
   */
  topK(query: Float32Array, k: number, options: PqSearchOptions = {}): TopK {
    const index = this.#index;
    if (index === undefined) throw new Error('pq searcher: no index loaded');
    if (query.length !== index.dim) {
      throw new RangeError(`pq searcher: query length must be ${index.dim}, got ${query.length}`);
    }
    const rerank = options.rerank ?? 1000;
    if (!Number.isInteger(rerank) || rerank < 1) {
      throw new RangeError(`rerank must be an integer >= 1, got ${rerank}`);
    }
    const wanted = Math.max(0, Math.min(k, index.count));
    if (wanted === 0 || !query.every(Number.isFinite)) return new TopKCollector(0).result();
    // A rotated index codes R·x: R·q scores against it as q scores against x.
    const coded = index.rotation ? rotated(index.rotation, query) : query;
    const tables = index.stages.map((stage) => partialScores(coded, index.dim, stage));
    const biases = partitionScores(index, query);
    const candidates = this.#fastScan(tables[0] as Float32Array, biases, Math.max(rerank, wanted));
    const assignment = index.partitions?.assignment;
    const collector = new TopKCollector(wanted);
    for (const i of candidates) {
      let score = biases[assignment === undefined ? 0 : (assignment[i] as number)] as number;
      index.stages.forEach((stage, s) => {
        const table = tables[s] as Float32Array;
        const m = stage.subspaces;
        const row = i * (m / 2);
        for (let j = 0; j < m; j += 2) {
          const byte = stage.codes[row + (j >> 1)] as number;
          score +=
            (table[j * PQ_CENTROIDS + (byte & 15)] as number) +
            (table[(j + 1) * PQ_CENTROIDS + (byte >> 4)] as number);
        }
      });
      collector.push(i, score);
    }
    return collector.result();
  }

  /** Frees the index; the kernel's memory stays allocated for the next `load`. */
  dispose(): void {
    this.#index = undefined;
    this.#layout = undefined;
  }

  /**
   * The best `wanted` ads by stage 0's quantised tables plus their partitions' scores, in
   * increasing index order.
   */
  #fastScan(table: Float32Array, biases: Float32Array, wanted: number): Int32Array {
    const index = this.#index as PqIndex;
    const layout = this.#layout as Layout;
    const m = (index.stages[0] as PqIndex['stages'][number]).subspaces;
    // One scale for every sub-space (so sums stay comparable), one offset per sub-space.
    let span = 0;
    for (let s = 0; s < m; s++) {
      const row = table.subarray(s * PQ_CENTROIDS, (s + 1) * PQ_CENTROIDS);
      span = Math.max(span, Math.max(...row) - Math.min(...row));
    }
    const step = span > 0 ? span / LUT_LEVELS : 1;
    const capacity = 4 * wanted + BLOCK;
    const outIndices = layout.outIndices;
    const outScores = outIndices + capacity * 4;
    ensureMemory(this.#kernel.memory, outScores + capacity * 4);
    const memory = this.#kernel.memory.buffer;
    const luts = new Uint8Array(memory, layout.luts, m * 16);
    // The largest total any ad can reach: a partition whose bias leaves no room above the bar is
    // skipped without being read.
    let ceiling = 0;
    for (let s = 0; s < m; s++) {
      const row = table.subarray(s * PQ_CENTROIDS, (s + 1) * PQ_CENTROIDS);
      const low = Math.min(...row);
      let high = 0;
      for (let c = 0; c < PQ_CENTROIDS; c++) {
        const level = Math.round(((row[c] as number) - low) / step);
        luts[s * 16 + c] = level;
        high = Math.max(high, level);
      }
      ceiling += high;
    }
    // Partition scores in lookup-table steps, from 0 for the lowest; the best partition first.
    const lowest = biases.reduce((low, bias) => Math.min(low, bias), Infinity);
    const levels = Int32Array.from(biases, (bias) => Math.round((bias - lowest) / step));
    const order = Int32Array.from(levels.keys()).sort(
      (a, b) => (levels[b] as number) - (levels[a] as number) || a - b,
    );
    const indices = new Int32Array(memory, outIndices, capacity);
    const scores = new Int32Array(memory, outScores, capacity);
    const filledAt = new Int32Array(memory, layout.outCount, 1);
    filledAt[0] = 0;
    let threshold = -1;
    for (const p of order) {
      const bias = levels[p] as number;
      // Sorted best first: once one partition cannot reach the bar, none after it can.
      if (threshold - bias >= ceiling) break;
      let block = layout.firstBlock[p] as number;
      const end = layout.firstBlock[p + 1] as number;
      while (block < end) {
        block = this.#kernel.fastScan(
          layout.codes,
          layout.luts,
          m,
          block,
          end,
          Math.max(-1, threshold - bias),
          outIndices,
          outScores,
          capacity,
          layout.scratch,
          layout.outCount,
          bias,
        );
        if ((filledAt[0] as number) > capacity - BLOCK) {
          // Full: keep the candidates strictly above the wanted-th best total, and raise the bar.
          threshold = kthLargest(scores.subarray(0, filledAt[0]), wanted);
          let kept = 0;
          for (let c = 0; c < (filledAt[0] as number); c++) {
            if ((scores[c] as number) > threshold) {
              indices[kept] = indices[c] as number;
              scores[kept++] = scores[c] as number;
            }
          }
          filledAt[0] = kept;
        }
      }
    }
    const filled = filledAt[0] as number;
    const cut = filled > wanted ? kthLargest(scores.subarray(0, filled), wanted) : -1;
    const out: number[] = [];
    for (let c = 0; c < filled; c++) {
      const i = layout.slotAds[indices[c] as number] as number;
      if (i >= 0 && (scores[c] as number) >= cut) out.push(i);
    }
    return Int32Array.from(out).sort();
  }
}

/**
 * Where each ad lies in the fast scan's blocks: partition after partition, each padded to whole
 * blocks (so that a block's ads share one partition score), ads in catalog order within one.
 */
function slotsOf(index: PqIndex): Pick<Layout, 'firstBlock' | 'slotAds'> {
  const assignment = index.partitions?.assignment;
  const partitions = index.partitions ? index.partitions.centroids.length / index.dim : 1;
  const sizes = new Int32Array(partitions);
  if (assignment === undefined) sizes[0] = index.count;
  else for (const p of assignment) sizes[p] = (sizes[p] as number) + 1;
  const firstBlock = new Int32Array(partitions + 1);
  for (let p = 0; p < partitions; p++) {
    firstBlock[p + 1] = (firstBlock[p] as number) + Math.ceil((sizes[p] as number) / BLOCK);
  }
  const slotAds = new Int32Array((firstBlock[partitions] as number) * BLOCK).fill(-1);
  const next = Int32Array.from(firstBlock.subarray(0, partitions), (block) => block * BLOCK);
  for (let i = 0; i < index.count; i++) {
    const p = assignment === undefined ? 0 : (assignment[i] as number);
    slotAds[next[p] as number] = i;
    next[p] = (next[p] as number) + 1;
  }
  return { firstBlock, slotAds };
}

/** The query's score for each partition's centroid (one zero for an index without partitions). */
function partitionScores(index: PqIndex, query: Float32Array): Float32Array {
  if (index.partitions === undefined) return new Float32Array(1);
  const { centroids } = index.partitions;
  const dim = index.dim;
  const out = new Float32Array(centroids.length / dim);
  for (let p = 0; p < out.length; p++) {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (query[j] as number) * (centroids[p * dim + j] as number);
    out[p] = dot;
  }
  return out;
}

/** `R·q` for a `dim × dim` row-major `R`. */
function rotated(rotation: Float32Array, query: Float32Array): Float32Array {
  const dim = query.length;
  const out = new Float32Array(dim);
  for (let r = 0; r < dim; r++) {
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += (rotation[r * dim + k] as number) * (query[k] as number);
    out[r] = dot;
  }
  return out;
}

/** The `k`-th largest value (k ≥ 1) of `values` (a sorted copy: candidate lists are short). */
function kthLargest(values: Int32Array, k: number): number {
  const sorted = values.slice().sort();
  return sorted[Math.max(0, sorted.length - k)] as number;
}

/**
 * Per sub-space and centroid, the query's partial dot product: `table[s·16 + c] = q_s · centroid_{s,c}`.
 * @param query - the query
 * @param dim - its length
 * @param stage - one stage of the index
 * @returns `subspaces × 16` values
 */
function partialScores(
  query: Float32Array,
  dim: number,
  stage: PqIndex['stages'][number],
): Float32Array {
  const m = stage.subspaces;
  const d = dim / m;
  const table = new Float32Array(m * PQ_CENTROIDS);
  for (let s = 0; s < m; s++) {
    for (let c = 0; c < PQ_CENTROIDS; c++) {
      let dot = 0;
      const base = (s * PQ_CENTROIDS + c) * d;
      for (let j = 0; j < d; j++)
        dot += (query[s * d + j] as number) * (stage.centroids[base + j] as number);
      table[s * PQ_CENTROIDS + c] = dot;
    }
  }
  return table;
}
