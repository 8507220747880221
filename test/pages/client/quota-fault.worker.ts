/// <reference lib="webworker" />
/**
 * The real PrivAds worker, plus a fault switch for tests: after a message on the
 * `privads-test:quota` channel, every IndexedDB write throws `QuotaExceededError`, as a full disk
 * does. (Chromium here ignores the DevTools quota override, so the failure is injected.)
 */
import '../../../packages/client/src/privads.worker.js';

let failing = false;
const channel = new BroadcastChannel('privads-test:quota');
channel.onmessage = () => {
  failing = true;
  channel.postMessage('armed');
};

for (const method of ['put', 'add'] as const) {
  const original = IDBObjectStore.prototype[method];
  IDBObjectStore.prototype[method] = function (
    this: IDBObjectStore,
    ...args: Parameters<IDBObjectStore['put']>
  ) {
    if (failing)
      throw new DOMException('the quota is exceeded (injected by the test)', 'QuotaExceededError');
    return original.apply(this, args);
  };
}
