#!/usr/bin/env node
/**
 * Click → persisted-embedding latency in headless Chromium: the time from `recordClick(adId)` on
 * the page to its promise resolving, which happens once the new profile vector and the click event
 * are committed to IndexedDB by the worker (under the cross-tab Web Lock). Baseline, measured in the
 * same page and run: the floor of that path without PrivAds — a message to a bare module worker
 * that reads and writes a 128-float vector in one IndexedDB transaction and answers when it
 * completes, without and with the Web Lock that makes the read-modify-write safe across tabs.
 *
 * Serves the e2e harness pages with Vite and the catalog with the protocol test server, as the
 * Playwright tests do. Prints JSON: p50/p95/mean of both, and the ratios.
 *
 * Usage: node packages/client/bench/click-latency.mjs [clicks=300]
 */
/* global window, performance, Worker, Blob -- used inside page.evaluate, which runs in the browser */
import { URLSearchParams } from 'node:url';
import { summarize, withBrowserHarness } from './browser-harness.mjs';

const N = Number(process.argv[2] ?? 300);
const WARMUP = 20;

await withBrowserHarness({ webgpu: false }, async ({ harness, browser, load }) => {
  const { buildFixture } = await load('test/support/protocol-fixture.ts');
  const { startProtocolServer } = await load('test/support/protocol-server.ts');
  const protocol = await startProtocolServer(buildFixture({ ads: 1000 }));
  try {
    await measure(harness, browser, protocol);
  } finally {
    await protocol.close();
  }
});

async function measure(harness, browser, protocol) {
  const page = await browser.newPage();
  const params = new URLSearchParams({ server: protocol.url, site: `bench-${Date.now()}` });
  await page.goto(`${harness}/client/index.html?${params}`);
  await page.waitForFunction(() => window.privads !== undefined);

  const samples = await page.evaluate(
    async ({ n, warmup }) => {
      const privads = window.privads;
      const slate = await privads.rank({ slots: 5 });
      await privads.recordImpression(slate);
      const ids = slate.ads.map((ad) => ad.id);
      const click = [];
      for (let i = 0; i < warmup + n; i++) {
        const t0 = performance.now();
        await privads.recordClick(ids[i % ids.length]);
        if (i >= warmup) click.push(performance.now() - t0);
      }
      const exported = await privads.exportProfile();
      if (exported.profile?.updates !== warmup + n)
        throw new Error(`expected ${warmup + n} updates, got ${exported.profile?.updates}`);

      // Message in, (optionally) take a Web Lock, read-modify-write the vector in one transaction, message out.
      const source = `
        const open = indexedDB.open('privads-bench-baseline', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('profile');
        const db = new Promise((resolve) => { open.onsuccess = () => resolve(open.result); });
        const write = async (vector) => {
          const tx = (await db).transaction('profile', 'readwrite');
          const store = tx.objectStore('profile');
          store.get('user').onsuccess = () => store.put(vector, 'user');
          await new Promise((resolve) => { tx.oncomplete = resolve; });
        };
        onmessage = async (event) => {
          if (event.data.locked) await navigator.locks.request('privads-bench-baseline', () => write(event.data.vector));
          else await write(event.data.vector);
          postMessage(0);
        };`;
      const worker = new Worker(
        URL.createObjectURL(new Blob([source], { type: 'text/javascript' })),
        { type: 'module' },
      );
      const baseline = async (locked) => {
        const samples = [];
        for (let i = 0; i < warmup + n; i++) {
          const vector = new Float32Array(128).fill(i);
          const t0 = performance.now();
          await new Promise((resolve) => {
            worker.onmessage = resolve;
            worker.postMessage({ vector, locked });
          });
          if (i >= warmup) samples.push(performance.now() - t0);
        }
        return samples;
      };
      const plain = await baseline(false);
      const locked = await baseline(true);
      worker.terminate();
      return { click, plain, locked };
    },
    { n: N, warmup: WARMUP },
  );

  const click = summarize(samples.click);
  const plain = summarize(samples.plain);
  const locked = summarize(samples.locked);
  console.log(
    JSON.stringify(
      {
        benchmark: 'client-click-to-persisted',
        browser: `chromium ${browser.version()} headless`,
        clicks: N,
        warmup: WARMUP,
        unit: 'ms',
        clickToPersisted: click,
        baselineWorkerIdbWrite: plain,
        baselineWorkerLockedIdbWrite: locked,
        ratioP50: Number((click.p50 / plain.p50).toFixed(2)),
        ratioP95: Number((click.p95 / plain.p95).toFixed(2)),
        ratioToLockedP50: Number((click.p50 / locked.p50).toFixed(2)),
        ratioToLockedP95: Number((click.p95 / locked.p95).toFixed(2)),
        targetP95Ms: 10,
        withinTarget: click.p95 < 10,
      },
      null,
      2,
    ),
  );
}
