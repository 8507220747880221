/**
 * How a catalog import encodes its content vectors. `f16` rows take 768 bytes an ad at 384
 * dimensions, so a bundle of them fits the readers' decode limit up to about 500,000 ads; `pq8`
 * codes take one byte per sub-space (192 at most, at 2 dimensions each), which is what lets a
 * million ads reach the browser. `auto` keeps the exact rows while they fit, and codes them, as
 * finely as the limit allows, when they would not.
 */
import { contentSubspaceChoices } from '@privads/model/product-quantizer';
import {
  checkCatalogBundleSize,
  ProtocolError,
  type CatalogBundleShape,
  type QuantizedContent,
} from '@privads/protocol';

import type { ServerConfig } from '../config.js';
import { runQuantizerThread } from './quantizer-thread.js';

/** The server configuration's content settings. */
export type ContentSettings = Pick<ServerConfig['catalog'], 'contentEncoding' | 'contentSubspaces'>;

/** The content part of a bundle's shape. */
export type ContentShape =
  | { readonly contentEncoding: 'f16' }
  | { readonly contentEncoding: 'pq8'; readonly contentSubspaces: number };

/**
 * Resolves the content settings for one catalog and checks that its bundle fits: `auto` sub-spaces
 * are the most (the finest coding) whose bundle fits.
 * @param shape - the bundle's shape but for its content
 * @param settings - the configured encoding and sub-spaces
 * @returns the content shape to publish with
 * @throws ProtocolError `OVERSIZE` when even the chosen encoding is over the readers' limits
 */
export function chooseContentShape(
  shape: Omit<CatalogBundleShape, 'contentEncoding' | 'contentSubspaces'>,
  settings: ContentSettings,
): ContentShape {
  const fits = (content: ContentShape): boolean => {
    try {
      checkCatalogBundleSize({ ...shape, ...content });
      return true;
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'OVERSIZE') return false;
      throw error;
    }
  };
  const coded = (
    settings.contentSubspaces === 'auto'
      ? contentSubspaceChoices(shape.contentDim)
      : [settings.contentSubspaces]
  ).map((contentSubspaces): ContentShape => ({ contentEncoding: 'pq8', contentSubspaces }));
  // In order of preference: exact rows, then the finest coding first.
  const candidates: ContentShape[] = [
    ...(settings.contentEncoding === 'pq8' ? [] : [{ contentEncoding: 'f16' } as const]),
    ...(settings.contentEncoding === 'f16' ? [] : coded),
  ];
  const chosen = candidates.find(fits) ?? (candidates.at(-1) as ContentShape);
  // Throws the refusal of the last resort when nothing fits.
  checkCatalogBundleSize({ ...shape, ...chosen });
  return chosen;
}

/**
 * Trains `pq8` codes for a catalog's content vectors in a worker thread.
 * @param vectors - `count × dim` content vectors (copied: the caller keeps its array)
 * @param dim - content dimension
 * @param subspaces - sub-spaces M
 * @param onProgress - progress as work units finish
 * @returns the coded content
 * @throws RangeError when M does not divide `dim` or a value is not finite
 */
export async function codeContent(
  vectors: Float32Array,
  dim: number,
  subspaces: number,
  onProgress?: (done: number, total: number) => void,
): Promise<QuantizedContent> {
  const { codebook, codes } = await runQuantizerThread(
    { kind: 'content', vectors: vectors.slice(), dim, subspaces },
    onProgress,
  );
  return { encoding: 'pq8', subspaces, codebook, codes };
}

/** Options of a catalog publication's content: the configured settings, overridden, and progress. */
export interface ContentBuildOptions extends Partial<ContentSettings> {
  /**
   * Progress of the `pq8` training and coding, as work units finish.
   * @param done - units finished
   * @param total - units in all
   */
  readonly onProgress?: (done: number, total: number) => void;
}
