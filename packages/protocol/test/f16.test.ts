import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  f16BitsToF32,
  f32ToF16Bits,
  float16ToFloat32Array,
  float32ToFloat16Array,
} from '@privads/protocol';

// Independent oracle: the nearest of all finite non-negative halves, ties to the even bit pattern.
const halves = Array.from({ length: 0x7c00 }, (_, h) => f16BitsToF32(h));
function oracle(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = halves.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((halves[mid] ?? 0) <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - (halves[lo] ?? 0);
  const dHi = (halves[hi] ?? 0) - a;
  const pick = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick;
}

describe('float16 conversion', () => {
  it('decodes known bit patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
  });

  it('encodes special values', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // the tie above the largest half rounds to Inf
    expect(f32ToF16Bits(1e10)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal: even
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal units: even
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie: keep even mantissa
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // subnormal rounding carries into the normal range
    const nan = f32ToF16Bits(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });

  it('round-trips every half exactly', () => {
    const failures: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const x = f16BitsToF32(h);
      const ok = Number.isNaN(x)
        ? Number.isNaN(f16BitsToF32(f32ToF16Bits(x)))
        : f32ToF16Bits(x) === h;
      if (!ok) failures.push(h);
    }
    expect(failures).toEqual([]);
  });

  it('rounds every float32 to the nearest half, ties to even', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => f32ToF16Bits(x) === oracle(x)),
      { numRuns: 20_000 },
    );
    // Exhaustive over the region where rounding decisions are dense: 2^-26 .. 2^-13.
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const mismatches: number[] = [];
    for (let bits = 0x32800000; bits < 0x39000000; bits += 0x77) {
      u[0] = bits;
      if (f32ToF16Bits(f[0] ?? 0) !== oracle(f[0] ?? 0)) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });

  it('converts arrays (including subarray views) like the scalar functions', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 64 }), (values) => {
        const view = values.subarray(1);
        const bits = float32ToFloat16Array(view);
        expect(Array.from(bits)).toEqual(Array.from(view, (x) => f32ToF16Bits(x)));
        const back = float16ToFloat32Array(bits);
        expect(Array.from(back)).toEqual(Array.from(bits, (h) => f16BitsToF32(h)));
      }),
    );
  });
});
