/**
 * Per-device accounting without amplification. The server, the publisher page and the network all
 * see which devices upload in a round, so no headline ε may count on participation being hidden
 * (amplification by subsampling). What protects a device is how often it may take part: at most
 * one round in any `minRoundGap` consecutive rounds and at most `maxParticipationsPerDevice` in its
 * lifetime. Its ε composes the zCDP costs ρ of the releases it could have joined — for a bound that
 * holds whichever ones it joined, the most expensive ones allowed.
 */
import { MAX_NOISE_MULTIPLIER, smallestNoiseMultiplier } from './noise-search.js';
import { requireDelta, requireNonNegative, requirePositive } from './validate.js';
import { zcdpToEpsilon } from './zcdp.js';

/** The participation rules that bound how many releases one device can be in. */
export interface ParticipationLimits {
  /** Lifetime cap k (integer ≥ 1). */
  readonly maxParticipationsPerDevice: number;
  /** At most one participation in any b consecutive rounds (integer ≥ 1). */
  readonly minRoundGap: number;
}

function requireCount(name: string, value: number, min: number): void {
  if (!(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * How many of `rounds` consecutive rounds one device may join: min(k, ⌈T/b⌉).
 * @param limits - k and b
 * @param rounds - T, rounds so far (integer ≥ 0)
 * @returns the most participations the rules allow
 * @throws RangeError for a non-integer or out-of-range argument
 */
export function allowedParticipations(limits: ParticipationLimits, rounds: number): number {
  requireCount('maxParticipationsPerDevice', limits.maxParticipationsPerDevice, 1);
  requireCount('minRoundGap', limits.minRoundGap, 1);
  requireCount('rounds', rounds, 0);
  return Math.min(limits.maxParticipationsPerDevice, Math.ceil(rounds / limits.minRoundGap));
}

/**
 * zCDP ρ of the worst `participations` releases: the sum of the largest ρ's. zCDP composes by
 * adding ρ, so this bounds any device that joined at most that many of them.
 * @param rhos - ρ of each release (≥ 0)
 * @param participations - how many one device may have joined (integer ≥ 0)
 * @returns the composed ρ
 * @throws TypeError / RangeError for an invalid ρ or count
 */
export function worstCaseRho(rhos: readonly number[], participations: number): number {
  requireCount('participations', participations, 0);
  rhos.forEach((rho, i) => requireNonNegative(`rhos[${i}]`, rho));
  return [...rhos]
    .sort((a, b) => b - a)
    .slice(0, participations)
    .reduce((sum, rho) => sum + rho, 0);
}

/**
 * A device's ε at δ over releases with zCDP costs `rhos`, of which it may have joined at most
 * `participations` (tight CKS 2020 conversion).
 * @param rhos - ρ of each release
 * @param participations - the most releases one device can be in
 * @param delta - δ ∈ (0, 1)
 * @returns ε ≥ 0 (0 when nothing was released)
 * @throws TypeError / RangeError on invalid arguments
 */
export function perDeviceEpsilon(
  rhos: readonly number[],
  participations: number,
  delta: number,
): number {
  return zcdpToEpsilon(worstCaseRho(rhos, participations), delta);
}

/** What {@link findPerDeviceNoiseMultiplier} needs. */
export interface PerDeviceNoiseQuery {
  /** The per-device ε to stay within, > 0. */
  readonly targetEpsilon: number;
  /** δ ∈ (0, 1). */
  readonly delta: number;
  /** The most releases one device may join (`allowedParticipations`), ≥ 1. */
  readonly participations: number;
  /**
   * zCDP ρ of one release at noise multiplier z, non-increasing in z: `1/(2z²)` for the central
   * Gaussian, `distributedGaussianRho` of the planned encoding for the distributed mode.
   */
  readonly rhoOf: (noiseMultiplier: number) => number;
  /**
   * Relative tolerance on z.
   * @defaultValue 1e-4
   */
  readonly tolerance?: number;
}

/**
 * The smallest noise multiplier (up to the tolerance, rounded up) whose releases keep a device
 * that joins `participations` of them within the target ε, with no amplification by subsampling:
 * ε = zcdpToEpsilon(participations · ρ(z), δ) ≤ target.
 * @param query - target, δ, participations, ρ(z)
 * @returns z
 * @throws PrivacyParameterError when no z ≤ 2²⁰ reaches the target
 * @throws TypeError / RangeError on invalid arguments
 */
export function findPerDeviceNoiseMultiplier(query: PerDeviceNoiseQuery): number {
  const { targetEpsilon, delta, participations, rhoOf, tolerance = 1e-4 } = query;
  requirePositive('targetEpsilon', targetEpsilon);
  requireDelta('delta', delta);
  requireCount('participations', participations, 1);
  if (!(requirePositive('tolerance', tolerance) < 1)) {
    throw new RangeError(`tolerance must be in (0, 1), got ${tolerance}`);
  }
  const meetsTarget = (z: number): boolean =>
    zcdpToEpsilon(participations * rhoOf(z), delta) <= targetEpsilon;
  return smallestNoiseMultiplier(
    meetsTarget,
    tolerance,
    () =>
      `no noise multiplier up to ${MAX_NOISE_MULTIPLIER} keeps ${participations} participations within ε = ${targetEpsilon} at δ = ${delta}`,
  );
}
