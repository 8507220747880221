/**
 * The shared projector `P_θ` as tfjs variables on the current tfjs backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PrivAdsError } from '@privads/protocol';
import { DEFAULT_PROJECTOR_SEED, initialParameters } from './init.js';
import { decodeProjectorFile, encodeProjectorFile } from './projector-file.js';
import { projectRows } from './projector-graph.js';
import {
  parameterLayout,
  resolveProjectorSpec,
  type ParameterBlock,
  type ProjectorSpec,
  type ResolvedProjectorSpec,
} from './spec.js';

/** Options of {@link createProjector}. */
export interface CreateProjectorOptions {
  /**
   * Seed of the deterministic initialisation (ignored when `parameters` is given).
   * @defaultValue {@link DEFAULT_PROJECTOR_SEED}
   */
  seed?: number;
  /** Initial flat parameters in {@link parameterLayout} order, instead of a seeded initialisation. */
  parameters?: Float32Array;
}

/** Rows projected per tfjs call, bounding the device memory `project()` needs for a large catalog. */
const PROJECT_CHUNK_ROWS = 8192;

const variablesOf = new WeakMap<Projector, readonly tf.Variable[]>();

/**
 * The tfjs variables of a projector, in layout order (package-internal: the round gradient
 * differentiates with respect to them).
 * @param projector - a live projector
 * @returns its variables
 * @throws PrivAdsError `INVALID_STATE` when the projector was disposed
 */
export function projectorVariables(projector: Projector): readonly tf.Variable[] {
  const vars = variablesOf.get(projector);
  if (vars === undefined) throw new PrivAdsError('INVALID_STATE', 'projector has been disposed');
  return vars;
}

function checkFinite(label: string, values: Float32Array, expectedLength: number): void {
  if (values.length !== expectedLength) {
    throw new RangeError(`${label} must have ${expectedLength} elements, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!))
      throw new RangeError(`${label}[${i}] must be finite, got ${values[i]}`);
  }
}

/**
 * A projector `P_θ: R^contentDim → R^userDim` with L2-normalised output. Owns tfjs variables:
 * call {@link Projector.dispose} when done. Not safe to mutate while a round gradient is pending.
 */
export class Projector {
  /** The resolved architecture. */
  readonly spec: ResolvedProjectorSpec;
  /** Ordered parameter blocks; the flat vector is their concatenation. */
  readonly parameterLayout: readonly ParameterBlock[];
  /** Length of the flat parameter vector. */
  readonly parameterCount: number;

  /**
   * Use {@link createProjector} or {@link projectorFromSafetensors}.
   * @param spec - the architecture
   * @param parameters - flat initial parameters (copied into tfjs variables)
   * @throws RangeError when `parameters` has the wrong length or a non-finite entry
   */
  constructor(spec: ProjectorSpec, parameters: Float32Array) {
    this.spec = resolveProjectorSpec(spec);
    this.parameterLayout = parameterLayout(this.spec);
    const last = this.parameterLayout[this.parameterLayout.length - 1]!;
    this.parameterCount = last.offset + last.size;
    checkFinite('parameters', parameters, this.parameterCount);
    const vars = this.parameterLayout.map((block) =>
      tf.tidy(() => tf.variable(this.block(parameters, block), true)),
    );
    variablesOf.set(this, vars);
  }

  private block(flat: Float32Array, block: ParameterBlock): tf.Tensor {
    return tf.tensor(flat.slice(block.offset, block.offset + block.size), block.shape as number[]);
  }

  /** Whether {@link Projector.dispose} has been called. */
  get isDisposed(): boolean {
    return !variablesOf.has(this);
  }

  /**
   * Reads the parameters synchronously (slow on WebGPU; prefer {@link Projector.getFlatParametersAsync} there).
   * @returns a new flat vector in layout order
   * @throws PrivAdsError `INVALID_STATE` after dispose
   */
  getFlatParameters(): Float32Array {
    const out = new Float32Array(this.parameterCount);
    projectorVariables(this).forEach((v, i) =>
      out.set(v.dataSync(), this.parameterLayout[i]!.offset),
    );
    return out;
  }

  /**
   * Reads the parameters without blocking.
   * @returns a new flat vector in layout order
   * @throws PrivAdsError `INVALID_STATE` after dispose
   */
  async getFlatParametersAsync(): Promise<Float32Array> {
    const out = new Float32Array(this.parameterCount);
    const vars = projectorVariables(this);
    const data = await Promise.all(vars.map((v) => v.data<'float32'>()));
    data.forEach((d, i) => out.set(d, this.parameterLayout[i]!.offset));
    return out;
  }

  /**
   * Replaces every parameter.
   * @param values - flat vector in layout order (copied)
   * @throws RangeError for a wrong length or a non-finite entry; PrivAdsError `INVALID_STATE` after dispose
   */
  setFlatParameters(values: Float32Array): void {
    checkFinite('values', values, this.parameterCount);
    const vars = projectorVariables(this);
    tf.tidy(() => vars.forEach((v, i) => v.assign(this.block(values, this.parameterLayout[i]!))));
  }

  /**
   * `θ ← θ + scale·delta` (the server applies an averaged, noised update this way).
   * @param delta - flat vector in layout order
   * @param scale - multiplier of `delta`
   * @defaultValue scale = 1
   * @throws RangeError for a wrong length, a non-finite entry or scale; PrivAdsError `INVALID_STATE` after dispose
   */
  applyUpdate(delta: Float32Array, scale = 1): void {
    checkFinite('delta', delta, this.parameterCount);
    if (!Number.isFinite(scale)) throw new RangeError(`scale must be finite, got ${scale}`);
    const vars = projectorVariables(this);
    tf.tidy(() =>
      vars.forEach((v, i) =>
        v.assign(tf.add(v, tf.mul(this.block(delta, this.parameterLayout[i]!), scale))),
      ),
    );
  }

  private checkContent(content: Float32Array, count: number): void {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`count must be a non-negative integer, got ${count}`);
    const expected = count * this.spec.contentDim;
    if (content.length !== expected) {
      throw new RangeError(
        `content must have count·contentDim = ${expected} elements, got ${content.length}`,
      );
    }
  }

  private projectChunk(content: Float32Array, start: number, rows: number): tf.Tensor2D {
    const vars = projectorVariables(this);
    const d = this.spec.contentDim;
    return tf.tidy(() => {
      const z = tf.tensor2d(content.subarray(start * d, (start + rows) * d), [rows, d]);
      return projectRows(this.spec, vars, z);
    });
  }

  /**
   * Projects content vectors into user space (synchronous read-back; on WebGPU prefer
   * {@link Projector.projectAsync}).
   * @param content - `count × contentDim` row-major content vectors `z`
   * @param count - number of rows
   * @returns `count × userDim` row-major, each row L2-normalised (an all-zero pre-activation stays 0)
   * @throws RangeError when `content.length !== count·contentDim`; PrivAdsError `INVALID_STATE` after dispose
   */
  project(content: Float32Array, count: number): Float32Array {
    this.checkContent(content, count);
    const out = new Float32Array(count * this.spec.userDim);
    for (let start = 0; start < count; start += PROJECT_CHUNK_ROWS) {
      const rows = Math.min(PROJECT_CHUNK_ROWS, count - start);
      const p = this.projectChunk(content, start, rows);
      out.set(p.dataSync(), start * this.spec.userDim);
      p.dispose();
    }
    return out;
  }

  /**
   * Same as {@link Projector.project} without blocking on the device read-back.
   * @param content - `count × contentDim` row-major content vectors
   * @param count - number of rows
   * @returns `count × userDim` row-major unit rows
   * @throws RangeError when `content.length !== count·contentDim`; PrivAdsError `INVALID_STATE` after dispose
   */
  async projectAsync(content: Float32Array, count: number): Promise<Float32Array> {
    this.checkContent(content, count);
    const out = new Float32Array(count * this.spec.userDim);
    for (let start = 0; start < count; start += PROJECT_CHUNK_ROWS) {
      const rows = Math.min(PROJECT_CHUNK_ROWS, count - start);
      const p = this.projectChunk(content, start, rows);
      try {
        out.set(await p.data<'float32'>(), start * this.spec.userDim);
      } finally {
        p.dispose();
      }
    }
    return out;
  }

  /**
   * Serialises the weights (see `projector-file.ts` for names, layout and the PyTorch mapping).
   * @param metadata - extra string metadata, e.g. `{ 'projector_version': '7' }`
   * @returns safetensors bytes
   * @throws RangeError when `metadata` contradicts a `privads.*` key; PrivAdsError `INVALID_STATE` after dispose
   */
  toSafetensors(metadata?: Readonly<Record<string, string>>): Uint8Array {
    return encodeProjectorFile(this.spec, this.getFlatParameters(), metadata);
  }

  /**
   * An independent copy with the same spec and parameters.
   * @returns a new projector (dispose it separately)
   * @throws PrivAdsError `INVALID_STATE` after dispose
   */
  clone(): Projector {
    return new Projector(this.spec, this.getFlatParameters());
  }

  /** Frees the tfjs variables. Idempotent; any later use throws `INVALID_STATE`. */
  dispose(): void {
    const vars = variablesOf.get(this);
    if (vars === undefined) return;
    variablesOf.delete(this);
    for (const v of vars) v.dispose();
  }
}

/**
 * Creates a projector with deterministic (seeded) or given parameters.
 * @param spec - the architecture, e.g. `{ kind: 'linear', contentDim: 384, userDim: 128 }`
 * @param options - `seed` or `parameters`
 * @returns a new projector on the current tfjs backend
 * @throws TypeError / RangeError for an invalid spec, seed or parameter vector
 */
export function createProjector(
  spec: ProjectorSpec,
  options: CreateProjectorOptions = {},
): Projector {
  const parameters =
    options.parameters ?? initialParameters(spec, options.seed ?? DEFAULT_PROJECTOR_SEED);
  return new Projector(spec, parameters);
}

/**
 * Loads a projector from safetensors bytes (see {@link decodeProjectorFile}).
 * @param bytes - the file
 * @returns a new projector on the current tfjs backend
 * @throws ProtocolError for a malformed or inconsistent file
 */
export function projectorFromSafetensors(bytes: Uint8Array): Projector {
  const file = decodeProjectorFile(bytes);
  return new Projector(file.spec, file.parameters);
}
