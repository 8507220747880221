/**
 * Worker-thread entry of `runQuantizerThread`: trains and codes one PQ index, or one
 * catalog's `pq8` content, away from the server's event loop. It imports only the quantizer's own
 * entry point, not the model's tfjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainContentQuantizer, trainProductQuantizer } from '@privads/model/product-quantizer';
import { encodePqIndex } from '@privads/protocol';

import type { QuantizerJob, QuantizerWorkerMessage } from './quantizer-thread.js';

const port = parentPort;
if (port === null) throw new Error('quantizer-worker.js runs as a worker thread only');
const post = (message: QuantizerWorkerMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);
const onProgress = (done: number, total: number): void => post({ kind: 'progress', done, total });

const job = workerData as QuantizerJob;
try {
  if (job.kind === 'pq-index') {
    const index = trainProductQuantizer(job.vectors, job.dim, {
      stages: job.stages,
      partitions: job.partitions,
      onProgress,
    });
    const bytes = encodePqIndex({ ...index, ...job.versions });
    post({ kind: 'pq-index', bytes }, [bytes.buffer as ArrayBuffer]);
  } else {
    const { codebook, codes } = trainContentQuantizer(job.vectors, job.dim, {
      subspaces: job.subspaces,
      onProgress,
    });
    post({ kind: 'content', codebook, codes }, [
      codebook.buffer as ArrayBuffer,
      codes.buffer as ArrayBuffer,
    ]);
  }
} catch (error) {
  post({
    kind: 'failed',
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  });
}
