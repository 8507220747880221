/**
 * Randomness for key generation, Shamir coefficients, AEAD nonces and slot assignment. Injectable so
 * tests and the simulator can replay a round; the default is the platform CSPRNG.
 */
import { randomBytes } from '@noble/hashes/utils.js';

/**
 * Returns `length` uniformly random bytes. Must be a CSPRNG outside tests: it draws secret keys,
 * Shamir coefficients and the slot permutation.
 */
export type RandomBytes = (length: number) => Uint8Array;

/** The platform CSPRNG (`crypto.getRandomValues`, via `@noble/hashes`). */
export const defaultRandomBytes: RandomBytes = (length) => randomBytes(length);

/**
 * A uniform integer in [0, bound) by rejection sampling on 32-bit words (no modulo bias).
 * @param random - byte source
 * @param bound - exclusive upper bound, 1 ≤ bound ≤ 2³²
 * @returns the integer
 */
export function uniformBelow(random: RandomBytes, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const b = random(4);
    const word =
      ((b[0] ?? 0) * 0x1000000 + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0)) >>> 0;
    if (word < limit) return word % bound;
  }
}

/**
 * Fisher–Yates shuffle into a new array.
 * @param items - the items
 * @param random - byte source
 * @returns a uniformly random permutation of `items`
 */
export function shuffled<T>(items: readonly T[], random: RandomBytes): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = uniformBelow(random, i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
