import type { MaskBenchResult } from './bench-mask-result.js';

const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./bench-mask.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<MaskBenchResult>) => {
  window.maskBenchResult = event.data;
  document.getElementById('result')!.textContent = JSON.stringify(event.data, null, 2);
  worker.terminate();
};
worker.onerror = (event) => {
  window.maskBenchResult = { error: `worker error: ${event.message}`, rows: [] };
};
worker.postMessage({
  iterations: Number(params.get('iterations') ?? 5),
  neighbours: Number(params.get('neighbours') ?? 32),
});
