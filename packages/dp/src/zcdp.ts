/**
 * Zero-concentrated DP (Bun & Steinke 2016): a mechanism is ρ-zCDP when its RDP is at most ρα at
 * every order α > 1. The Gaussian mechanism (continuous or discrete) with noise multiplier z is
 * 1/(2z²)-zCDP, and zCDP composes by adding ρ. It does not capture the amplification by
 * subsampling — use the RDP accountant for sampled rounds.
 *
 * The tight conversions port `cdp_delta`, `cdp_eps` and `cdp_rho` of the reference code of
 * Canonne, Kamath & Steinke (2020), "The Discrete Gaussian for Differential Privacy" (Prop. 12 /
 * Cor. 13): every α > 1 yields a valid δ, so the searches below only ever err towards larger δ,
 * larger ε and smaller ρ.
 */
import { bisect } from './bisection.js';
import { requireDelta, requireNonNegative, requirePositive } from './validate.js';

/**
 * ρ of the Gaussian mechanism with noise multiplier z = σ/Δ: Δ²/(2σ²) = 1/(2z²).
 * @param noiseMultiplier - z > 0
 * @returns ρ
 * @throws TypeError / RangeError when z is not a finite number > 0
 */
export function gaussianZcdp(noiseMultiplier: number): number {
  requirePositive('noiseMultiplier', noiseMultiplier);
  return 1 / (2 * noiseMultiplier * noiseMultiplier);
}

/**
 * Composition: running ρ₁-, ρ₂-, … zCDP mechanisms is (Σρᵢ)-zCDP.
 * @param rhos - each mechanism's ρ ≥ 0
 * @returns Σρᵢ
 * @throws TypeError / RangeError when some ρ is not a finite number ≥ 0
 */
export function composeZcdp(rhos: readonly number[]): number {
  return rhos.reduce((sum, rho, i) => sum + requireNonNegative(`rhos[${i}]`, rho), 0);
}

/**
 * The standard conversion ε = ρ + 2√(ρ·log(1/δ)) (Bun & Steinke 2016, Proposition 1.3).
 * @param rho - ρ ≥ 0
 * @param delta - δ ∈ (0, 1)
 * @returns ε
 * @throws TypeError / RangeError on invalid arguments
 */
export function zcdpToEpsilonStandard(rho: number, delta: number): number {
  requireNonNegative('rho', rho);
  requireDelta('delta', delta);
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

/**
 * The δ at which ρ-zCDP implies (ε, δ)-DP, tight version (CKS 2020, Corollary 13):
 * δ = min over α > 1 of exp((α − 1)(αρ − ε) + α·log(1 − 1/α)) / (α − 1), the optimal α found by
 * bisection on the derivative's sign over [1.01, (ε + 1)/(2ρ) + 2] as in `cdp_delta`.
 * @param rho - ρ ≥ 0
 * @param epsilon - ε ≥ 0
 * @returns δ ∈ [0, 1]
 * @throws TypeError / RangeError on invalid arguments
 */
export function zcdpDelta(rho: number, epsilon: number): number {
  requireNonNegative('rho', rho);
  requireNonNegative('epsilon', epsilon);
  if (rho === 0) return 0;
  const slopeNonNegative = (alpha: number): boolean =>
    (2 * alpha - 1) * rho - epsilon + Math.log1p(-1 / alpha) >= 0;
  // 1.01 keeps α − 1 away from 0 (numerical stability); the optimum is ≥ (1 + ε/ρ)/2 anyway.
  const minAlpha = 1.01;
  const alpha = slopeNonNegative(minAlpha)
    ? minAlpha
    : bisect(slopeNonNegative, minAlpha, (epsilon + 1) / (2 * rho) + 2).hi;
  const logDelta =
    (alpha - 1) * (alpha * rho - epsilon) + alpha * Math.log1p(-1 / alpha) - Math.log(alpha - 1);
  return Math.min(Math.exp(logDelta), 1);
}

/**
 * The smallest ε for which ρ-zCDP implies (ε, δ)-DP by {@link zcdpDelta} (CKS `cdp_eps`):
 * bisection between 0 and the standard bound, returning the end where δ(ε) ≤ δ holds.
 * @param rho - ρ ≥ 0
 * @param delta - δ ∈ (0, 1)
 * @returns ε ≥ 0
 * @throws TypeError / RangeError on invalid arguments
 */
export function zcdpToEpsilon(rho: number, delta: number): number {
  const upper = zcdpToEpsilonStandard(rho, delta);
  if (rho === 0) return 0;
  const meetsDelta = (epsilon: number): boolean => zcdpDelta(rho, epsilon) <= delta;
  if (meetsDelta(0)) return 0;
  return bisect(meetsDelta, 0, upper).hi;
}

/**
 * The largest ρ for which ρ-zCDP implies (ε, δ)-DP by {@link zcdpDelta} (CKS `cdp_rho`): the zCDP
 * budget to give a composition that must end (ε, δ)-DP.
 * @param epsilon - ε ≥ 0
 * @param delta - δ ∈ (0, 1)
 * @returns ρ ≥ 0
 * @throws TypeError / RangeError on invalid arguments
 */
export function epsilonDeltaToZcdp(epsilon: number, delta: number): number {
  requireNonNegative('epsilon', epsilon);
  requireDelta('delta', delta);
  const exceedsDelta = (rho: number): boolean => zcdpDelta(rho, epsilon) > delta;
  let upper = epsilon + 1;
  while (!exceedsDelta(upper)) upper *= 2;
  return bisect(exceedsDelta, 0, upper).lo;
}
