import type { WebGpuProbeResult } from './probe-result.js';

const worker = new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<WebGpuProbeResult>) => {
  window.webGpuProbe = event.data;
  document.getElementById('result')!.textContent = JSON.stringify(event.data, null, 2);
  worker.terminate();
};
worker.onerror = (event) => {
  window.webGpuProbe = { adapter: false, reason: `worker error: ${event.message}` };
};
