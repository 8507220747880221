/**
 * Privacy settings of a simulated DP run, computed with `@privads/dp` as an operator would, and
 * the ε a run actually spent. Central and distributed ε are **per device, without amplification
 * by subsampling** (the server, the page and the network all see who took part): the releases a
 * device may join are bounded by its participation rules, min(k, ⌈T/b⌉) of them
 * (`allowedParticipations`), and their zCDP costs compose (`perDeviceEpsilon`). The noise
 * multiplier z for a target ε is the smallest whose composed cost meets it
 * (`findPerDeviceNoiseMultiplier`). Local mode's ε is per upload, as the server calibrates it.
 */
import {
  allowedParticipations,
  distributedGaussianRho,
  findPerDeviceNoiseMultiplier,
  gaussianZcdp,
  localNoiseSigma,
  planSecureSumEncoding,
  participationCost,
  type ParticipationLimits,
} from '@privads/dp';
import type { RoundConfig } from '@privads/protocol';
import type { SimPrivacy, DistributedMasking } from './aggregator.js';

/** Privacy mode of the DP run. */
export type PrivacyMode = 'none' | 'central' | 'local' | 'distributed';

/** The DP run's accounting. */
export interface PrivacySummary {
  readonly mode: PrivacyMode;
  /** Target ε (central, distributed: per device over the whole run; local: per upload). */
  readonly epsilon: number;
  readonly delta: number;
  /** Central, distributed: the most releases one device may join, min(k, ⌈T/b⌉). */
  readonly participations?: number;
  /** Central, distributed: noise multiplier z; local: σ per coordinate. */
  readonly noiseMultiplier?: number;
  readonly sigma?: number;
  /**
   * Central, distributed: the per-device ε of the releases that happened (the worst
   * `participations` of them), no amplification.
   */
  readonly spentEpsilon?: number;
  /** Announced to devices to spread load; never counted as amplification. */
  readonly samplingProbability: number;
}

/** What {@link privacyFor} needs. */
export interface PrivacyQuery {
  readonly mode: PrivacyMode;
  /** Target ε: per device over the run (central, distributed) or per upload (local). */
  readonly epsilon: number;
  readonly delta: number;
  /** C. */
  readonly clipNorm: number;
  /** d, the parameter count. */
  readonly dimension: number;
  readonly sampleRate: number;
  /** T: rounds of the run. */
  readonly rounds: number;
  /** k and b of the participation rules. */
  readonly limits: ParticipationLimits;
  /** Distributed mode: the fewest devices in a release (the server's kMin). */
  readonly kMin?: number;
  /** Distributed mode: the secure-aggregation parameters (b, t, k, cohort bound, timing). */
  readonly masking?: DistributedMasking;
  /**
   * Per-ad counts released with the gradient: their L2 bound as a fraction of C and the catalog
   * size. The target ε then covers both (central, distributed: z grows by √(1 + share²); local:
   * σ is calibrated for the joint bound), as the server prices them (`participationCost`).
   */
  readonly counts?: { readonly normShare: number; readonly items: number };
}

/** The update vector's L2 bound over C, and its length, with the counts appended. */
function jointShape(query: PrivacyQuery): { factor: number; dimension: number } {
  const c = query.counts;
  return c
    ? { factor: Math.hypot(1, c.normShare), dimension: query.dimension + 2 * c.items }
    : { factor: 1, dimension: query.dimension };
}

/** The noise one distributed release costs, at z: ρ of the planned encoding (any seed). */
function distributedRho(
  z: number,
  query: PrivacyQuery & { kMin: number; masking: DistributedMasking },
): number {
  const { clipNorm, kMin, masking: m } = query;
  const { factor, dimension } = jointShape(query);
  // As the server plans it: the joint vector, with the gradient's noise z·C unchanged.
  const encoding = planSecureSumEncoding({
    clipNorm: clipNorm * factor,
    dimension,
    bits: m.bits,
    noiseMultiplier: z / factor,
    minDevices: kMin,
    maxDevices: m.maxCohort,
    rotationSeed: new Uint8Array(16).fill(1),
  });
  return distributedGaussianRho({ encoding, devices: kMin, maxDevices: m.maxCohort });
}

/**
 * The privacy block the simulated server is configured with and its summary for a DP run.
 * @param query - mode, target, δ, model size, schedule, participation rules, masking parameters
 * @returns the server's privacy settings and the summary for the report
 * @throws PrivacyParameterError when no noise multiplier reaches the target
 * @throws RangeError for distributed mode without kMin and masking parameters
 */
export function privacyFor(query: PrivacyQuery): { privacy: SimPrivacy; summary: PrivacySummary } {
  const { mode, epsilon, delta, clipNorm, sampleRate: samplingProbability } = query;
  const joint = jointShape(query);
  if (mode === 'local') {
    // Sensitivity 2(B + g√d): any two uploads, clipped and rounded to the noise grid (as the server).
    const sigma = localNoiseSigma(epsilon, delta, clipNorm * joint.factor, joint.dimension);
    return {
      privacy: { mode: 'local', epsilon, delta },
      summary: { mode, epsilon, delta, sigma, samplingProbability },
    };
  }
  if (mode === 'none') {
    return { privacy: { mode: 'none' }, summary: { mode, epsilon, delta, samplingProbability } };
  }
  const participations = allowedParticipations(query.limits, query.rounds);
  const summary = { mode, epsilon, delta, participations, samplingProbability };
  if (mode === 'central') {
    const z = findPerDeviceNoiseMultiplier({
      targetEpsilon: epsilon,
      delta,
      participations,
      rhoOf: (z) => gaussianZcdp(z) * joint.factor ** 2,
    });
    return {
      privacy: { mode: 'central', noiseMultiplier: z, delta, targetEpsilon: epsilon },
      summary: { ...summary, noiseMultiplier: z },
    };
  }
  const { masking, kMin } = query;
  if (masking === undefined || kMin === undefined) {
    throw new RangeError('distributed mode needs kMin and masking parameters');
  }
  const z = findPerDeviceNoiseMultiplier({
    targetEpsilon: epsilon,
    delta,
    participations,
    rhoOf: (x) => distributedRho(x, { ...query, kMin, masking }),
  });
  return {
    privacy: { mode: 'distributed', noiseMultiplier: z, delta, ...masking },
    summary: { ...summary, noiseMultiplier: z },
  };
}

/**
 * zCDP ρ of one released round, from the config the server published for it: 1/(2z²) for the
 * central Gaussian, `distributedGaussianRho` of the round's own encoding (at least kMin noise
 * shares, at most maxCohort) for the distributed mode; 0 otherwise (local is per upload).
 * @param config - the round's config
 * @returns ρ
 */
export function releaseRho(config: RoundConfig): number {
  // Local uploads are accounted per upload, not per release.
  if (config.privacy.mode === 'local') return 0;
  return participationCost(config)?.rho ?? 0;
}
