import { describe, expect, it } from 'vitest';

import { addGaussianNoise, createSeededRandomSource, sampleGaussian } from '@privads/dp';

import { gaussianCdf, ksCritical, ksStatistic, meanAndVariance } from './helpers/stats.js';

const N = 50_000;
const SIGMA = 2.5;

/**
 * Checks mean, variance and the whole distribution (KS) of `samples` against N(0, σ²).
 * `alpha` is the KS significance level; mean and variance use `zBound` standard errors.
 */
function expectGaussian(samples: Float64Array, sigma: number, alpha: number, zBound: number): void {
  const n = samples.length;
  const { mean, variance } = meanAndVariance(samples);
  expect(Math.abs(mean)).toBeLessThan((zBound * sigma) / Math.sqrt(n));
  // Var of the sample variance of a Gaussian is 2σ⁴/(n − 1).
  expect(Math.abs(variance - sigma ** 2)).toBeLessThan(
    zBound * sigma ** 2 * Math.sqrt(2 / (n - 1)),
  );
  expect(ksStatistic(samples, gaussianCdf(sigma))).toBeLessThan(ksCritical(n, alpha));
}

describe('continuous Gaussian (seeded, deterministic)', () => {
  const samples = addGaussianNoise(new Float64Array(N), SIGMA, {
    source: createSeededRandomSource(20240501),
  });

  it('has mean 0, variance σ² and passes KS against N(0, σ²)', () => {
    expectGaussian(samples, SIGMA, 1e-5, 4.5);
  });

  it('would fail if σ were off by 10% (the test has power)', () => {
    for (const wrong of [SIGMA * 1.1, SIGMA / 1.1]) {
      expect(ksStatistic(samples, gaussianCdf(wrong))).toBeGreaterThan(ksCritical(N, 1e-5));
      const { variance } = meanAndVariance(samples);
      expect(Math.abs(variance - wrong ** 2)).toBeGreaterThan(
        4.5 * wrong ** 2 * Math.sqrt(2 / (N - 1)),
      );
    }
  });

  it('single draws (first Box–Muller output only) follow N(0, σ²) too', () => {
    const source = createSeededRandomSource(7);
    const draws = Float64Array.from({ length: 20_000 }, () => sampleGaussian(SIGMA, { source }));
    expectGaussian(draws, SIGMA, 1e-5, 4.5);
  });

  it('pairs from one Box–Muller transform are uncorrelated', () => {
    let sum = 0;
    for (let i = 0; i + 1 < N; i += 2) sum += (samples[i] as number) * (samples[i + 1] as number);
    const correlation = sum / (N / 2) / SIGMA ** 2;
    expect(Math.abs(correlation)).toBeLessThan(4.5 / Math.sqrt(N / 2));
  });

  it('is reproducible with the same seed and differs with another', () => {
    const again = addGaussianNoise(new Float64Array(8), 1, { source: createSeededRandomSource(1) });
    const same = addGaussianNoise(new Float64Array(8), 1, { source: createSeededRandomSource(1) });
    const other = addGaussianNoise(new Float64Array(8), 1, { source: createSeededRandomSource(2) });
    expect(Array.from(again)).toEqual(Array.from(same));
    expect(Array.from(again)).not.toEqual(Array.from(other));
  });
});

describe('continuous Gaussian on the real CSPRNG', () => {
  it('passes loose but meaningful checks (p ≈ 1e-7 false-alarm rate per check)', () => {
    const samples = addGaussianNoise(new Float64Array(N), SIGMA);
    // 5.3 standard errors ↔ p ≈ 1e-7; a 10% σ error is ≈ 33 standard errors of the variance.
    expectGaussian(samples, SIGMA, 1e-7, 5.3);
  });
});

describe('addGaussianNoise', () => {
  it('adds noise to a copy, keeps the input and its type (Float32Array)', () => {
    const input = Float32Array.from([1, 2, 3]);
    const out = addGaussianNoise(input, 0.5, { source: createSeededRandomSource(3) });
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(input)).toEqual([1, 2, 3]);
    expect(out).toHaveLength(3);
    expect(Array.from(out)).not.toEqual([1, 2, 3]);
    // The noise added is σ·z with |z| ≤ 8.57 (the Box–Muller cap).
    out.forEach((v, i) => expect(Math.abs(v - (input[i] as number))).toBeLessThan(0.5 * 8.6));
  });

  it('rejects a bad σ quoting it', () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      expect(() => addGaussianNoise(new Float32Array(2), bad)).toThrow(RangeError);
      expect(() => sampleGaussian(bad)).toThrow(String(bad));
    }
    expect(() => sampleGaussian('1' as unknown as number)).toThrow(TypeError);
  });
});
