/**
 * The simulated catalog: content vectors of the items' texts (the real content encoder, once per
 * run) and their projection into user space by a projector version, as the server publishes it.
 */
import { createNodeEncoder } from '@privads/encoder-node';
import { selectNodeGradientBackend } from '@privads/model/node';
import type { Projector } from '@privads/model';
import { contentRows } from '@privads/protocol';
import type { PopulationItem } from '../population.js';

/** Content vectors of a catalog. */
export interface CatalogContent {
  /** Encoder id, e.g. `privads-hashed-ngrams-384-v1`. */
  readonly encoderId: string;
  readonly dim: number;
  readonly count: number;
  /** `count × dim`, L2-normalised rows. */
  readonly vectors: Float32Array;
}

/**
 * Encodes every item's text with the content encoder operators use (`@privads/encoder-node`).
 * @param items - catalog items
 * @param specPath - an encoder spec file; default: the project's generated encoder
 * @returns the content vectors
 * @throws EncoderError when the encoder cannot be loaded or a text is refused
 */
export async function encodeCatalog(
  items: readonly PopulationItem[],
  specPath?: string,
): Promise<CatalogContent> {
  const encoder = await createNodeEncoder(specPath === undefined ? {} : { specPath });
  try {
    const vectors = await encoder.encode(items.map((item) => item.text));
    return { encoderId: encoder.id, dim: encoder.dim, count: items.length, vectors };
  } finally {
    await encoder.dispose();
  }
}

let backend: Promise<string> | undefined;

/**
 * Activates the fastest tfjs backend Node offers for the projector code (WASM, else CPU), once.
 * @returns the backend's name
 */
export function useFastestNodeBackend(): Promise<string> {
  backend ??= selectNodeGradientBackend({ candidates: ['wasm', 'cpu'], measure: false }).then(
    (report) => report.backend,
  );
  return backend;
}

/**
 * The catalog as clients see it under a projector version: `p = P_θ(z)`, unit rows.
 * @param projector - the projector version
 * @param content - content vectors
 * @returns `count × userDim` projected rows
 */
export function projectCatalog(projector: Projector, content: CatalogContent): Float32Array {
  return projector.project(content.vectors, content.count);
}

/**
 * The cold-start user vector: the normalised mean of the projected catalog, as the browser client
 * computes it when it has neither a profile nor a page context.
 * @param projected - `count × dim` rows
 * @param dim - user dimension
 * @returns a unit vector
 */
export function catalogPrior(projected: Float32Array, dim: number): Float32Array {
  const mean = new Float64Array(dim);
  for (let r = 0; r < projected.length; r += dim) {
    for (let i = 0; i < dim; i++) mean[i]! += projected[r + i]!;
  }
  const norm = Math.hypot(...mean) || 1;
  return Float32Array.from(mean, (x) => x / norm);
}

/**
 * Rows of a row-major matrix gathered in the given order.
 * @param matrix - `count × dim`
 * @param dim - row length
 * @param indices - rows to take
 * @returns `indices.length × dim`
 */
export function gatherRows(
  matrix: Float32Array,
  dim: number,
  indices: ArrayLike<number>,
): Float32Array {
  return contentRows({ encoding: 'f32', values: matrix }, dim, indices);
}
