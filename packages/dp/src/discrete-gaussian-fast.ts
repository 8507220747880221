/**
 * The exact discrete Gaussian sampler of `discrete-gaussian.ts` (Canonne, Kamath & Steinke 2020,
 * Algorithms 1–3) in plain `number` integer arithmetic: the same algorithm, the same Bernoulli
 * trials, hence exactly the same output distribution, roughly an order of magnitude faster than
 * the bigint version. It applies whenever σ² = n/d makes every fixed intermediate an integer below
 * 2⁵³ (checked once, by {@link createFastDiscreteGaussian}); a Laplace proposal so far in the tail
 * that its acceptance test would leave that range is decided by the bigint routine instead, so
 * nothing is ever rounded.
 *
 * Two identities keep the numbers small:
 * - a uniform U on [0, a·b) is U₁·b + U₂ with U₁ uniform on [0, a) and U₂ on [0, b), so for
 *   m < b, P[U < m] = P[U₁ = 0 ∧ U₂ < m]: Bernoulli(m/(a·b)) never needs the product a·b;
 * - with g = q·t + r (0 ≤ r < t), the acceptance exponent g²/(2ndt²) splits exactly into
 *   q(qt + 2r)/(2ndt) + r²/(2ndt²), and exp(−x − y) is the product of two independent trials.
 */
import type { RandomSource } from './random-source.js';
import { floorSqrt } from './rational.js';

const TWO_POW_32 = 2 ** 32;
const TWO_POW_MINUS_32 = 2 ** -32;
const TWO_POW_21 = 2 ** 21;
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Uniform integer in [0, m) for 1 ≤ m ≤ 2⁵³, exactly, by rejection from 32-bit words. Below 2²¹ it
 * is Lemire's multiply-and-shift (ACM TOMACS 2019): w·m < 2⁵³ is exact in a double, its high 32
 * bits are the draw, and the low ones reject the 2³² mod m words that would bias it, so a division
 * is needed only in the rare case low < m (the sampler's hot path calls this with m up to a few
 * thousand, where `%` on doubles was its largest cost).
 */
export function uniformIntBelow(m: number, source: RandomSource): number {
  if (m <= TWO_POW_21) {
    if (m === 1) return 0;
    let product = source.nextUint32() * m;
    let high = Math.floor(product * TWO_POW_MINUS_32);
    let low = product - high * TWO_POW_32;
    if (low < m) {
      const threshold = (TWO_POW_32 - m) % m;
      while (low < threshold) {
        product = source.nextUint32() * m;
        high = Math.floor(product * TWO_POW_MINUS_32);
        low = product - high * TWO_POW_32;
      }
    }
    return high;
  }
  if (m <= TWO_POW_32) {
    // Fast case for powers of two: the low bits of one word are exactly uniform.
    if ((m & (m - 1)) === 0 && m < TWO_POW_32) return source.nextUint32() & (m - 1);
    const limit = TWO_POW_32 - (TWO_POW_32 % m);
    for (;;) {
      const w = source.nextUint32();
      if (w < limit) return w % m;
    }
  }
  // m − 1 ≥ 2³²: draw exactly bitLength(m − 1) bits (a high word cut to its bits, a low word).
  const highBits = 32 - Math.clz32(Math.floor((m - 1) / TWO_POW_32));
  for (;;) {
    const high = source.nextUint32() >>> (32 - highBits);
    const k = high * TWO_POW_32 + source.nextUint32();
    if (k < m) return k;
  }
}

/**
 * Bernoulli(num/(den·k·extra)) for 0 ≤ num ≤ den (all < 2⁵³), without forming den·k·extra: by the
 * product identity above, it is Bernoulli(1/k) ∧ Bernoulli(1/extra) ∧ Bernoulli(num/den).
 */
function bernoulliScaled(
  num: number,
  den: number,
  k: number,
  extra: number,
  source: RandomSource,
): boolean {
  if (k > 1 && uniformIntBelow(k, source) !== 0) return false;
  if (extra > 1 && uniformIntBelow(extra, source) !== 0) return false;
  return num === den || uniformIntBelow(den, source) < num;
}

/** Bernoulli(exp(−num/(den·extra))) for num ≤ den (CKS Algorithm 1, first part). */
function bernoulliExpAtMostOne(
  num: number,
  den: number,
  extra: number,
  source: RandomSource,
): boolean {
  let k = 1;
  while (bernoulliScaled(num, den, k, extra, source)) k++;
  return (k & 1) === 1;
}

/** Bernoulli(exp(−num/den)) for any num/den ≥ 0 (num, den < 2⁵³). */
function bernoulliExp(num: number, den: number, source: RandomSource): boolean {
  let rest = num;
  while (rest > den) {
    if (!bernoulliExpAtMostOne(1, 1, 1, source)) return false;
    rest -= den;
  }
  return bernoulliExpAtMostOne(rest, den, 1, source);
}

/** Geometric with P[V = v] ∝ e^{−v/t} (CKS Algorithm 2 for s = 1). */
function geometricExp(t: number, source: RandomSource): number {
  let u: number;
  do {
    u = uniformIntBelow(t, source);
  } while (!bernoulliExpAtMostOne(u, t, 1, source));
  let v = 0;
  while (bernoulliExpAtMostOne(1, 1, 1, source)) v++;
  return v * t + u;
}

/** Discrete Laplace with scale t (CKS Algorithm 2); the sign is one bit of one word. */
function discreteLaplace(t: number, source: RandomSource): number {
  for (;;) {
    const negative = (source.nextUint32() & 1) === 1;
    const magnitude = geometricExp(t, source);
    if (negative && magnitude === 0) continue;
    return negative ? -magnitude : magnitude;
  }
}

/**
 * Builds a `number` sampler of N_Z(0, n/d) when every fixed intermediate fits, else `undefined`.
 * @param n - σ² numerator, > 0
 * @param d - σ² denominator, > 0
 * @param slowAccept - the bigint acceptance test Bernoulli(exp(−(|y|dt − n)²/(2ndt²))), used for a
 *   proposal whose exact exponent would not fit in 2⁵³
 * @param source - where the bits come from
 * @returns a sampler, or `undefined` when σ² = n/d is outside the fast path's range
 */
export function createFastDiscreteGaussian(
  n: bigint,
  d: bigint,
  slowAccept: (absY: bigint) => boolean,
  source: RandomSource,
): (() => number) | undefined {
  const tBig = floorSqrt(n / d) + 1n;
  // The largest fixed denominator is 2ndt; the other fixed values divide it.
  if (2n * n * d * tBig > BigInt(SAFE)) return undefined;
  const nn = Number(n);
  const dd = Number(d);
  const t = Number(tBig);
  const twoNd = 2 * nn * dd;
  const twoNdt = twoNd * t;
  const dt = dd * t;
  // |y|·d·t stays below 2⁵³ (with room for q·t + 2r) for |y| up to this bound.
  const maxAbsY = Math.floor(SAFE / 2 / dt);

  const accept = (absY: number): boolean => {
    if (absY > maxAbsY) return slowAccept(BigInt(absY));
    const g = Math.abs(absY * dt - nn);
    let q = Math.floor(g / t);
    let r = g - q * t;
    // Floating division may round the quotient up by one when g/t is just below an integer.
    if (r < 0) {
      q -= 1;
      r += t;
    }
    const qt2r = q * t + 2 * r;
    const numerator = q * qt2r;
    // A product whose exact value is ≥ 2⁵³ never rounds below it, so this test is exact.
    if (numerator > SAFE) return slowAccept(BigInt(absY));
    return (
      bernoulliExp(numerator, twoNdt, source) &&
      (r === 0 || bernoulliExpAtMostOne(r * r, t * t, twoNd, source))
    );
  };

  return () => {
    for (;;) {
      const y = discreteLaplace(t, source);
      if (accept(Math.abs(y))) return y;
    }
  };
}
