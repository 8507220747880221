import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_RDP_ORDERS,
  composeRdp,
  gaussianRdp,
  subsampledGaussianRdp,
  subsampledGaussianRdpCurve,
} from '@privads/dp';

/** |actual/expected − 1| ≤ rtol, element-wise. */
function expectRelativelyClose(
  actual: readonly number[],
  expected: readonly number[],
  rtol: number,
): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) =>
    expect(Math.abs(a / (expected[i] as number) - 1)).toBeLessThanOrEqual(rtol),
  );
}

// The exact RDP log(A_α)/(α − 1) of one step, by numerical integration of
// E_{x∼N(0,z²)}[((1 − q) + q·e^{(2x−1)/(2z²)})^α] with mpmath (30 digits): ground truth that
// shares no code with the series under test.
const EXACT: readonly [q: number, z: number, order: number, rdp: number][] = [
  [0.01, 2.5, 1.5, 1.3001417943760795e-5],
  [0.01, 2.5, 2, 1.735093657081048e-5],
  [0.01, 2.5, 2.5, 2.1708361138362487e-5],
  [0.01, 2.5, 3.7, 3.219861652400003e-5],
  [0.01, 2.5, 5, 4.3615131246157614e-5],
  [0.01, 2.5, 10.5, 9.252746365671395e-5],
  [0.01, 2.5, 20, 0.00017944548105092257],
  [0.01, 2.5, 50, 0.0004769207507741234],
  [0.1, 1.0, 1.5, 0.011734592196685236],
  [0.1, 1.0, 2, 0.017036863236176553],
  [0.1, 1.0, 4.5, 0.08420910671681059],
  [0.1, 1.0, 8, 1.3783614113481266],
  [0.5, 2.0, 1.3, 0.04263477994600864],
  [0.5, 2.0, 3, 0.1100231933576233],
  [0.5, 2.0, 6.6, 0.31497300513965987],
  [0.001, 0.8, 1.1, 2.0587554735036973e-6],
  [0.001, 0.8, 2, 3.7707260727711086e-6],
  [0.001, 0.8, 7.5, 1.515498677234262e-5],
  [0.001, 0.8, 32, 17.869413905566823],
  [0.04, 1.5, 3.9, 0.0018332021995838587],
  [0.04, 1.5, 4, 0.0018853400644457798],
];

describe('subsampled Gaussian RDP', () => {
  it('reproduces dp_accounting: q = 0.01, z = 2.5, 50 steps (rtol 1e-4)', () => {
    const rdp = subsampledGaussianRdpCurve({
      noiseMultiplier: 2.5,
      sampleRate: 0.01,
      steps: 50,
      orders: [1.5, 2.5, 5, 50, 100],
    });
    expectRelativelyClose(
      rdp,
      [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2],
      1e-4,
    );
  });

  it.each(EXACT.filter(([, , order]) => Number.isInteger(order)))(
    'integer orders are exact: q = %f, z = %f, α = %f (rtol 1e-10)',
    (q, z, order, exact) => {
      expect(Math.abs(subsampledGaussianRdp(q, z, order) / exact - 1)).toBeLessThan(1e-10);
    },
  );

  it.each(EXACT.filter(([, , order]) => !Number.isInteger(order)))(
    'fractional orders are upper bounds: q = %f, z = %f, α = %f',
    (q, z, order, exact) => {
      const bound = subsampledGaussianRdp(q, z, order);
      expect(bound).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
      // Never looser than the unsampled Gaussian, which it falls back to when the series diverges.
      expect(bound).toBeLessThanOrEqual(gaussianRdp(z, order));
    },
  );

  it('the fractional slack is small where the series converges (≤ 3.2% at α = 1.5, < 1e-4 from 2.5)', () => {
    expect(subsampledGaussianRdp(0.01, 2.5, 1.5) / 1.3001417943760795e-5 - 1).toBeLessThan(0.032);
    expect(subsampledGaussianRdp(0.01, 2.5, 2.5) / 2.1708361138362487e-5 - 1).toBeLessThan(1e-4);
    expect(subsampledGaussianRdp(0.01, 2.5, 10.5) / 9.252746365671395e-5 - 1).toBeLessThan(1e-10);
    expect(subsampledGaussianRdp(0.04, 1.5, 3.9) / 0.0018332021995838587 - 1).toBeLessThan(1e-4);
  });

  it('where the fractional series does not converge, falls back to the exact value at ⌈α⌉', () => {
    // z = 0.6, q = 0.8, α = 1.2: the series runs past its term limit in this large-q regime.
    const fractional = subsampledGaussianRdp(0.8, 0.6, 1.2);
    expect(fractional).toBe(Math.min(gaussianRdp(0.6, 1.2), subsampledGaussianRdp(0.8, 0.6, 2)));
    expect(Number.isFinite(fractional)).toBe(true);
  });

  it('q = 1 is the Gaussian mechanism α/(2z²) and q = 0 costs nothing', () => {
    expect(subsampledGaussianRdp(1, 2, 3.5)).toBe(3.5 / 8);
    expect(gaussianRdp(2, 3.5)).toBe(3.5 / 8);
    expect(subsampledGaussianRdp(0, 2, 3.5)).toBe(0);
  });

  it('is increasing in q and in α, decreasing in z, never above α/(2z²)', () => {
    const q = fc.double({ min: 1e-4, max: 0.5, noNaN: true });
    const z = fc.double({ min: 0.5, max: 20, noNaN: true });
    const order = fc.integer({ min: 2, max: 64 });
    fc.assert(
      fc.property(q, z, order, (q, z, a) => {
        const r = subsampledGaussianRdp(q, z, a);
        return (
          r <= gaussianRdp(z, a) &&
          subsampledGaussianRdp(Math.min(1, q * 1.1), z, a) >= r &&
          subsampledGaussianRdp(q, z * 1.1, a) <= r &&
          subsampledGaussianRdp(q, z, a + 1) >= r
        );
      }),
      { numRuns: 200 },
    );
  });

  it('composes over steps by multiplication', () => {
    const one = subsampledGaussianRdpCurve({ noiseMultiplier: 1.1, sampleRate: 0.02, steps: 1 });
    const many = subsampledGaussianRdpCurve({ noiseMultiplier: 1.1, sampleRate: 0.02, steps: 37 });
    many.forEach((r, i) => expect(r).toBe(37 * (one[i] as number)));
  });

  it('rejects invalid parameters', () => {
    expect(() => subsampledGaussianRdp(1.5, 1, 2)).toThrow(RangeError);
    expect(() => subsampledGaussianRdp(0.1, 0, 2)).toThrow(RangeError);
    expect(() => subsampledGaussianRdp(0.1, 1, 1)).toThrow(
      /order must be a finite number > 1, got 1/,
    );
    expect(() =>
      subsampledGaussianRdpCurve({ noiseMultiplier: 1, sampleRate: 0.1, steps: 1.5 }),
    ).toThrow(RangeError);
  });
});

describe('default orders and composition', () => {
  it('follow Opacus (1.1 … 10.9, 12 … 63) plus 11 and larger orders, fractional included', () => {
    const opacus = [
      ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
      ...Array.from({ length: 52 }, (_, x) => 12 + x),
    ];
    for (const order of opacus) expect(DEFAULT_RDP_ORDERS).toContain(order);
    expect(DEFAULT_RDP_ORDERS.filter((a) => !Number.isInteger(a)).length).toBeGreaterThan(80);
    expect(Math.max(...DEFAULT_RDP_ORDERS)).toBeGreaterThanOrEqual(512);
    expect(Object.isFrozen(DEFAULT_RDP_ORDERS)).toBe(true);
  });

  it('composeRdp adds heterogeneous curves order by order', () => {
    const orders = [1.5, 2, 8];
    const a = subsampledGaussianRdpCurve({
      noiseMultiplier: 1,
      sampleRate: 0.01,
      steps: 10,
      orders,
    });
    const b = orders.map((o) => gaussianRdp(3, o));
    expect(composeRdp([a, b])).toEqual(a.map((x, i) => x + (b[i] as number)));
    expect(() => composeRdp([a, [1]])).toThrow(RangeError);
  });
});
