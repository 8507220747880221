/**
 * Exact sampling from the discrete Gaussian N_Z(0, σ²), P[X = x] ∝ exp(−x²/(2σ²)) on the integers,
 * following Canonne, Kamath & Steinke (2020), "The Discrete Gaussian for Differential Privacy",
 * Algorithms 1–3, with σ² an exact rational. Every random decision is a Bernoulli(n/d) trial with
 * bigint n, d decided by one exact uniform draw in [0, d), so given a perfect uniform source the
 * output distribution is exactly N_Z(0, σ²): no floating point is involved anywhere.
 *
 * The running time is random (and depends on the output), so this is not a constant-time sampler.
 */
import type { NoiseOptions } from './gaussian.js';
import { defaultRandomSource, uniformBelow } from './random-source.js';
import type { RandomSource } from './random-source.js';
import { floorSqrt, toRational } from './rational.js';
import type { RationalLike } from './rational.js';

/** Bernoulli(n/d) for 0 ≤ n ≤ d. */
function bernoulli(n: bigint, d: bigint, source: RandomSource): boolean {
  return uniformBelow(d, source) < n;
}

/**
 * Bernoulli(exp(−n/d)) for 0 ≤ n/d ≤ 1 (CKS Algorithm 1, first part): draw A_k ~ Bernoulli(γ/k)
 * for k = 1, 2, … until one fails; the index K of the first failure is odd with probability e^{−γ}.
 */
function bernoulliExpAtMostOne(n: bigint, d: bigint, source: RandomSource): boolean {
  let k = 1n;
  while (bernoulli(n, d * k, source)) k++;
  return k % 2n === 1n;
}

/** Bernoulli(exp(−n/d)) for any n/d ≥ 0, as a product of ⌊γ⌋ Bernoulli(e^{−1}) and one Bernoulli(e^{−(γ−⌊γ⌋)}). */
function bernoulliExp(n: bigint, d: bigint, source: RandomSource): boolean {
  let rest = n;
  while (rest > d) {
    if (!bernoulliExpAtMostOne(1n, 1n, source)) return false;
    rest -= d;
  }
  return bernoulliExpAtMostOne(rest, d, source);
}

/**
 * Geometric with P[V = v] = (1 − e^{−1/t}) e^{−v/t}, v ≥ 0 (CKS Algorithm 2 for s = 1): the
 * remainder U is uniform on [0, t) accepted with probability e^{−U/t}, the quotient counts
 * successes of Bernoulli(e^{−1}).
 */
function geometricExp(t: bigint, source: RandomSource): bigint {
  let u: bigint;
  do {
    u = uniformBelow(t, source);
  } while (!bernoulliExp(u, t, source));
  let v = 0n;
  while (bernoulliExpAtMostOne(1n, 1n, source)) v++;
  return v * t + u;
}

/** Discrete Laplace with scale t: P[Y = y] ∝ e^{−|y|/t} (CKS Algorithm 2). */
function discreteLaplace(t: bigint, source: RandomSource): bigint {
  for (;;) {
    const negative = bernoulli(1n, 2n, source);
    const magnitude = geometricExp(t, source);
    // +0 and −0 are the same point; rejecting one of them keeps P[0] right.
    if (negative && magnitude === 0n) continue;
    return negative ? -magnitude : magnitude;
  }
}

/**
 * N_Z(0, n/d) for n > 0 (CKS Algorithm 3): propose discrete Laplace with scale t = ⌊σ⌋ + 1 and
 * accept with probability exp(−(|y| − σ²/t)² / (2σ²)). In integers, that exponent is
 * (|y|·d·t − n)² / (2·n·d·t²).
 */
function discreteGaussianExact(n: bigint, d: bigint, source: RandomSource): bigint {
  const t = floorSqrt(n / d) + 1n;
  const acceptDenominator = 2n * n * d * t * t;
  for (;;) {
    const y = discreteLaplace(t, source);
    const offset = (y < 0n ? -y : y) * d * t - n;
    if (bernoulliExp(offset * offset, acceptDenominator, source)) return y;
  }
}

/** A sampler bound to one σ² and one source, so the conversion to a rational happens once. */
function discreteGaussianSampler(sigma2: RationalLike, options: NoiseOptions): () => bigint {
  const { numerator, denominator } = toRational(sigma2);
  const source = options.source ?? defaultRandomSource();
  if (numerator === 0n) return () => 0n;
  return () => discreteGaussianExact(numerator, denominator, source);
}

/**
 * One exact draw from the discrete Gaussian N_Z(0, σ²).
 * @param sigma2 - the variance parameter σ² ≥ 0, exactly: a number (its exact binary value), a
 *   bigint, or a `{numerator, denominator}` {@link Rational}; σ² = 0 always returns 0
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns an integer sample
 * @throws TypeError / RangeError when σ² is negative, non-finite or malformed
 */
export function sampleDiscreteGaussian(sigma2: RationalLike, options: NoiseOptions = {}): bigint {
  return discreteGaussianSampler(sigma2, options)();
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/**
 * Adds independent N_Z(0, σ²) noise to every coordinate of an int32 vector. The input is not
 * modified. A coordinate that would leave the int32 range throws instead of wrapping around
 * (wrapping would change the noise distribution); nothing is returned in that case.
 * @param values - the (already clipped and quantised) integer vector
 * @param sigma2 - the variance parameter σ², exactly (see {@link sampleDiscreteGaussian})
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns a new `Int32Array` `values + N_Z(0, σ²)^d`
 * @throws RangeError when a noised coordinate does not fit in int32, or σ² is invalid
 */
export function addDiscreteGaussianNoise(
  values: Int32Array,
  sigma2: RationalLike,
  options: NoiseOptions = {},
): Int32Array {
  const noised = addDiscreteGaussianNoiseBigInt(Array.from(values, BigInt), sigma2, options);
  const out = new Int32Array(values.length);
  noised.forEach((v, i) => {
    if (v < INT32_MIN || v > INT32_MAX) {
      throw new RangeError(`noised coordinate ${i} is ${v}, outside the int32 range`);
    }
    out[i] = Number(v);
  });
  return out;
}

/**
 * Adds independent N_Z(0, σ²) noise to every coordinate of an arbitrary-precision integer vector
 * (no overflow is possible). The input is not modified.
 * @param values - the integer vector
 * @param sigma2 - the variance parameter σ², exactly (see {@link sampleDiscreteGaussian})
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns a new array `values + N_Z(0, σ²)^d`
 * @throws TypeError / RangeError when σ² is invalid
 */
export function addDiscreteGaussianNoiseBigInt(
  values: readonly bigint[],
  sigma2: RationalLike,
  options: NoiseOptions = {},
): bigint[] {
  const sample = discreteGaussianSampler(sigma2, options);
  return values.map((v) => v + sample());
}
