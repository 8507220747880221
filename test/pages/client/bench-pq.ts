import { PQ_SCAN_POOL } from '../../../packages/client/src/worker/pq-ranker.js';
import type { PqBenchRequest, PqBenchResult } from './bench-pq-result.js';

const params = new URLSearchParams(location.search);
const numbers = (key: string, fallback: string): number[] =>
  (params.get(key) ?? fallback).split(',').map(Number);
const worker = new Worker(new URL('./bench-pq.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<PqBenchResult>) => {
  window.pqBenchResult = event.data;
  document.getElementById('result')!.textContent = JSON.stringify(event.data, null, 2);
  worker.terminate();
};
worker.onerror = (event) => {
  window.pqBenchResult = { error: `worker error: ${event.message}` };
};
const request: PqBenchRequest = {
  count: Number(params.get('count') ?? 1_000_000),
  queries: Number(params.get('queries') ?? 30),
  stages: numbers('stages', '32,32,8'),
  rerank: numbers('rerank', '250,1000'),
  // DEPTH or DEPTH@SCAN: exact re-rank depth, and the fast scan's pool (default: rank()'s).
  exactRerank: (params.get('exact') ?? '250,1000').split(',').map((entry) => {
    const [depth, scan = String(PQ_SCAN_POOL)] = entry.split('@');
    return { depth: Number(depth), scan: Number(scan) };
  }),
  trainingSample: Number(params.get('sample') ?? 65_536),
  rotate: ({ true: true, false: false } as const)[params.get('rotate') ?? ''] ?? 'auto',
  partitions: /^\d+$/.test(params.get('partitions') ?? '')
    ? Number(params.get('partitions'))
    : 'auto',
};
worker.postMessage(request);
