import type { QuantizedMatrix } from './engine.js';

/**
 * Folds each row's norm into its scale, so that `scale · (q_i · u)` is the cosine between the
 * dequantised row and a unit query: what the reference scorer computes. Projected vectors are
 * unit rows before quantisation; rounding to int8 moves their norms by up to ~0.5 %, enough to
 * reorder near-ties if left in.
 * @param version - version label of the matrix
 * @param rows - number of rows
 * @param dim - row length
 * @param data - int8 values, `rows × dim`
 * @param scales - dequantisation scales, one per row
 * @returns the matrix engines load (an all-zero row keeps scale 0 and scores 0)
 */
export function unitRowMatrix(
  version: string,
  rows: number,
  dim: number,
  data: Int8Array,
  scales: Float32Array,
): QuantizedMatrix {
  const unitScales = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let sq = 0;
    for (let j = 0; j < dim; j++) sq += (data[i * dim + j] as number) ** 2;
    unitScales[i] = sq > 0 && (scales[i] as number) > 0 ? 1 / Math.sqrt(sq) : 0;
  }
  return { version, rows, dim, data, scales: unitScales };
}
