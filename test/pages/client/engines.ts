import type { ConformanceReport } from './engines-result.js';

const engine = new URLSearchParams(location.search).get('engine') ?? 'cpu';
const worker = new Worker(new URL('./engines.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<ConformanceReport>) => {
  window.conformance = event.data;
  document.getElementById('result')!.textContent = JSON.stringify(event.data, null, 2);
  worker.terminate();
};
worker.onerror = (event) => {
  window.conformance = {
    engine,
    decisions: [],
    cases: [],
    error: `worker error: ${event.message}`,
  };
};
worker.postMessage(engine);
