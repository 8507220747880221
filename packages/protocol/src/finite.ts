/**
 * Finiteness checks shared by every encoder and decoder of float vectors: NaN and ±Infinity never
 * enter or leave a PrivAds format.
 */
import { ProtocolError } from './errors.js';
import { float32ToFloat16Array } from './f16.js';

/**
 * Throws unless every value is finite.
 * @param values - vector to check
 * @param what - its name for the message, e.g. `update vector`
 * @throws ProtocolError `NON_FINITE` naming the first offending index
 */
export function assertFinite(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    // x - x is 0 for finite x and NaN otherwise; one comparison covers NaN and both infinities.
    const x = values[i] ?? 0;
    if (x - x !== 0) throw new ProtocolError('NON_FINITE', `${what}[${i}] is ${x}`);
  }
}

/**
 * Converts finite float32 values to float16, refusing values that would become ±Infinity.
 * @param values - vector to convert
 * @param what - its name for the message
 * @returns float16 bit patterns
 * @throws ProtocolError `NON_FINITE` on NaN/±Infinity or |x| ≥ 65520
 */
export function toFiniteFloat16(values: Float32Array, what: string): Uint16Array {
  assertFinite(values, what);
  const bits = float32ToFloat16Array(values);
  for (let i = 0; i < bits.length; i++) {
    if (((bits[i] ?? 0) & 0x7c00) === 0x7c00) {
      throw new ProtocolError('NON_FINITE', `${what}[${i}] = ${values[i]} overflows float16`);
    }
  }
  return bits;
}
