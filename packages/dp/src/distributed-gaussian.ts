/**
 * Accounting of the distributed discrete Gaussian (Kairouz, Liu & Steinke 2021, "The Distributed
 * Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation", ICML, Theorem 1): a
 * sum of n devices' vectors, each of L2 norm ≤ Δ₂ in integer steps and each carrying independent
 * N_Z(0, σ²) noise per coordinate, is ½ε²-zCDP with
 * ε = min( √(Δ₂²/(nσ²) + ½τD), Δ₂/(√n·σ) + τ√D ),  τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)).
 * τ measures how far a sum of discrete Gaussians is from a discrete Gaussian; it is negligible
 * once σ ≳ 1 (e.g. below 10⁻¹⁶ for σ = 2). The reference code is `ddgauss_epsilon` in
 * google-research/federated `distributed_dp/accounting_utils.py` (same τ and Δ₂).
 */
import { roundedNormBound } from './secure-sum-encoding.js';
import type { SecureSumEncoding } from './secure-sum-encoding.js';
import { zcdpToEpsilon } from './zcdp.js';
import { requireCount, requireDelta } from './validate.js';

/** What {@link distributedGaussianRho} needs. */
export interface DistributedGaussianQuery {
  /** The round's encoding (Δ₂, σ_dev and D come from it). */
  readonly encoding: SecureSumEncoding;
  /** n ≥ 1: the fewest devices whose noise shares a released sum contains. */
  readonly devices: number;
  /**
   * The most devices a released sum may contain. τ grows with n, so for a small σ_dev the bound is
   * not monotone in n; ρ is then the largest over every n in [devices, maxDevices].
   * @defaultValue `devices`
   */
  readonly maxDevices?: number;
}

/** What {@link distributedGaussianEpsilon} needs. */
export interface DistributedGaussianEpsilonQuery extends DistributedGaussianQuery {
  /** How many released sums one device took part in (zCDP composes additively). */
  readonly participations: number;
  /** δ ∈ (0, 1). */
  readonly delta: number;
}

/**
 * τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)), summed relative to its largest term (k = 1) so that
 * no term overflows and the result underflows to 0 only when it is below ~1e-308.
 * @param sigma - σ > 0 of one share, in integer steps
 * @param devices - n ≥ 1
 * @returns τ ≥ 0
 */
export function distributedGaussianTau(sigma: number, devices: number): number {
  const a = 2 * Math.PI * Math.PI * sigma * sigma;
  const largest = -a / 2;
  let relative = 0;
  for (let k = 1; k < devices; k++) relative += Math.exp(-a * (k / (k + 1)) - largest);
  return relative === 0 ? 0 : 10 * Math.exp(largest + Math.log(relative));
}

function requireDevices(name: string, devices: number): number {
  requireCount(name, devices);
  if (devices < 1) throw new RangeError(`${name} must be an integer ≥ 1, got ${devices}`);
  return devices;
}

/** Theorem 1's ε for n devices given τ(n). */
function theoremEpsilon(
  delta2: number,
  sigma: number,
  n: number,
  dim: number,
  tau: number,
): number {
  return Math.min(
    Math.sqrt((delta2 * delta2) / (n * sigma * sigma) + 0.5 * tau * dim),
    delta2 / (Math.sqrt(n) * sigma) + tau * Math.sqrt(dim),
  );
}

/**
 * ρ (zCDP) of one release of a secure sum of n devices' encoded updates, n anywhere in
 * [devices, maxDevices] (Kairouz et al. 2021, Theorem 1; see the module comment). Once τ is
 * negligible (σ_dev ≳ 1) more devices only lower ρ and the minimum n decides; for a smaller σ_dev
 * τ(n) grows with n and the largest ρ over the range is returned.
 * @param query - the encoding and the range of n
 * @returns ρ = ε²/2, `Infinity` when σ_dev = 0 (no noise)
 * @throws TypeError / RangeError when the encoding is invalid or n is not an integer ≥ 1, or
 *   maxDevices < devices
 */
export function distributedGaussianRho(query: DistributedGaussianQuery): number {
  const { encoding } = query;
  const delta2 = roundedNormBound(encoding);
  const n = requireDevices('devices', query.devices);
  const nMax = requireDevices('maxDevices', query.maxDevices ?? n);
  if (nMax < n) throw new RangeError(`maxDevices must be ≥ devices (${n}), got ${nMax}`);
  const sigma = encoding.deviceSigma;
  if (sigma === 0) return Infinity;
  const dim = encoding.paddedDimension;
  let tau = distributedGaussianTau(sigma, n);
  let epsilon = theoremEpsilon(delta2, sigma, n, dim, tau);
  // τ(m + 1) = τ(m) + 10·exp(−2π²σ²·m/(m + 1)): one term per extra device.
  const a = 2 * Math.PI * Math.PI * sigma * sigma;
  for (let m = n + 1; m <= nMax; m++) {
    tau += 10 * Math.exp((-a * (m - 1)) / m);
    epsilon = Math.max(epsilon, theoremEpsilon(delta2, sigma, m, dim, tau));
  }
  return (epsilon * epsilon) / 2;
}

/**
 * ε at δ of `participations` releases, each {@link distributedGaussianRho}-zCDP, composed in zCDP
 * and converted with the tight conversion of Canonne, Kamath & Steinke (2020) (`zcdpToEpsilon`).
 * @param query - the encoding, n, the number of participations and δ
 * @returns ε ≥ 0 (`Infinity` when σ_dev = 0)
 * @throws TypeError / RangeError on an invalid argument
 */
export function distributedGaussianEpsilon(query: DistributedGaussianEpsilonQuery): number {
  const participations = requireCount('participations', query.participations);
  const delta = requireDelta('delta', query.delta);
  const rho = distributedGaussianRho(query);
  if (participations === 0) return 0;
  if (rho === Infinity) return Infinity;
  return zcdpToEpsilon(participations * rho, delta);
}
