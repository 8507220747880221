import { BackendError, ensureMemory, PQ_CENTROIDS, type PqIndex } from '@privads/protocol';
import type { TopK } from './engine.js';
import { pq4FastScanWasm } from './kernels/pq4-fast-scan.generated.js';
import { MAX_CANDIDATES, TopKCollector, topKOfCandidates } from './top-k.js';
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
   * Candidates the fast scan passes to the re-rank (which scores them with every stage), at most
   * 2^22 − 1.
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
  /** The partition of each block (all zero without partitions). */
  readonly blockPartitions: Int32Array;
  /**
   * Every stage's codes of each slot, one row of {@link Layout.rerankRowBytes} per slot in slot
   * order, for the re-rank: a candidate's stages lie side by side, and the candidates of one
   * partition near each other (in catalog order, each stage a row of its own array, they were three
   * cache and TLB misses per candidate, most of the re-rank's time).
   */
  readonly rerankCodes: Uint8Array;
  readonly rerankRowBytes: number;
  /** Where each stage's bytes start within a row of {@link Layout.rerankCodes}. */
  readonly stageOffsets: readonly number[];
}

/** What the searcher keeps of an index besides its layout: no codes (they are laid out anew). */
interface SearchedIndex {
  readonly catalogVersion: number;
  readonly dim: number;
  readonly count: number;
  readonly rotation: Float32Array | undefined;
  readonly stages: readonly { readonly subspaces: number; readonly centroids: Float32Array }[];
  /** Partition centroids, `partitions × dim` (undefined: one partition). */
  readonly partitionCentroids: Float32Array | undefined;
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
  #index: SearchedIndex | undefined;
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
   * Makes `index` the catalog to search: lays stage 0's codes out in fast-scan blocks, and every
   * stage's codes in slot order for the re-rank. Keeps copies only: the index's own bytes may go.
   * @param index - a decoded index (see `decodePqIndex`)
   * @throws RangeError when it has no stage or stage 0 has more than 128 sub-spaces (u16 totals)
   */
  load(index: PqIndex): void {
    const first = index.stages[0];
    if (first === undefined) throw new RangeError('a PQ index needs at least one stage, got 0');
    const m = first.subspaces;
    if (m > 128) throw new RangeError(`stage 0 may have at most 128 sub-spaces, got ${m}`);
    const { firstBlock, slotAds, adSlots } = slotsOf(index);
    const blocks = firstBlock[firstBlock.length - 1] as number;
    const luts = 0;
    const scratch = align16(luts + m * 16);
    const outCount = scratch + 64;
    const codes = align16(outCount + 4);
    const outIndices = align16(codes + blocks * m * 16);
    ensureMemory(this.#kernel.memory, outIndices);
    const blocked = new Uint8Array(this.#kernel.memory.buffer, codes, blocks * m * 16);
    const stageOffsets: number[] = [];
    let rerankRowBytes = 0;
    for (const stage of index.stages) {
      stageOffsets.push(rerankRowBytes);
      rerankRowBytes += stage.subspaces / 2;
    }
    // Padding slots keep zero codes: they are never returned.
    const rerankCodes = new Uint8Array(slotAds.length * rerankRowBytes);
    for (let s = 0; s < index.stages.length; s++) {
      const stage = index.stages[s] as PqIndex['stages'][number];
      copyRows(
        stage.codes,
        stage.subspaces / 2,
        rerankCodes,
        rerankRowBytes,
        stageOffsets[s] as number,
        adSlots,
      );
    }
    // Stage 0 (at the start of each row) regrouped per block: byte `s·16 + l` holds sub-space s of
    // the block's slot l in its low nibble and of slot l + 16 in its high one.
    for (let block = 0; block < blocks; block++) {
      const out = block * m * 16;
      const row = block * BLOCK * rerankRowBytes;
      for (let s = 0; s < m; s++) {
        const at = s >> 1;
        const shift = (s & 1) * 4;
        for (let l = 0; l < 16; l++) {
          const low = ((rerankCodes[row + l * rerankRowBytes + at] as number) >> shift) & 15;
          const high =
            ((rerankCodes[row + (l + 16) * rerankRowBytes + at] as number) >> shift) & 15;
          blocked[out + s * 16 + l] = low | (high << 4);
        }
      }
    }
    const blockPartitions = new Int32Array(blocks);
    for (let p = 0; p + 1 < firstBlock.length; p++) {
      blockPartitions.fill(p, firstBlock[p] as number, firstBlock[p + 1] as number);
    }
    this.#index = {
      catalogVersion: index.catalogVersion,
      dim: index.dim,
      count: index.count,
      rotation: index.rotation?.slice(),
      stages: index.stages.map(({ subspaces, centroids }) => ({
        subspaces,
        centroids: centroids.slice(),
      })),
      partitionCentroids: index.partitions?.centroids.slice(),
    };
    this.#layout = {
      luts,
      scratch,
      outCount,
      codes,
      outIndices,
      firstBlock,
      slotAds,
      blockPartitions,
      rerankCodes,
      rerankRowBytes,
      stageOffsets,
    };
  }

  /**
   * The `k` best ads for a query.
   * @param query - user-space vector of length `dim`
   * @param k - how many (clamped to the catalog)
   * @param options - re-rank depth
   * @returns ad indices and their re-ranked scores, best first (ties: lower index first)
   * @throws Error when nothing is loaded; RangeError on a wrong query length, a `rerank` outside
   *   `[1, MAX_CANDIDATES]` (2^22 − 1), or a `k` above that on a larger catalog
   */
  topK(query: Float32Array, k: number, options: PqSearchOptions = {}): TopK {
    const index = this.#index;
    if (index === undefined) throw new Error('pq searcher: no index loaded');
    if (query.length !== index.dim) {
      throw new RangeError(`pq searcher: query length must be ${index.dim}, got ${query.length}`);
    }
    const rerank = options.rerank ?? 1000;
    if (!Number.isInteger(rerank) || rerank < 1 || rerank > MAX_CANDIDATES) {
      throw new RangeError(`rerank must be an integer in [1, ${MAX_CANDIDATES}], got ${rerank}`);
    }
    const wanted = Math.max(0, Math.min(k, index.count));
    if (wanted === 0 || !query.every(Number.isFinite)) return new TopKCollector(0).result();
    // A rotated index codes R·x: R·q scores against it as q scores against x.
    const coded = index.rotation ? rotated(index.rotation, query) : query;
    const tables = index.stages.map((stage) => partialScores(coded, index.dim, stage));
    const biases = partitionScores(index, query);
    const slots = this.#fastScan(tables[0] as Float32Array, biases, Math.max(rerank, wanted));
    const layout = this.#layout as Layout;
    const { rerankCodes, rerankRowBytes, blockPartitions, slotAds } = layout;
    const scores = new Float64Array(slots.length);
    for (let c = 0; c < slots.length; c++) {
      scores[c] = biases[
        blockPartitions[Math.floor((slots[c] as number) / BLOCK)] as number
      ] as number;
    }
    for (let s = 0; s < index.stages.length; s++) {
      const m = (index.stages[s] as SearchedIndex['stages'][number]).subspaces;
      const table = tables[s] as Float32Array;
      const offset = layout.stageOffsets[s] as number;
      for (let c = 0; c < slots.length; c++) {
        const row = (slots[c] as number) * rerankRowBytes + offset;
        let score = scores[c] as number;
        for (let j = 0; j < m; j += 2) {
          const byte = rerankCodes[row + (j >> 1)] as number;
          score +=
            (table[j * PQ_CENTROIDS + (byte & 15)] as number) +
            (table[(j + 1) * PQ_CENTROIDS + (byte >> 4)] as number);
        }
        scores[c] = score;
      }
    }
    return topKOfCandidates(
      Int32Array.from(slots, (slot) => slotAds[slot] as number),
      scores,
      wanted,
    );
  }

  /** Frees the index; the kernel's memory stays allocated for the next `load`. */
  dispose(): void {
    this.#index = undefined;
    this.#layout = undefined;
  }

  /**
   * The slots of the best `wanted` ads by stage 0's quantised tables plus their partitions'
   * scores, in increasing slot order.
   */
  #fastScan(table: Float32Array, biases: Float32Array, wanted: number): Int32Array {
    const index = this.#index as SearchedIndex;
    const layout = this.#layout as Layout;
    const m = (index.stages[0] as SearchedIndex['stages'][number]).subspaces;
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
      const slot = indices[c] as number;
      if ((layout.slotAds[slot] as number) >= 0 && (scores[c] as number) >= cut) out.push(slot);
    }
    return Int32Array.from(out).sort();
  }
}

/**
 * Copies each ad's `rowBytes` of `from` to its slot's row of `to` (at `offset`), four bytes at a
 * time where both sides allow it. In catalog order, reading `from` front to back: read in slot
 * order, every ad was a cache miss (a million ads' 36 MB, once per index load).
 */
function copyRows(
  from: Uint8Array,
  rowBytes: number,
  to: Uint8Array,
  toRowBytes: number,
  offset: number,
  adSlots: Int32Array,
): void {
  const words = rowBytes % 4 === 0 && toRowBytes % 4 === 0 && offset % 4 === 0;
  if (words && from.byteOffset % 4 === 0 && to.byteOffset % 4 === 0) {
    const source = new Uint32Array(from.buffer, from.byteOffset, from.length >> 2);
    const target = new Uint32Array(to.buffer, to.byteOffset, to.length >> 2);
    const n = rowBytes >> 2;
    const stride = toRowBytes >> 2;
    const at = offset >> 2;
    for (let i = 0; i < adSlots.length; i++) {
      const row = (adSlots[i] as number) * stride + at;
      for (let w = 0; w < n; w++) target[row + w] = source[i * n + w] as number;
    }
    return;
  }
  for (let i = 0; i < adSlots.length; i++) {
    const row = (adSlots[i] as number) * toRowBytes + offset;
    for (let b = 0; b < rowBytes; b++) to[row + b] = from[i * rowBytes + b] as number;
  }
}

/**
 * Where each ad lies in the fast scan's blocks: partition after partition, each padded to whole
 * blocks (so that a block's ads share one partition score), ads in catalog order within one.
 */
function slotsOf(
  index: PqIndex,
): Pick<Layout, 'firstBlock' | 'slotAds'> & { readonly adSlots: Int32Array } {
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
  const adSlots = new Int32Array(index.count);
  const next = Int32Array.from(firstBlock.subarray(0, partitions), (block) => block * BLOCK);
  for (let i = 0; i < index.count; i++) {
    const p = assignment === undefined ? 0 : (assignment[i] as number);
    const slot = next[p] as number;
    slotAds[slot] = i;
    adSlots[i] = slot;
    next[p] = slot + 1;
  }
  return { firstBlock, slotAds, adSlots };
}

/** The query's score for each partition's centroid (one zero for an index without partitions). */
function partitionScores(index: SearchedIndex, query: Float32Array): Float32Array {
  const centroids = index.partitionCentroids;
  if (centroids === undefined) return new Float32Array(1);
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

/**
 * The `k`-th largest value (k ≥ 1) of `values`, by quickselect on a copy: it runs each time the
 * fast scan's buffer fills (thousands of candidates), where sorting the copy took a tenth of a
 * query at a million ads.
 */
function kthLargest(values: Int32Array, k: number): number {
  const a = values.slice();
  const target = Math.max(0, a.length - k);
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    // Hoare partition around the middle element's value.
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i++] = a[j] as number;
        a[j--] = t;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target] as number;
  }
  return a[target] as number;
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
  stage: SearchedIndex['stages'][number],
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
