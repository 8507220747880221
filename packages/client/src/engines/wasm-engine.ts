import { ensureMemory } from '@privads/protocol';

import {
  checkMatrix,
  checkQuery,
  type EngineProbe,
  type EngineProvider,
  type QuantizedMatrix,
  type ScoringEngine,
  type TopK,
} from './engine.js';
import { CpuEngine } from './cpu-engine.js';
import { medianTopKMs } from './median-time.js';
import { int8TopKWasm } from './kernels/int8-top-k.generated.js';
import { TopKCollector } from './top-k.js';
import { align16, compileKernel } from './wasm-module.js';

/** Largest int16 magnitude of the quantised query. */
const QUERY_LEVELS = 32_767;

/** The exports of `kernels/int8-top-k.wat`. */
export interface Int8TopKKernel {
  readonly memory: WebAssembly.Memory;
  scanTopK(
    rows: number,
    scales: number,
    count: number,
    stride: number,
    query: number,
    queryScale: number,
    bestScores: number,
    bestIndices: number,
    capacity: number,
  ): number;
}

/** Byte offsets of one loaded catalog in the kernel's memory. */
interface Layout {
  readonly query: number;
  readonly scales: number;
  readonly rows: number;
  /** Where the candidate buffers start (they grow at the end of memory). */
  readonly candidates: number;
  /** Bytes between two rows: `dim` rounded up to 16, zero-padded. */
  readonly stride: number;
}

/**
 * The WebAssembly SIMD engine. The int8 rows live in the kernel's memory; a query is quantised to
 * int16 and one pass computes every row's integer dot product (i32x4.dot_i16x8_s) and keeps the
 * best candidates by that approximate score. The candidates are then re-scored exactly (as the
 * CPU engine scores) and the top K taken among them, so results equal the CPU engine's.
 *
 * Exactness: quantising the query moves row i's score by at most
 * `ε_i = scale_i · ‖row_i‖₁ · queryScale / 2`. With θ the K-th best approximate score, every row
 * of the exact top K scores at least θ − 2ε approximately, so the candidate buffer is complete
 * once its last entry is below θ − 2ε; otherwise the scan is repeated with a larger buffer.
 */
export class WasmSimdEngine implements ScoringEngine {
  readonly name = 'wasm-simd';
  readonly #kernel: Int8TopKKernel;
  /** Holds the same matrix: exact re-scoring and `scoreAll` (exploration, tests). */
  readonly #exact = new CpuEngine();
  #matrix: QuantizedMatrix | undefined;
  #layout: Layout | undefined;
  /** max over rows of `scale_i · ‖row_i‖₁`: bounds the error of the quantised query. */
  #maxL1Scale = 0;

  /** @param kernel - an instance of the compiled `int8-top-k.wat` */
  constructor(kernel: Int8TopKKernel) {
    this.#kernel = kernel;
  }

  get loadedVersion(): string | undefined {
    return this.#matrix?.version;
  }

  async load(matrix: QuantizedMatrix): Promise<void> {
    checkMatrix(matrix);
    if (matrix.version === this.#matrix?.version && matrix.rows === this.#matrix.rows) return;
    const { rows, dim, data, scales } = matrix;
    const stride = align16(dim);
    const query = 0;
    const scalesAt = align16(query + stride * 2);
    const rowsAt = align16(scalesAt + rows * 4);
    const candidates = align16(rowsAt + rows * stride);
    ensureMemory(this.#kernel.memory, candidates);
    const buffer = this.#kernel.memory.buffer;
    new Float32Array(buffer, scalesAt, rows).set(scales);
    const target = new Int8Array(buffer, rowsAt, rows * stride);
    if (stride === dim) target.set(data);
    else {
      target.fill(0);
      for (let i = 0; i < rows; i++) target.set(data.subarray(i * dim, (i + 1) * dim), i * stride);
    }
    let maxL1Scale = 0;
    for (let i = 0; i < rows; i++) {
      let l1 = 0;
      for (let j = i * dim, end = j + dim; j < end; j++) l1 += Math.abs(data[j] as number);
      maxL1Scale = Math.max(maxL1Scale, l1 * (scales[i] as number));
    }
    await this.#exact.load(matrix);
    this.#matrix = matrix;
    this.#layout = { query, scales: scalesAt, rows: rowsAt, candidates, stride };
    this.#maxL1Scale = maxL1Scale;
  }

  async scoreAll(query: Float32Array): Promise<Float32Array> {
    checkQuery(this.name, this.#matrix, query);
    return this.#exact.scoreAll(query);
  }

  async topK(query: Float32Array, k: number): Promise<TopK> {
    const { rows, dim } = checkQuery(this.name, this.#matrix, query);
    const wanted = Math.max(0, Math.min(k, rows));
    let maxAbs = 0;
    for (let j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(query[j] as number));
    // NaN/∞ would poison the bound; the exact engine gives them their (empty) answer.
    if (wanted === 0 || !Number.isFinite(maxAbs)) return this.#exact.topK(query, wanted);
    const layout = this.#layout as Layout;
    const queryScale = maxAbs / QUERY_LEVELS;
    const q16 = new Int16Array(this.#kernel.memory.buffer, layout.query, layout.stride);
    for (let j = 0; j < dim; j++) {
      q16[j] = queryScale > 0 ? Math.round((query[j] as number) / queryScale) : 0;
    }
    // Quantisation error, plus the f32 rounding of the kernel's three-factor product.
    const epsilon = this.#maxL1Scale * (queryScale / 2 + 1e-6 * maxAbs);
    let capacity = Math.min(rows, Math.max(2 * wanted, wanted + 16));
    for (;;) {
      const { scores, indices, filled } = this.#scan(layout, queryScale, capacity);
      const theta = scores[wanted - 1] as number;
      const complete = filled === rows || (scores[filled - 1] as number) < theta - 2 * epsilon;
      if (complete) return this.#rerank(query, indices.slice(0, filled), wanted);
      capacity = Math.min(rows, capacity * 4);
    }
  }

  dispose(): void {
    this.#matrix = undefined;
    this.#layout = undefined;
    this.#exact.dispose();
  }

  /** One kernel pass keeping `capacity` candidates; the views are valid until the next call. */
  #scan(layout: Layout, queryScale: number, capacity: number) {
    const { rows } = this.#matrix as QuantizedMatrix;
    const bestScores = layout.candidates;
    const bestIndices = bestScores + capacity * 4;
    ensureMemory(this.#kernel.memory, bestIndices + capacity * 4);
    const filled = this.#kernel.scanTopK(
      layout.rows,
      layout.scales,
      rows,
      layout.stride,
      layout.query,
      queryScale,
      bestScores,
      bestIndices,
      capacity,
    );
    const buffer = this.#kernel.memory.buffer;
    return {
      filled,
      scores: new Float32Array(buffer, bestScores, filled),
      indices: new Int32Array(buffer, bestIndices, filled),
    };
  }

  /** The exact top `k` of the candidate rows (ties: lower index first). */
  #rerank(query: Float32Array, candidates: Int32Array, k: number): TopK {
    candidates.sort();
    const scores = this.#exact.scoreRows(query, candidates);
    const collector = new TopKCollector(k);
    for (let c = 0; c < candidates.length; c++) {
      collector.push(candidates[c] as number, scores[c] as number);
    }
    return collector.result();
  }
}

/** Rows and repetitions of the probe's speed comparison. */
const PROBE_ROWS = 4096;
const PROBE_DIM = 128;
const PROBE_REPEATS = 5;

/** A deterministic catalog for the probe (a xorshift stream; the values do not matter). */
function probeMatrix(): QuantizedMatrix {
  const data = new Int8Array(PROBE_ROWS * PROBE_DIM);
  let state = 0x9e3779b9;
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[i] = ((state >>> 0) % 255) - 127;
  }
  const scales = new Float32Array(PROBE_ROWS).fill(1 / 1024);
  return { version: 'wasm-simd-probe', rows: PROBE_ROWS, dim: PROBE_DIM, data, scales };
}

/**
 * Probes the WASM engine: the kernel must validate (SIMD128) and, unless forced, rank a probe
 * catalog faster than the CPU engine measured alongside it.
 */
async function probeWasmSimd(options: { readonly force: boolean }): Promise<EngineProbe> {
  let kernel: WebAssembly.Module | undefined;
  try {
    kernel = await compileKernel(int8TopKWasm);
  } catch (error) {
    return { ok: false, reason: `the kernel failed to compile: ${String(error)}` };
  }
  if (kernel === undefined) {
    return { ok: false, reason: 'WebAssembly SIMD128 is not supported here' };
  }
  const compiled = kernel;
  // One instance (one linear memory) per engine.
  const create = async (): Promise<WasmSimdEngine> =>
    new WasmSimdEngine(
      (await WebAssembly.instantiate(compiled)).exports as unknown as Int8TopKKernel,
    );
  if (options.force) return { ok: true, detail: 'WebAssembly SIMD128', create };
  const matrix = probeMatrix();
  const query = Float32Array.from({ length: PROBE_DIM }, (_, j) => Math.cos(j * 0.7) / 8);
  const wasm = await create();
  const cpu = new CpuEngine();
  try {
    await wasm.load(matrix);
    await cpu.load(matrix);
    const queries = new Array<Float32Array>(PROBE_REPEATS).fill(query);
    const wasmMs = await medianTopKMs(wasm, queries);
    const cpuMs = await medianTopKMs(cpu, queries);
    const measured = `${PROBE_ROWS}×${PROBE_DIM} top-10: ${wasmMs.toFixed(2)} ms, cpu engine ${cpuMs.toFixed(2)} ms`;
    if (!(wasmMs < cpuMs))
      return { ok: false, reason: `not faster than the cpu engine (${measured})` };
    return { ok: true, detail: `WebAssembly SIMD128, ${measured}`, create };
  } finally {
    wasm.dispose();
    cpu.dispose();
  }
}

/** Registry entry of {@link WasmSimdEngine}: above the CPU engine when its probe measures it faster. */
export const wasmSimdEngineProvider: EngineProvider = {
  name: 'wasm-simd',
  priority: 5,
  probe: probeWasmSimd,
};
