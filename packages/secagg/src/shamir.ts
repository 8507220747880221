/**
 * Shamir secret sharing of 32-byte secrets over the prime field GF(p), p = 2^521 − 1 (a Mersenne
 * prime far above any 256-bit secret). A share is the evaluation at x (the holder's slot, ≥ 1) of a
 * random polynomial of degree t − 1 whose constant term is the secret; any t shares give the secret
 * back by Lagrange interpolation at 0, and t − 1 shares are uniformly distributed whatever the
 * secret.
 */
import { SecAggError } from '@privads/protocol';

import { defaultRandomBytes } from './random.js';
import type { RandomBytes } from './random.js';

/** The field prime 2^521 − 1. */
export const SHAMIR_PRIME = (1n << 521n) - 1n;
/** Bytes of an encoded share value: ⌈521 / 8⌉, big-endian. */
export const SHARE_BYTES = 66;
/** Bytes of a shared secret. */
export const SECRET_BYTES = 32;

/** One share: the point (x, y) of the sharing polynomial. */
export interface ShamirShare {
  /** The evaluation point: the holder's slot, 1 ≤ x < 2^31. */
  readonly x: number;
  /** The polynomial's value at x, in [0, p). */
  readonly y: bigint;
}

const P = SHAMIR_PRIME;

/**
 * Splits a 32-byte secret into one share per evaluation point.
 * @param secret - 32 bytes
 * @param xs - distinct evaluation points (the holders' slots), each an integer in [1, 2^31)
 * @param threshold - t: how many shares reconstruct, 1 ≤ t ≤ xs.length
 * @param random - source of the polynomial's coefficients
 * @defaultValue random = the platform CSPRNG
 * @returns the shares, in the order of `xs`
 * @throws RangeError on a bad secret, points or threshold
 */
export function splitSecret(
  secret: Uint8Array,
  xs: readonly number[],
  threshold: number,
  random: RandomBytes = defaultRandomBytes,
): ShamirShare[] {
  if (secret.length !== SECRET_BYTES) {
    throw new RangeError(`secret must be ${SECRET_BYTES} bytes, got ${secret.length}`);
  }
  checkPoints(xs);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > xs.length) {
    throw new RangeError(`threshold must be an integer in [1, ${xs.length}], got ${threshold}`);
  }
  const coefficients = [bytesToBigInt(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(randomFieldElement(random));
  return xs.map((x) => {
    // Horner's rule, highest coefficient first.
    const bx = BigInt(x);
    let y = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--)
      y = (y * bx + (coefficients[i] as bigint)) % P;
    return { x, y };
  });
}

/**
 * Reconstructs a secret from at least `threshold` shares. The first `threshold` shares (by x)
 * define the polynomial; every further share must lie on it, so a corrupted share is detected
 * whenever more than `threshold` arrive.
 * @param shares - shares with distinct x
 * @param threshold - t used when splitting
 * @returns the 32-byte secret
 * @throws SecAggError `SECAGG_TOO_FEW` with fewer than t shares; `SECAGG_RECONSTRUCTION_FAILED`
 *   when the shares are inconsistent or the value is not a 32-byte secret
 * @throws RangeError on duplicate or invalid points, or values outside the field
 */
export function reconstructSecret(shares: readonly ShamirShare[], threshold: number): Uint8Array {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new RangeError(`threshold must be a positive integer, got ${threshold}`);
  }
  checkPoints(shares.map((s) => s.x));
  for (const s of shares) {
    if (s.y < 0n || s.y >= P) throw new RangeError(`share value at x=${s.x} is outside the field`);
  }
  if (shares.length < threshold) {
    throw new SecAggError(
      'SECAGG_TOO_FEW',
      `reconstruction needs ${threshold} shares, got ${shares.length}`,
    );
  }
  const sorted = shares.slice().sort((a, b) => a.x - b.x);
  const basis = sorted.slice(0, threshold);
  const interpolate = lagrange(basis);
  for (const extra of sorted.slice(threshold)) {
    if (interpolate(BigInt(extra.x)) !== extra.y) {
      throw new SecAggError(
        'SECAGG_RECONSTRUCTION_FAILED',
        `share at x=${extra.x} does not lie on the polynomial of the other shares`,
      );
    }
  }
  const secret = interpolate(0n);
  if (secret >= 1n << BigInt(8 * SECRET_BYTES)) {
    throw new SecAggError('SECAGG_RECONSTRUCTION_FAILED', 'shares do not encode a 32-byte secret');
  }
  return bigIntToBytes(secret, SECRET_BYTES);
}

/**
 * Encodes a share value as {@link SHARE_BYTES} big-endian bytes (the x is implied by the sender).
 * @param y - value in [0, p)
 * @returns 66 bytes
 */
export function encodeShareValue(y: bigint): Uint8Array {
  return bigIntToBytes(y, SHARE_BYTES);
}

/**
 * Decodes a share value.
 * @param bytes - 66 big-endian bytes
 * @returns the value, or `undefined` when the length is wrong or the value is not below p
 */
export function decodeShareValue(bytes: Uint8Array): bigint | undefined {
  if (bytes.length !== SHARE_BYTES) return undefined;
  const y = bytesToBigInt(bytes);
  return y < P ? y : undefined;
}

// The polynomial through `points`, evaluated at any z in O(t) multiplications plus one
// precomputation of t barycentric weights w_i = 1 / Π_{j≠i} (x_i − x_j).
function lagrange(points: readonly ShamirShare[]): (z: bigint) => bigint {
  const xs = points.map((p) => BigInt(p.x));
  const weights = xs.map((xi, i) => {
    let d = 1n;
    xs.forEach((xj, j) => {
      if (j !== i) d = (d * mod(xi - xj)) % P;
    });
    return invert(d);
  });
  return (z) => {
    const t = xs.length;
    // prefix[i] = Π_{j<i} (z − x_j), suffix[i] = Π_{j>i} (z − x_j)
    const prefix: bigint[] = [1n];
    for (let i = 0; i < t; i++)
      prefix.push(((prefix[i] as bigint) * mod(z - (xs[i] as bigint))) % P);
    let suffix = 1n;
    let sum = 0n;
    for (let i = t - 1; i >= 0; i--) {
      const term = ((points[i] as ShamirShare).y * (weights[i] as bigint)) % P;
      sum = (sum + ((term * (prefix[i] as bigint)) % P) * suffix) % P;
      suffix = (suffix * mod(z - (xs[i] as bigint))) % P;
    }
    return sum;
  };
}

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

// Extended Euclid; a is nonzero mod p because the points are distinct and below p.
function invert(a: bigint): bigint {
  let [r0, r1] = [P, mod(a)];
  let [s0, s1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

function randomFieldElement(random: RandomBytes): bigint {
  for (;;) {
    const bytes = random(SHARE_BYTES);
    if (bytes.length !== SHARE_BYTES) throw new RangeError('random source returned too few bytes');
    bytes[0] = (bytes[0] ?? 0) & 0x01; // keep 521 bits: 66·8 − 521 = 7 high bits cleared
    const v = bytesToBigInt(bytes);
    if (v < P) return v; // rejects only v = p itself
  }
}

function checkPoints(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 1 || x >= 2 ** 31) {
      throw new RangeError(`share point must be an integer in [1, 2^31), got ${x}`);
    }
    if (seen.has(x)) throw new RangeError(`duplicate share point ${x}`);
    seen.add(x);
  }
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
