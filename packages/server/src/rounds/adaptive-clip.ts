/**
 * Adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning
 * with Adaptive Clipping"): the clip norm C follows a chosen quantile γ of the update norms. As in
 * TF Privacy's `QuantileEstimatorQuery`, each update contributes the centred bit `bᵢ − 1/2` (bᵢ = 1
 * when its norm was below C), so one update moves the sum by at most 1/2; the noised sum is divided
 * by the FIXED expected cohort size n̄ (the server's `denominator`, never the noised or the real
 * count, which would make the scale data-dependent) and 1/2 is added back:
 * `b̄ = clamp((Σ(bᵢ − 1/2) + N(0, σ_b²)) / n̄ + 1/2, 0, 1)`, then `C ← C·exp(−η_C·(b̄ − γ))`.
 *
 * Privacy: the count is a second Gaussian query on the same cohort with sensitivity 1/2, i.e. noise
 * multiplier 2σ_b. By Theorem 1 of the paper the pair is exactly as private as one Gaussian release
 * with multiplier z when the sum gets `z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2)` — 1/z_Δ² + 1/(2σ_b)² = 1/z²
 * — so the ledger keeps accounting z. The count noise is the exact discrete Gaussian: the doubled
 * centred sum 2·Σbᵢ − n is an integer with sensitivity 1, and gets N_Z(0, (2σ_b)²). The server learns bᵢ from the
 * clipped update itself (its norm is below C unless the device clipped it), which needs un-noised
 * uploads: adaptive clipping is available in `central` and `none` modes, not in `local`.
 */
import { gridVariance, sampleDiscreteGaussian, type RandomSource } from '@privads/dp';

/** Adaptive clipping settings. */
export interface AdaptiveClipConfig {
  /** Target quantile γ of update norms in (0, 1), e.g. 0.5 for the median. */
  targetQuantile: number;
  /** Geometric step η_C (> 0), e.g. 0.2. */
  learningRate: number;
  /**
   * Standard deviation σ_b of the noise on the centred below-clip count (≥ 0; the paper suggests
   * n̄/20). The count's sensitivity is 1/2, so its noise multiplier is 2σ_b.
   */
  countNoiseStd: number;
  /**
   * Lower bound of C.
   * @defaultValue 1e-6
   */
  minClipNorm?: number;
  /**
   * Upper bound of C.
   * @defaultValue 1e6
   */
  maxClipNorm?: number;
}

/**
 * Checks adaptive clipping settings.
 * @param config - the settings
 * @returns the same settings
 * @throws RangeError quoting the offending value
 */
export function checkAdaptiveClipConfig(config: AdaptiveClipConfig): AdaptiveClipConfig {
  if (!(config.targetQuantile > 0 && config.targetQuantile < 1)) {
    throw new RangeError(
      `adaptiveClipping.targetQuantile must be in (0, 1), got ${config.targetQuantile}`,
    );
  }
  if (!(config.learningRate > 0)) {
    throw new RangeError(`adaptiveClipping.learningRate must be > 0, got ${config.learningRate}`);
  }
  if (!(config.countNoiseStd >= 0 && Number.isFinite(config.countNoiseStd))) {
    throw new RangeError(
      `adaptiveClipping.countNoiseStd must be >= 0, got ${config.countNoiseStd}`,
    );
  }
  const min = config.minClipNorm ?? 1e-6;
  const max = config.maxClipNorm ?? 1e6;
  if (!(min > 0 && max >= min)) {
    throw new RangeError(
      `adaptiveClipping needs 0 < minClipNorm <= maxClipNorm, got ${min}, ${max}`,
    );
  }
  return config;
}

/**
 * The noise multiplier the sum must get so that sum and count together are as private as one
 * Gaussian release with multiplier `z` (Andrew et al., Theorem 1).
 * @param z - the accounted noise multiplier (> 0)
 * @param countNoiseStd - σ_b of the count
 * @returns z_Δ ≥ z
 * @throws RangeError when 2σ_b ≤ z: the count would use up the whole budget
 */
export function sumNoiseMultiplier(z: number, countNoiseStd: number): number {
  const twice = 2 * countNoiseStd;
  if (!(twice > z)) {
    throw new RangeError(
      `adaptive clipping needs 2·countNoiseStd > noiseMultiplier, got 2·${countNoiseStd} <= ${z}`,
    );
  }
  return 1 / Math.sqrt(z ** -2 - twice ** -2);
}

/**
 * The noised fraction of updates below C: Σ(bᵢ − 1/2) + N(0, σ_b²) over the fixed expected count,
 * plus 1/2, clamped to [0, 1] (TF Privacy's `QuantileEstimatorQuery.get_noised_result`). Computed
 * on the doubled sum 2·Σbᵢ − n, an integer, so the noise can be the exact N_Z(0, (2σ_b)²).
 */
function noisedBelowFraction(
  countNoiseStd: number,
  counts: { belowClip: number; cohortSize: number },
  expectedCount: number,
  source: RandomSource | undefined,
): number {
  const doubled = BigInt(2 * counts.belowClip - counts.cohortSize);
  const noise =
    countNoiseStd > 0
      ? sampleDiscreteGaussian(
          gridVariance(2 * countNoiseStd, 1),
          source === undefined ? {} : { source },
        )
      : 0n;
  const centred = Number(doubled + noise) / 2;
  return Math.min(1, Math.max(0, centred / expectedCount + 0.5));
}

/**
 * The clip norm of the next round.
 * @param config - adaptive clipping settings
 * @param clipNorm - this round's C
 * @param counts - how many updates had a norm below C, out of how many
 * @param expectedCount - the fixed expected cohort size n̄ (the server's numeric `denominator`)
 * @param source - randomness for the count noise (default: the CSPRNG)
 * @returns the next C and the noised below-clip fraction that moved it
 * @throws RangeError when `expectedCount` is not a positive integer or the counts are inconsistent
 */
export function nextClipNorm(
  config: AdaptiveClipConfig,
  clipNorm: number,
  counts: { belowClip: number; cohortSize: number },
  expectedCount: number,
  source?: RandomSource,
): { clipNorm: number; noisedFraction: number } {
  if (!(Number.isSafeInteger(expectedCount) && expectedCount >= 1)) {
    throw new RangeError(`expectedCount must be an integer >= 1, got ${expectedCount}`);
  }
  const { belowClip, cohortSize } = counts;
  if (!(Number.isSafeInteger(belowClip) && belowClip >= 0 && belowClip <= cohortSize)) {
    throw new RangeError(`belowClip must be an integer in [0, ${cohortSize}], got ${belowClip}`);
  }
  const noisedFraction = noisedBelowFraction(config.countNoiseStd, counts, expectedCount, source);
  const moved =
    clipNorm * Math.exp(-config.learningRate * (noisedFraction - config.targetQuantile));
  const bounded = Math.min(config.maxClipNorm ?? 1e6, Math.max(config.minClipNorm ?? 1e-6, moved));
  return { clipNorm: bounded, noisedFraction };
}
