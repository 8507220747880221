/**
 * The parameters of one distributed-mode round: how a device turns its clipped update into D
 * integers mod 2^bits that the secure sum adds up, and how the server turns the sum back into
 * reals. The mechanism is the distributed discrete Gaussian of Kairouz, Liu & Steinke (2021), "The
 * Distributed Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation" (ICML);
 * the contract between packages is docs/secure-aggregation.md.
 */
import { PrivacyParameterError } from '@privads/protocol';

import { isPowerOfTwo } from './hadamard.js';
import { requireNonNegative, requirePositive } from './validate.js';

/** Everything a device and the server must agree on for one round (all public). */
export interface SecureSumEncoding {
  /** C: every update is clipped to this L2 norm. */
  readonly clipNorm: number;
  /** d: the number of model parameters. */
  readonly dimension: number;
  /** D: the smallest power of two ≥ d (the rotation needs a power of two). */
  readonly paddedDimension: number;
  /** The round's public 16-byte seed of the rotation signs (`rotationSigns`). */
  readonly rotationSeed: Uint8Array;
  /** γ > 0: the real value of one integer step. */
  readonly granularity: number;
  /** b: values are sent mod 2^b, 8 ≤ b ≤ 20 (the server's accumulator sums them exactly). */
  readonly bits: number;
  /** σ_dev ≥ 0: the standard deviation of each device's discrete Gaussian, in integer steps. */
  readonly deviceSigma: number;
  /** β ∈ [0, 1): the conditional rounding parameter (0: plain randomized rounding). */
  readonly beta: number;
}

/** What {@link planSecureSumEncoding} needs. */
export interface SecureSumPlanOptions {
  /** C > 0. */
  readonly clipNorm: number;
  /** d ≥ 1, the model's parameter count. */
  readonly dimension: number;
  /** b, an integer in [8, 20]. */
  readonly bits: number;
  /** z ≥ 0: the summed noise of `minDevices` devices has std z·C in real units. */
  readonly noiseMultiplier: number;
  /** The fewest devices whose noise shares a released sum contains (k_min). */
  readonly minDevices: number;
  /** The most devices a sum can contain (sizes the modulus headroom). */
  readonly maxDevices: number;
  /** The round's public 16-byte rotation seed. */
  readonly rotationSeed: Uint8Array;
  /**
   * β ∈ [0, 1).
   * @defaultValue e^{−1/2}, the value of the paper's experiments
   */
  readonly beta?: number;
  /**
   * k: γ is chosen so that k standard deviations of a coordinate of the sum fit in the modulus.
   * @defaultValue 6
   */
  readonly tailStdDevs?: number;
}

/** The default conditional rounding parameter β = e^{−1/2} (Kairouz et al. 2021, §6). */
export const DEFAULT_BETA = Math.exp(-0.5);

/** Bits allowed for the modulus: the server's accumulator sums ≤ 2^(53−20) values exactly. */
const MIN_BITS = 8;
const MAX_BITS = 20;

function requireIntegerAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${typeof value} ${String(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

function requireBits(bits: unknown): number {
  const b = requireIntegerAtLeast('bits', bits, MIN_BITS);
  if (b > MAX_BITS) throw new RangeError(`bits must be an integer in [8, 20], got ${b}`);
  return b;
}

function requireBeta(beta: unknown): number {
  if (typeof beta !== 'number') throw new TypeError(`beta must be a number, got ${String(beta)}`);
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${beta}`);
  return beta;
}

function requireSeed(seed: unknown): Uint8Array {
  if (!(seed instanceof Uint8Array)) {
    throw new TypeError(`rotationSeed must be a Uint8Array, got ${String(seed)}`);
  }
  if (seed.length !== 16) {
    throw new RangeError(`rotationSeed must be 16 bytes, got ${seed.length}`);
  }
  return seed;
}

/**
 * The smallest power of two ≥ n.
 * @param n - an integer ≥ 1
 * @returns 2^⌈log₂ n⌉
 * @throws RangeError when n is not an integer ≥ 1
 */
export function nextPowerOfTwo(n: number): number {
  requireIntegerAtLeast('n', n, 1);
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Checks every field of an encoding (one received over the wire included).
 * @param encoding - the encoding to check
 * @returns `encoding`
 * @throws TypeError for a field of the wrong type; RangeError for a value out of range, quoting it:
 *   bits not an integer in [8, 20], D not the smallest power of two ≥ d, γ not finite > 0,
 *   σ_dev < 0, β outside [0, 1), a seed not of 16 bytes
 */
export function validateSecureSumEncoding(encoding: SecureSumEncoding): SecureSumEncoding {
  requirePositive('clipNorm', encoding.clipNorm);
  const d = requireIntegerAtLeast('dimension', encoding.dimension, 1);
  const padded = requireIntegerAtLeast('paddedDimension', encoding.paddedDimension, 1);
  if (!isPowerOfTwo(padded) || padded < d || padded >= 2 * d) {
    throw new RangeError(
      `paddedDimension must be the smallest power of two ≥ dimension ${d}, got ${padded}`,
    );
  }
  requireSeed(encoding.rotationSeed);
  requirePositive('granularity', encoding.granularity);
  requireBits(encoding.bits);
  requireNonNegative('deviceSigma', encoding.deviceSigma);
  requireBeta(encoding.beta);
  return encoding;
}

/**
 * Chooses γ and σ_dev for a round (docs/secure-aggregation.md): σ_dev = z·C/(γ·√minDevices), so
 * that `minDevices` noise shares sum to std z·C in real units, and
 * γ = 2k·√(maxDevices·C²/D + maxDevices·z²C²/minDevices) / 2^b, so that a coordinate of a sum of
 * up to `maxDevices` rotated updates plus their noise stays within ±2^(b−1) except with
 * probability about that of k standard deviations (Kairouz et al. 2021, §4.4 / Eq. 61).
 * @param options - see {@link SecureSumPlanOptions}
 * @returns a validated encoding
 * @throws TypeError / RangeError on an invalid option (quoting it)
 * @throws PrivacyParameterError when minDevices > maxDevices
 */
export function planSecureSumEncoding(options: SecureSumPlanOptions): SecureSumEncoding {
  const clipNorm = requirePositive('clipNorm', options.clipNorm);
  const dimension = requireIntegerAtLeast('dimension', options.dimension, 1);
  const bits = requireBits(options.bits);
  const z = requireNonNegative('noiseMultiplier', options.noiseMultiplier);
  const minDevices = requireIntegerAtLeast('minDevices', options.minDevices, 1);
  const maxDevices = requireIntegerAtLeast('maxDevices', options.maxDevices, 1);
  const rotationSeed = requireSeed(options.rotationSeed);
  const beta = requireBeta(options.beta ?? DEFAULT_BETA);
  const k = requirePositive('tailStdDevs', options.tailStdDevs ?? 6);
  if (minDevices > maxDevices) {
    throw new PrivacyParameterError(
      `minDevices (${minDevices}) must not exceed maxDevices (${maxDevices})`,
    );
  }
  const paddedDimension = nextPowerOfTwo(dimension);
  const signalVariance = (maxDevices * clipNorm * clipNorm) / paddedDimension;
  const noiseVariance = (maxDevices * z * z * clipNorm * clipNorm) / minDevices;
  const granularity = (2 * k * Math.sqrt(signalVariance + noiseVariance)) / 2 ** bits;
  const deviceSigma = (z * clipNorm) / (granularity * Math.sqrt(minDevices));
  return validateSecureSumEncoding({
    clipNorm,
    dimension,
    paddedDimension,
    rotationSeed,
    granularity,
    bits,
    deviceSigma,
    beta,
  });
}

/**
 * Δ₂, the L2 norm bound of a device's rounded vector in integer steps, which conditional
 * randomized rounding enforces (Kairouz et al. 2021, Theorem 1 / Proposition 22; as
 * `rounded_l2_norm_bound` of google-research/federated `distributed_dp/accounting_utils.py`):
 * with c = C/γ, Δ₂ = c + √D when β = 0, else
 * Δ₂ = min(√(c² + D/4 + √(2 ln(1/β))·(c + √D/2)), c + √D).
 * @param encoding - the round's encoding
 * @returns Δ₂ > 0
 * @throws TypeError / RangeError when the encoding is invalid
 */
export function roundedNormBound(encoding: SecureSumEncoding): number {
  validateSecureSumEncoding(encoding);
  const c = encoding.clipNorm / encoding.granularity;
  const rootD = Math.sqrt(encoding.paddedDimension);
  const plain = c + rootD;
  if (encoding.beta === 0) return plain;
  const squared =
    c * c +
    encoding.paddedDimension / 4 +
    Math.sqrt(2 * Math.log(1 / encoding.beta)) * (c + rootD / 2);
  return Math.min(Math.sqrt(squared), plain);
}
