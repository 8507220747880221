/**
 * Exact sampling from the discrete Gaussian N_Z(0, σ²), P[X = x] ∝ exp(−x²/(2σ²)) on the integers,
 * following Canonne, Kamath & Steinke (2020), "The Discrete Gaussian for Differential Privacy",
 * Algorithms 1–3, with σ² an exact rational. Every random decision is a Bernoulli(n/d) trial with
 * bigint n, d decided by one exact uniform draw in [0, d), so given a perfect uniform source the
 * output distribution is exactly N_Z(0, σ²): no floating point is involved anywhere.
 *
 * The running time is random (and depends on the output), so this is not a constant-time sampler.
 * When σ² = n/d is small enough for plain `number` integers (see `discrete-gaussian-fast.ts`; e.g.
 * every integer σ² up to ~2·10¹⁰) the same algorithm runs without bigints; the bigint code below
 * serves the rest and the rare far-tail proposals of the fast path.
 */
import { createFastDiscreteGaussian } from './discrete-gaussian-fast.js';
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
  const accept = acceptance(n, d, source);
  for (;;) {
    const y = discreteLaplace(t, source);
    if (accept(y < 0n ? -y : y)) return y;
  }
}

/** The acceptance test of Algorithm 3 for a proposal of magnitude |y|, in bigints. */
function acceptance(n: bigint, d: bigint, source: RandomSource): (absY: bigint) => boolean {
  const t = floorSqrt(n / d) + 1n;
  const acceptDenominator = 2n * n * d * t * t;
  return (absY) => {
    const offset = absY * d * t - n;
    return bernoulliExp(offset * offset, acceptDenominator, source);
  };
}

/**
 * A sampler bound to one σ² and one source, so the conversion to a rational and the choice between
 * the `number` and the bigint path happen once.
 */
function discreteGaussianSampler(sigma2: RationalLike, options: NoiseOptions): () => bigint {
  const { numerator, denominator } = toRational(sigma2);
  const source = options.source ?? defaultRandomSource();
  if (numerator === 0n) return () => 0n;
  const fast = createFastDiscreteGaussian(
    numerator,
    denominator,
    acceptance(numerator, denominator, source),
    source,
  );
  if (fast !== undefined) return () => BigInt(fast());
  return () => discreteGaussianExact(numerator, denominator, source);
}

/**
 * The same as {@link discreteGaussianSampler} returning `number`s. On the bigint path a sample
 * beyond 2⁵³ (only possible for σ near 2⁵³) would be rounded, so callers check the range.
 */
function numberSampler(sigma2: RationalLike, options: NoiseOptions): () => number {
  const { numerator, denominator } = toRational(sigma2);
  const source = options.source ?? defaultRandomSource();
  if (numerator === 0n) return () => 0;
  const fast = createFastDiscreteGaussian(
    numerator,
    denominator,
    acceptance(numerator, denominator, source),
    source,
  );
  if (fast !== undefined) return fast;
  return () => Number(discreteGaussianExact(numerator, denominator, source));
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

/**
 * One draw by the bigint implementation only, whatever σ² is: the reference the fast path is
 * benchmarked and cross-checked against. Not part of the package's public index.
 * @param sigma2 - the variance parameter σ² ≥ 0, exactly (see {@link sampleDiscreteGaussian})
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns an integer sample
 * @throws TypeError / RangeError when σ² is negative, non-finite or malformed
 */
export function sampleDiscreteGaussianBigIntPath(
  sigma2: RationalLike,
  options: NoiseOptions = {},
): bigint {
  const { numerator, denominator } = toRational(sigma2);
  if (numerator === 0n) return 0n;
  return discreteGaussianExact(numerator, denominator, options.source ?? defaultRandomSource());
}

/**
 * Fills `out` with independent draws from N_Z(0, σ²): the bulk form for whole vectors, with no
 * bigint per sample on the fast path (every σ² = n/d with 2·n·d·(⌊√(n/d)⌋ + 1) < 2⁵³, e.g. any
 * integer σ² up to ~2·10¹⁰, or any double σ² with a small power-of-two denominator).
 * @param out - the array to overwrite; an `Int32Array` or a `Float64Array` of integers
 * @param sigma2 - the variance parameter σ², exactly (see {@link sampleDiscreteGaussian})
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns `out`
 * @throws RangeError when a draw does not fit `out` exactly (beyond ±2³¹ for an `Int32Array`, beyond
 *   ±2⁵³ for a `Float64Array`; nothing after that index is written), or σ² is invalid
 * @throws TypeError when σ² is malformed
 */
export function sampleDiscreteGaussianInto<T extends Int32Array | Float64Array>(
  out: T,
  sigma2: RationalLike,
  options: NoiseOptions = {},
): T {
  const sample = numberSampler(sigma2, options);
  const limit = out instanceof Int32Array ? 2 ** 31 : 2 ** 53;
  for (let i = 0; i < out.length; i++) {
    const v = sample();
    if (!(v < limit && v >= -limit)) {
      throw new RangeError(`discrete Gaussian draw ${v} at index ${i} does not fit the output`);
    }
    out[i] = v;
  }
  return out;
}

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
  const sample = numberSampler(sigma2, options);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] as number) + sample();
    if (!(v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new RangeError(`noised coordinate ${i} is ${v}, outside the int32 range`);
    }
    out[i] = v;
  }
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
