import { describe, expect, it } from 'vitest';

import { createSeededRandomSource, sampleDiscreteGaussianInto, toRational } from '@privads/dp';

import { createFastDiscreteGaussian, uniformIntBelow } from '../src/discrete-gaussian-fast.js';
import { sampleDiscreteGaussianBigIntPath } from '../src/discrete-gaussian.js';
import {
  binIntegerSamples,
  chiSquareCritical,
  chiSquareStatistic,
  discreteGaussianPmf,
  meanAndVariance,
} from './helpers/stats.js';

const N = 20_000;

function chiSquareOk(samples: ArrayLike<number>, sigma2: number, z: number): boolean {
  const { observed, expected } = binIntegerSamples(
    Array.from(samples, BigInt),
    discreteGaussianPmf(sigma2),
  );
  return chiSquareStatistic(observed, expected) < chiSquareCritical(observed.length - 1, z);
}

describe('fast (number) discrete Gaussian path', () => {
  for (const sigma2 of [0.5, 1, 7, 1000, 123_457]) {
    it(`σ² = ${sigma2}: χ² against the exact pmf, and rejects σ off by 10%`, () => {
      const out = sampleDiscreteGaussianInto(new Float64Array(N), sigma2, {
        source: createSeededRandomSource(7),
      });
      expect(chiSquareOk(out, sigma2, 4.26)).toBe(true);
      expect(chiSquareOk(out, sigma2 * 1.21, 4.26)).toBe(false);
    });
  }

  it('σ² = 1e8 (the fast path up to its range): mean and variance', () => {
    const out = sampleDiscreteGaussianInto(new Int32Array(N), 1e8, {
      source: createSeededRandomSource(3),
    });
    const { mean, variance } = meanAndVariance(out);
    expect(Math.abs(mean)).toBeLessThan(4.26 * Math.sqrt(1e8 / N));
    expect(Math.abs(variance / 1e8 - 1)).toBeLessThan(4.26 * Math.sqrt(2 / N));
  });

  it('agrees with the bigint path in distribution (two-sample χ² on the same bins)', () => {
    const sigma2 = 20;
    const fast = sampleDiscreteGaussianInto(new Float64Array(N), sigma2, {
      source: createSeededRandomSource(1),
    });
    const source = createSeededRandomSource(2);
    const slow = Array.from({ length: N }, () =>
      Number(sampleDiscreteGaussianBigIntPath(sigma2, { source })),
    );
    expect(chiSquareOk(fast, sigma2, 4.26)).toBe(true);
    expect(chiSquareOk(slow, sigma2, 4.26)).toBe(true);
    const a = meanAndVariance(fast);
    const b = meanAndVariance(slow);
    expect(Math.abs(a.variance - b.variance)).toBeLessThan(4.26 * sigma2 * Math.sqrt(4 / N));
  });

  it('declines σ² whose intermediates would pass 2⁵³ (1234.5678 as a double: n/2⁴²)', () => {
    const never = (): boolean => {
      throw new Error('unused');
    };
    const source = createSeededRandomSource(1);
    const { numerator, denominator } = toRational(1234.5678);
    expect(createFastDiscreteGaussian(numerator, denominator, never, source)).toBeUndefined();
    expect(createFastDiscreteGaussian(10n ** 8n, 1n, never, source)).toBeDefined();
  });

  it('hands proposals whose exponent passes 2⁵³ to the exact bigint test, and only those', () => {
    const count = (sigma2: bigint): number => {
      let slowCalls = 0;
      const sample = createFastDiscreteGaussian(
        sigma2,
        1n,
        () => {
          slowCalls++;
          return true;
        },
        createSeededRandomSource(4),
      );
      for (let i = 0; i < 1000; i++) sample?.();
      return slowCalls;
    };
    // σ² = 1e8: q(qt + 2r) ≈ g²/t stays near 10¹³; σ² = 2³⁴: it reaches 2⁵³ a few σ out.
    expect(count(10n ** 8n)).toBe(0);
    expect(count(2n ** 34n)).toBeGreaterThan(0);
  });

  it('uniformIntBelow is in range for small, power-of-two and > 2³² bounds', () => {
    const source = createSeededRandomSource(9);
    for (const m of [1, 2, 3, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53]) {
      for (let i = 0; i < 200; i++) {
        const k = uniformIntBelow(m, source);
        expect(Number.isInteger(k) && k >= 0 && k < m).toBe(true);
      }
    }
    // m = 3: each residue about a third of the time.
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[uniformIntBelow(3, source)]! += 1;
    for (const c of counts)
      expect(Math.abs(c - 10_000)).toBeLessThan(4.26 * Math.sqrt(30_000 * (2 / 9)));
  });

  it('rejects a draw that does not fit an Int32Array', () => {
    expect(() =>
      sampleDiscreteGaussianInto(new Int32Array(100), 1e20, {
        source: createSeededRandomSource(1),
      }),
    ).toThrow(/does not fit/);
  });
});
