/**
 * The PQ index of a catalog version (`PRVPQIDX`, see `@privads/protocol`): built from the same
 * projected vectors the bundle carries, so a browser can rank a million ads from a download of tens
 * of megabytes. The codes are only valid for those vectors, so the index is built whenever they
 * change (catalog import, and the re-projection of every round that publishes a projector) and is
 * committed together with its catalog version. It is served whole: serving shards by interest would
 * let the server and a network observer learn each reader's interests from which shard the device
 * asks for (`docs/privacy.md`).
 */
import { trainProductQuantizer } from '@privads/model';
import { encodePqIndex } from '@privads/protocol';

import type { CatalogPublication } from '../store/store.js';

/** Options of {@link buildPqIndex}, and of a catalog publication's index. */
export interface PqIndexBuildOptions {
  /**
   * Whether a catalog publication builds the index: `auto` when the catalog has at least
   * `config.catalog.pqIndex.minAds` ads. (A round's re-projection rebuilds exactly the indexes
   * that exist.)
   * @defaultValue `'auto'`
   */
  readonly when?: 'auto' | 'always' | 'never';
  /**
   * Sub-spaces per stage (see `trainProductQuantizer`).
   * @defaultValue the server configuration's `catalog.pqIndex.stages`
   */
  readonly stages?: readonly number[];
  /**
   * Progress as work units finish.
   * @param done - units finished
   * @param total - units in all
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Trains and codes the index of one catalog version.
 * @param vectors - the catalog's projected vectors, `count × dim`, in catalog order
 * @param dim - the user dimension
 * @param versions - the catalog and projector versions the vectors belong to
 * @param options - stages (required here), progress
 * @returns the encoded index and its stages, as a publication carries them
 * @throws RangeError for stages that do not divide `dim` or non-finite vectors
 */
export function buildPqIndex(
  vectors: Float32Array,
  dim: number,
  versions: { readonly catalogVersion: number; readonly projectorVersion: number },
  options: PqIndexBuildOptions & { readonly stages: readonly number[] },
): NonNullable<CatalogPublication['pqIndex']> {
  const index = trainProductQuantizer(vectors, dim, {
    stages: options.stages,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return { bytes: encodePqIndex({ ...index, ...versions }), stages: [...options.stages] };
}
