/**
 * Exact accounting of composed Gaussian releases without subsampling (what a device's own ledger
 * needs: it knows it took part, so no amplification applies). In Gaussian differential privacy
 * (Dong, Roth & Su 2019, Corollary 3.3) k Gaussian mechanisms with noise multipliers zᵢ compose to
 * one Gaussian mechanism with 1/z² = Σ 1/zᵢ², and a Gaussian mechanism's (ε, δ) curve is exact
 * (Balle & Wang 2018), so the pair is tighter than any RDP or zCDP bound.
 */
import { bisect } from './bisection.js';
import { gaussianMechanismDelta } from './calibrate.js';
import { requireDelta, requirePositive } from './validate.js';

/**
 * The noise multiplier of k composed Gaussian releases: 1/√(Σ 1/zᵢ²).
 * @param multipliers - the zᵢ > 0 (k identical ones give z/√k)
 * @returns the composed multiplier; `Infinity` for no release
 * @throws TypeError / RangeError when some zᵢ is not a finite number > 0
 */
export function composedNoiseMultiplier(multipliers: readonly number[]): number {
  const inverseSquares = multipliers.reduce(
    (sum, z, i) => sum + 1 / requirePositive(`multipliers[${i}]`, z) ** 2,
    0,
  );
  return inverseSquares === 0 ? Infinity : 1 / Math.sqrt(inverseSquares);
}

/**
 * ε of the Gaussian mechanism with noise multiplier z (σ = z·Δ) at δ: the smallest ε with
 * δ(ε) ≤ δ by the exact curve of Balle & Wang (2018, Theorem 8), found by bisection and returned
 * rounded up (the upper end of the final bracket), so a ledger never under-states the spend.
 * @param noiseMultiplier - z > 0 (`Infinity`: no release, ε = 0)
 * @param delta - δ ∈ (0, 1)
 * @returns ε ≥ 0
 * @throws TypeError / RangeError on an invalid argument
 */
export function gaussianEpsilon(noiseMultiplier: number, delta: number): number {
  requireDelta('delta', delta);
  if (noiseMultiplier === Infinity) return 0;
  requirePositive('noiseMultiplier', noiseMultiplier);
  const privateEnough = (epsilon: number): boolean =>
    epsilon > 0 && gaussianMechanismDelta(noiseMultiplier, epsilon) <= delta;
  if (privateEnough(Number.MIN_VALUE)) return 0;
  let hi = 1;
  while (!privateEnough(hi)) hi *= 2;
  return bisect(privateEnough, 0, hi, ({ lo, hi: h }) => h - lo <= 1e-12 * h).hi;
}
