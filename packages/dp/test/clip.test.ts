import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { PrivacyParameterError } from '@privads/protocol';
import { clipByGlobalL2Norm, clipByL2Norm, globalL2Norm } from '@privads/dp';

/** Exact-enough reference norm in double precision. */
function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] as number) ** 2;
  return Math.sqrt(s);
}

const f32 = fc
  .array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
    minLength: 1,
    maxLength: 64,
  })
  .map((xs) => Float32Array.from(xs));
const clipNorm = fc.double({ min: 1e-3, max: 1e3, noNaN: true });

describe('clipByL2Norm — properties', () => {
  it('never increases the norm and ends at or below C, exactly (checked on the rounded output)', () => {
    fc.assert(
      fc.property(f32, clipNorm, (v, c) => {
        const { values, norm: before } = clipByL2Norm(v, c);
        const after = norm(values);
        return after <= before && after <= c && before === globalL2Norm([v]);
      }),
    );
  });

  it('is the identity (an equal copy) when ‖v‖ ≤ C', () => {
    fc.assert(
      fc.property(f32, (v) => {
        const c = norm(v) * 1.5 + 1e-9;
        const { values, scale } = clipByL2Norm(v, c);
        return scale === 1 && values !== v && values.every((x, i) => Object.is(x, v[i]));
      }),
    );
  });

  it('preserves the direction: every coordinate is scaled by the same factor, signs kept', () => {
    fc.assert(
      fc.property(f32, clipNorm, (v, c) => {
        const { values, scale } = clipByL2Norm(v, c);
        return values.every((y, i) => {
          const x = v[i] as number;
          // y = fround(x·scale): relative error ≤ 2⁻²⁴, and the same sign (or both zero).
          return (
            Math.abs(y - x * scale) <= Math.abs(x * scale) * 2 ** -24 + 1e-45 &&
            Math.sign(y) * Math.sign(x) >= 0
          );
        });
      }),
    );
  });

  it('clips to norm ≈ C when ‖v‖ > C (within float32 rounding, never above)', () => {
    fc.assert(
      fc.property(f32, clipNorm, (v, c) => {
        fc.pre(norm(v) > 2 * c && norm(v) > 1e-3);
        const after = norm(clipByL2Norm(v, c).values);
        return after <= c && after >= c * (1 - 1e-5);
      }),
    );
  });

  it('does not modify its input', () => {
    const v = Float32Array.from([3, 4]);
    const { values, norm: before, scale } = clipByL2Norm(v, 1);
    expect(Array.from(v)).toEqual([3, 4]);
    expect(before).toBe(5);
    expect(scale).toBeCloseTo(0.2, 6);
    expect(values[0]).toBeCloseTo(0.6, 6);
    expect(values[1]).toBeCloseTo(0.8, 6);
  });
});

describe('clipByGlobalL2Norm', () => {
  it('uses one norm over all tensors and one scale for all', () => {
    const a = Float32Array.from([3, 0]);
    const b = Float64Array.from([0, 4]);
    const {
      values,
      norm: before,
      scale,
    } = clipByGlobalL2Norm<Float32Array | Float64Array>([a, b], 2.5);
    expect(before).toBe(5);
    expect(values[0]).toBeInstanceOf(Float32Array);
    expect(values[1]).toBeInstanceOf(Float64Array);
    expect(values[0]?.[0]).toBeCloseTo(1.5, 6);
    expect(values[1]?.[1]).toBeCloseTo(2, 6);
    expect(scale).toBeCloseTo(0.5, 6);
  });

  it('global clipping of a split vector equals clipping the concatenation', () => {
    fc.assert(
      fc.property(f32, f32, clipNorm, (a, b, c) => {
        const joined = new Float32Array([...a, ...b]);
        const split = clipByGlobalL2Norm([a, b], c);
        const whole = clipByL2Norm(joined, c);
        return (
          split.norm === whole.norm &&
          split.scale === whole.scale &&
          [...(split.values[0] as Float32Array), ...(split.values[1] as Float32Array)].every(
            (x, i) => Object.is(x, whole.values[i]),
          )
        );
      }),
    );
  });

  it('does not overflow for huge finite Float64 values', () => {
    const v = Float64Array.from([1e300, 1e300, -1e300]);
    const { values, norm: before } = clipByL2Norm(v, 1);
    expect(before).toBeCloseTo(Math.sqrt(3) * 1e300, -285);
    expect(norm(values)).toBeLessThanOrEqual(1);
    expect(norm(values)).toBeGreaterThan(1 - 1e-12);
    expect(values[2]).toBeLessThan(0);
  });

  it('handles the empty set and zero vectors', () => {
    expect(clipByGlobalL2Norm([], 1)).toEqual({ values: [], norm: 0, scale: 1 });
    expect(clipByL2Norm(new Float32Array(3), 1).norm).toBe(0);
  });
});

describe('clipping errors', () => {
  it.each([NaN, Infinity, -Infinity])('a coordinate %f throws PrivacyParameterError', (bad) => {
    const v = Float32Array.from([1, bad, 2]);
    const run = (): unknown => clipByGlobalL2Norm([new Float32Array(2), v], 1);
    expect(run).toThrow(PrivacyParameterError);
    expect(run).toThrow(/tensor 1 holds .* at index 1/);
    try {
      run();
    } catch (error) {
      expect((error as PrivacyParameterError).code).toBe('PRIVACY_PARAMETER');
    }
  });

  it.each([0, -1, NaN, Infinity])('clipNorm %f is a RangeError quoting it', (c) => {
    expect(() => clipByL2Norm(new Float32Array(2), c)).toThrow(RangeError);
    expect(() => clipByL2Norm(new Float32Array(2), c)).toThrow(String(c));
  });
});
