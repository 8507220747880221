import { expect, test, type Page } from '@playwright/test';
import { buildFixture, roundConfig, type Fixture } from './support/protocol-fixture.js';
import { startProtocolServer, type ProtocolServer } from './support/protocol-server.js';
import {
  events,
  expectNoPageErrors,
  injectQuotaFailure,
  openHarness,
  QUOTA_FAULT_WORKER,
} from './support/client-page.js';

let fixture: Fixture;
let server: ProtocolServer;

test.beforeAll(async () => {
  fixture = buildFixture({ ads: 200 });
  server = await startProtocolServer(fixture);
});
test.afterAll(async () => server.close());

/** A fresh site scope per test, so tests never share a database. */
const scope = (): string => `t${test.info().testId}-${Date.now()}`;

/** Ranks, records the slate as shown, and returns its ad ids. */
async function showSlate(page: Page, slots = 4): Promise<string[]> {
  return page.evaluate(async (n) => {
    const result = await window.privads!.rank({ slots: n });
    await window.privads!.recordImpression(result);
    return result.ads.map((a) => a.id);
  }, slots);
}

const profileOf = (page: Page) =>
  page.evaluate(async () => (await window.privads!.exportProfile()).profile);

test('ranks in a module worker before anything is learned', async ({ page }) => {
  await openHarness(page, { server: server.url, site: scope() });
  const result = await page.evaluate(() => window.privads!.rank({ slots: 3 }));
  expect(result).toMatchObject({
    source: 'prior',
    personalised: false,
    // auto: the WASM SIMD engine where its start-up probe measures it faster, else the CPU engine.
    engine: expect.stringMatching(/^(wasm-simd|cpu)$/),
    catalogVersion: 1,
  });
  expect(result.ads).toHaveLength(3);
  expect(result.ads[0]?.why.code).toBe('prior');
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    runtime: 'worker',
    storage: 'indexeddb',
  });
  await expect
    .poll(async () => (await events(page)).find((e) => e.type === 'ready')?.detail)
    .toMatchObject({ runtime: 'worker' });
  await expectNoPageErrors(page);
});

test('a click changes the embedding and it survives a reload', async ({ page }) => {
  const site = scope();
  await openHarness(page, { server: server.url, site });
  const slate = await showSlate(page);
  expect(await profileOf(page)).toBeUndefined();
  await page.evaluate((id) => window.privads!.recordClick(id), slate[1] as string);
  const after = await profileOf(page);
  expect(after?.updates).toBe(1);
  expect(after?.vector).toHaveLength(128);

  await page.reload();
  await page.waitForFunction(() => window.privads !== undefined);
  const reloaded = await profileOf(page);
  expect(reloaded?.vector).toEqual(after?.vector);
  expect(reloaded?.updates).toBe(1);
  const ranked = await page.evaluate(() => window.privads!.rank({ slots: 3 }));
  expect(ranked).toMatchObject({ source: 'profile', personalised: true });
  await expectNoPageErrors(page);
});

test('two tabs clicking at the same time lose no update', async ({ context }) => {
  const site = scope();
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) await openHarness(tab, { server: server.url, site });
  const slates = await Promise.all(tabs.map((tab) => showSlate(tab, 5)));
  const perTab = 15;
  await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(
        ({ ids, n }) =>
          Promise.all(
            Array.from({ length: n }, (_, i) =>
              window.privads!.recordClick(ids[i % ids.length] as string),
            ),
          ),
        { ids: slates[t] as string[], n: perTab },
      ),
    ),
  );
  for (const tab of tabs) {
    const exported = await tab.evaluate(() => window.privads!.exportProfile());
    expect(exported.profile?.updates).toBe(2 * perTab);
    expect(exported.events.filter((e) => e.kind === 'click')).toHaveLength(2 * perTab);
  }
  // Each tab heard about the other's writes over the BroadcastChannel.
  await expect
    .poll(async () =>
      Math.max(
        ...(await events(tabs[0]!))
          .filter((e) => e.type === 'profile')
          .map((e) => (e.detail as { revision: number }).revision),
      ),
    )
    .toBe(2 * perTab);
  for (const tab of tabs) await expectNoPageErrors(tab);
});

test('a storage quota failure falls back to memory without an exception reaching the page', async ({
  page,
}) => {
  await openHarness(page, { server: server.url, site: scope(), workerUrl: QUOTA_FAULT_WORKER });
  await showSlate(page);
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    runtime: 'worker',
    storage: 'indexeddb',
  });
  await injectQuotaFailure(page);
  const slate = await showSlate(page);
  await page.evaluate((id) => window.privads!.recordClick(id), slate[0] as string);
  await expect
    .poll(async () => (await events(page)).find((e) => e.type === 'fallback')?.detail)
    .toMatchObject({
      what: 'storage',
      reason: expect.stringMatching(/STORAGE_QUOTA/),
    });
  // The session goes on in memory: the click was learned, ranking works, uploads are refused.
  expect((await profileOf(page))?.updates).toBe(1);
  expect((await page.evaluate(() => window.privads!.rank({ slots: 2 }))).source).toBe('profile');
  expect(await page.evaluate(() => window.privads!.flush())).toMatchObject({
    reason: 'storage-unavailable',
  });
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    storage: 'memory',
  });
  await expectNoPageErrors(page);
});

test('a database from a newer version falls back to memory', async ({ page }) => {
  const site = scope();
  await page.goto('/client/index.html?server=http://127.0.0.1:1');
  await page.evaluate(
    (name) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(name, 99);
        open.onsuccess = () => {
          open.result.close();
          resolve();
        };
        open.onerror = () => reject(open.error);
      }),
    `privads:${site}`,
  );
  await openHarness(page, { server: server.url, site });
  expect((await page.evaluate(() => window.privads!.rank({ slots: 2 }))).ads).toHaveLength(2);
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    storage: 'memory',
  });
  expect((await events(page)).find((e) => e.type === 'fallback')?.detail).toMatchObject({
    what: 'storage',
  });
  await expectNoPageErrors(page);
});

test('an upgrade blocked by another connection falls back to memory after a timeout', async ({
  page,
}) => {
  const site = scope();
  await openHarness(page, { server: server.url, site, manual: true });
  // A v1 connection that never closes (no onversionchange handler) blocks the upgrade to v2.
  await page.evaluate(
    (name) =>
      new Promise<void>((resolve) => {
        const open = indexedDB.open(name, 1);
        open.onupgradeneeded = () => open.result.createObjectStore('profile');
        open.onsuccess = () => {
          (window as unknown as { held: IDBDatabase }).held = open.result;
          resolve();
        };
      }),
    `privads:${site}`,
  );
  await page.evaluate(() => window.startPrivAds());
  expect((await page.evaluate(() => window.privads!.rank({ slots: 2 }))).ads).toHaveLength(2);
  expect((await events(page)).find((e) => e.type === 'fallback')?.detail).toMatchObject({
    what: 'storage',
    reason: expect.stringMatching(/STORAGE_BLOCKED/),
  });
  await expectNoPageErrors(page);
});

test('a version-1 database is migrated to the current schema and keeps the profile', async ({
  page,
}) => {
  const site = scope();
  await page.goto('/client/index.html?server=http://127.0.0.1:1');
  await page.evaluate(
    (name) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(name, 1);
        open.onupgradeneeded = () => {
          const db = open.result;
          db.createObjectStore('profile');
          db.createObjectStore('events', { autoIncrement: true }).createIndex('t', 't');
          db.createObjectStore('settings');
          db.createObjectStore('ledger', { keyPath: 'id', autoIncrement: true });
          db.createObjectStore('outbox', { keyPath: 'roundId' });
          db.createObjectStore('blobs', { keyPath: ['kind', 'version'] }).createIndex(
            'kind',
            'kind',
          );
          const u = new Float32Array(128);
          u[0] = 1;
          open
            .transaction!.objectStore('profile')
            .put({ vector: u, updates: 3, revision: 3, updatedAt: 0 }, 'user');
        };
        open.onsuccess = () => {
          open.result.close();
          resolve();
        };
        open.onerror = () => reject(open.error);
      }),
    `privads:${site}`,
  );
  await openHarness(page, { server: server.url, site });
  expect((await profileOf(page))?.updates).toBe(3);
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    storage: 'indexeddb',
  });
  const migrated = await page.evaluate(
    (name) =>
      new Promise<{ version: number; stores: string[] }>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => {
          const db = open.result;
          resolve({ version: db.version, stores: Array.from(db.objectStoreNames) });
          db.close();
        };
        open.onerror = () => reject(open.error);
      }),
    `privads:${site}`,
  );
  // Every step ran: version 2's ledger index, version 3's store of cached downloads' parts.
  expect(migrated.version).toBe(3);
  expect(migrated.stores).toContain('blobParts');
});

test('rank falls back to the house ads when the server cannot be reached', async ({ page }) => {
  await openHarness(page, { server: 'http://127.0.0.1:9', site: scope() });
  const result = await page.evaluate(() => window.privads!.rank({ slots: 2 }));
  expect(result).toMatchObject({ source: 'fallback', personalised: false });
  expect(result.ads.map((a) => a.id)).toEqual(['house-1']);
  expect(result.ads[0]?.why.code).toBe('fallback');
  expect(
    (await events(page)).some(
      (e) => e.type === 'fallback' && (e.detail as { what: string }).what === 'catalog',
    ),
  ).toBe(true);
  await expectNoPageErrors(page);
});

test('without a loadable worker script the page ranks in-page, unpersonalised', async ({
  page,
}) => {
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await openHarness(page, {
    server: server.url,
    site: scope(),
    workerUrl: '/client/does-not-exist.js',
  });
  const result = await page.evaluate(() => window.privads!.rank({ slots: 3 }));
  expect(result.ads).toHaveLength(3);
  expect(result.personalised).toBe(false);
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    runtime: 'main-thread',
    storage: 'memory',
  });
  expect((await events(page)).find((e) => e.type === 'fallback')?.detail).toMatchObject({
    what: 'worker',
  });
  // The ready event says where PrivAds runs, like diagnostics().
  await expect
    .poll(async () => (await events(page)).find((e) => e.type === 'ready')?.detail)
    .toMatchObject({ runtime: 'main-thread', missingAssets: [] });
  // One console warning names the script that could not start.
  expect(warnings.filter((w) => w.includes('/client/does-not-exist.js'))).toHaveLength(1);
  expect(await page.evaluate(() => window.privads!.flush())).toMatchObject({
    reason: 'unavailable',
  });
  await expectNoPageErrors(page);
});

const databaseNames = (page: Page): Promise<string[]> =>
  page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));

test('forget() keeps only the participation stub in IndexedDB, which survives a reload', async ({
  page,
}) => {
  const site = scope();
  server.handler.round = roundConfig(fixture, { roundId: 4 });
  const uploadsBefore = server.handler.uploads.length;
  // A central round: the publisher opts in below the default `distributed` floor.
  await openHarness(page, { server: server.url, site, floor: { minimumMode: 'central' } });
  const slate = await showSlate(page);
  await page.evaluate((id) => window.privads!.recordClick(id), slate[0] as string);
  expect(await page.evaluate(() => window.privads!.flush())).toMatchObject({ status: 'uploaded' });
  const spent = (await page.evaluate(() => window.privads!.privacyReport())).epsilonSpent;

  await page.evaluate(() => window.privads!.forget());
  await page.reload();
  await page.waitForFunction(() => window.privads !== undefined);
  expect(await profileOf(page)).toBeUndefined();
  expect(await page.evaluate(() => window.privads!.privacyReport())).toMatchObject({
    participations: 1,
    epsilonSpent: spent,
    uploads: [],
  });
  expect(await page.evaluate(() => window.privads!.flush())).toMatchObject({
    status: 'skipped',
    reason: 'already-participated',
  });
  expect(server.handler.uploads.length - uploadsBefore).toBe(1);
  server.handler.round = undefined;
  await expectNoPageErrors(page);
});

test('forget({ everything: true }) deletes the IndexedDB database itself; the instance keeps working and re-creates it', async ({
  page,
}) => {
  const site = scope();
  const name = `privads:${site}`;
  await openHarness(page, { server: server.url, site });
  const slate = await showSlate(page);
  await page.evaluate((id) => window.privads!.recordClick(id), slate[0] as string);
  expect(await databaseNames(page)).toContain(name);

  await page.evaluate(() => window.privads!.forget({ everything: true }));
  expect(await databaseNames(page)).not.toContain(name);
  // Reads answer empty without re-creating it.
  expect(await profileOf(page)).toBeUndefined();
  expect((await page.evaluate(() => window.privads!.privacyReport())).uploads).toEqual([]);
  expect(await databaseNames(page)).not.toContain(name);

  // The next interaction persists again, in a new database.
  const again = await showSlate(page);
  await page.evaluate((id) => window.privads!.recordClick(id), again[1] as string);
  expect(await databaseNames(page)).toContain(name);
  expect(await page.evaluate(() => window.privads!.diagnostics())).toMatchObject({
    storage: 'indexeddb',
  });
  await page.reload();
  await page.waitForFunction(() => window.privads !== undefined);
  expect((await profileOf(page))?.updates).toBe(1);
  expect((await events(page)).filter((e) => e.type === 'error')).toEqual([]);
  await expectNoPageErrors(page);
});

test('forget({ everything: true }) in one tab is not blocked by another tab, which carries on with an empty profile', async ({
  context,
}) => {
  const site = scope();
  const name = `privads:${site}`;
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const tab of [a, b]) await openHarness(tab, { server: server.url, site });
  const slate = await showSlate(b);
  await b.evaluate((id) => window.privads!.recordClick(id), slate[0] as string);

  await a.evaluate(() => window.privads!.forget({ everything: true }));
  expect(await databaseNames(a)).not.toContain(name);
  expect((await events(a)).filter((e) => e.type === 'error')).toEqual([]);
  await expect.poll(() => profileOf(b)).toBeUndefined();
  // Tab b neither fell back to memory nor lost its ability to persist.
  expect((await events(b)).filter((e) => e.type === 'fallback')).toEqual([]);
  const next = await showSlate(b);
  await b.evaluate((id) => window.privads!.recordClick(id), next[0] as string);
  expect((await profileOf(b))?.updates).toBe(1);
  expect(await databaseNames(b)).toContain(name);
  for (const tab of [a, b]) await expectNoPageErrors(tab);
});

test('a catalog with pq8 content ranks, learns from the bundle alone and uploads in the worker', async ({
  page,
}) => {
  // More ads than centroids per sub-space: the codes are lossy, and the bundle carries no f16 rows.
  const coded = buildFixture({ ads: 400, contentEncoding: 'pq8' });
  const codedServer = await startProtocolServer(coded);
  try {
    codedServer.handler.round = roundConfig(coded, { clipNorm: 1e6, acceptedEncodings: ['f32'] });
    await openHarness(page, {
      server: codedServer.url,
      site: scope(),
      floor: { minimumMode: 'central' },
    });
    const slate = await showSlate(page);
    expect(slate).toHaveLength(4);
    await page.evaluate((id) => window.privads!.recordClick(id), slate[0] as string);
    expect(await page.evaluate(() => window.privads!.flush())).toMatchObject({
      status: 'uploaded',
    });
    const [upload] = codedServer.handler.uploads;
    const vector = Array.from(upload?.update.vector ?? []);
    expect(vector).toHaveLength(coded.parameterCount);
    expect(vector.every(Number.isFinite)).toBe(true);
    expect(Math.hypot(...vector)).toBeGreaterThan(0);
    expect((await events(page)).filter((e) => e.type === 'fallback' || e.type === 'error')).toEqual(
      [],
    );
    // The clicked slate's content came from the bundle downloaded whole: no request names an ad.
    const paths = codedServer.handler.requests
      .filter((r) => r.method !== 'OPTIONS')
      .map((r) => `${r.method} ${r.path}`);
    expect(new Set(paths)).toEqual(
      new Set([
        'GET /v1/catalog/latest',
        'GET /v1/projector/1',
        'GET /v1/round',
        'POST /v1/rounds/1/updates',
      ]),
    );
    await expectNoPageErrors(page);
  } finally {
    await codedServer.close();
  }
});
