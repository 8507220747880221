/**
 * Vectors of integers modulo 2^bits held in `Uint32Array`s. Every value stays below 2^bits; since
 * 2^bits divides 2^32, reducing a 32-bit wrap-around result with a bit mask is exact.
 */

/** Smallest and largest supported modulus exponent. */
export const MIN_BITS = 1;
/** Largest supported modulus exponent: values must fit one 32-bit word. */
export const MAX_BITS = 32;

/**
 * The mask 2^bits − 1 as an unsigned 32-bit number.
 * @param bits - modulus exponent, 1..32
 * @returns 2^bits − 1
 * @throws RangeError outside 1..32
 */
export function bitMask(bits: number): number {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new RangeError(`bits must be an integer in [${MIN_BITS}, ${MAX_BITS}], got ${bits}`);
  }
  return bits === 32 ? 0xffffffff : 2 ** bits - 1;
}

/**
 * target ← target + sign·mask (mod 2^bits), element-wise, in place.
 * @param target - accumulator, values < 2^bits
 * @param mask - values to add or subtract (any 32-bit words: they are reduced)
 * @param sign - +1 adds, −1 subtracts
 * @param bits - modulus exponent
 */
export function accumulateModular(
  target: Uint32Array,
  mask: Uint32Array,
  sign: 1 | -1,
  bits: number,
): void {
  if (mask.length !== target.length) {
    throw new RangeError(`mask length ${mask.length} differs from target length ${target.length}`);
  }
  const m = bitMask(bits);
  // `>>> 0` maps the sum or difference into [0, 2^32); `& m` then reduces mod 2^bits.
  if (sign === 1) {
    for (let i = 0; i < target.length; i++)
      target[i] = (((target[i] as number) + (mask[i] as number)) & m) >>> 0;
  } else {
    for (let i = 0; i < target.length; i++)
      target[i] = (((target[i] as number) - (mask[i] as number)) & m) >>> 0;
  }
}
