/**
 * Deterministic parameter initialisation. The generator is plain integer arithmetic (splitmix32
 * seeding xoshiro128**), so the same seed gives bit-identical parameters in every browser, in Node
 * and on every tfjs backend — the initial projector can be rebuilt anywhere from its seed.
 */
import { parameterLayout, type ProjectorSpec } from './spec.js';

/** Seed used when the caller gives none. */
export const DEFAULT_PROJECTOR_SEED = 0x5eed;

/** A uint32 stream; `next()` returns an integer in `[0, 2³²)`. */
interface Uint32Stream {
  next(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function xoshiro128ss(seed: number): Uint32Stream {
  const sm = splitmix32(seed);
  const s = new Uint32Array([sm(), sm(), sm(), sm()]);
  // splitmix32 never yields four zeros in a row from one seed, but keep the invariant explicit.
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return {
    next(): number {
      const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
      const t = s[1]! << 9;
      s[2]! ^= s[0]!;
      s[3]! ^= s[1]!;
      s[1]! ^= s[2]!;
      s[0]! ^= s[3]!;
      s[2]! ^= t;
      s[3] = rotl(s[3]!, 11);
      return result;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A uniform float in [−1, 1): 24 random bits, so exactly representable in f32. */
function uniformSigned(rng: Uint32Stream): number {
  return 2 * ((rng.next() >>> 8) / 16_777_216) - 1;
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
  const rng = xoshiro128ss(seed);
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
  const rng = xoshiro128ss(seed);
  layout.forEach((block, index) => {
    if (block.shape.length !== 2) return;
    const [fanIn, fanOut] = block.shape as [number, number];
    const hiddenFollows = index < layout.length - 2;
    const limit = Math.sqrt(6 / (hiddenFollows ? fanIn : fanIn + fanOut));
    for (let i = 0; i < block.size; i++) out[block.offset + i] = uniformSigned(rng) * limit;
  });
  return out;
}
