/**
 * Where the randomness of every noise sampler comes from. Samplers take a {@link RandomSource}
 * (32-bit words) so tests and simulations can inject a seeded one; the default is the platform
 * CSPRNG, `crypto.getRandomValues`, available in browsers, workers and Node ≥ 20.
 */

/** A stream of independent, uniformly distributed 32-bit words. */
export interface RandomSource {
  /** @returns the next uniform integer in [0, 2³²) */
  nextUint32(): number;
}

interface PlatformCrypto {
  getRandomValues<T extends Uint32Array>(array: T): T;
}

// Typed locally so this isomorphic package compiles without DOM or Node typings.
const platform = globalThis as unknown as { crypto?: PlatformCrypto };

/** Words fetched per `getRandomValues` call (4 KiB; the Web Crypto limit is 64 KiB). */
const CRYPTO_BUFFER_WORDS = 1024;

/**
 * A {@link RandomSource} backed by `globalThis.crypto.getRandomValues`, buffered 1024 words at a
 * time (one call per 4 KiB keeps the per-sample cost low).
 * @returns a new cryptographically secure source
 * @throws Error when the platform has no `crypto.getRandomValues`
 */
export function createCryptoRandomSource(): RandomSource {
  const crypto = platform.crypto;
  if (crypto === undefined || typeof crypto.getRandomValues !== 'function') {
    throw new Error('globalThis.crypto.getRandomValues is not available; refusing to add noise');
  }
  const buffer = new Uint32Array(CRYPTO_BUFFER_WORDS);
  let next = CRYPTO_BUFFER_WORDS;
  return {
    nextUint32(): number {
      if (next === CRYPTO_BUFFER_WORDS) {
        crypto.getRandomValues(buffer);
        next = 0;
      }
      return buffer[next++] as number;
    },
  };
}

let sharedCryptoSource: RandomSource | undefined;

/**
 * The source every sampler uses when none is passed: one shared CSPRNG-backed source, created on
 * first use (so importing this package has no side effects).
 * @returns the shared cryptographically secure source
 * @throws Error when the platform has no `crypto.getRandomValues`
 */
export function defaultRandomSource(): RandomSource {
  sharedCryptoSource ??= createCryptoRandomSource();
  return sharedCryptoSource;
}

const TWO_POW_53 = 2 ** 53;

/**
 * A uniform integer in [0, 2⁵³) from two words (26 + 27 bits), i.e. every double k·2⁻⁵³ of [0, 1)
 * is equally likely.
 */
function uniformInt53(source: RandomSource): number {
  const hi = source.nextUint32() >>> 6;
  const lo = source.nextUint32() >>> 5;
  return hi * 2 ** 27 + lo;
}

/**
 * A uniform double on the grid {0, 2⁻⁵³, …, 1 − 2⁻⁵³}.
 * @param source - where the bits come from
 * @returns u ∈ [0, 1)
 */
export function uniform53(source: RandomSource): number {
  return uniformInt53(source) / TWO_POW_53;
}

/**
 * A uniform double on the grid {2⁻⁵³, 2·2⁻⁵³, …, 1}: never 0, so `Math.log(u)` is finite.
 * @param source - where the bits come from
 * @returns u ∈ (0, 1]
 */
export function uniform53Positive(source: RandomSource): number {
  return (uniformInt53(source) + 1) / TWO_POW_53;
}

/** Uniform in [0, m) for 1 ≤ m ≤ 2³², by rejection so there is no modulo bias. */
function uniformBelowWord(m: number, source: RandomSource): number {
  // The largest multiple of m not above 2³²; words at or above it are redrawn.
  const limit = 2 ** 32 - (2 ** 32 % m);
  for (;;) {
    const w = source.nextUint32();
    if (w < limit) return w % m;
  }
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/**
 * A uniform integer in [0, m) for an arbitrary positive bigint, exactly (rejection sampling on the
 * smallest number of bits, at most two draws on average). This is what makes the discrete Gaussian
 * sampler exact: every Bernoulli trial it makes reduces to such a draw.
 * @param m - the exclusive upper bound, ≥ 1
 * @param source - where the bits come from
 * @returns k with 0 ≤ k < m
 * @throws RangeError when m < 1
 */
export function uniformBelow(m: bigint, source: RandomSource): bigint {
  if (m < 1n) throw new RangeError(`uniformBelow needs m ≥ 1, got ${m}`);
  if (m <= 0x1_0000_0000n) return BigInt(uniformBelowWord(Number(m), source));
  const bits = bitLength(m - 1n);
  const words = Math.ceil(bits / 32);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let k = 0n;
    for (let i = 0; i < words; i++) k = (k << 32n) | BigInt(source.nextUint32());
    k &= mask;
    if (k < m) return k;
  }
}
