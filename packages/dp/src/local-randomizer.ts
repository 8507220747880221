/**
 * The local-mode randomizer: what a device does to its clipped update before it leaves, and the one
 * sensitivity rule that the server (calibrating σ) and the client (re-checking the server's σ) both
 * use, so the two sides cannot drift apart.
 *
 * Steps: randomized rounding of the clipped vector x (‖x‖ ≤ C) to the grid g = σ·2^-20, then exact
 * discrete Gaussian noise N_Z(0, (σ/g)²) = N_Z(0, 2^40) grid steps per coordinate. No floating-point
 * Gaussian is involved; the float conversion happens after the noise (post-processing).
 *
 * Sensitivity: rounding moves each coordinate by less than one grid step, so the rounded vector has
 * norm ≤ C + g√d (checked on the result, see {@link randomizeLocally}); two uploads of one device
 * differ by at most Δ = 2(C + g√d). Because g is tied to σ, σ and Δ are solved together
 * ({@link localNoiseSigma}). Why 2^-20: g√d stays a small fraction of C for any realistic model
 * (d = 49,280: g√d ≈ 2.1e-4·σ), the variance 2^40 is an exact power of two, and the sampler's
 * integers stay small.
 */
import { PrivacyParameterError } from '@privads/protocol';

import { analyticGaussianSigma } from './calibrate.js';
import { addDiscreteGaussianNoiseBigInt } from './discrete-gaussian.js';
import type { NoiseOptions } from './gaussian.js';
import { defaultRandomSource, uniform53 } from './random-source.js';
import { requireCount, requirePositive } from './validate.js';

/** The local grid is σ·2^-LOCAL_GRID_BITS. */
export const LOCAL_GRID_BITS = 20;
/** (σ/g)² in grid steps: exactly 2^(2·LOCAL_GRID_BITS). */
const LOCAL_GRID_VARIANCE = 1n << BigInt(2 * LOCAL_GRID_BITS);
/** The rounded norm is checked with this relative margin, larger than the float error of the check. */
const NORM_CHECK_MARGIN = 2 ** -30;
/** Redraws of the rounding before giving up (each fails only at float-rounding edge cases). */
const ROUNDING_ATTEMPTS = 16;

function requireDimension(dimension: number): number {
  requireCount('dimension', dimension);
  if (dimension < 1) throw new RangeError(`dimension must be ≥ 1, got ${dimension}`);
  return dimension;
}

/**
 * The grid a local-mode device rounds to.
 * @param sigma - the round's σ > 0
 * @returns g = σ·2^-20 (exact: a power-of-two scaling)
 * @throws TypeError / RangeError when σ is not a finite number > 0
 */
export function localGridStep(sigma: number): number {
  return requirePositive('sigma', sigma) * 2 ** -LOCAL_GRID_BITS;
}

/**
 * The largest L2 norm of a clipped, randomly rounded local update (before noise).
 * @param clipNorm - the round's C > 0
 * @param sigma - the round's σ > 0 (fixes the grid)
 * @param dimension - the vector length d ≥ 1
 * @returns C + g√d
 * @throws TypeError / RangeError on invalid arguments
 */
export function localNormBound(clipNorm: number, sigma: number, dimension: number): number {
  requirePositive('clipNorm', clipNorm);
  return clipNorm + localGridStep(sigma) * Math.sqrt(requireDimension(dimension));
}

/**
 * The L2 sensitivity a local-mode σ must be calibrated for: any two uploads of one device are
 * adjacent in local DP, and each has norm ≤ {@link localNormBound}.
 * @param clipNorm - the round's C > 0
 * @param sigma - the round's σ > 0
 * @param dimension - the vector length d ≥ 1
 * @returns Δ = 2(C + g√d)
 * @throws TypeError / RangeError on invalid arguments
 */
export function localSensitivity(clipNorm: number, sigma: number, dimension: number): number {
  return 2 * localNormBound(clipNorm, sigma, dimension);
}

/**
 * The σ of a local-mode round: the analytic Gaussian σ for the sensitivity
 * {@link localSensitivity} at that same σ. Since σ/Δ is what (ε, δ) fixes, σ = s·2(C + σ·2^-20·√d)
 * with s = σ₀/(2C), σ₀ the analytic σ for 2C; solved in closed form.
 * @param epsilon - ε > 0 of one upload
 * @param delta - δ ∈ (0, 1)
 * @param clipNorm - the round's C > 0
 * @param dimension - the vector length d ≥ 1
 * @returns σ with σ / localSensitivity(C, σ, d) equal to the analytic Gaussian's σ/Δ for (ε, δ)
 * @throws RangeError when the grid term would swallow the whole budget (σ₀·√d·2^-20 ≥ C)
 */
export function localNoiseSigma(
  epsilon: number,
  delta: number,
  clipNorm: number,
  dimension: number,
): number {
  const sigma0 = analyticGaussianSigma(epsilon, delta, 2 * clipNorm);
  const gridShare =
    (sigma0 * Math.sqrt(requireDimension(dimension)) * 2 ** -LOCAL_GRID_BITS) / clipNorm;
  if (!(gridShare < 1)) {
    throw new RangeError(
      `local noise grid too coarse for dimension ${dimension} at ε=${epsilon}, δ=${delta}: σ₀√d·2^-${LOCAL_GRID_BITS}/C = ${gridShare}`,
    );
  }
  return sigma0 / (1 - gridShare);
}

/** Unbiased rounding of every coordinate to a multiple of `step`, as integers (multiples). */
function randomizedRound(
  values: ArrayLike<number>,
  step: number,
  random: () => number,
): { multiples: number[]; norm: number } {
  const multiples = new Array<number>(values.length);
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const q = (values[i] as number) / step;
    const floor = Math.floor(q);
    const k = random() < q - floor ? floor + 1 : floor;
    multiples[i] = k;
    sumSquares += k * k;
  }
  return { multiples, norm: Math.sqrt(sumSquares) * step };
}

/**
 * Randomizes a clipped update for a local-mode round: randomized rounding to the grid
 * {@link localGridStep}, then N_Z(0, 2^40) grid steps of exact discrete Gaussian noise per
 * coordinate. A rounding whose norm (computed in float64, with a margin) is not below
 * {@link localNormBound} is redrawn — conditional randomized rounding (Kairouz, Liu & Steinke 2021);
 * in exact arithmetic the bound always holds, so a redraw only happens at float-rounding edges.
 * @param values - the clipped update, ‖values‖₂ ≤ C
 * @param clipNorm - the round's C > 0
 * @param sigma - the round's σ > 0
 * @param options - `source`: randomness of the rounding and the noise (default: the CSPRNG)
 * @returns a new `Float64Array` g·(k + noise); the integers k + noise are the DP output, their
 *   conversion to floating point is post-processing
 * @throws PrivacyParameterError when no rounding within the bound is found (‖values‖ > C)
 * @throws TypeError / RangeError on invalid arguments
 */
export function randomizeLocally(
  values: Float32Array | Float64Array,
  clipNorm: number,
  sigma: number,
  options: NoiseOptions = {},
): Float64Array {
  const step = localGridStep(sigma);
  const bound = localNormBound(clipNorm, sigma, Math.max(1, values.length));
  const source = options.source ?? defaultRandomSource();
  const random = (): number => uniform53(source);
  for (let attempt = 0; attempt < ROUNDING_ATTEMPTS; attempt++) {
    const { multiples, norm } = randomizedRound(values, step, random);
    if (!(norm <= bound * (1 - NORM_CHECK_MARGIN))) continue;
    const noised = addDiscreteGaussianNoiseBigInt(multiples.map(BigInt), LOCAL_GRID_VARIANCE, {
      source,
    });
    return Float64Array.from(noised, (k) => Number(k) * step);
  }
  throw new PrivacyParameterError(
    `could not round the update within the norm bound ${bound} (C=${clipNorm}, σ=${sigma}): is it clipped to C?`,
  );
}
