/**
 * Privacy settings of a simulated DP run: the round privacy block the server publishes, computed
 * with `@privads/dp` as an operator would (noise multiplier for a target ε in central mode, the
 * analytic Gaussian σ per upload in local mode, via the same `localNoiseSigma` as the server), and the ε a run actually spent.
 */
import {
  DEFAULT_RDP_ORDERS,
  findNoiseMultiplier,
  localNoiseSigma,
  rdpToEpsilon,
  subsampledGaussianRdpCurve,
} from '@privads/dp';
import type { RoundPrivacy } from '@privads/protocol';

/** Privacy mode of the DP run. */
export type PrivacyMode = 'none' | 'central' | 'local';

/** The DP run's accounting. */
export interface PrivacySummary {
  readonly mode: PrivacyMode;
  /** Target ε (central: whole training; local: per upload). */
  readonly epsilon: number;
  readonly delta: number;
  /** Central: noise multiplier z; local: σ per coordinate. */
  readonly noiseMultiplier?: number;
  readonly sigma?: number;
  /** Central: ε actually spent over the released rounds (RDP accountant). */
  readonly spentEpsilon?: number;
  readonly samplingProbability: number;
}

/**
 * The round privacy block and its summary for a DP run.
 * @param mode - privacy mode
 * @param epsilon - central: target over all rounds; local: per upload
 * @param delta - δ
 * @param clipNorm - C
 * @param dimension - parameter count d (local mode: the noise grid's share of the sensitivity)
 * @param sampleRate - Poisson sampling probability q
 * @param rounds - rounds T the accountant plans for
 * @returns the block the server publishes and the summary for the report
 * @throws PrivacyParameterError when no noise multiplier reaches the target
 */
export function privacyFor(
  mode: PrivacyMode,
  epsilon: number,
  delta: number,
  clipNorm: number,
  dimension: number,
  sampleRate: number,
  rounds: number,
): { privacy: RoundPrivacy; summary: PrivacySummary } {
  if (mode === 'central') {
    const z = findNoiseMultiplier({ targetEpsilon: epsilon, delta, sampleRate, steps: rounds });
    return {
      privacy: { mode: 'central', noiseMultiplier: z, delta, targetEpsilon: epsilon },
      summary: { mode, epsilon, delta, noiseMultiplier: z, samplingProbability: sampleRate },
    };
  }
  if (mode === 'local') {
    // Sensitivity 2(C + g√d): any two uploads, clipped and rounded to the noise grid (as the server).
    const sigma = localNoiseSigma(epsilon, delta, clipNorm, dimension);
    return {
      privacy: { mode: 'local', epsilon, delta, sigma },
      summary: { mode, epsilon, delta, sigma, samplingProbability: sampleRate },
    };
  }
  return {
    privacy: { mode: 'none' },
    summary: { mode, epsilon, delta, samplingProbability: sampleRate },
  };
}

/**
 * ε spent by `steps` released rounds of the subsampled Gaussian mechanism (RDP accountant).
 * @param z - noise multiplier
 * @param sampleRate - q
 * @param steps - released rounds
 * @param delta - δ
 * @returns ε
 */
export function spentEpsilon(z: number, sampleRate: number, steps: number, delta: number): number {
  if (steps === 0) return 0;
  const curve = subsampledGaussianRdpCurve({ noiseMultiplier: z, sampleRate, steps });
  return rdpToEpsilon(DEFAULT_RDP_ORDERS, curve, delta).epsilon;
}
