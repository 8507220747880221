/**
 * The inverse problem of accounting: the smallest noise multiplier that keeps T rounds of the
 * subsampled Gaussian mechanism within a target (ε, δ).
 */
import { PrivacyParameterError } from '@privads/protocol';

import { bisect } from './bisection.js';
import { DEFAULT_RDP_ORDERS, subsampledGaussianRdpCurve } from './rdp.js';
import { rdpToEpsilon } from './rdp-conversion.js';
import type { RdpConversion } from './rdp-conversion.js';
import { requireCount, requireDelta, requirePositive, requireProbability } from './validate.js';

/** Parameters of {@link findNoiseMultiplier}. */
export interface NoiseMultiplierQuery {
  /** The ε to stay within, > 0. */
  readonly targetEpsilon: number;
  /** δ ∈ (0, 1). */
  readonly delta: number;
  /** Poisson sampling rate q ∈ (0, 1]. */
  readonly sampleRate: number;
  /** Number of rounds T ≥ 1. */
  readonly steps: number;
  /**
   * RDP orders.
   * @defaultValue {@link DEFAULT_RDP_ORDERS}
   */
  readonly orders?: readonly number[];
  /**
   * RDP → (ε, δ) conversion.
   * @defaultValue `'improved'`
   */
  readonly conversion?: RdpConversion;
  /**
   * Relative tolerance on z: the search stops when the bracket [lo, hi] has hi − lo ≤ tolerance·hi.
   * @defaultValue 1e-4
   */
  readonly tolerance?: number;
}

/** Beyond this noise multiplier the target is declared unreachable. */
export const MAX_NOISE_MULTIPLIER = 2 ** 20;

/**
 * Finds the noise multiplier z for a target ε by bisection on ε(z), which decreases in z.
 * Guarantee: the returned z satisfies ε(z) ≤ targetEpsilon (as computed by the accountant with the
 * same orders and conversion), and ε(z·(1 − tolerance)) > targetEpsilon, i.e. z is minimal up to
 * the relative tolerance.
 * @param query - target, δ, sampling rate, rounds, and optional orders/conversion/tolerance
 * @returns z
 * @throws PrivacyParameterError (code `PRIVACY_PARAMETER`) when no z ≤ 2²⁰ reaches the target (with
 *   finitely many orders ε cannot go below a floor set by the largest order)
 * @throws TypeError / RangeError on invalid arguments
 */
export function findNoiseMultiplier(query: NoiseMultiplierQuery): number {
  const {
    targetEpsilon,
    delta,
    sampleRate,
    steps,
    orders = DEFAULT_RDP_ORDERS,
    conversion = 'improved',
    tolerance = 1e-4,
  } = query;
  requirePositive('targetEpsilon', targetEpsilon);
  requireDelta('delta', delta);
  if (requireProbability('sampleRate', sampleRate) === 0) {
    throw new RangeError(`sampleRate must be > 0 for a noise search, got 0`);
  }
  if (requireCount('steps', steps) === 0) throw new RangeError(`steps must be ≥ 1, got 0`);
  if (!(requirePositive('tolerance', tolerance) < 1)) {
    throw new RangeError(`tolerance must be in (0, 1), got ${tolerance}`);
  }
  const epsilonOf = (noiseMultiplier: number): number =>
    rdpToEpsilon(
      orders,
      subsampledGaussianRdpCurve({ noiseMultiplier, sampleRate, steps, orders }),
      delta,
      conversion,
    ).epsilon;
  const meetsTarget = (z: number): boolean => epsilonOf(z) <= targetEpsilon;
  return smallestNoiseMultiplier(
    meetsTarget,
    tolerance,
    () =>
      `no noise multiplier up to ${MAX_NOISE_MULTIPLIER} reaches epsilon ${targetEpsilon} ` +
      `(delta ${delta}, ${steps} steps at sample rate ${sampleRate}); ` +
      `ε(${MAX_NOISE_MULTIPLIER}) = ${epsilonOf(MAX_NOISE_MULTIPLIER)}`,
  );
}

/**
 * The one search of this package for a noise multiplier: the smallest z (up to a relative
 * tolerance, rounded up) at which `meetsTarget` holds, for a predicate that is false for small z
 * and stays true once true. Doubling from 1 finds a point that meets the target, halving one that
 * does not, and bisection narrows the bracket.
 * @param meetsTarget - whether noise multiplier z meets the privacy target
 * @param tolerance - relative width of the final bracket, in (0, 1)
 * @param unreachable - the message when no z ≤ 2²⁰ meets the target (built only then)
 * @returns z with `meetsTarget(z)`
 * @throws PrivacyParameterError when no z ≤ 2²⁰ meets the target
 */
export function smallestNoiseMultiplier(
  meetsTarget: (noiseMultiplier: number) => boolean,
  tolerance: number,
  unreachable: () => string,
): number {
  let hi = 1;
  while (!meetsTarget(hi)) {
    hi *= 2;
    if (hi > MAX_NOISE_MULTIPLIER) throw new PrivacyParameterError(unreachable());
  }
  // ε(z) → ∞ as z → 0 for every mechanism searched here, so halving terminates.
  let lo = hi / 2;
  while (meetsTarget(lo)) {
    hi = lo;
    lo /= 2;
  }
  return bisect(meetsTarget, lo, hi, (b) => b.hi - b.lo <= tolerance * b.hi).hi;
}
