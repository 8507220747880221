/**
 * Worker-thread entry of {@link buildPqIndex}: trains and codes one PQ index away from the
 * server's event loop, so that uploads, reads and the operator's calls are answered while a
 * million ads are coded (minutes of CPU). It imports only the quantizer's own entry point, not
 * the model's tfjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainProductQuantizer } from '@privads/model/product-quantizer';
import { encodePqIndex } from '@privads/protocol';

import type { PqIndexJob, PqIndexWorkerMessage } from './pq-index.js';

const port = parentPort;
if (port === null) throw new Error('pq-index-worker.js runs as a worker thread only');
const post = (message: PqIndexWorkerMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

const job = workerData as PqIndexJob;
try {
  const index = trainProductQuantizer(job.vectors, job.dim, {
    stages: job.stages,
    partitions: job.partitions,
    onProgress: (done, total) => post({ kind: 'progress', done, total }),
  });
  const bytes = encodePqIndex({ ...index, ...job.versions });
  post({ kind: 'done', bytes }, [bytes.buffer as ArrayBuffer]);
} catch (error) {
  post({
    kind: 'failed',
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  });
}
