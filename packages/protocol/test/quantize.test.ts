import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSecureUniformRandom,
  dequantizeInt8,
  dequantizeRowsInt8,
  quantizeRowsInt8,
  stochasticQuantizeInt8,
} from '@privads/protocol';
import { expectCode, float32Array } from './helpers.js';

/** Deterministic uniform source (mulberry32) so statistical tests are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('quantizeRowsInt8', () => {
  it('is symmetric with scale = maxabs / 127 and error ≤ scale / 2', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 8 }),
        fc.nat(),
        (dim, rows, seed) => {
          const rnd = seeded(seed);
          const values = Float32Array.from(
            { length: dim * rows },
            () => (rnd() - 0.5) * 10 ** (rnd() * 6 - 3),
          );
          const q = quantizeRowsInt8(values, dim);
          expect(q.scales.length).toBe(rows);
          const back = dequantizeRowsInt8(q, dim);
          for (let r = 0; r < rows; r++) {
            const row = values.subarray(r * dim, (r + 1) * dim);
            const maxabs = Math.max(...Array.from(row, Math.abs));
            expect(q.scales[r]).toBe(Math.fround(maxabs / 127));
            const scale = q.scales[r] ?? 0;
            for (let c = 0; c < dim; c++) {
              const i = r * dim + c;
              expect(Math.abs(q.values[i] ?? 0)).toBeLessThanOrEqual(127);
              expect(Math.abs((back[i] ?? 0) - (values[i] ?? 0))).toBeLessThanOrEqual(
                scale / 2 + 1e-6 * maxabs,
              );
            }
            // The largest entry maps to ±127 exactly.
            if (maxabs > 0)
              expect(
                Math.max(...Array.from(q.values.subarray(r * dim, (r + 1) * dim), Math.abs)),
              ).toBe(127);
          }
        },
      ),
    );
  });

  it('handles zero rows and rejects bad input', () => {
    const q = quantizeRowsInt8(new Float32Array(6), 3);
    expect(Array.from(q.scales)).toEqual([0, 0]);
    expect(Array.from(dequantizeRowsInt8(q, 3))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => quantizeRowsInt8(new Float32Array(5), 3)).toThrow(RangeError);
    expect(() => quantizeRowsInt8(new Float32Array(3), 0)).toThrow(RangeError);
    expectCode(() => quantizeRowsInt8(Float32Array.of(1, NaN, 2), 3), 'NON_FINITE');
    expectCode(() => quantizeRowsInt8(Float32Array.of(1, Infinity, 2), 3), 'NON_FINITE');
    expect(() =>
      dequantizeRowsInt8({ values: new Int8Array(4), scales: new Float32Array(1) }, 3),
    ).toThrow(RangeError);
  });
});

describe('stochasticQuantizeInt8', () => {
  it('stays within one scale step of every value', () => {
    fc.assert(
      fc.property(float32Array({ maxLength: 64 }), fc.nat(), (values, seed) => {
        const { values: q, scale } = stochasticQuantizeInt8(values, seeded(seed));
        const maxabs = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(scale).toBe(maxabs / 127);
        const back = dequantizeInt8(q, scale);
        for (let i = 0; i < values.length; i++) {
          expect(Math.abs(q[i] ?? 0)).toBeLessThanOrEqual(127);
          expect(Math.abs((back[i] ?? 0) - (values[i] ?? 0))).toBeLessThanOrEqual(
            scale * (1 + 1e-6),
          );
        }
      }),
    );
  });

  it('is unbiased: the mean of many draws converges to the value', () => {
    const values = Float32Array.of(1, 0.3, -0.55, 0.004, -0.9999, 0);
    const draws = 20_000;
    const sums = new Float64Array(values.length);
    const random = seeded(7);
    let scale = 0;
    for (let d = 0; d < draws; d++) {
      const q = stochasticQuantizeInt8(values, random);
      scale = q.scale;
      q.values.forEach((v, i) => (sums[i] = (sums[i] ?? 0) + v * q.scale));
    }
    values.forEach((x, i) => {
      // Rounding error per draw is bounded by one step, so its std is ≤ scale / 2; 5 sigma bound.
      const tolerance = (5 * scale) / 2 / Math.sqrt(draws);
      expect(Math.abs((sums[i] ?? 0) / draws - x)).toBeLessThan(tolerance);
    });
    // Round-to-nearest would be biased: 0.3 / scale = 38.1 → always 38, mean off by 0.1 steps.
    expect(Math.abs((sums[1] ?? 0) / draws - 38 * scale)).toBeGreaterThan(0.05 * scale);
  });

  it('uses the CSPRNG by default and rejects out-of-range random sources', () => {
    const rnd = createSecureUniformRandom();
    const xs = Array.from({ length: 5000 }, rnd);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
    expect(stochasticQuantizeInt8(Float32Array.of(0.5, -1)).values.length).toBe(2);
    expect(() => stochasticQuantizeInt8(Float32Array.of(0.5), () => 1)).toThrow(RangeError);
    expect(() => stochasticQuantizeInt8(Float32Array.of(0.5), () => NaN)).toThrow(RangeError);
    expectCode(() => stochasticQuantizeInt8(Float32Array.of(NaN)), 'NON_FINITE');
  });
});
