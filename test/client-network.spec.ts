/**
 * Network audit of a page that uses `@privads/client`: every request the browser makes (page and
 * worker) is recorded, and the test server decodes every upload. Nothing may leave but the
 * catalog, round and projector GETs and at most one update POST per round; no cookie, no
 * referrer, no field besides the protocol's; nothing at all while paused or once the budget is spent.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import {
  adListChecksum,
  decodeUpdate,
  encodeUpdate,
  NONCE_PATTERN,
  updateVectorLength,
  type RoundConfig,
} from '@privads/protocol';
import {
  buildFixture,
  roundConfig,
  TEST_PRIVACY,
  type Fixture,
} from './support/protocol-fixture.js';
import type { RecordedRequest } from './support/protocol-handler.js';
import {
  PROTOCOL_REQUESTS,
  auditBrowserTraffic,
  uploadedCounts,
  captureTraffic,
  type SeenRequest,
} from './support/traffic-audit.js';
import { startProtocolServer, type ProtocolServer } from './support/protocol-server.js';
import {
  events,
  expectNoPageErrors,
  openHarness,
  type HarnessOptions,
} from './support/client-page.js';

let fixture: Fixture;
let server: ProtocolServer;

test.beforeAll(() => {
  fixture = buildFixture({ ads: 120 });
});
test.beforeEach(async () => {
  server = await startProtocolServer(fixture);
});
test.afterEach(async () => server.close());

/** A fresh site scope per test, so tests never share a database. */
const scope = (): string => `net${test.info().testId}-${Date.now()}`;

/** Central rounds (the fixture's default) need the publisher's opt-in: the default floor is `distributed`. */
const CENTRAL_FLOOR = { minimumMode: 'central' };

/** Headers a browser may add to a private request; anything else would be a field PrivAds added. */
const STANDARD_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'content-type',
  'origin',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'pragma',
  'cache-control',
  'if-none-match',
  'if-modified-since',
  'priority',
]);

/** A cookie on the server's host: sent along if any request ever included credentials. */
async function plantCookie(context: BrowserContext): Promise<void> {
  await context.addCookies([
    { name: 'reader', value: 'tracking-id-42', domain: '127.0.0.1', path: '/' },
  ]);
}

/** Ranks, records the impression, clicks `clicks` ads of the slate. */
async function session(page: Page, clicks: number): Promise<void> {
  await page.evaluate(async (n) => {
    const result = await window.privads!.rank({ slots: 5 });
    await window.privads!.recordImpression(result);
    for (let i = 0; i < n; i++)
      await window.privads!.recordClick(result.ads[i % result.ads.length]!.id);
  }, clicks);
}

const flush = (page: Page) => page.evaluate(() => window.privads!.flush());

/** Checks every request the browser made; returns the ones that went to the PrivAds server. */
const audit = (seen: readonly SeenRequest[], page: Page): SeenRequest[] =>
  auditBrowserTraffic(
    seen,
    { page: new URL(page.url()).origin, server: server.url },
    PROTOCOL_REQUESTS,
  );

/** Checks what the server received: the same requests, no cookie, no referrer, only standard headers. */
function auditServerSide(requests: readonly RecordedRequest[]): void {
  for (const request of requests) {
    const where = `${request.method} ${request.path}`;
    expect(request.headers['cookie'], where).toBeUndefined();
    expect(request.headers['referer'], where).toBeUndefined();
    if (request.method === 'OPTIONS') continue;
    expect(
      PROTOCOL_REQUESTS.some((a) => a.method === request.method && a.path.test(request.path)),
      where,
    ).toBe(true);
    for (const name of Object.keys(request.headers))
      expect(STANDARD_HEADERS.has(name), `${where}: header ${name}`).toBe(true);
  }
}

/**
 * Decodes one upload and checks that it is exactly an update of the protocol: re-encoding the
 * decoded header and vector gives back the same bytes, so nothing else is in the body.
 */
function decodeExactly(body: Uint8Array, round: RoundConfig) {
  const decoded = decodeUpdate(body, {
    expectedLength: updateVectorLength(round),
    maxBytes: round.maxUploadBytes,
  });
  const { header, vector } = decoded;
  if (header.encoding === 'masked') throw new Error('masked uploads are not audited here');
  expect(Object.keys(header).sort()).toEqual(
    [
      'encoding',
      'length',
      'nonce',
      'projectorVersion',
      'roundId',
      ...(header.encoding === 'int8' ? ['scale'] : []),
    ].sort(),
  );
  expect(header).toMatchObject({
    roundId: round.roundId,
    projectorVersion: round.projectorVersion,
    length: updateVectorLength(round),
  });
  expect(header.nonce).toMatch(NONCE_PATTERN);
  if (header.encoding === 'f32' || header.encoding === 'f16') {
    // int8 rounds stochastically, so only the deterministic encodings can be compared byte for byte.
    const again = encodeUpdate(
      { roundId: header.roundId, projectorVersion: header.projectorVersion, vector },
      { encoding: header.encoding, nonce: header.nonce },
    );
    expect(Buffer.from(again).equals(Buffer.from(body))).toBe(true);
  }
  return decoded;
}

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

interface NormsEvent {
  readonly kind: 'update-norms';
  readonly roundId: number;
  readonly preClipNorm: number;
  readonly clippedNorm: number;
  readonly clipNorm: number;
  readonly clientSigma: number;
}

async function normsOf(page: Page, roundId: number): Promise<NormsEvent> {
  const all = (await events(page))
    .filter((e) => e.type === 'debug')
    .map((e) => e.detail as NormsEvent);
  const found = all.find((d) => d.kind === 'update-norms' && d.roundId === roundId);
  expect(found, `debug update-norms of round ${roundId}`).toBeDefined();
  return found as NormsEvent;
}

test('a session sends only the protocol: catalog, round, projector, one clipped and noised update per round', async ({
  page,
  context,
}) => {
  await plantCookie(context);
  const seen = captureTraffic(context);
  const site = scope();
  const round1 = roundConfig(fixture, { roundId: 1, privacy: TEST_PRIVACY.local, clipNorm: 1 });
  server.handler.round = round1;
  await openHarness(page, {
    server: server.url,
    site,
    debug: true,
    floor: { minimumMode: 'central' },
  });

  await session(page, 3);
  await page.evaluate(() => window.privads!.recordHide('ad-7'));
  const topic = Array.from(fixture.topicCenters[2] as Float32Array);
  await page.evaluate((v) => window.privads!.recordRead(v, 5000), topic);
  expect(await flush(page)).toMatchObject({ status: 'uploaded', roundId: 1 });
  // A second flush in the same round asks for the round config, and sends nothing.
  expect(await flush(page)).toMatchObject({ status: 'skipped', reason: 'already-participated' });

  const round2 = roundConfig(fixture, { roundId: 2, privacy: TEST_PRIVACY.central, clipNorm: 0.5 });
  server.handler.round = round2;
  await session(page, 2);
  expect(await flush(page)).toMatchObject({ status: 'uploaded', roundId: 2 });

  // Browser side: nothing but the protocol's requests, to the PrivAds server only.
  const toServer = audit(seen, page);
  const posts = toServer.filter((r) => r.method === 'POST').map((r) => r.url.pathname);
  expect(posts).toEqual(['/v1/rounds/1/updates', '/v1/rounds/2/updates']);
  // Server side: the same POSTs arrived (so the worker's requests were captured above), and no more.
  auditServerSide(server.handler.requests);
  expect(server.handler.browserRequests.filter((r) => r.method === 'POST')).toHaveLength(2);
  expect(server.handler.uploads.map((u) => u.roundId)).toEqual([1, 2]);

  const [upload1, upload2] = server.handler.browserRequests.filter((r) => r.method === 'POST') as [
    RecordedRequest,
    RecordedRequest,
  ];
  const first = decodeExactly(upload1.body, round1);
  const second = decodeExactly(upload2.body, round2);
  expect(first.header.nonce).not.toBe(second.header.nonce);

  // Nothing identifying or profile-like in the bytes: no site, ad ids, cookie; the vector is the model's size, not the profile's.
  for (const body of [upload1.body, upload2.body]) {
    const text = Buffer.from(body).toString('latin1');
    for (const needle of [site, 'ad-', 'advertiser', 'tracking-id-42', '127.0.0.1'])
      expect(text).not.toContain(needle);
  }
  expect(first.vector.length).toBe(fixture.parameterCount);
  expect(fixture.parameterCount).not.toBe(128);

  // Local mode: ‖clip(g) + N(0, σ²I)‖² concentrates at ‖clip(g)‖² + σ²d (sd σ²√(2d) + 2σ‖clip(g)‖).
  const n1 = await normsOf(page, 1);
  expect(n1.clippedNorm).toBeLessThanOrEqual(round1.clipNorm * (1 + 1e-6));
  expect(n1.preClipNorm).toBeGreaterThan(0);
  expect(n1.clientSigma).toBe((round1.privacy as { sigma: number }).sigma);
  const d = fixture.parameterCount;
  const sigma = n1.clientSigma;
  const expected = n1.clippedNorm ** 2 + sigma ** 2 * d;
  const sd = sigma ** 2 * Math.sqrt(2 * d) + 2 * sigma * n1.clippedNorm;
  expect(Math.abs(norm(first.vector) ** 2 - expected)).toBeLessThan(
    6 * sd + expected * 2e-3 /* f16 rounding */,
  );

  // Central mode: no client noise, so the decoded vector itself is within the clip norm.
  const n2 = await normsOf(page, 2);
  expect(n2.clientSigma).toBe(0);
  expect(norm(second.vector)).toBeLessThanOrEqual(round2.clipNorm);
  expect(norm(second.vector)).toBeCloseTo(n2.clippedNorm, 2);
  await expectNoPageErrors(page);
});

test('a round with per-ad counts: the upload appends exactly the bounded impressions and clicks, nothing else', async ({
  page,
  context,
}) => {
  const seen = captureTraffic(context);
  const counts = {
    catalogVersion: fixture.catalogVersion,
    adCount: fixture.ads.length,
    adsChecksum: adListChecksum(fixture.ads.map((ad) => ad.id)),
    maxImpressions: 8,
    maxClicks: 2,
    scale: 0.25 / Math.hypot(8, 2),
  };
  const round = roundConfig(fixture, { roundId: 11, privacy: TEST_PRIVACY.central, counts });
  server.handler.round = round;
  await openHarness(page, { server: server.url, site: scope(), floor: { minimumMode: 'central' } });
  // Two slates of 5 shown (10 impressions, over the bound of 8) and 3 clicks (over the bound of 2).
  const shown = await page.evaluate(async () => {
    const ids: string[] = [];
    for (let s = 0; s < 2; s++) {
      const result = await window.privads!.rank({ slots: 5 });
      await window.privads!.recordImpression(result);
      ids.push(...result.ads.map((ad) => ad.id));
    }
    return ids;
  });
  await page.evaluate(
    async (ids) => {
      for (const id of ids) await window.privads!.recordClick(id);
    },
    shown.slice(0, 3),
  );
  expect(await flush(page)).toMatchObject({ status: 'uploaded', roundId: 11 });

  audit(seen, page);
  const post = server.handler.browserRequests.find((r) => r.method === 'POST') as RecordedRequest;
  const decoded = decodeExactly(post.body, round);
  const sent = uploadedCounts(round, decoded.vector);
  // Bounded on the device: exactly 8 of the 10 impressions and 2 of the 3 clicks, only on shown ads.
  expect(sent.impressions.reduce((a, b) => a + b, 0)).toBe(8);
  expect(sent.clicks.reduce((a, b) => a + b, 0)).toBe(2);
  const index = new Map(fixture.ads.map((ad, i) => [ad.id, i]));
  const shownRows = new Set(shown.map((id) => index.get(id)));
  sent.impressions.forEach((n, i) => {
    if (n > 0) expect(shownRows.has(i)).toBe(true);
  });
  // The ad ids themselves never appear in the bytes: only counts in catalog order.
  expect(Buffer.from(post.body).toString('latin1')).not.toContain('ad-');
  await expectNoPageErrors(page);
});

test('a device with no click sends the same request as one that clicked (data-independent participation)', async ({
  browser,
}) => {
  const round = roundConfig(fixture, { roundId: 6, privacy: TEST_PRIVACY.local });
  server.handler.round = round;
  // Two readers (separate browser contexts, separate devices): one clicks and flushes, the other
  // does nothing at all, and its worker joins the round by itself.
  const clicker = await browser.newContext();
  const idle = await browser.newContext();
  try {
    const seen = { clicker: captureTraffic(clicker), idle: captureTraffic(idle) };
    const [a, b] = [await clicker.newPage(), await idle.newPage()];
    await openHarness(a, { server: server.url, site: scope() });
    await session(a, 3);
    expect(await flush(a)).toMatchObject({ status: 'uploaded', roundId: 6 });
    await openHarness(b, { server: server.url, site: scope(), autoJoin: true });
    await expect.poll(() => server.handler.uploads.length, { timeout: 30_000 }).toBe(2);

    const posts = server.handler.browserRequests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    const [withClicks, without] = posts as [RecordedRequest, RecordedRequest];
    expect(without.path).toBe(withClicks.path);
    expect(without.body.byteLength).toBe(withClicks.body.byteLength);
    expect(Object.keys(without.headers).sort()).toEqual(Object.keys(withClicks.headers).sort());
    const [h1, h2] = [decodeExactly(withClicks.body, round), decodeExactly(without.body, round)];
    expect({ ...h2.header, nonce: '' }).toEqual({ ...h1.header, nonce: '' });
    // The same kinds of request from both browsers.
    const kinds = (list: readonly SeenRequest[]): string[] =>
      [
        ...new Set(
          list
            .filter((r) => r.url.origin === server.url)
            .map((r) => `${r.method} ${r.url.pathname}`),
        ),
      ].sort();
    expect(kinds(seen.idle)).toEqual(kinds(seen.clicker));
    audit(seen.clicker, a);
    audit(seen.idle, b);
    for (const page of [a, b]) await expectNoPageErrors(page);
  } finally {
    await clicker.close();
    await idle.close();
  }
});

test('two tabs flushing the same round at once send one update', async ({ context }) => {
  const seen = captureTraffic(context);
  const site = scope();
  server.handler.round = roundConfig(fixture, { roundId: 5 });
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) {
    await openHarness(tab, { server: server.url, site, floor: CENTRAL_FLOOR });
    await session(tab, 2);
  }
  const results = await Promise.all(tabs.map((tab) => flush(tab)));
  expect(results.map((r) => r.reason).sort()).toEqual(['already-participated', 'uploaded']);
  expect(server.handler.browserRequests.filter((r) => r.method === 'POST')).toHaveLength(1);
  expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1);
  for (const tab of tabs) await expectNoPageErrors(tab);
});

test('while paused nothing is requested at all, not even after a reload', async ({
  page,
  context,
}) => {
  const seen = captureTraffic(context);
  const options: HarnessOptions = { server: server.url, site: scope(), floor: CENTRAL_FLOOR };
  server.handler.round = roundConfig(fixture, { roundId: 3 });
  await openHarness(page, options);
  await session(page, 1);
  await page.evaluate(() => window.privads!.pause());
  const before = server.handler.requests.length;
  const seenBefore = seen.length;

  await session(page, 2);
  expect(await flush(page)).toMatchObject({
    status: 'skipped',
    reason: 'paused',
    message: expect.stringMatching(/paused/),
  });
  await page.reload();
  await page.waitForFunction(() => window.privads !== undefined);
  // Ranking still works from the cached catalog, without asking the server for anything.
  expect((await page.evaluate(() => window.privads!.rank({ slots: 2 }))).ads).toHaveLength(2);
  expect(await flush(page)).toMatchObject({ reason: 'paused' });
  expect(await page.evaluate(() => window.privads!.privacyReport())).toMatchObject({
    paused: true,
    participations: 0,
  });
  expect(server.handler.requests.length - before).toBe(0);
  const pageOrigin = new URL(page.url()).origin;
  expect(seen.slice(seenBefore).filter((r) => r.url.origin !== pageOrigin)).toEqual([]);

  // Resuming lets the round through again.
  await page.evaluate(() => window.privads!.resume());
  expect(await flush(page)).toMatchObject({ status: 'uploaded', roundId: 3 });
  await expectNoPageErrors(page);
});

test('once the lifetime budget is spent, flush refuses, says why, and makes no request', async ({
  page,
  context,
}) => {
  const seen = captureTraffic(context);
  const site = scope();
  server.handler.round = roundConfig(fixture, { roundId: 1, privacy: TEST_PRIVACY.local });
  await openHarness(page, { server: server.url, site });
  await session(page, 2);
  expect(await flush(page)).toMatchObject({ status: 'uploaded' });
  const spent = (await page.evaluate(() => window.privads!.privacyReport())).epsilonSpent;
  expect(spent).toBeGreaterThan(0);

  // The same device and site, now with a lifetime budget of exactly what it already spent.
  server.handler.round = roundConfig(fixture, { roundId: 2, privacy: TEST_PRIVACY.local });
  await openHarness(page, { server: server.url, site, floor: { lifetimeEpsilon: spent } });
  await session(page, 2);
  const before = server.handler.requests.length;
  const seenBefore = seen.length;
  const result = await flush(page);
  expect(result).toMatchObject({
    status: 'skipped',
    reason: 'budget-exhausted',
    message: expect.stringMatching(/budget is spent/),
  });
  expect(server.handler.requests.length - before).toBe(0);
  expect(seen.length - seenBefore).toBe(0);
  const report = await page.evaluate(() => window.privads!.privacyReport());
  expect(report).toMatchObject({ participations: 1, epsilonRemaining: 0 });
  expect(report.uploads).toEqual([
    expect.objectContaining({ roundId: 1, mode: 'local', status: 'sent' }),
  ]);
  expect(server.handler.uploads).toHaveLength(1);
  await expectNoPageErrors(page);
});
