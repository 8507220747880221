/**
 * The PQ index of a catalog version (`PRVPQIDX`, see `@privads/protocol`): built at catalog import
 * from the same projected vectors the bundle carries, so a browser can rank a million ads from a
 * download of tens of megabytes. The whole index is one file, published beside the bundle, and is
 * downloaded whole: serving shards by interest would let the server and the network observer learn
 * each reader's interests from which shard the device asks for.
 */
import { writeFile } from 'node:fs/promises';

import { trainProductQuantizer } from '@privads/model';
import { encodePqIndex } from '@privads/protocol';

/** Options of {@link buildPqIndexFile}. */
export interface PqIndexBuildOptions {
  /** Where to write the index. */
  readonly out: string;
  /**
   * Sub-spaces per stage (see `trainProductQuantizer`).
   * @defaultValue `[32, 32, 16]`: 40 bytes per ad at 128 dimensions
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
 * Trains and codes the index, and writes it to `options.out`.
 * @param vectors - the catalog's projected vectors, `count × dim`, in catalog order
 * @param dim - the user dimension
 * @param versions - the catalog and projector versions the vectors belong to
 * @param options - output path, stages, progress
 * @returns the file's size in bytes
 * @throws RangeError for stages that do not divide `dim`; the file system's errors on write
 */
export async function buildPqIndexFile(
  vectors: Float32Array,
  dim: number,
  versions: { readonly catalogVersion: number; readonly projectorVersion: number },
  options: PqIndexBuildOptions,
): Promise<number> {
  const index = trainProductQuantizer(vectors, dim, {
    ...(options.stages === undefined ? {} : { stages: options.stages }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  const bytes = encodePqIndex({ ...index, ...versions });
  await writeFile(options.out, bytes);
  return bytes.byteLength;
}
