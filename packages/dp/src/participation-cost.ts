/**
 * What one device's participation in a round costs, in zCDP ρ, from the round config alone: the
 * one pricing rule the server's ledger, the client's own ledger and the simulator share.
 */
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
  /** ρ of one participation. */
  readonly rho: number;
}

/**
 * ρ of one device's participation in a round. Central: 1/(2z²). Local: 1/(2z²) with z = σ/Δ and
 * Δ = `localSensitivity` (clip, then the device's rounding to its noise grid). Distributed: the
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
    case 'central':
      return {
        noiseMultiplier: privacy.noiseMultiplier,
        rho: gaussianZcdp(privacy.noiseMultiplier),
      };
    case 'local': {
      const sensitivity = localSensitivity(
        config.clipNorm,
        privacy.sigma,
        config.model.parameterCount,
      );
      const z = privacy.sigma / sensitivity;
      return { noiseMultiplier: z, rho: gaussianZcdp(z) };
    }
    case 'distributed':
      return {
        noiseMultiplier: privacy.noiseMultiplier,
        rho: distributedGaussianRho({
          encoding: secureSumEncodingOf(config),
          devices,
          maxDevices: privacy.maxCohort,
        }),
      };
    default:
      return undefined;
  }
}
