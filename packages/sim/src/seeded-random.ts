/**
 * Seeded pseudo-random numbers for simulations: the same seed gives the same population, the same
 * clicks and the same report on every machine. Never used for privacy noise — that comes from the
 * CSPRNG in `@privads/dp`.
 *
 * The generator is xoshiro128** (Blackman & Vigna), seeded through SplitMix32 so that nearby seeds
 * give unrelated streams. 32-bit integer arithmetic only, so results do not depend on the platform.
 */
import { createSeededRandomSource, createXoshiro128Source } from '@privads/dp';
import type { RandomSource } from '@privads/dp';

/** A reproducible stream of pseudo-random numbers (see the module comment). */
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

/**
 * Creates a seeded generator.
 * @param seed - any safe integer; equal seeds give equal streams.
 * @throws RangeError when `seed` is not a safe integer.
 */
export function createSeededRandom(seed: number): SeededRandom {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  // Fold the high bits in too, so seeds differing only above bit 32 differ. XOR-ing the raw high
  // word collided s with −s−1 (high word −1 flips every bit); scaling it by an odd constant keeps
  // every seed in [0, 2³²) unchanged and makes all int32 seeds distinct.
  const high = Math.floor(seed / 2 ** 32);
  return fromSource(createSeededRandomSource((seed ^ Math.imul(high, 0x9e3779b1)) >>> 0));
}

/**
 * A generator over a raw xoshiro128** state (four 32-bit words, not all zero). Internal: lets the
 * tests check the recurrence against the reference C implementation's output.
 */
export function fromState(s: Uint32Array): SeededRandom {
  return fromSource(createXoshiro128Source(s));
}

function fromSource(source: RandomSource): SeededRandom {
  let spareNormal: number | undefined;
  const nextUint32 = (): number => source.nextUint32();

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
