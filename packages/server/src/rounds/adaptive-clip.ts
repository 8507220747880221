/**
 * Adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning
 * with Adaptive Clipping"): the clip norm C follows a chosen quantile γ of the update norms. Each
 * round releases the noised fraction of updates whose norm was below C,
 * `b̄ = (Σbᵢ + N(0, σ_b²)) / n`, and moves `C ← C·exp(−η_C·(b̄ − γ))`.
 *
 * Privacy: the count is a second Gaussian query on the same cohort. By their Theorem 1 the pair is
 * exactly as private as one Gaussian release with noise multiplier z when the sum gets
 * `z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2)`, so the ledger keeps accounting z. The server learns bᵢ from the
 * clipped update itself (its norm is below C unless the device clipped it), which needs un-noised
 * uploads: adaptive clipping is available in `central` and `none` modes, not in `local`.
 */
import { sampleGaussian, type RandomSource } from '@privads/dp';

/** Adaptive clipping settings. */
export interface AdaptiveClipConfig {
  /** Target quantile γ of update norms in (0, 1), e.g. 0.5 for the median. */
  targetQuantile: number;
  /** Geometric step η_C (> 0), e.g. 0.2. */
  learningRate: number;
  /** Standard deviation σ_b of the noise on the below-clip count (≥ 0; the paper suggests n/20). */
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
 * The clip norm of the next round.
 * @param config - adaptive clipping settings
 * @param clipNorm - this round's C
 * @param belowClip - how many updates had a norm below C
 * @param denominator - the round's declared denominator (cohort size or the fixed value)
 * @param source - randomness for the count noise (default: the CSPRNG)
 * @returns the next C and the noised below-clip fraction that moved it
 */
export function nextClipNorm(
  config: AdaptiveClipConfig,
  clipNorm: number,
  belowClip: number,
  denominator: number,
  source?: RandomSource,
): { clipNorm: number; noisedFraction: number } {
  const noise =
    config.countNoiseStd > 0
      ? sampleGaussian(config.countNoiseStd, source === undefined ? {} : { source })
      : 0;
  const noisedFraction = (belowClip + noise) / denominator;
  const moved =
    clipNorm * Math.exp(-config.learningRate * (noisedFraction - config.targetQuantile));
  const bounded = Math.min(config.maxClipNorm ?? 1e6, Math.max(config.minClipNorm ?? 1e-6, moved));
  return { clipNorm: bounded, noisedFraction };
}
