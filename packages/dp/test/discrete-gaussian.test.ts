import { describe, expect, it } from 'vitest';

import {
  addDiscreteGaussianNoise,
  addDiscreteGaussianNoiseBigInt,
  createSeededRandomSource,
  sampleDiscreteGaussian,
} from '@privads/dp';
import type { RationalLike } from '@privads/dp';

import {
  binIntegerSamples,
  chiSquareCritical,
  chiSquareStatistic,
  discreteGaussianPmf,
  meanAndVariance,
} from './helpers/stats.js';

const N = 20_000;

function draw(sigma2: RationalLike, n: number, seed?: number): bigint[] {
  const source = seed === undefined ? undefined : createSeededRandomSource(seed);
  return addDiscreteGaussianNoiseBigInt(new Array<bigint>(n).fill(0n), sigma2, { source });
}

/** Exact variance of N_Z(0, σ²) (slightly below σ² for small σ), by summation. */
function discreteVariance(sigma2: number): number {
  const pmf = discreteGaussianPmf(sigma2);
  let v = 0;
  for (let k = -1000; k <= 1000; k++) v += k * k * pmf(k);
  return v;
}

/** χ² goodness of fit of integer samples against N_Z(0, σ²). */
function chiSquare(samples: readonly bigint[], sigma2: number): { stat: number; df: number } {
  const { observed, expected } = binIntegerSamples(samples, discreteGaussianPmf(sigma2));
  return { stat: chiSquareStatistic(observed, expected), df: observed.length - 1 };
}

function expectDiscreteGaussian(samples: readonly bigint[], sigma2: number, z: number): void {
  const n = samples.length;
  const values = samples.map(Number);
  const { mean, variance } = meanAndVariance(values);
  const v = discreteVariance(sigma2);
  expect(Math.abs(mean)).toBeLessThan(z * Math.sqrt(v / n));
  // The sample variance's standard error is ≈ v·√(2/n) (the discrete Gaussian is near-normal).
  expect(Math.abs(variance - v)).toBeLessThan(z * v * Math.sqrt(2 / n));
  const { stat, df } = chiSquare(samples, sigma2);
  expect(stat).toBeLessThan(chiSquareCritical(df, z));
}

describe('discrete Gaussian (seeded, deterministic)', () => {
  // σ² below 1, a bigint, an exact rational no double can represent (10/3), and a large one.
  const cases: { label: string; sigma2: RationalLike; value: number }[] = [
    { label: 'σ² = 0.5 (σ < 1)', sigma2: 0.5, value: 0.5 },
    { label: 'σ² = 4', sigma2: 4n, value: 4 },
    { label: 'σ² = 10/3 (rational)', sigma2: { numerator: 10n, denominator: 3n }, value: 10 / 3 },
    { label: 'σ² = 1000', sigma2: 1000, value: 1000 },
  ];

  for (const { label, sigma2, value } of cases) {
    it(`${label}: mean, variance and χ² against the exact pmf`, () => {
      const samples = draw(sigma2, N, 42);
      expectDiscreteGaussian(samples, value, 4.26);
      // Power: the same samples are rejected against σ off by 10% either way.
      for (const wrong of [value * 1.21, value / 1.21]) {
        const { stat, df } = chiSquare(samples, wrong);
        expect(stat).toBeGreaterThan(chiSquareCritical(df, 4.26));
      }
    });
  }

  it('is symmetric: P[X = k] = P[X = −k], and P[0] is right (no double-counted zero)', () => {
    const samples = draw(2, N, 9);
    const pmf = discreteGaussianPmf(2);
    const zeros = samples.filter((s) => s === 0n).length;
    expect(Math.abs(zeros - N * pmf(0))).toBeLessThan(4.26 * Math.sqrt(N * pmf(0) * (1 - pmf(0))));
    const positives = samples.filter((s) => s > 0n).length;
    const negatives = samples.filter((s) => s < 0n).length;
    expect(Math.abs(positives - negatives)).toBeLessThan(4.26 * Math.sqrt(positives + negatives));
  });

  it('σ² = 0 adds nothing', () => {
    expect(draw(0, 5, 1)).toEqual([0n, 0n, 0n, 0n, 0n]);
  });
});

describe('discrete Gaussian on the real CSPRNG', () => {
  it('passes mean, variance and χ² checks at p ≈ 1e-7', () => {
    expectDiscreteGaussian(draw(25, N), 25, 5.3);
  });
});

describe('integer vector helpers', () => {
  it('addDiscreteGaussianNoise returns a new Int32Array and leaves the input alone', () => {
    const input = Int32Array.from([10, -20, 30, 0]);
    const out = addDiscreteGaussianNoise(input, 9, { source: createSeededRandomSource(5) });
    expect(out).toBeInstanceOf(Int32Array);
    expect(Array.from(input)).toEqual([10, -20, 30, 0]);
    expect(Array.from(out)).not.toEqual([10, -20, 30, 0]);
  });

  it('throws rather than wrapping when a coordinate leaves the int32 range', () => {
    const input = Int32Array.from([2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1]);
    expect(() =>
      addDiscreteGaussianNoise(input, 1e6, { source: createSeededRandomSource(5) }),
    ).toThrow(/outside the int32 range/);
  });

  it('the bigint variant cannot overflow', () => {
    const big = 2n ** 80n;
    const out = addDiscreteGaussianNoiseBigInt([big, -big], 100, {
      source: createSeededRandomSource(8),
    });
    out.forEach((v, i) => {
      const base = i === 0 ? big : -big;
      expect(v - base < 200n && base - v < 200n).toBe(true);
    });
  });

  it('one draw matches the vector helper on the same stream', () => {
    const a = sampleDiscreteGaussian(3, { source: createSeededRandomSource(11) });
    const [b] = addDiscreteGaussianNoiseBigInt([0n], 3, { source: createSeededRandomSource(11) });
    expect(a).toBe(b);
  });

  it('rejects a bad σ² quoting it', () => {
    expect(() => sampleDiscreteGaussian(-1)).toThrow(RangeError);
    expect(() => sampleDiscreteGaussian(NaN)).toThrow(/NaN/);
    expect(() => sampleDiscreteGaussian({ numerator: 1n, denominator: 0n })).toThrow(RangeError);
    expect(() => sampleDiscreteGaussian('4' as unknown as number)).toThrow(TypeError);
  });
});
