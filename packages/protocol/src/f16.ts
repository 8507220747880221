/**
 * IEEE 754 binary16 ("half") conversion. Float32 → float16 rounds to nearest, ties to even, keeps
 * subnormals, and maps overflow to ±Infinity and NaN to a quiet NaN (sign and top payload bits kept).
 * Pure integer arithmetic on the float32 bit pattern, so it agrees with `Math.f16round` where that
 * exists and never double-rounds through float64.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * Converts the float32 bit pattern `bits` to float16 bits.
 * @param bits - IEEE 754 binary32 bit pattern as an unsigned 32-bit integer
 * @returns binary16 bit pattern (0‥0xffff)
 */
function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;

  if (exp === 0xff) {
    // Inf stays Inf; NaN stays NaN with the quiet bit forced so the payload cannot vanish.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const halfExp = exp - 127 + 15;
  if (halfExp >= 0x1f) return sign | 0x7c00;
  if (halfExp <= 0) {
    // Subnormal half (or zero): shift the full significand (with implicit 1) into place.
    if (halfExp < -10) return sign; // below half of the smallest subnormal: rounds to ±0
    const full = mant | 0x800000;
    const shift = 14 - halfExp; // 14..24
    const half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const roundUp = rem > midpoint || (rem === midpoint && (half & 1) === 1);
    return sign | (half + (roundUp ? 1 : 0));
  }
  const half = (halfExp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  const roundUp = rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1);
  return sign | (half + (roundUp ? 1 : 0));
}

/**
 * Rounds a number to float32, then to float16 (round to nearest, ties to even).
 * @param value - any number
 * @returns the binary16 bit pattern (0‥0xffff)
 */
export function f32ToF16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToF16Bits(scratchU32[0] ?? 0);
}

/**
 * Decodes a float16 bit pattern (exact: every half is a float32).
 * @param bits - binary16 bit pattern; only the low 16 bits are read
 * @returns the value
 */
export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * Converts float32 values to float16 bit patterns.
 * @param values - source values
 * @returns a new `Uint16Array` of the same length
 */
export function float32ToFloat16Array(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32BitsToF16Bits(bits[i] ?? 0);
  return out;
}

/**
 * Converts float16 bit patterns to float32 values (exact).
 * @param bits - binary16 bit patterns
 * @returns a new `Float32Array` of the same length
 */
export function float16ToFloat32Array(bits: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] ?? 0] ?? NaN;
  return out;
}

let halfToFloat: Float32Array | undefined;

// 256 KiB, built on first use: catalogs hold millions of halves, and a lookup beats the arithmetic.
function halfTable(): Float32Array {
  if (halfToFloat === undefined) {
    halfToFloat = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) halfToFloat[h] = f16BitsToF32(h);
  }
  return halfToFloat;
}
