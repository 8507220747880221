/**
 * The PQ index of a catalog version (`PRVPQIDX`, see `@privads/protocol`): built from the same
 * projected vectors the bundle carries, so a browser can rank a million ads from a download of tens
 * of megabytes. The codes are only valid for those vectors, so the index is built whenever they
 * change (catalog import, and the re-projection of every round that publishes a projector) and is
 * committed together with its catalog version. It is served whole: serving shards by interest would
 * let the server and a network observer learn each reader's interests from which shard the device
 * asks for (`docs/privacy.md`).
 */
import { Worker } from 'node:worker_threads';

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

/** What the worker thread is given (`pq-index-worker.ts`). */
export interface PqIndexJob {
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly versions: { readonly catalogVersion: number; readonly projectorVersion: number };
  readonly stages: readonly number[];
  readonly partitions: number | 'auto';
}

/** What the worker thread says: progress, then the encoded index or why it failed. */
export type PqIndexWorkerMessage =
  | { readonly kind: 'progress'; readonly done: number; readonly total: number }
  | { readonly kind: 'done'; readonly bytes: Uint8Array }
  | { readonly kind: 'failed'; readonly name: string; readonly message: string };

/**
 * The worker's script. Run from sources (a test runner transforming `.ts`), this module has no
 * compiled sibling, so the build's is used: a worker thread cannot load TypeScript.
 */
function workerScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/catalog/pq-index-worker.js', here)
    : new URL('./pq-index-worker.js', here);
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
  const job: PqIndexJob = {
    vectors: vectors.slice(),
    dim,
    versions,
    stages: [...options.stages],
    partitions: options.partitions,
  };
  const worker = new Worker(workerScript(), {
    workerData: job,
    transferList: [job.vectors.buffer as ArrayBuffer],
  });
  const bytes = await new Promise<Uint8Array>((resolve, reject) => {
    worker.on('message', (message: PqIndexWorkerMessage) => {
      if (message.kind === 'progress') options.onProgress?.(message.done, message.total);
      else if (message.kind === 'done') resolve(message.bytes);
      else {
        const Failure = message.name === 'RangeError' ? RangeError : Error;
        reject(new Failure(message.message));
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      reject(new Error(`the PQ index worker stopped (exit code ${code}) before it answered`)),
    );
  }).finally(() => void worker.terminate());
  return { bytes, stages: [...options.stages] };
}
