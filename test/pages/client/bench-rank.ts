import type { RankBenchResult } from './bench-rank-result.js';

const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./bench-rank.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<RankBenchResult>) => {
  window.benchResult = event.data;
  document.getElementById('result')!.textContent = JSON.stringify(event.data, null, 2);
  worker.terminate();
};
worker.onerror = (event) => {
  window.benchResult = { error: `worker error: ${event.message}`, rows: [] };
};
worker.postMessage({
  sizes: (params.get('sizes') ?? '10000,100000').split(',').map(Number),
  engines: (params.get('engines') ?? 'cpu,webgpu').split(','),
  iterations: Number(params.get('iterations') ?? 30),
  k: Number(params.get('k') ?? 10),
});
