import type { HarnessRequest, HarnessResponse } from './protocol.js';

const worker = new Worker(new URL('./encoder.worker.ts', import.meta.url), { type: 'module' });
const pending = new Map<number, (response: HarnessResponse) => void>();
let nextId = 1;

worker.onmessage = (event: MessageEvent<HarnessResponse>) => {
  pending.get(event.data.id)?.(event.data);
  pending.delete(event.data.id);
};

window.encoderHarness = (request) =>
  new Promise<HarnessResponse>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ ...request, id } satisfies HarnessRequest);
  });
