import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { analyticGaussianSigma, classicGaussianSigma, gaussianMechanismDelta } from '@privads/dp';

// Analytic σ for Δ = 1, solved independently with mpmath (50 digits) by bisection on
// Φ(1/(2σ) − εσ) − e^ε Φ(−1/(2σ) − εσ) = δ.
const ANALYTIC: readonly [epsilon: number, delta: number, sigma: number][] = [
  [0.05, 1e-3, 30.010328780523466],
  [0.05, 1e-6, 69.27121708480412],
  [0.05, 1e-10, 105.9731705130655],
  [0.5, 1e-3, 4.61012795072814],
  [0.5, 1e-6, 8.057618480725043],
  [0.5, 1e-10, 11.436239995092029],
  [1, 1e-3, 2.574657018637206],
  [1, 1e-6, 4.224678889326835],
  [1, 1e-10, 5.867777749630527],
  [3, 1e-3, 1.03725171848748],
  [3, 1e-6, 1.54386141777564],
  [3, 1e-10, 2.0622531789074063],
  [10, 1e-3, 0.4060595580241385],
  [10, 1e-6, 0.541086831818366],
  [10, 1e-10, 0.6830439672274812],
];

describe('reference values', () => {
  it('analytic Gaussian, ε = 1, δ = 1e-5, Δ = 1 → σ = 3.730632 (±1e-5)', () => {
    expect(Math.abs(analyticGaussianSigma(1, 1e-5, 1) - 3.730632)).toBeLessThan(1e-5);
  });

  it('classic bound, ε = 1, δ = 1e-5, Δ = 1 → σ = 4.844805', () => {
    expect(Math.abs(classicGaussianSigma(1, 1e-5, 1) - 4.844805)).toBeLessThan(1e-6);
  });

  it.each(ANALYTIC)('analytic σ(ε = %f, δ = %f) matches mpmath to 1e-10', (eps, delta, sigma) => {
    expect(Math.abs(analyticGaussianSigma(eps, delta) / sigma - 1)).toBeLessThan(1e-10);
  });
});

describe('analyticGaussianSigma — properties', () => {
  const epsilon = fc.double({ min: 0.01, max: 20, noNaN: true });
  const delta = fc.double({ min: 1e-12, max: 0.1, noNaN: true });

  it('meets δ and is minimal: a σ one part in 1e9 smaller violates it', () => {
    fc.assert(
      fc.property(epsilon, delta, (e, d) => {
        const sigma = analyticGaussianSigma(e, d);
        return (
          gaussianMechanismDelta(sigma, e) <= d && gaussianMechanismDelta(sigma * (1 - 1e-9), e) > d
        );
      }),
      { numRuns: 200 },
    );
  });

  it('scales linearly with the sensitivity', () => {
    fc.assert(
      fc.property(epsilon, delta, fc.double({ min: 0.01, max: 100, noNaN: true }), (e, d, s) => {
        return (
          Math.abs(analyticGaussianSigma(e, d, s) / (s * analyticGaussianSigma(e, d)) - 1) < 1e-11
        );
      }),
      { numRuns: 100 },
    );
  });

  it('never exceeds the classic σ where the classic bound is valid (ε < 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 0.999, noNaN: true }), delta, (e, d) => {
        return analyticGaussianSigma(e, d) <= classicGaussianSigma(e, d);
      }),
      { numRuns: 100 },
    );
  });

  it('shows the classic bound is not private for large ε (Balle & Wang, Fig. 1)', () => {
    // At ε = 10 the classic σ is below the smallest valid σ.
    expect(classicGaussianSigma(10, 1e-5)).toBeLessThan(analyticGaussianSigma(10, 1e-5));
    expect(gaussianMechanismDelta(classicGaussianSigma(10, 1e-5), 10)).toBeGreaterThan(1e-5);
  });
});

describe('argument checks', () => {
  it.each([
    [0, 1e-5],
    [-1, 1e-5],
    [NaN, 1e-5],
    [1, 0],
    [1, 1],
    [1, -1e-5],
  ])('(ε, δ) = (%f, %f) is a RangeError', (e, d) => {
    expect(() => analyticGaussianSigma(e, d)).toThrow(RangeError);
    expect(() => classicGaussianSigma(e, d)).toThrow(RangeError);
  });

  it('a bad sensitivity is a RangeError quoting it', () => {
    expect(() => analyticGaussianSigma(1, 1e-5, 0)).toThrow(/sensitivity .* got 0/);
  });
});
