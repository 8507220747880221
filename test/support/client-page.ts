/**
 * Helpers for specs that drive the client harness page (`test/pages/client/`).
 */
import { expect, type Page } from '@playwright/test';
import type { RecordedEvent } from '../pages/client/harness.js';

/** Query-string options of the harness page. */
export interface HarnessOptions {
  readonly server: string;
  readonly site?: string;
  readonly engine?: 'auto' | 'webgpu' | 'wasm-simd' | 'cpu';
  readonly storage?: 'indexeddb' | 'memory';
  readonly pqIndex?: 'auto' | 'always' | 'never';
  readonly floor?: Record<string, unknown>;
  readonly policy?: Record<string, unknown>;
  readonly debug?: boolean;
  /** Let the worker join rounds by itself (checks every second); off otherwise, unlike the library's default. */
  readonly autoJoin?: boolean;
  readonly workerUrl?: string;
  /** Content encoder set-up (see test/pages/client/main.ts). */
  readonly encoder?: 'repo' | 'broken' | 'off';
  /** `repo`: serve tfjs' wasm backend binaries from this repository (`assets.tfjsWasmPath`). */
  readonly tfjsWasm?: 'repo';
  /** Load the page without creating the instance; the spec calls `window.startPrivAds()` itself. */
  readonly manual?: boolean;
}

/**
 * Opens the harness and waits for the PrivAds instance to exist (or, with `manual`, for the page).
 * @param page - the page
 * @param options - harness options
 */
export async function openHarness(page: Page, options: HarnessOptions): Promise<void> {
  const params = new URLSearchParams({ server: options.server });
  if (options.site) params.set('site', options.site);
  if (options.engine) params.set('engine', options.engine);
  if (options.storage) params.set('storage', options.storage);
  if (options.pqIndex) params.set('pqIndex', options.pqIndex);
  if (options.floor) params.set('floor', JSON.stringify(options.floor));
  if (options.policy) params.set('policy', JSON.stringify(options.policy));
  if (options.workerUrl) params.set('workerUrl', options.workerUrl);
  if (options.debug) params.set('debug', '1');
  if (options.autoJoin) params.set('autoJoin', '1');
  if (options.encoder) params.set('encoder', options.encoder);
  if (options.tfjsWasm) params.set('tfjsWasm', options.tfjsWasm);
  if (options.manual) params.set('manual', '1');
  await page.goto(`/client/index.html?${params}`);
  if (options.manual) await page.waitForFunction(() => typeof window.startPrivAds === 'function');
  else await page.waitForFunction(() => window.privads !== undefined);
}

/** @returns every event the page's instance emitted so far */
export function events(page: Page): Promise<RecordedEvent[]> {
  return page.evaluate(() => window.privadsEvents);
}

/** Fails the test if anything reached the page as an uncaught error or rejection. */
export async function expectNoPageErrors(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.pageErrors)).toEqual([]);
}

/** Worker script of the harness that makes IndexedDB writes fail with `QuotaExceededError` on demand. */
export const QUOTA_FAULT_WORKER = '/client/quota-fault.worker.ts';

/**
 * Makes every later IndexedDB write of the quota-fault worker fail, and waits until it does.
 * @param page - a harness page opened with `workerUrl: QUOTA_FAULT_WORKER`
 */
export async function injectQuotaFailure(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const channel = new BroadcastChannel('privads-test:quota');
        channel.onmessage = () => {
          channel.close();
          resolve();
        };
        channel.postMessage('fail');
      }),
  );
}
