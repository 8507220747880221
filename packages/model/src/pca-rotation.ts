/**
 * The rotation a product quantizer codes in (the non-parametric start of OPQ, Ge et al. 2013, with
 * FAISS's balanced bins): the principal directions of the vectors, dealt out to the sub-spaces so
 * that each sub-space gets an even share of the variance. Catalog embeddings put most of their
 * variance in a few directions; coded as they come, a few sub-spaces would carry most of it in 16
 * centroids while others code next to nothing.
 */

/** Jacobi sweeps after which an eigendecomposition gives up converging (it needs ~10 at dim 128). */
const MAX_SWEEPS = 60;

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations: slow for large
 * matrices (`dim³` per sweep), exact to rounding, and simple enough to trust at dim ≤ 512.
 * @param matrix - `n × n` symmetric, row-major (not modified)
 * @param n - its size
 * @returns `values[i]` with eigenvector column `i` of `vectors` (`n × n`, row-major)
 */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = matrix.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i] as number));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off <= (1e-15 * scale) ** 2) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (apq === 0) continue;
        const theta = ((a[q * n + q] as number) - (a[p * n + p] as number)) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const kp = a[k * n + p] as number;
          const kq = a[k * n + q] as number;
          a[k * n + p] = c * kp - s * kq;
          a[k * n + q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = a[p * n + k] as number;
          const qk = a[q * n + k] as number;
          a[p * n + k] = c * pk - s * qk;
          a[q * n + k] = s * pk + c * qk;
        }
        for (let k = 0; k < n; k++) {
          const kp = v[k * n + p] as number;
          const kq = v[k * n + q] as number;
          v[k * n + p] = c * kp - s * kq;
          v[k * n + q] = s * kp + c * kq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i] as number), vectors: v };
}

/**
 * An orthogonal rotation that balances the variance of sampled vectors over `subspaces` equal
 * sub-spaces: principal directions by decreasing variance, each to the sub-space with room whose
 * variance is smallest so far.
 * @param vectors - `count × dim` values, row-major
 * @param dim - vector dimension
 * @param rows - the rows to estimate the covariance from
 * @param subspaces - sub-spaces of the stage it balances (a divisor of `dim`)
 * @returns `R`, `dim × dim` row-major: row `s·(dim/subspaces) + j` is sub-space `s`'s `j`-th direction
 */
export function balancedPcaRotation(
  vectors: Float32Array,
  dim: number,
  rows: Int32Array,
  subspaces: number,
): Float32Array {
  const n = rows.length;
  const mean = new Float64Array(dim);
  for (const row of rows) {
    for (let j = 0; j < dim; j++)
      mean[j] = (mean[j] as number) + (vectors[row * dim + j] as number);
  }
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / Math.max(1, n);
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (const row of rows) {
    for (let j = 0; j < dim; j++)
      centred[j] = (vectors[row * dim + j] as number) - (mean[j] as number);
    for (let j = 0; j < dim; j++) {
      const x = centred[j] as number;
      for (let k = j; k < dim; k++)
        covariance[j * dim + k] = (covariance[j * dim + k] as number) + x * (centred[k] as number);
    }
  }
  for (let j = 0; j < dim; j++)
    for (let k = 0; k < j; k++) covariance[j * dim + k] = covariance[k * dim + j] as number;
  const { values, vectors: directions } = symmetricEigen(covariance, dim);
  const order = Array.from(values.keys()).sort(
    (a, b) => (values[b] as number) - (values[a] as number) || a - b,
  );
  const width = dim / subspaces;
  const filled = new Int32Array(subspaces);
  const variance = new Float64Array(subspaces);
  const rotation = new Float32Array(dim * dim);
  for (const column of order) {
    let target = -1;
    for (let s = 0; s < subspaces; s++) {
      if (
        (filled[s] as number) < width &&
        (target < 0 || (variance[s] as number) < (variance[target] as number))
      ) {
        target = s;
      }
    }
    const row = target * width + (filled[target] as number);
    filled[target] = (filled[target] as number) + 1;
    variance[target] = (variance[target] as number) + Math.max(0, values[column] as number);
    for (let k = 0; k < dim; k++) rotation[row * dim + k] = directions[k * dim + column] as number;
  }
  return rotation;
}

/**
 * `R·x` for every row `x` of `vectors`.
 * @param rotation - `dim × dim`, row-major
 * @param vectors - `count × dim`, row-major
 * @param dim - vector dimension
 * @param onChunk - told after each block of rows (progress of long catalogs)
 * @param chunkRows - rows per block
 * @returns the rotated rows, `count × dim`
 */
export function rotateRows(
  rotation: Float32Array,
  vectors: Float32Array,
  dim: number,
  onChunk?: () => void,
  chunkRows = 16_384,
): Float32Array {
  const out = new Float32Array(vectors.length);
  const count = vectors.length / dim;
  for (let start = 0; start < count; start += chunkRows) {
    const end = Math.min(count, start + chunkRows);
    for (let i = start; i < end; i++) {
      const at = i * dim;
      for (let r = 0; r < dim; r++) {
        let dot = 0;
        for (let k = 0; k < dim; k++)
          dot += (rotation[r * dim + k] as number) * (vectors[at + k] as number);
        out[at + r] = dot;
      }
    }
    onChunk?.();
  }
  return out;
}
