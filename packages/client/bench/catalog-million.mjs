#!/usr/bin/env node
/**
 * A million ads end to end: a real PrivAds server imports a synthetic clustered catalog
 * (`createClusteredEmbeddings` of @privads/sim as its content encoder's output, 384-d) the way
 * `catalog import` does — content coded (`pq8`) because f16 rows would not fit the readers' limit,
 * projected, its PQ index built — and serves it; then a reader's page in headless Chromium starts
 * `createPrivAds` against it and ranks. Measures the import's stages, the bytes on the wire, the
 * time from the page's start to its first personalised-path `rank()` (catalog download, decode,
 * index, the device's timing of index against exact), `rank()` latency afterwards, a learning
 * step (click, then `flush()` into an open central round), and a reload's first `rank()` (catalog
 * and index read from IndexedDB). Baseline, in the same page and run: a
 * bare `fetch` of the same catalog and index bytes (what no library can be faster than).
 *
 * Usage: node --max-old-space-size=12288 packages/client/bench/catalog-million.mjs [count=1000000]
 *   [queries=30]
 */
/* global window, performance, fetch -- used inside page.evaluate, which runs in the browser */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URLSearchParams } from 'node:url';
import { createClusteredEmbeddings } from '@privads/sim';
import { createPrivAdsServer, publishCatalog, resolveConfig } from '@privads/server';
import { summarize, withBrowserHarness } from './browser-harness.mjs';

const [count = 1_000_000, queries = 30] = process.argv.slice(2).map(Number);
const dim = 384;
const config = resolveConfig({
  round: {
    privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
    kMin: 2,
    participation: { samplingProbability: 1 },
  },
});
const { ads: vectors } = createClusteredEmbeddings({ count, queries: 0, dim, seed: 7 });
/** The synthetic vectors as a content encoder's output, in the catalog's order. */
const encoder = {
  id: 'bench-clustered-384',
  dim,
  async encode(texts) {
    if (texts.length !== count) throw new Error(`expected ${count} texts, got ${texts.length}`);
    return vectors;
  },
  async dispose() {},
};
const ads = Array.from({ length: count }, (_, i) => ({
  id: `ad-${i}`,
  title: `Offer number ${i} from a shop`,
  text: `Offer number ${i}`,
  url: `https://advertiser-${i % 5000}.example/offers/${i}`,
  advertiser: `advertiser-${i % 5000}`,
  category: `category-${i % 40}`,
}));

const dir = await mkdtemp(join(tmpdir(), 'privads-million-'));
const server = await createPrivAdsServer({
  store: { kind: 'embedded', dataDir: dir },
  config,
  operatorToken: 'bench-operator-token-0123456789',
});
try {
  const stages = {};
  let stage = '';
  let started = performance.now();
  const progress = (name) => () => {
    if (stage !== name) {
      stage = name;
      started = performance.now();
    }
    stages[name] = Math.round(performance.now() - started);
  };
  const t0 = performance.now();
  const info = await publishCatalog(
    server.store,
    ads,
    encoder,
    config,
    { onProgress: progress('pqIndexMs') },
    { onProgress: progress('contentCodesMs') },
  );
  const importMs = Math.round(performance.now() - t0);
  const { url } = await server.listen(0);
  const latest = await fetch(`${url}/v1/catalog/latest`, { method: 'HEAD' });
  const catalogHeaders = Object.fromEntries(latest.headers);

  const result = await withBrowserHarness({ webgpu: false }, async ({ harness, browser }) => {
    const page = await browser.newPage();
    const params = new URLSearchParams({
      server: url,
      site: `bench-${Date.now()}`,
      floor: JSON.stringify({ minimumMode: 'central' }),
    });
    // Baseline first (a cold fetch of the same bytes), then the library on a fresh page.
    await page.goto(`${harness}/client/index.html?server=http://127.0.0.1:1&site=baseline`);
    const bare = await page.evaluate(async (base) => {
      const t = performance.now();
      const catalog = await fetch(`${base}/v1/catalog/latest`, { credentials: 'omit' });
      const bytes = (await catalog.arrayBuffer()).byteLength;
      const index = catalog.headers.get('privads-pq-index');
      const indexBytes = index
        ? (await (await fetch(`${base}${index}`, { credentials: 'omit' })).arrayBuffer()).byteLength
        : 0;
      return { ms: performance.now() - t, bytes, indexBytes };
    }, url);
    const start = performance.now();
    await page.goto(`${harness}/client/index.html?${params}`);
    await page.waitForFunction(() => window.privads !== undefined);
    const first = await page.evaluate(async () => {
      const r = await window.privads.rank({ slots: 10 });
      return { engine: r.engine, count: r.ads.length, at: performance.now() };
    });
    const firstRankMs = performance.now() - start;
    const timed = await page.evaluate(async (n) => {
      const samples = [];
      let last;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        last = await window.privads.rank({ slots: 10 });
        samples.push(performance.now() - t);
      }
      await window.privads.recordImpression(last);
      await window.privads.recordClick(last.ads[0].id);
      const t = performance.now();
      const flushed = await window.privads.flush();
      return {
        samples,
        flush: { status: flushed.status, reason: flushed.reason, ms: performance.now() - t },
        diagnostics: await window.privads.diagnostics(),
        errors: window.pageErrors,
        events: window.privadsEvents
          .filter((e) => e.type === 'error' || e.type === 'fallback')
          .map((e) => e.detail),
      };
    }, queries);
    // A later page load: the catalog and its index come from IndexedDB (cached in parts).
    const reloadStart = performance.now();
    await page.reload();
    await page.waitForFunction(() => window.privads !== undefined);
    const reloaded = await page.evaluate(async () => {
      const r = await window.privads.rank({ slots: 10 });
      return {
        engine: r.engine,
        catalogVersion: r.catalogVersion,
        errors: window.privadsEvents.filter((e) => e.type === 'error' || e.type === 'fallback'),
      };
    });
    const reloadRankMs = performance.now() - reloadStart;
    return { bare, first, firstRankMs, ...timed, reloaded, reloadRankMs };
  });
  const mb = (b) => +(b / 1e6).toFixed(1);
  console.log(
    JSON.stringify(
      {
        benchmark: 'catalog-million',
        count,
        import: { ms: importMs, ...stages, pqIndex: info.pqIndex },
        wire: {
          catalogMB: mb(result.bare.bytes),
          catalogContentLength: catalogHeaders['content-length'],
          indexMB: mb(result.bare.indexBytes),
        },
        bareFetchMs: Math.round(result.bare.ms),
        firstRankMs: Math.round(result.firstRankMs),
        firstRankToBareFetch: +(result.firstRankMs / result.bare.ms).toFixed(2),
        firstEngine: result.first.engine,
        reloadRankMs: Math.round(result.reloadRankMs),
        reloadRankToBareFetch: +(result.reloadRankMs / result.bare.ms).toFixed(2),
        reloaded: result.reloaded,
        rankMs: summarize(result.samples),
        flush: result.flush,
        ranking: result.diagnostics.ranking,
        pageErrors: result.errors,
        errorEvents: result.events,
      },
      null,
      2,
    ),
  );
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
