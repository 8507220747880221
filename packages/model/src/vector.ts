/**
 * Small dense-vector helpers on plain typed arrays, accumulating in f64. Used by the user-update
 * rules and the reference scorer; no tfjs (128-d vectors are cheaper in plain loops).
 */

/** Any array of numbers the helpers read. */
export type NumericArray = Float32Array | Float64Array | readonly number[];

/**
 * Dot product of `a` and row `row` of a row-major matrix `m` with `a.length` columns.
 * @param a - vector
 * @param m - matrix
 * @param row - row index
 * @returns `a · m[row]` in f64
 */
export function dotRow(a: NumericArray, m: NumericArray, row: number): number {
  const d = a.length;
  const base = row * d;
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i]! * m[base + i]!;
  return s;
}

/**
 * Euclidean norm of row `row` of `m` (`dim` columns).
 * @param m - row-major matrix (a single vector when `row = 0`, `dim = m.length`)
 * @param row - row index
 * @param dim - row length
 * @returns the norm in f64
 */
export function rowNorm(m: NumericArray, row: number, dim: number): number {
  const base = row * dim;
  let s = 0;
  for (let i = 0; i < dim; i++) s += m[base + i]! * m[base + i]!;
  return Math.sqrt(s);
}

/**
 * Checks that `v` is a vector of `dim` finite entries.
 * @param label - name used in the error message
 * @param v - vector
 * @param dim - expected length (`undefined`: any non-zero length)
 * @throws RangeError for a wrong length or a non-finite entry
 */
export function checkVector(label: string, v: NumericArray, dim?: number): void {
  if (dim === undefined ? v.length === 0 : v.length !== dim) {
    throw new RangeError(
      `${label} must have ${dim ?? 'a non-zero number of'} elements, got ${v.length}`,
    );
  }
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new RangeError(`${label}[${i}] must be finite, got ${v[i]}`);
  }
}

/**
 * L2-normalises an f64 vector into a new Float32Array.
 * @param v - vector
 * @returns `v / ‖v‖`, or `undefined` when `‖v‖` is zero or not finite
 */
export function normalizedCopy(v: Float64Array): Float32Array | undefined {
  const n = rowNorm(v, 0, v.length);
  if (!(n > 0) || !Number.isFinite(n)) return undefined;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}
