/**
 * Calibration of the Gaussian mechanism for a single release (the `local` mode's per-upload
 * guarantee): the exact analytic calibration of Balle & Wang (2018), "Improving the Gaussian
 * Mechanism for Differential Privacy: Analytical Calibration and Optimal Denoising", beside the
 * classic bound of Dwork & Roth (2014, Theorem A.1) that most texts quote.
 */
import { bisect } from './bisection.js';
import { log1mExp, logNormalCdf } from './special-functions.js';
import { requireDelta, requirePositive } from './validate.js';

/**
 * log δ(ε) of the Gaussian mechanism M(x) = f(x) + N(0, σ² I) with L2 sensitivity Δ, i.e. the
 * smallest δ for which it is (ε, δ)-DP (Balle & Wang 2018, Theorem 8):
 * δ = Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ), evaluated as
 * log Φ(a) + log(1 − exp(ε + log Φ(b) − log Φ(a))) so that neither term under- nor overflows.
 */
function logGaussianDelta(sigma: number, epsilon: number, sensitivity: number): number {
  const ratio = sensitivity / (2 * sigma);
  const shift = (epsilon * sigma) / sensitivity;
  const logA = logNormalCdf(ratio - shift);
  const logB = logNormalCdf(-ratio - shift);
  // The exact δ is ≥ 0; a non-negative exponent can only come from rounding when δ is below
  // ~1e-15·Φ(a), which every bracket below treats as "already private enough".
  const exponent = epsilon + logB - logA;
  return exponent >= 0 ? -Infinity : logA + log1mExp(exponent);
}

/**
 * The exact δ at which the Gaussian mechanism with noise σ is ε-DP (Balle & Wang 2018, Thm 8).
 * @param sigma - noise standard deviation σ > 0
 * @param epsilon - ε > 0
 * @param sensitivity - L2 sensitivity Δ > 0
 * @defaultValue sensitivity: 1
 * @returns δ(ε) ∈ [0, 1)
 * @throws TypeError / RangeError on a non-finite or non-positive argument
 */
export function gaussianMechanismDelta(sigma: number, epsilon: number, sensitivity = 1): number {
  requirePositive('sigma', sigma);
  requirePositive('epsilon', epsilon);
  requirePositive('sensitivity', sensitivity);
  return Math.exp(logGaussianDelta(sigma, epsilon, sensitivity));
}

/**
 * The smallest σ for which N(0, σ²) noise makes a Δ-sensitive query (ε, δ)-DP, found by bisection
 * on the exact condition δ(σ) ≤ δ (Balle & Wang 2018, Algorithm 1 with a bisection in place of
 * their Newton step). The bisection runs until the bracket ends are adjacent doubles and returns the
 * upper end, which satisfies the condition as evaluated.
 * @param epsilon - ε > 0 (any size: unlike the classic bound this is valid for ε ≥ 1)
 * @param delta - δ ∈ (0, 1)
 * @param sensitivity - L2 sensitivity Δ > 0 (the clip norm C for one clipped update)
 * @defaultValue sensitivity: 1
 * @returns σ
 * @throws TypeError / RangeError on invalid arguments
 */
export function analyticGaussianSigma(epsilon: number, delta: number, sensitivity = 1): number {
  requirePositive('epsilon', epsilon);
  requireDelta('delta', delta);
  requirePositive('sensitivity', sensitivity);
  // Compared after exponentiation so that the result agrees exactly with gaussianMechanismDelta.
  const privateEnough = (sigma: number): boolean =>
    Math.exp(logGaussianDelta(sigma, epsilon, sensitivity)) <= delta;
  // δ(σ) decreases from 1 (σ → 0) to 0 (σ → ∞): bracket by doubling or halving from Δ.
  let hi = sensitivity;
  while (!privateEnough(hi)) hi *= 2;
  let lo = hi / 2;
  while (privateEnough(lo)) {
    hi = lo;
    lo /= 2;
  }
  return bisect(privateEnough, lo, hi).hi;
}

/**
 * The classic calibration σ = Δ·√(2 ln(1.25/δ))/ε (Dwork & Roth 2014, Theorem A.1). Its proof
 * covers only ε < 1 (for large ε it can be too small to be private); it is returned for comparison
 * and never used to calibrate noise here. The analytic σ is the smallest valid σ, so it never
 * exceeds the classic one where the latter is valid.
 * @param epsilon - ε > 0
 * @param delta - δ ∈ (0, 1)
 * @param sensitivity - L2 sensitivity Δ > 0
 * @defaultValue sensitivity: 1
 * @returns σ
 * @throws TypeError / RangeError on invalid arguments
 */
export function classicGaussianSigma(epsilon: number, delta: number, sensitivity = 1): number {
  requirePositive('epsilon', epsilon);
  requireDelta('delta', delta);
  requirePositive('sensitivity', sensitivity);
  return (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}
