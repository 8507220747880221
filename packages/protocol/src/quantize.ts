/**
 * Symmetric int8 quantisation. Rows of the catalog use round-to-nearest with one float32 scale per
 * row (deterministic: the same catalog always yields the same bundle); update uploads use stochastic
 * rounding with one scale per vector, which is unbiased, so the server's average of many uploads
 * converges to the average of the unquantised updates.
 */
import { ProtocolError } from './errors.js';
import { secureRandomFill } from './runtime.js';

/** A uniform random source on [0, 1). */
export type UniformRandom = () => number;

/** Row-quantised matrix: `values[r * dim + c] * scales[r]` approximates the original entry. */
export interface Int8Rows {
  /** Quantised entries in [-127, 127], row-major. */
  values: Int8Array;
  /** One scale per row: the row's max |x| / 127 (0 for an all-zero row). */
  scales: Float32Array;
}

/** A stochastically rounded vector: `values[i] * scale` estimates the original entry without bias. */
export interface Int8Vector {
  /** Quantised entries in [-127, 127]. */
  values: Int8Array;
  /** max |x| / 127 as a float64 (0 for an all-zero vector). */
  scale: number;
}

function maxAbs(values: Float32Array, start: number, end: number): number {
  let m = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i] ?? 0);
    if (!(a <= m)) {
      if (!Number.isFinite(a)) {
        throw new ProtocolError(
          'NON_FINITE',
          `value at index ${i} is ${values[i]}; only finite values can be quantised`,
        );
      }
      m = a;
    }
  }
  return m;
}

const clamp127 = (t: number): number => (t > 127 ? 127 : t < -127 ? -127 : t);

/**
 * Quantises the rows of a row-major matrix to int8, round to nearest (ties away from zero).
 * Every dequantised entry is within `scale / 2` of the original.
 * @param values - `rows × dim` finite values
 * @param dim - row length (> 0)
 * @returns int8 values and one float32 scale per row
 * @throws RangeError when `dim` is not a positive integer dividing `values.length`
 * @throws ProtocolError `NON_FINITE` on NaN or ±Infinity
 */
export function quantizeRowsInt8(values: Float32Array, dim: number): Int8Rows {
  if (!Number.isSafeInteger(dim) || dim <= 0 || values.length % dim !== 0) {
    throw new RangeError(`dim must be a positive integer dividing ${values.length}, got ${dim}`);
  }
  const rows = values.length / dim;
  const out = new Int8Array(values.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * dim;
    const scale = Math.fround(maxAbs(values, start, start + dim) / 127);
    scales[r] = scale;
    if (scale === 0) continue;
    for (let i = start; i < start + dim; i++) {
      const t = clamp127((values[i] ?? 0) / scale);
      out[i] = t < 0 ? -Math.round(-t) : Math.round(t);
    }
  }
  return { values: out, scales };
}

/**
 * Inverse of {@link quantizeRowsInt8}.
 * @param rows - int8 values and per-row scales
 * @param dim - row length; `values.length` must equal `scales.length * dim`
 * @returns `values[i] * scales[row(i)]` as float32
 * @throws RangeError when the sizes disagree
 */
export function dequantizeRowsInt8(rows: Int8Rows, dim: number): Float32Array {
  const { values, scales } = rows;
  if (!Number.isSafeInteger(dim) || dim <= 0 || values.length !== scales.length * dim) {
    throw new RangeError(
      `expected ${scales.length} rows of dim ${dim}, got ${values.length} values`,
    );
  }
  const out = new Float32Array(values.length);
  for (let r = 0; r < scales.length; r++) {
    const scale = scales[r] ?? 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) out[i] = (values[i] ?? 0) * scale;
  }
  return out;
}

/**
 * Quantises a vector to int8 with stochastic rounding: `x / scale` is rounded up with probability
 * equal to its fractional part, so `E[q * scale] = x` and every entry is within one scale step.
 * @param values - finite values
 * @param random - uniform source on [0, 1); rounding noise is not privacy noise, but the default
 *   still draws from the platform CSPRNG so uploads carry no predictable pattern
 * @defaultValue random = {@link createSecureUniformRandom}()
 * @returns int8 values and the float64 scale
 * @throws ProtocolError `NON_FINITE` on NaN or ±Infinity
 * @throws RangeError when `random` returns a value outside [0, 1)
 */
export function stochasticQuantizeInt8(
  values: Float32Array,
  random: UniformRandom = createSecureUniformRandom(),
): Int8Vector {
  const scale = maxAbs(values, 0, values.length) / 127;
  const out = new Int8Array(values.length);
  if (scale === 0) return { values: out, scale };
  for (let i = 0; i < values.length; i++) {
    const t = clamp127((values[i] ?? 0) / scale);
    const low = Math.floor(t);
    const u = random();
    if (!(u >= 0 && u < 1))
      throw new RangeError(`random() must return a number in [0, 1), got ${u}`);
    out[i] = u < t - low ? low + 1 : low;
  }
  return { values: out, scale };
}

/**
 * Inverse of {@link stochasticQuantizeInt8}.
 * @param values - int8 values
 * @param scale - the vector's scale
 * @returns `values[i] * scale` as float32
 */
export function dequantizeInt8(values: Int8Array, scale: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] ?? 0) * scale;
  return out;
}

/**
 * A uniform [0, 1) source backed by `crypto.getRandomValues`, drawing 53-bit values in batches.
 * @returns the source
 */
export function createSecureUniformRandom(): UniformRandom {
  const words = new Uint32Array(2048);
  let next = words.length;
  return () => {
    if (next >= words.length) {
      secureRandomFill(words);
      next = 0;
    }
    const high = (words[next++] ?? 0) >>> 5; // 27 bits
    const low = (words[next++] ?? 0) >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  };
}
