/**
 * What one device's participation in a round costs, in zCDP ρ, from the round config alone: the
 * one pricing rule the server's ledger, the client's own ledger and the simulator share.
 *
 * A round that asks for per-ad counts releases them in the same vector as the gradient
 * (`ad-counts.ts` of `@privads/protocol`), so the sensitivity is the joint bound
 * B = √(C² + (s√(i² + c²))²) and the cost is that of one Gaussian release of sensitivity B. The
 * gradient's noise is unchanged by the counts in central and distributed mode (the round declares
 * z for C), so ρ grows by the factor B²/C²; in local mode the round declares the per-upload ε, so
 * σ is calibrated for B and ρ stays. Either way the counts' share is reported apart:
 * ρ_counts = ρ·(s√(i² + c²))²/B² — exact in central mode, where ρ = B²/(2σ²) is a sum over the
 * segments' squared norms; in local and distributed mode the small rounding terms of the bound
 * are split in the same proportion.
 */
import { countsNormBound, updateNormBound, updateVectorLength } from '@privads/protocol';
import type { RoundConfig } from '@privads/protocol';

import { distributedGaussianRho } from './distributed-gaussian.js';
import { localSensitivity } from './local-randomizer.js';
import { secureSumEncodingOf } from './secure-sum-config.js';
import { gaussianZcdp } from './zcdp.js';

/** The accounted noise multiplier and zCDP cost of one participation. */
export interface ParticipationCost {
  /**
   * z: central, the server's noise; local, σ/Δ of each upload; distributed, the declared z of
   * k_min shares (informational: ρ is computed from the encoding itself).
   */
  readonly noiseMultiplier: number;
  /** ρ of one participation: gradient and counts together. */
  readonly rho: number;
  /** The counts' share of `rho` (0 when the round asks for no counts). */
  readonly countsRho: number;
}

function withCountsShare(
  config: RoundConfig,
  cost: { noiseMultiplier: number; rho: number },
): ParticipationCost {
  const share = (countsNormBound(config) / updateNormBound(config)) ** 2;
  return { ...cost, countsRho: cost.rho * share };
}

/**
 * ρ of one device's participation in a round. Central: B²/(2z²C²) (1/(2z²) without counts). Local:
 * 1/(2z²) with z = σ/Δ and Δ = `localSensitivity` of B (clip, then the device's rounding to its
 * noise grid). Distributed: the
 * distributed discrete Gaussian's ρ of the encoding the round describes, for a sum of at least
 * `devices` (default k_min) and at most `maxCohort` noise shares.
 * @param config - a validated round config
 * @param devices - noise shares the release sums at least
 * @returns the cost, or undefined for a round without a guarantee (`none`)
 * @throws PrivacyParameterError when a distributed round does not describe a valid encoding
 */
export function participationCost(
  config: RoundConfig,
  devices: number = config.kMin,
): ParticipationCost | undefined {
  const privacy = config.privacy;
  switch (privacy.mode) {
    case 'central': {
      // The server's noise is z·C; the sum's sensitivity is the joint bound B.
      const z = privacy.noiseMultiplier;
      const ratio = updateNormBound(config) / config.clipNorm;
      return withCountsShare(config, { noiseMultiplier: z, rho: gaussianZcdp(z) * ratio * ratio });
    }
    case 'local': {
      const sensitivity = localSensitivity(
        updateNormBound(config),
        privacy.sigma,
        updateVectorLength(config),
      );
      const z = privacy.sigma / sensitivity;
      return withCountsShare(config, { noiseMultiplier: z, rho: gaussianZcdp(z) });
    }
    case 'distributed':
      return withCountsShare(config, {
        noiseMultiplier: privacy.noiseMultiplier,
        rho: distributedGaussianRho({
          encoding: secureSumEncodingOf(config),
          devices,
          maxDevices: privacy.maxCohort,
        }),
      });
    default:
      return undefined;
  }
}
