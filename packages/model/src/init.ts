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
function uniformSigned(rng: RandomSource): number {
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
 * Initial parameters: weights uniform in `±limit`, biases zero. `limit = sqrt(6 / fanIn)` (He)
 * for a layer followed by ReLU, `sqrt(6 / (fanIn + fanOut))` (Glorot) for the output layer, so
 * pre-activations keep roughly unit scale. Flat, in {@link parameterLayout} order.
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
    const hiddenFollows = index < layout.length - 2;
    const limit = Math.sqrt(6 / (hiddenFollows ? fanIn : fanIn + fanOut));
    for (let i = 0; i < block.size; i++) out[block.offset + i] = uniformSigned(rng) * limit;
  });
  return out;
}
