/// <reference types="@webgpu/types" />
import {
  checkMatrix,
  checkQuery,
  type EngineProbe,
  type EngineProvider,
  type QuantizedMatrix,
  type ScoringEngine,
  type TopK,
} from './engine.js';
import { SCORE_WGSL, SCORE_WORKGROUP_SIZE } from './score-wgsl.js';
import { selectTopK } from './top-k.js';

const MAX_WORKGROUPS_PER_DIMENSION = 65_535;

/** GPU buffers of one catalog version; re-created only when the version changes. */
interface Resident {
  readonly matrix: QuantizedMatrix;
  readonly wordsPerRow: number;
  readonly buffers: GPUBuffer[];
  readonly query: GPUBuffer;
  readonly scores: GPUBuffer;
  readonly readback: GPUBuffer;
  readonly bindGroup: GPUBindGroup;
}

/**
 * Describes an adapter for diagnostics and decides whether it is a software rasteriser
 * (SwiftShader, or the spec's `isFallbackAdapter`): measured here at 20× slower than plain JS.
 * @param adapter - the adapter
 * @returns a label and the software verdict
 */
export function describeAdapter(adapter: GPUAdapter): { label: string; software: boolean } {
  const info = adapter.info;
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const infoFallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const label = [info.vendor, info.architecture, info.description].filter((s) => s).join('/');
  return {
    label: label || 'unknown adapter',
    software: legacyFallback || infoFallback || /swiftshader/i.test(label),
  };
}

/**
 * Packs int8 rows into `u32` words, padding each row to a multiple of four values.
 * @param matrix - the catalog
 * @param wordsPerRow - `ceil(dim / 4)`
 * @returns bytes ready for `writeBuffer`
 */
function packRows(matrix: QuantizedMatrix, wordsPerRow: number): Int8Array<ArrayBuffer> {
  const { rows, dim, data } = matrix;
  const paddedDim = wordsPerRow * 4;
  const out = new Int8Array(rows * paddedDim);
  if (paddedDim === dim) {
    out.set(data);
    return out;
  }
  for (let i = 0; i < rows; i++) out.set(data.subarray(i * dim, (i + 1) * dim), i * paddedDim);
  return out;
}

/**
 * The WebGPU engine: the catalog is uploaded once per version and stays resident; each query is
 * one `writeBuffer` of the query vector, one dispatch of {@link SCORE_WGSL}, and one read-back of
 * the scores, from which the top K is selected in JS (a linear scan of `rows` floats: cheaper than
 * a second GPU pass plus its own read-back at catalog sizes up to 10⁶).
 */
export class WebGpuEngine implements ScoringEngine {
  readonly name = 'webgpu';
  readonly #device: GPUDevice;
  readonly #pipeline: GPUComputePipeline;
  #resident: Resident | undefined;
  #lost: string | undefined;
  // Queries share the read-back buffer, which can only be mapped once at a time.
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param device - a device the engine owns (destroyed by {@link WebGpuEngine.dispose})
   */
  constructor(device: GPUDevice) {
    this.#device = device;
    this.#pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: SCORE_WGSL }), entryPoint: 'main' },
    });
    void device.lost.then((info) => {
      this.#lost = info.message || info.reason || 'device lost';
    });
  }

  get loadedVersion(): string | undefined {
    return this.#resident?.matrix.version;
  }

  async load(matrix: QuantizedMatrix): Promise<void> {
    checkMatrix(matrix);
    this.#checkAlive();
    if (this.#resident?.matrix.version === matrix.version) return;
    this.#release();
    const device = this.#device;
    const rows = Math.max(matrix.rows, 1);
    const wordsPerRow = Math.ceil(matrix.dim / 4);
    const storage = (size: number, extra: number): GPUBuffer =>
      device.createBuffer({ size: Math.max(size, 16), usage: GPUBufferUsage.STORAGE | extra });
    const catalog = storage(rows * wordsPerRow * 4, GPUBufferUsage.COPY_DST);
    const scales = storage(rows * 4, GPUBufferUsage.COPY_DST);
    const query = storage(wordsPerRow * 16, GPUBufferUsage.COPY_DST);
    const scores = storage(rows * 4, GPUBufferUsage.COPY_SRC);
    const params = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const readback = device.createBuffer({
      size: Math.max(rows * 4, 16),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    if (matrix.rows > 0) {
      device.queue.writeBuffer(catalog, 0, packRows(matrix, wordsPerRow));
      device.queue.writeBuffer(scales, 0, Float32Array.from(matrix.scales));
    }
    device.queue.writeBuffer(params, 0, new Uint32Array([matrix.rows, wordsPerRow, 0, 0]));
    const bindGroup = device.createBindGroup({
      layout: this.#pipeline.getBindGroupLayout(0),
      entries: [catalog, scales, query, scores, params].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
    this.#resident = {
      matrix,
      wordsPerRow,
      buffers: [catalog, scales, query, scores, params, readback],
      query,
      scores,
      readback,
      bindGroup,
    };
    await device.queue.onSubmittedWorkDone();
  }

  scoreAll(query: Float32Array): Promise<Float32Array> {
    const run = this.#queue.then(() => this.#score(query));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async topK(query: Float32Array, k: number): Promise<TopK> {
    return selectTopK(await this.scoreAll(query), k);
  }

  dispose(): void {
    this.#release();
    this.#device.destroy();
  }

  async #score(query: Float32Array): Promise<Float32Array> {
    this.#checkAlive();
    const matrix = checkQuery(this.name, this.#resident?.matrix, query);
    const resident = this.#resident as Resident;
    if (matrix.rows === 0) return new Float32Array(0);
    const device = this.#device;
    const padded = new Float32Array(resident.wordsPerRow * 4);
    padded.set(query);
    device.queue.writeBuffer(resident.query, 0, padded);
    const groups = Math.ceil(matrix.rows / SCORE_WORKGROUP_SIZE);
    const x = Math.min(groups, MAX_WORKGROUPS_PER_DIMENSION);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.#pipeline);
    pass.setBindGroup(0, resident.bindGroup);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    pass.end();
    const bytes = matrix.rows * 4;
    encoder.copyBufferToBuffer(resident.scores, 0, resident.readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await resident.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    try {
      return new Float32Array(resident.readback.getMappedRange(0, bytes).slice(0));
    } finally {
      resident.readback.unmap();
    }
  }

  #checkAlive(): void {
    if (this.#lost !== undefined) throw new Error(`webgpu engine: ${this.#lost}`);
  }

  #release(): void {
    for (const buffer of this.#resident?.buffers ?? []) buffer.destroy();
    this.#resident = undefined;
  }
}

/**
 * Requests an adapter and a device with storage limits as large as the adapter allows (the default
 * 128 MiB binding limit would cap the catalog at ~10⁶ ads of 128 dims).
 * @param options.force - accept a software adapter
 * @returns the probe outcome
 */
async function probeWebGpu(options: { readonly force: boolean }): Promise<EngineProbe> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined) return { ok: false, reason: 'navigator.gpu is missing (no WebGPU)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { ok: false, reason: `requestAdapter() failed: ${String(error)}` };
  }
  if (adapter === null) return { ok: false, reason: 'requestAdapter() returned null' };
  const { label, software } = describeAdapter(adapter);
  if (software && !options.force) {
    return {
      ok: false,
      reason: `software adapter ${label} (much slower than the CPU engine; set engine: 'webgpu' to force)`,
    };
  }
  const found = adapter;
  return {
    ok: true,
    detail: `${label}${software ? ' (software, forced)' : ''}`,
    create: async () => {
      const device = await found.requestDevice({
        requiredLimits: {
          maxStorageBufferBindingSize: found.limits.maxStorageBufferBindingSize,
          maxBufferSize: found.limits.maxBufferSize,
        },
      });
      return new WebGpuEngine(device);
    },
  };
}

/** Registry entry of {@link WebGpuEngine}: preferred when a hardware adapter exists. */
export const webGpuEngineProvider: EngineProvider = {
  name: 'webgpu',
  priority: 10,
  probe: probeWebGpu,
};
