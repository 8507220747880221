/**
 * The worker thread that trains quantizers for the server (a catalog's PQ index, its `pq8`
 * content): a million ads take minutes of CPU, and the server keeps answering uploads, reads and
 * the operator's calls meanwhile.
 */
import { Worker } from 'node:worker_threads';

/** Trains and codes one PQ index. */
export interface PqIndexJob {
  readonly kind: 'pq-index';
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly versions: { readonly catalogVersion: number; readonly projectorVersion: number };
  readonly stages: readonly number[];
  readonly partitions: number | 'auto';
}

/** Trains and codes `pq8` content. */
export interface ContentJob {
  readonly kind: 'content';
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly subspaces: number;
}

/** What the worker thread is given (`quantizer-worker.ts`). */
export type QuantizerJob = PqIndexJob | ContentJob;

/** What the worker thread says: progress, then its result or why it failed. */
export type QuantizerWorkerMessage =
  | { readonly kind: 'progress'; readonly done: number; readonly total: number }
  | { readonly kind: 'pq-index'; readonly bytes: Uint8Array }
  | { readonly kind: 'content'; readonly codebook: Float32Array; readonly codes: Uint8Array }
  | { readonly kind: 'failed'; readonly name: string; readonly message: string };

/** A result message of the job's kind. */
export type QuantizerResult<K extends QuantizerJob['kind']> = Extract<
  QuantizerWorkerMessage,
  { kind: K }
>;

/**
 * The worker's script. Run from sources (a test runner transforming `.ts`), this module has no
 * compiled sibling, so the build's is used: a worker thread cannot load TypeScript.
 */
function workerScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/catalog/quantizer-worker.js', here)
    : new URL('./quantizer-worker.js', here);
}

/**
 * Runs one job in a worker thread of its own.
 * @param job - the job (its `vectors` are transferred: pass a copy the caller can lose)
 * @param onProgress - progress as work units finish
 * @returns the result message
 * @throws RangeError or Error as the training threw it; Error when the thread fails to start or
 *   stops without an answer
 */
export async function runQuantizerThread<J extends QuantizerJob>(
  job: J,
  onProgress?: (done: number, total: number) => void,
): Promise<QuantizerResult<J['kind']>> {
  const worker = new Worker(workerScript(), {
    workerData: job,
    transferList: [job.vectors.buffer as ArrayBuffer],
  });
  return new Promise<QuantizerResult<J['kind']>>((resolve, reject) => {
    worker.on('message', (message: QuantizerWorkerMessage) => {
      if (message.kind === 'progress') onProgress?.(message.done, message.total);
      else if (message.kind === 'failed') {
        const Failure = message.name === 'RangeError' ? RangeError : Error;
        reject(new Failure(message.message));
      } else resolve(message as QuantizerResult<J['kind']>);
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      reject(new Error(`the quantizer worker stopped (exit code ${code}) before it answered`)),
    );
  }).finally(() => void worker.terminate());
}
