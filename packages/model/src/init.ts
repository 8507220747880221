/**
 * Deterministic parameter initialisation. The generator is plain integer arithmetic (the seeded
 * xoshiro128** of `@privads/dp`), so the same seed gives bit-identical parameters in every browser, in Node
 * and on every tfjs backend — the initial projector can be rebuilt anywhere from its seed.
 */
import { createSeededRandomSource, type RandomSource } from '@privads/dp';

import { parameterLayout, type ProjectorSpec } from './spec.js';

/** Seed used when the caller gives none. */
export const DEFAULT_PROJECTOR_SEED = 0x5eed;

/** A uniform float in [−1, 1): 24 random bits, so exactly representable in f32. */
export function uniformSigned(rng: RandomSource): number {
  return 2 * ((rng.nextUint32() >>> 8) / 16_777_216) - 1;
}

/**
 * Deterministic pseudo-random values uniform in [−1, 1) — for fixtures, self-tests and benchmarks
 * (not for anything secret: use the CSPRNG of `@privads/dp` there).
 * @param count - number of values
 * @param seed - any integer; only its low 32 bits are used
 * @returns a new array
 * @throws RangeError when `count` is not a non-negative integer or `seed` is not an integer
 */
export function seededUniforms(count: number, seed: number): Float32Array {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const rng = createSeededRandomSource(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = uniformSigned(rng);
  return out;
}

/**
 * Orthonormalises `count` vectors of length `length` (row-major, in place) by modified
 * Gram–Schmidt in float64: only +, −, ×, ÷ and √, which IEEE 754 rounds identically everywhere,
 * so the result is the same in every JavaScript engine.
 * @param vectors - `count × length`, count ≤ length, linearly independent
 * @param count - number of vectors
 * @param length - their length
 */
export function orthonormalise(vectors: Float64Array, count: number, length: number): void {
  for (let i = 0; i < count; i++) {
    const v = vectors.subarray(i * length, (i + 1) * length);
    for (let j = 0; j < i; j++) {
      const u = vectors.subarray(j * length, (j + 1) * length);
      let dot = 0;
      for (let k = 0; k < length; k++) dot += v[k]! * u[k]!;
      for (let k = 0; k < length; k++) v[k]! -= dot * u[k]!;
    }
    let norm = 0;
    for (let k = 0; k < length; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm);
    for (let k = 0; k < length; k++) v[k]! /= norm;
  }
}

/**
 * Initial parameters: every weight matrix a seeded random (semi-)orthogonal matrix, biases zero.
 * A `fanIn × fanOut` layer with fanIn ≥ fanOut has orthonormal columns, so the linear projector
 * maps content vectors onto an orthonormal basis of a random subspace: cosines between content
 * vectors, and with them the content encoder's neighbourhoods, survive projection up to the
 * random-projection error (a uniformly random matrix distorts them far more: on the demo catalog
 * it lost about a quarter of the ads from each article's own section, docs/benchmarks.md).
 * Scales: gain √2 for a layer followed by ReLU (He), 1 for the output layer.
 * Flat, in {@link parameterLayout} order.
 * @param spec - the architecture
 * @param seed - any integer; only its low 32 bits are used
 * @returns a new flat parameter vector
 * @throws TypeError / RangeError for an invalid spec
 */
export function initialParameters(spec: ProjectorSpec, seed: number): Float32Array {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const layout = parameterLayout(spec);
  const last = layout[layout.length - 1]!;
  const out = new Float32Array(last.offset + last.size);
  const rng = createSeededRandomSource(seed);
  layout.forEach((block, index) => {
    if (block.shape.length !== 2) return;
    const [fanIn, fanOut] = block.shape as [number, number];
    const gain = index < layout.length - 2 ? Math.SQRT2 : 1;
    // Orthonormal columns when fanIn ≥ fanOut, orthonormal rows otherwise.
    const count = Math.min(fanIn, fanOut);
    const length = Math.max(fanIn, fanOut);
    const vectors = new Float64Array(count * length);
    for (let i = 0; i < vectors.length; i++) vectors[i] = uniformSigned(rng);
    orthonormalise(vectors, count, length);
    for (let r = 0; r < fanIn; r++) {
      for (let c = 0; c < fanOut; c++) {
        const value = fanIn >= fanOut ? vectors[c * length + r]! : vectors[r * length + c]!;
        out[block.offset + r * fanOut + c] = gain * value;
      }
    }
  });
  return out;
}
