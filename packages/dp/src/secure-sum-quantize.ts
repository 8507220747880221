/**
 * One device's side of distributed mode and the server's decoding (docs/secure-aggregation.md):
 * clip → pad → rotate → scale by 1/γ → conditional randomized rounding → discrete Gaussian noise →
 * mod 2^b, and back. Each device's vector is within the rounded norm bound Δ₂ before noise, which
 * is the sensitivity the accounting (`distributed-gaussian.ts`) charges.
 */
import { PrivacyParameterError } from '@privads/protocol';

import type { FloatVector } from './clip.js';
import { clipByL2Norm } from './clip.js';
import { sampleDiscreteGaussianInto } from './discrete-gaussian.js';
import type { NoiseOptions } from './gaussian.js';
import { inverseRandomizedHadamard, randomizedHadamard } from './hadamard.js';
import { defaultRandomSource, uniform53 } from './random-source.js';
import type { RandomSource } from './random-source.js';
import { toRational } from './rational.js';
import type { Rational } from './rational.js';
import { roundedNormBound, validateSecureSumEncoding } from './secure-sum-encoding.js';
import type { SecureSumEncoding } from './secure-sum-encoding.js';

/** What a device uploads (before masking) and what it may log. */
export interface SecureSumInput {
  /** D values in [0, 2^b): the rounded, noised, reduced vector. */
  readonly values: Uint32Array;
  /** ‖gradient‖₂ before clipping. */
  readonly preClipNorm: number;
  /** ‖gradient‖₂ after clipping (≤ C). */
  readonly clippedNorm: number;
}

/**
 * Resampling rounds before giving up. With β > 0 one round fails with probability ≤ β
 * (Kairouz et al. 2021, Proposition 22), so with β ≤ 0.9 reaching this is a 10⁻⁴⁵ event; with
 * β = 0 the bound c + √D always holds for exact arithmetic.
 */
const MAX_ROUNDING_ATTEMPTS = 1000;

/**
 * The exact variance a device's discrete Gaussian is drawn with: ⌈σ_dev²⌉ when σ_dev ≥ 1 (an
 * integer σ² puts the sampler on its fast path; it adds less than one step² of variance, i.e. at
 * least the noise the accounting assumes), else σ_dev² exactly.
 * @param encoding - the round's encoding
 * @returns σ² as an exact rational
 * @throws TypeError / RangeError when the encoding is invalid
 */
export function deviceNoiseVariance(encoding: SecureSumEncoding): Rational {
  validateSecureSumEncoding(encoding);
  const { numerator, denominator } = toRational(encoding.deviceSigma);
  const n2 = numerator * numerator;
  const d2 = denominator * denominator;
  if (numerator < denominator) return toRational({ numerator: n2, denominator: d2 });
  return { numerator: (n2 + d2 - 1n) / d2, denominator: 1n };
}

/**
 * Conditional randomized rounding (Kairouz et al. 2021, §4.1): each coordinate goes to ⌊v⌋ + 1
 * with probability v − ⌊v⌋ and to ⌊v⌋ otherwise; the whole vector is redrawn until its L2 norm is
 * at most Δ₂.
 */
function conditionalRound(scaled: Float64Array, bound: number, source: RandomSource): Float64Array {
  const out = new Float64Array(scaled.length);
  for (let attempt = 0; attempt < MAX_ROUNDING_ATTEMPTS; attempt++) {
    let sumSquares = 0;
    for (let i = 0; i < scaled.length; i++) {
      const v = scaled[i] as number;
      const floor = Math.floor(v);
      const r = uniform53(source) < v - floor ? floor + 1 : floor;
      out[i] = r;
      sumSquares += r * r;
    }
    // The squares are integers, so sumSquares is exact below 2⁵³ and √ is correctly rounded.
    if (Math.sqrt(sumSquares) <= bound) return out;
  }
  throw new PrivacyParameterError(
    `conditional rounding failed ${MAX_ROUNDING_ATTEMPTS} times to meet the norm bound ${bound}`,
  );
}

/**
 * A device's encoding of its update for the secure sum: clip to C, zero-pad to D, rotate, divide by
 * γ, round conditionally to norm ≤ Δ₂ ({@link roundedNormBound}), add N_Z(0, σ_dev²) per
 * coordinate ({@link deviceNoiseVariance}; exact sampler), reduce mod 2^b.
 * @param gradient - the update, d values
 * @param encoding - the round's encoding
 * @param options - `source`: randomness for rounding and noise (default: the CSPRNG)
 * @returns the D values to mask and upload, and the norms before and after clipping
 * @throws TypeError / RangeError when the encoding is invalid or the length is not d
 * @throws PrivacyParameterError when a coordinate is not finite, or rounding cannot meet Δ₂
 */
export function quantizeForSecureSum(
  gradient: FloatVector,
  encoding: SecureSumEncoding,
  options: NoiseOptions = {},
): SecureSumInput {
  validateSecureSumEncoding(encoding);
  if (gradient.length !== encoding.dimension) {
    throw new RangeError(
      `gradient has ${gradient.length} values, the encoding expects ${encoding.dimension}`,
    );
  }
  const source = options.source ?? defaultRandomSource();
  const clipped = clipByL2Norm(Float64Array.from(gradient), encoding.clipNorm);
  const padded = new Float64Array(encoding.paddedDimension);
  padded.set(clipped.values);
  const rotated = randomizedHadamard(padded, encoding.rotationSeed);
  for (let i = 0; i < rotated.length; i++) {
    rotated[i] = (rotated[i] as number) / encoding.granularity;
  }
  const rounded = conditionalRound(rotated, roundedNormBound(encoding), source);
  const noise = sampleDiscreteGaussianInto(
    new Float64Array(encoding.paddedDimension),
    deviceNoiseVariance(encoding),
    { source },
  );
  const modulus = 2 ** encoding.bits;
  const values = new Uint32Array(encoding.paddedDimension);
  for (let i = 0; i < values.length; i++) {
    const v = (rounded[i] as number) + (noise[i] as number);
    values[i] = ((v % modulus) + modulus) % modulus;
  }
  return {
    values,
    preClipNorm: clipped.norm,
    clippedNorm: clipped.norm * clipped.scale,
  };
}

/**
 * The server's decoding of a sum mod 2^b: centre each value into [−2^(b−1), 2^(b−1)), multiply
 * by γ, undo the rotation, keep the first d coordinates. Correct as long as no coordinate of the
 * true integer sum left that interval (what γ's headroom is sized for).
 * @param sumModulo - D values in [0, 2^b): the modular sum of the devices' inputs
 * @param encoding - the round's encoding
 * @returns the real-valued sum, d values
 * @throws TypeError / RangeError when the encoding is invalid, the length is not D or a value is
 *   not an integer in [0, 2^b)
 */
export function dequantizeSecureSum(
  sumModulo: Uint32Array,
  encoding: SecureSumEncoding,
): Float64Array {
  validateSecureSumEncoding(encoding);
  if (sumModulo.length !== encoding.paddedDimension) {
    throw new RangeError(
      `sum has ${sumModulo.length} values, the encoding expects ${encoding.paddedDimension}`,
    );
  }
  const modulus = 2 ** encoding.bits;
  const half = modulus / 2;
  const centred = new Float64Array(sumModulo.length);
  for (let i = 0; i < sumModulo.length; i++) {
    const v = sumModulo[i] as number;
    if (v >= modulus) {
      throw new RangeError(`sum value ${v} at index ${i} is not below 2^${encoding.bits}`);
    }
    centred[i] = (v >= half ? v - modulus : v) * encoding.granularity;
  }
  return inverseRandomizedHadamard(centred, encoding.rotationSeed).slice(0, encoding.dimension);
}
