/**
 * The randomized Hadamard rotation of distributed mode: x ↦ H·diag(s)·x/√D, H the D×D Sylvester
 * Hadamard matrix (H_ij = (−1)^popcount(i & j)) and s a vector of random signs. It is orthonormal,
 * so the L2 norm (the sensitivity) is unchanged, and it spreads a vector's mass evenly over the
 * coordinates, which keeps them small before quantization (Kairouz, Liu & Steinke 2021, §4.2).
 *
 * The server inverts the rotation, so every device and the server must derive the same signs from
 * the round's public seed, bit for bit. The derivation (see {@link rotationSigns}) uses only
 * 32-bit integer operations, identical on every JavaScript engine.
 */
import { createXoshiro128Source } from './seeded-random-source.js';

/**
 * Whether n is a power of two (1, 2, 4, …) and a safe integer.
 * @param n - any number
 * @returns true for 2^k, k ≥ 0
 */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

function requirePowerOfTwoLength(length: number): void {
  if (!isPowerOfTwo(length)) {
    throw new RangeError(`length must be a power of two, got ${length}`);
  }
}

/**
 * The orthonormal fast Walsh–Hadamard transform, in place: x ← H·x/√D in D·log₂D additions. It is
 * its own inverse (H² = D·I), up to float rounding.
 * @param values - a vector whose length D is a power of two; overwritten
 * @returns `values`
 * @throws RangeError when the length is not a power of two
 */
export function walshHadamardInPlace(values: Float64Array): Float64Array {
  const n = values.length;
  requirePowerOfTwoLength(n);
  for (let half = 1; half < n; half *= 2) {
    for (let start = 0; start < n; start += 2 * half) {
      for (let i = start; i < start + half; i++) {
        const a = values[i] as number;
        const b = values[i + half] as number;
        values[i] = a + b;
        values[i + half] = a - b;
      }
    }
  }
  // One scaling at the end: for D = 4^k it is a power of two and therefore exact.
  const scale = 1 / Math.sqrt(n);
  for (let i = 0; i < n; i++) values[i] = (values[i] as number) * scale;
  return values;
}

/**
 * The D random signs of a round, from its public seed. Derivation (normative: the server and every
 * device must agree): the 16 seed bytes, read as four little-endian 32-bit words, are the state
 * (s₀, s₁, s₂, s₃) of xoshiro128** (Blackman & Vigna, as in `createXoshiro128Source`); output word
 * w_k (k = 0, 1, …, ⌈D/32⌉ − 1) gives the signs of coordinates 32k … 32k + 31, least significant
 * bit first: bit 1 means −1, bit 0 means +1.
 * @param seed - 16 bytes, not all zero (xoshiro's fixed point)
 * @param length - D, a power of two
 * @returns an `Int8Array` of ±1
 * @throws TypeError when the seed is not a `Uint8Array`; RangeError when it is not 16 bytes, is all
 *   zero, or the length is not a power of two
 */
export function rotationSigns(seed: Uint8Array, length: number): Int8Array {
  if (!(seed instanceof Uint8Array)) {
    throw new TypeError(`rotation seed must be a Uint8Array, got ${String(seed)}`);
  }
  if (seed.length !== 16)
    throw new RangeError(`rotation seed must be 16 bytes, got ${seed.length}`);
  requirePowerOfTwoLength(length);
  const view = new DataView(seed.buffer, seed.byteOffset, 16);
  const state = Uint32Array.of(
    view.getUint32(0, true),
    view.getUint32(4, true),
    view.getUint32(8, true),
    view.getUint32(12, true),
  );
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) {
    throw new RangeError('rotation seed must not be all zero');
  }
  const source = createXoshiro128Source(state);
  const signs = new Int8Array(length);
  let word = 0;
  for (let i = 0; i < length; i++) {
    if ((i & 31) === 0) word = source.nextUint32();
    signs[i] = ((word >>> (i & 31)) & 1) === 1 ? -1 : 1;
  }
  return signs;
}

/**
 * The randomized Hadamard rotation H·diag(s)·x/√D (see the module comment).
 * @param values - x, of power-of-two length D; not modified
 * @param seed - the round's public 16-byte rotation seed ({@link rotationSigns})
 * @returns a new `Float64Array`, the rotated vector (same L2 norm up to rounding)
 * @throws TypeError / RangeError as {@link rotationSigns}
 */
export function randomizedHadamard(values: ArrayLike<number>, seed: Uint8Array): Float64Array {
  const signs = rotationSigns(seed, values.length);
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * (signs[i] as number);
  return walshHadamardInPlace(out);
}

/**
 * The inverse rotation diag(s)·H·y/√D (H is symmetric and H² = D·I).
 * @param values - y, of power-of-two length D; not modified
 * @param seed - the same seed as the forward rotation
 * @returns a new `Float64Array` x with {@link randomizedHadamard}(x) = y up to rounding
 * @throws TypeError / RangeError as {@link rotationSigns}
 */
export function inverseRandomizedHadamard(
  values: ArrayLike<number>,
  seed: Uint8Array,
): Float64Array {
  const signs = rotationSigns(seed, values.length);
  const out = walshHadamardInPlace(Float64Array.from(values));
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * (signs[i] as number);
  return out;
}
