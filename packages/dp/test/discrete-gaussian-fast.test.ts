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

  it('uniformIntBelow below 2²¹ (multiply-and-shift): the high word of w·m, biased words rejected', () => {
    const words = (list: number[]) => {
      let i = 0;
      return { nextUint32: () => list[i++] as number, used: () => i };
    };
    // m = 3: 2³² mod 3 = 1, so exactly one word (w = 0: w·3 mod 2³² = 0 < 1) is rejected.
    const rejecting = words([0, 2 ** 31]);
    expect(uniformIntBelow(3, rejecting)).toBe(1); // ⌊2³¹·3 / 2³²⌋
    expect(rejecting.used()).toBe(2);
    const accepted = words([0xffffffff, 1]);
    expect(uniformIntBelow(3, accepted)).toBe(2);
    expect(accepted.used()).toBe(1);
    // Every output of m = 2²¹ (the largest bound on this path) and of 2²¹ − 1 is reachable.
    expect(uniformIntBelow(2 ** 21, words([0xffffffff]))).toBe(2 ** 21 - 1);
    expect(uniformIntBelow(2 ** 21 - 1, words([0xffffffff]))).toBe(2 ** 21 - 2);
    // m = 1000 and 2²¹ − 1: χ² of the low and high halves and of the residues mod 7.
    const source = createSeededRandomSource(11);
    for (const m of [1000, 2 ** 21 - 1]) {
      const bins = new Array<number>(14).fill(0);
      const n = 28_000;
      for (let i = 0; i < n; i++) {
        const k = uniformIntBelow(m, source);
        bins[(k < m / 2 ? 0 : 7) + (k % 7)]! += 1;
      }
      const sizes = new Array<number>(14).fill(0);
      for (let k = 0; k < m; k++) sizes[(k < m / 2 ? 0 : 7) + (k % 7)]! += 1;
      const expected = sizes.map((size) => (n * size) / m);
      expect(chiSquareStatistic(bins, expected)).toBeLessThan(chiSquareCritical(13, 4.26));
    }
  });

  it('rejects a draw that does not fit an Int32Array', () => {
    expect(() =>
      sampleDiscreteGaussianInto(new Int32Array(100), 1e20, {
        source: createSeededRandomSource(1),
      }),
    ).toThrow(/does not fit/);
  });
});
