import { describe, expect, it } from 'vitest';

import {
  analyticGaussianSigma,
  createSeededRandomSource,
  gaussianMechanismDelta,
  gridVariance,
  localGridStep,
  localNoiseSigma,
  localNormBound,
  localSensitivity,
  randomizeLocally,
} from '@privads/dp';
import { PrivacyParameterError } from '@privads/protocol';

describe('gridVariance', () => {
  it('is (σ/g)² exactly, from the binary values of σ and g', () => {
    expect(gridVariance(1, 2 ** -32)).toEqual({ numerator: 2n ** 64n, denominator: 1n });
    expect(gridVariance(3, 1)).toEqual({ numerator: 9n, denominator: 1n });
    // 0.1 is 3602879701896397/2⁵⁵; its square over 2^-40 keeps every bit.
    expect(gridVariance(0.1, 2 ** -20)).toEqual({
      numerator: 3602879701896397n ** 2n,
      denominator: 2n ** 70n,
    });
    expect(() => gridVariance(0, 1)).toThrow(RangeError);
    expect(() => gridVariance(1, -1)).toThrow(RangeError);
  });
});

describe('local sensitivity rule', () => {
  it('calibrates σ so that σ / Δ(σ) is the analytic Gaussian multiplier for (ε, δ)', () => {
    for (const [epsilon, delta, clipNorm, d] of [
      [1, 1e-6, 1, 49_280],
      [0.5, 1e-5, 0.1, 36],
      [8, 1e-6, 2, 1_000_000],
    ] as const) {
      const sigma = localNoiseSigma(epsilon, delta, clipNorm, d);
      const sensitivity = localSensitivity(clipNorm, sigma, d);
      expect(sensitivity).toBe(2 * (clipNorm + localGridStep(sigma) * Math.sqrt(d)));
      expect(sigma / sensitivity).toBeCloseTo(analyticGaussianSigma(epsilon, delta, 1), 9);
      // The grid only ever adds noise compared with the 2C rule.
      expect(sigma).toBeGreaterThan(analyticGaussianSigma(epsilon, delta, 2 * clipNorm));
      expect(gaussianMechanismDelta(sigma, epsilon, sensitivity)).toBeLessThanOrEqual(
        delta * (1 + 1e-6),
      );
    }
  });

  it('refuses a grid that would swallow the whole budget', () => {
    expect(() => localNoiseSigma(0.01, 1e-9, 1, 2 ** 50)).toThrow(RangeError);
  });
});

describe('randomizeLocally', () => {
  const sigma = 0.75;
  const step = localGridStep(sigma);

  it('returns grid multiples, unbiased, with noise variance σ²', () => {
    const d = 20_000;
    const x = Float32Array.from({ length: d }, (_, i) => ((i % 7) - 3) * 1e-3);
    const out = randomizeLocally(x, 1, sigma, { source: createSeededRandomSource(11) });
    let meanError = 0;
    let sq = 0;
    for (let i = 0; i < d; i++) {
      const k = (out[i] as number) / step;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-6);
      const e = (out[i] as number) - (x[i] as number);
      meanError += e;
      sq += e * e;
    }
    meanError /= d;
    const variance = sq / d - meanError ** 2;
    // Standard errors: σ/√d for the mean, σ²·√(2/d) for the variance; allow 5 of each.
    expect(Math.abs(meanError)).toBeLessThan((5 * sigma) / Math.sqrt(d));
    expect(Math.abs(variance - sigma ** 2)).toBeLessThan(5 * sigma ** 2 * Math.sqrt(2 / d));
  });

  it('is reproducible from a seeded source', () => {
    const x = Float32Array.from([0.3, -0.4, 0]);
    const a = randomizeLocally(x, 1, sigma, { source: createSeededRandomSource(5) });
    const b = randomizeLocally(x, 1, sigma, { source: createSeededRandomSource(5) });
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('refuses a vector that was not clipped to C (its rounding cannot meet the bound)', () => {
    const x = Float32Array.from([3, 4]);
    expect(localNormBound(1, sigma, 2)).toBeLessThan(5);
    expect(() => randomizeLocally(x, 1, sigma, { source: createSeededRandomSource(1) })).toThrow(
      PrivacyParameterError,
    );
  });
});
