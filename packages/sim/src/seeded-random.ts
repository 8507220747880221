/**
 * Seeded pseudo-random numbers for simulations: the same seed gives the same population, the same
 * clicks and the same report on every machine. Never used for privacy noise — that comes from the
 * CSPRNG in `@privads/dp`.
 *
 * The generator is xoshiro128** (Blackman & Vigna), seeded through SplitMix32 so that nearby seeds
 * give unrelated streams. 32-bit integer arithmetic only, so results do not depend on the platform.
 */
export interface SeededRandom {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  nextInt(n: number): number;
  /** Standard normal variate (Marsaglia polar method). */
  nextNormal(): number;
  /** A new generator whose stream is independent of this one's continuation. */
  fork(): SeededRandom;
}

function splitMix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * Creates a seeded generator.
 * @param seed - any safe integer; equal seeds give equal streams.
 * @throws RangeError when `seed` is not a safe integer.
 */
export function createSeededRandom(seed: number): SeededRandom {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  // Fold the high bits in too, so seeds differing only above bit 32 differ.
  const seeder = splitMix32((seed ^ Math.floor(seed / 2 ** 32)) >>> 0);
  const s = Uint32Array.of(seeder(), seeder(), seeder(), seeder());
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return fromState(s);
}

/**
 * A generator over a raw xoshiro128** state (four 32-bit words, not all zero). Internal: lets the
 * tests check the recurrence against the reference C implementation's output.
 */
export function fromState(s: Uint32Array): SeededRandom {
  let spareNormal: number | undefined;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };

  const random: SeededRandom = {
    next: () => nextUint32() / 2 ** 32,
    nextInt(n) {
      if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
        throw new RangeError(`n must be an integer in [1, 2^32], got ${n}`);
      }
      // Reject the top partial bucket so every value in [0, n) is equally likely.
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const x = nextUint32();
        if (x < limit) return x % n;
      }
    },
    nextNormal() {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      for (;;) {
        const u = 2 * random.next() - 1;
        const v = 2 * random.next() - 1;
        const r2 = u * u + v * v;
        if (r2 > 0 && r2 < 1) {
          const f = Math.sqrt((-2 * Math.log(r2)) / r2);
          spareNormal = v * f;
          return u * f;
        }
      }
    },
    fork: () =>
      fromState(Uint32Array.of(nextUint32(), nextUint32(), nextUint32(), nextUint32() | 1)),
  };
  return random;
}
