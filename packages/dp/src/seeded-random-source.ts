import type { RandomSource } from './random-source.js';

/**
 * murmur3's 32-bit finaliser: spreads a seed so that nearby seeds give unrelated states.
 */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * xoshiro128** (Blackman & Vigna) over a raw state of four 32-bit words, the one implementation of
 * the generator in PrivAds (the simulator builds its seeded streams on it too). The state array is
 * advanced in place.
 * @param state - four words, not all zero (the generator's only fixed point)
 * @returns a source producing the reference implementation's output for that state
 * @throws RangeError when the state is not four words or is all zero
 */
export function createXoshiro128Source(state: Uint32Array): RandomSource {
  if (state.length !== 4) throw new RangeError(`state must be 4 words, got ${state.length}`);
  const s = state;
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) throw new RangeError('state must not be all zero');
  return {
    nextUint32(): number {
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

/**
 * A deterministic {@link RandomSource} (xoshiro128** seeded through SplitMix32) for tests and
 * simulations that must be reproducible.
 *
 * **Never use it to protect real data:** anyone who learns or guesses the seed can subtract the
 * noise exactly. Production code passes no source and gets the CSPRNG.
 * @param seed - an integer; only its low 32 bits matter
 * @returns a new source; two sources with the same seed produce the same words
 * @throws TypeError when `seed` is not an integer
 */
export function createSeededRandomSource(seed: number): RandomSource {
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
  let x = seed >>> 0;
  const next = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    return mix32(x);
  };
  const state = Uint32Array.of(next(), next(), next(), next());
  // mix32 is a bijection, so four distinct inputs cannot all map to zero; keep it explicit anyway.
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return createXoshiro128Source(state);
}
