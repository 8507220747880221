/**
 * Per-device accounting without amplification. The server, the publisher page and the network all
 * see which devices upload in a round, so no headline ε may count on participation being hidden
 * (amplification by subsampling). What protects a device is how often it may take part: at most
 * one round in any `minRoundGap` consecutive rounds and at most `maxParticipationsPerDevice` in its
 * lifetime. Its ε composes the zCDP costs ρ of the releases it could have joined — for a bound that
 * holds whichever ones it joined, the most expensive ones allowed.
 */
import { requireNonNegative } from './validate.js';
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
