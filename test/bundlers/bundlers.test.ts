/**
 * A publisher installs @privads/client and bundles it with Vite, webpack 5 or esbuild, following
 * docs/api.md to the letter (test/bundlers/recipes.ts reads the recipes from there). Each fresh app,
 * built outside the repository from the packed tarballs, must start its worker, fetch no URL that
 * answers 404, rank ads (without and with page text) and keep a click in IndexedDB across a reload.
 * Prints, per app, the JavaScript it downloaded (gzip) and its time to the first rank.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { expect, test, type Page } from '@playwright/test';
import type { Diagnostics, PrivAds, RankResult } from '@privads/client';
import { createNodeEncoder } from '@privads/encoder-node';
import {
  createPrivAdsServer,
  publishCatalog,
  type CatalogAdInput,
  type PrivAdsServer,
} from '@privads/server';

import { buildApp, packClient, type BuiltApp } from './fresh-app.js';
import { BUNDLERS, parseRecipes, type Bundler } from './recipes.js';
import { serveStatic, type StaticSite } from './static-site.js';

declare global {
  interface Window {
    privads?: PrivAds;
    firstRank?: { ms: number; result: RankResult };
  }
}

const ADS_FILE = fileURLToPath(
  new URL('../../examples/news-site/content/ads.jsonl', import.meta.url),
);
const LAPTOP_TEXT =
  'Our reviewer tested twelve laptops: battery life, the speed of the SSD, the keyboard and the screen.';

let workDir: string;
let tarballs: string[];
let dataDir: string;
let api: PrivAdsServer;
let apiUrl: string;
const recipes = parseRecipes();

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // Outside the repository: no workspace, no project .npmrc, nothing hoisted from this checkout.
  workDir = await mkdtemp(join(tmpdir(), 'privads-bundlers-'));
  tarballs = await packClient(join(workDir, 'tarballs'));
  dataDir = await mkdtemp(join(tmpdir(), 'privads-bundlers-server-'));
  api = await createPrivAdsServer({ store: { kind: 'embedded', dataDir } });
  const ads = (await readFile(ADS_FILE, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CatalogAdInput);
  const encoder = await createNodeEncoder();
  try {
    await publishCatalog(api.store, ads, encoder, api.config);
  } finally {
    await encoder.dispose();
  }
  apiUrl = (await api.listen(0)).url;
});

test.afterAll(async () => {
  await api?.close();
  await rm(dataDir, { recursive: true, force: true });
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test('every published package carries a README and the LICENSE', async () => {
  const { execFileSync } = await import('node:child_process');
  for (const tarball of tarballs) {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files, tarball).toEqual(
      expect.arrayContaining(['package/README.md', 'package/LICENSE']),
    );
  }
});

/** Opens the app and waits for its first ranked slate. */
async function openApp(
  page: Page,
  site: StaticSite,
  query: Record<string, string> = {},
): Promise<void> {
  const params = new URLSearchParams({ server: apiUrl, ...query });
  await page.goto(`${site.url}/?${params}`);
  await page.waitForFunction(() => window.firstRank !== undefined, undefined, { timeout: 60_000 });
}

const diagnostics = (page: Page): Promise<Diagnostics> =>
  page.evaluate(() => window.privads!.diagnostics());

/** Gzipped bytes of the JavaScript files the site served (level 9, like the entry-size benchmark). */
function gzipJsBytes(site: StaticSite): number {
  return site.log
    .filter((r) => r.status === 200 && r.body && /\.m?js$/.test(r.path))
    .reduce((sum, r) => sum + gzipSync(r.body!, { level: 9 }).byteLength, 0);
}

/** Builds the app with its docs recipe; no Node-only package may be installed. */
async function build(bundler: Bundler): Promise<BuiltApp> {
  const app = await buildApp(recipes.get(bundler)!, tarballs, workDir);
  for (const step of app.steps) {
    console.log(`  ${bundler}: ${step.command} (${step.seconds.toFixed(1)} s)`);
  }
  expect(existsSync(join(app.dir, 'node_modules/onnxruntime-node'))).toBe(false);
  expect(existsSync(join(app.dir, 'node_modules/@privads/encoder-node'))).toBe(false);
  expect(existsSync(join(app.dist, 'privads/ort-wasm-simd-threaded.wasm'))).toBe(true);
  return app;
}

/** Worker, no 404, rank() with and without text, a click kept across a reload; prints the costs. */
async function checkApp(page: Page, bundler: Bundler, site: StaticSite): Promise<void> {
  const failed: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) failed.push(r.url());
  });
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
  });
  await openApp(page, site);
  const first = await page.evaluate(() => window.firstRank!);
  const firstRankJs = gzipJsBytes(site);
  expect(first.result.ads).toHaveLength(3);
  expect(first.result.source).toBe('prior');
  expect(await diagnostics(page)).toMatchObject({ runtime: 'worker', storage: 'indexeddb' });
  expect(page.workers().length).toBeGreaterThan(0);

  // Page text: the encoder chunk, onnxruntime-web's wasm, the model, the projector and tfjs' wasm.
  const withText = await page.evaluate(
    (text) => window.privads!.rank({ slots: 3, context: { text } }),
    LAPTOP_TEXT,
  );
  expect(withText.source).toBe('context');
  expect(withText.ads).toHaveLength(3);
  const served = (): string[] => site.log.filter((r) => r.status === 200).map((r) => r.path);
  expect(served()).toEqual(
    expect.arrayContaining(['/privads/ort-wasm-simd-threaded.wasm', '/privads/encoder/model.onnx']),
  );
  await expect.poll(() => served().some((p) => /tfjs-backend-wasm/.test(p))).toBe(true);

  const clicked = withText.ads[0]!.id;
  await page.evaluate((id) => window.privads!.recordClick(id), clicked);
  await page.reload();
  await page.waitForFunction(() => window.firstRank !== undefined, undefined, { timeout: 60_000 });
  const profile = await page.evaluate(() => window.privads!.exportProfile());
  expect(profile.events).toEqual(
    expect.arrayContaining([expect.objectContaining({ kind: 'click', adId: clicked })]),
  );
  expect((await diagnostics(page)).profileUpdates).toBeGreaterThanOrEqual(1);

  expect(site.log.filter((r) => r.status === 404).map((r) => r.path)).toEqual([]);
  expect(failed).toEqual([]);
  expect((await diagnostics(page)).missingAssets).toEqual([]);
  expect(warnings.filter((w) => w.includes('PrivAds'))).toEqual([]);
  console.log(
    `  ${bundler}: first rank after ${first.ms.toFixed(0)} ms; JavaScript downloaded (gzip): ${(firstRankJs / 1024).toFixed(1)} KiB to the first rank, ${(gzipJsBytes(site) / 1024).toFixed(1)} KiB in all (with text, click and reload)`,
  );
}

/** With the assets missing: one console warning naming the URL, and diagnostics() lists it. */
async function checkMissingAsset(page: Page, site: StaticSite): Promise<void> {
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await openApp(page, site, { assets: '/nowhere/' });
  const rank = () =>
    page.evaluate((text) => window.privads!.rank({ slots: 3, context: { text } }), LAPTOP_TEXT);
  expect((await rank()).ads).toHaveLength(3);
  const spec = `${site.url}/nowhere/encoder/encoder.json`;
  await expect
    .poll(async () => (await diagnostics(page)).missingAssets.map((a) => a.url))
    .toContain(spec);
  expect((await diagnostics(page)).missingAssets.find((a) => a.url === spec)).toEqual({
    url: spec,
    status: 404,
    neededFor: 'content encoder',
  });
  await expect.poll(() => warnings.filter((w) => w.includes(spec))).toHaveLength(1);
  // Another text does not repeat the warning.
  await rank();
  expect(warnings.filter((w) => w.includes(spec))).toHaveLength(1);
}

for (const bundler of BUNDLERS) {
  test(`${bundler}: the docs recipe builds a fresh app; worker, no 404, rank(), a click kept across a reload; a missing asset is reported`, async ({
    page,
    context,
  }) => {
    const app = await build(bundler);
    const site = await serveStatic(app.dist);
    try {
      await checkApp(page, bundler, site);
      await checkMissingAsset(await context.newPage(), site);
    } finally {
      await site.close();
    }
  });
}
