/**
 * Central noise: exact discrete Gaussian noise on the integer grid of the round sum.
 *
 * The accumulator holds the sum exactly as integers on the grid g = 2^-32 (`aggregator.ts`). Every
 * contribution was clipped to C − √d·2^-33 before its coordinates were rounded to the nearest grid
 * point (each moves by ≤ 2^-33, the vector by ≤ √d·2^-33; `contributionClipNorm`), so each rounded
 * contribution has norm ≤ C and the integer sum's L2 sensitivity is ≤ C/g grid steps. Adding
 * N_Z(0, (σ/g)²) per coordinate — σ = z·C, or z_Δ·C with adaptive clipping — is then the discrete
 * Gaussian mechanism of Canonne, Kamath & Steinke (2020), whose Rényi/zCDP guarantee for integer
 * queries equals the continuous Gaussian's (their Theorem 14), so the ledger's RDP accounting of z is
 * unchanged. The variance is the exact rational (σ/g)², and the noised integers are converted to
 * float64 only afterwards (post-processing).
 */
import { addDiscreteGaussianNoiseBigInt, gridVariance, type RandomSource } from '@privads/dp';
import type { ReleaseNoise } from '@privads/protocol';

import { FRACTION_BITS } from './aggregator.js';

/**
 * The noise distribution recorded with every noised release: this one in central mode, and the one
 * `randomizeLocally` of `@privads/dp` adds on devices in local mode.
 */
export const RELEASE_NOISE: ReleaseNoise = 'discrete-gaussian';

/** The central noise grid, 2^-32: the accumulator's own. */
export const CENTRAL_GRID_STEP = 2 ** -FRACTION_BITS;

/**
 * Adds N_Z(0, (σ/g)²) to each grid integer and converts the result to the sum's unit.
 * @param gridSum - the exact sum in grid steps (`RoundAccumulator.gridSum`)
 * @param sigma - noise standard deviation σ > 0 on the sum, in the sum's unit
 * @param source - randomness (default: the CSPRNG)
 * @returns (gridSum + noise)·g per coordinate (one float rounding each, after the noise)
 * @throws RangeError when σ is not a finite number > 0
 */
export function addCentralNoise(
  gridSum: readonly bigint[],
  sigma: number,
  source?: RandomSource,
): Float64Array {
  const noised = addDiscreteGaussianNoiseBigInt(
    gridSum,
    gridVariance(sigma, CENTRAL_GRID_STEP),
    source === undefined ? {} : { source },
  );
  return Float64Array.from(noised, (k) => Number(k) * CENTRAL_GRID_STEP);
}
