/**
 * The content vectors a catalog carries for on-device learning, in one of two forms: exact
 * float32 rows (`f16` on the wire), or product-quantised rows (`pq8`: per ad, one byte per
 * sub-space naming one of 256 centroids). `pq8` is what lets a bundle of a million ads fit the
 * readers' decode limit: at 384 dimensions and 192 sub-spaces (the server's finest) an ad's content
 * takes 192 bytes instead of 768, and the catalog keeps it coded in memory, reconstructing only the rows a learning step
 * asks for. Learning then sees the reconstructions — on every device and on the server alike, since
 * the server re-projects from the bundle it published.
 */
import { ProtocolError } from './errors.js';

/** Content wire encodings: `f16` half-precision rows, `pq8` product-quantised rows. */
export const CONTENT_ENCODINGS = ['f16', 'pq8'] as const;
/** See {@link CONTENT_ENCODINGS}. */
export type ContentEncoding = (typeof CONTENT_ENCODINGS)[number];

/** Centroids per sub-space of `pq8` content: a code is one byte. */
export const CONTENT_PQ_CENTROIDS = 256;

/** Content vectors, exact. */
export interface ExactContent {
  readonly encoding: 'f32';
  /** Row-major `count × contentDim` values. */
  readonly values: Float32Array;
}

/** Content vectors, product-quantised. */
export interface QuantizedContent {
  readonly encoding: 'pq8';
  /** Sub-spaces M (divides `contentDim`): sub-space `m` holds dimensions `[m·d, (m+1)·d)`, d = contentDim / M. */
  readonly subspaces: number;
  /**
   * `M × 256 × d` centroid values: centroid `c` of sub-space `m` starts at `(m · 256 + c) · d`
   * (the same `256 × contentDim` values whatever M).
   */
  readonly codebook: Float32Array;
  /** Row-major `count × M` codes. */
  readonly codes: Uint8Array;
}

/** Content vectors in either form. */
export type CatalogContent = ExactContent | QuantizedContent;

/**
 * Checks a quantised content's sizes against its dimension and row count.
 * @param content - the quantised content
 * @param contentDim - Dad
 * @param count - rows
 * @param what - what to name in errors
 * @throws ProtocolError `DIM_MISMATCH` when M does not divide Dad or an array has the wrong length
 */
export function checkQuantizedContent(
  content: QuantizedContent,
  contentDim: number,
  count: number,
  what: string,
): void {
  const { subspaces, codebook, codes } = content;
  if (!Number.isInteger(subspaces) || subspaces < 1 || contentDim % subspaces !== 0) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${what} has ${subspaces} sub-spaces, which must be an integer dividing contentDim ${contentDim}`,
    );
  }
  if (codebook.length !== CONTENT_PQ_CENTROIDS * contentDim) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${what} codebook has ${codebook.length} values, expected ${CONTENT_PQ_CENTROIDS} × ${contentDim}`,
    );
  }
  if (codes.length !== count * subspaces) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${what} has ${codes.length} codes, expected ${count} × ${subspaces}`,
    );
  }
}

/**
 * Content rows of several ads, row-major (reconstructed from their codes when quantised).
 * @param content - the catalog's content
 * @param contentDim - Dad
 * @param indices - catalog rows (integers in range; not checked)
 * @returns `indices.length × contentDim` floats (a fresh array)
 */
export function contentRows(
  content: CatalogContent,
  contentDim: number,
  indices: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(indices.length * contentDim);
  if (content.encoding === 'f32') {
    for (let k = 0; k < indices.length; k++) {
      const row = indices[k] as number;
      out.set(content.values.subarray(row * contentDim, (row + 1) * contentDim), k * contentDim);
    }
    return out;
  }
  const { subspaces, codebook, codes } = content;
  const d = contentDim / subspaces;
  for (let k = 0; k < indices.length; k++) {
    const row = indices[k] as number;
    for (let m = 0; m < subspaces; m++) {
      const at = (m * CONTENT_PQ_CENTROIDS + (codes[row * subspaces + m] as number)) * d;
      out.set(codebook.subarray(at, at + d), k * contentDim + m * d);
    }
  }
  return out;
}

/**
 * Consecutive content rows: the exact rows themselves (no copy), or their reconstructions.
 * @param content - the catalog's content
 * @param contentDim - Dad
 * @param start - first row
 * @param end - row after the last
 * @returns `(end − start) × contentDim` floats
 */
export function contentRange(
  content: CatalogContent,
  contentDim: number,
  start: number,
  end: number,
): Float32Array {
  if (content.encoding === 'f32')
    return content.values.subarray(start * contentDim, end * contentDim);
  return contentRows(
    content,
    contentDim,
    Array.from({ length: end - start }, (_, k) => start + k),
  );
}
