/**
 * The PQ index of a catalog version (`PRVPQIDX`, see `@privads/protocol`): built from the same
 * projected vectors the bundle carries, so a browser can rank a million ads from a download of tens
 * of megabytes. The codes are only valid for those vectors, so the index is built whenever they
 * change (catalog import, and the re-projection of every round that publishes a projector) and is
 * committed together with its catalog version. It is served whole: serving shards by interest would
 * let the server and a network observer learn each reader's interests from which shard the device
 * asks for (`docs/privacy.md`).
 */
import type { CatalogPublication } from '../store/store.js';
import { runQuantizerThread } from './quantizer-thread.js';

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
   * Partitions (see `trainProductQuantizer`).
   * @defaultValue the server configuration's `catalog.pqIndex.partitions`
   */
  readonly partitions?: number | 'auto';
  /**
   * Progress as work units finish.
   * @param done - units finished
   * @param total - units in all
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Trains and codes the index of one catalog version in a worker thread: the server keeps
 * answering requests meanwhile (a million ads take minutes of CPU).
 * @param vectors - the catalog's projected vectors, `count × dim`, in catalog order (copied: the
 *   caller keeps its array)
 * @param dim - the user dimension
 * @param versions - the catalog and projector versions the vectors belong to
 * @param options - stages and partitions (required here), progress
 * @returns the encoded index and its stages, as a publication carries them
 * @throws RangeError for stages that do not divide `dim` or non-finite vectors; Error when the
 *   worker thread fails to start or stops without an answer
 */
export async function buildPqIndex(
  vectors: Float32Array,
  dim: number,
  versions: { readonly catalogVersion: number; readonly projectorVersion: number },
  options: PqIndexBuildOptions & {
    readonly stages: readonly number[];
    readonly partitions: number | 'auto';
  },
): Promise<NonNullable<CatalogPublication['pqIndex']>> {
  const { bytes } = await runQuantizerThread(
    {
      kind: 'pq-index',
      vectors: vectors.slice(),
      dim,
      versions,
      stages: [...options.stages],
      partitions: options.partitions,
    },
    options.onProgress,
  );
  return { bytes, stages: [...options.stages] };
}
