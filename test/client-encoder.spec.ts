/**
 * Page text as context: `rank({ context: { text } })` and `recordRead(text, dwellMs)` load the
 * content encoder (onnxruntime-web) lazily inside the client's worker, from the page's origin.
 */
import { expect, test, type Page } from '@playwright/test';
import { createNodeEncoder } from '../packages/encoder-node/src/index.js';
import { events, expectNoPageErrors, openHarness } from './support/client-page.js';
import { buildFixture, type Fixture } from './support/protocol-fixture.js';
import { startProtocolServer, type ProtocolServer } from './support/protocol-server.js';

let fixture: Fixture;
let server: ProtocolServer;

test.beforeAll(async () => {
  fixture = buildFixture({ ads: 200 });
  server = await startProtocolServer(fixture);
});
test.afterAll(async () => server.close());

const scope = (): string => `t${test.info().testId}-${Date.now()}`;
/** The harness worker with a probe into the worker's own encoder instance. */
const PROBE_WORKER = '/client/encoder-probe.worker.ts';
/** No frequency cap, diversity or exploration: the ranking is a pure function of the query. */
const PURE_POLICY = { frequencyCap: false, diversity: false, exploration: { kind: 'none' } };

const TEXTS = [
  'Port Calder harbour reopens after the storm; ferries to the islands resume on Monday.',
  'Zürich: Café-Preise steigen — Crème brûlée kostet jetzt 12 Fr.',
  '東京の天気は晴れ、気温は二十度です。',
  'Championship final: the Harriers beat the Gulls 3–2 after extra time ⚽',
];
const VITE_RELOAD = /Execution context was destroyed|interrupted by another navigation/;

/**
 * Opens the harness; on a cold Vite cache the dev server discovers onnxruntime-web in the worker,
 * optimises it and reloads the page once, so a run interrupted by that reload is retried.
 */
async function withHarness<T>(
  page: Page,
  options: Parameters<typeof openHarness>[1],
  run: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await openHarness(page, options);
      return await run();
    } catch (error) {
      if (attempt >= 3 || !VITE_RELOAD.test(String(error))) throw error;
    }
  }
}

async function nodeVectors(texts: readonly string[]): Promise<Float32Array> {
  const encoder = await createNodeEncoder();
  try {
    return await encoder.encode(texts);
  } finally {
    await encoder.dispose();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

test('the worker encodes page text with the same vectors as the Node encoder (within 1e-5)', async ({
  page,
}) => {
  const options = {
    server: server.url,
    site: scope(),
    encoder: 'repo' as const,
    workerUrl: PROBE_WORKER,
  };
  const probed = await withHarness(page, options, async () => {
    // Text context first: this is what loads the encoder inside the client's worker.
    const ranked = await page.evaluate(
      (text) => window.privads!.rank({ slots: 3, context: { text } }),
      TEXTS[0] as string,
    );
    expect(ranked.source).toBe('context');
    return page.evaluate(
      (texts) =>
        new Promise<{ id?: string; vectors?: number[]; error?: string }>((resolve) => {
          const channel = new BroadcastChannel('privads-test:encoder');
          channel.onmessage = (event) => {
            channel.close();
            resolve(event.data);
          };
          const { specUrl, ortWasmPath } = window.encoderAssets;
          channel.postMessage({
            type: 'encode',
            config: { assets: { ortWasmPath }, encoder: { specUrl } },
            texts,
          });
        }),
      TEXTS,
    );
  });
  expect(probed.error).toBeUndefined();
  expect(probed.id).toBe('privads-hashed-ngrams-384-v1');
  const diff = maxAbsDiff(probed.vectors ?? [], await nodeVectors(TEXTS));
  test.info().annotations.push({ type: 'max |node − worker|', description: diff.toExponential(2) });
  expect(diff).toBeLessThan(1e-5);
  await expectNoPageErrors(page);
});

test('rank({ context: { text } }) ranks like the Node-encoded embedding of the same text', async ({
  page,
}) => {
  const text = TEXTS[1] as string;
  const embedding = Array.from(await nodeVectors([text]));
  const options = {
    server: server.url,
    site: scope(),
    encoder: 'repo' as const,
    policy: PURE_POLICY,
  };
  const [fromText, fromEmbedding] = await withHarness(page, options, () =>
    page.evaluate(
      async ({ text, embedding }) => [
        await window.privads!.rank({ slots: 10, context: { text } }),
        await window.privads!.rank({ slots: 10, context: { embedding } }),
      ],
      { text, embedding },
    ),
  );
  expect(fromText?.source).toBe('context');
  expect(fromText?.ads.map((a) => a.id)).toEqual(fromEmbedding?.ads.map((a) => a.id));
  const scoreDiff = maxAbsDiff(
    fromText?.ads.map((a) => a.score) ?? [],
    fromEmbedding?.ads.map((a) => a.score) ?? [],
  );
  expect(scoreDiff).toBeLessThan(1e-5);
  await expectNoPageErrors(page);
});

test('recordRead(text) learns what recordRead(embedding) learns', async ({ page }) => {
  const text = TEXTS[3] as string;
  const embedding = Array.from(await nodeVectors([text]));
  const profiles: (readonly number[] | undefined)[] = [];
  for (const context of [text, embedding]) {
    const options = { server: server.url, site: scope(), encoder: 'repo' as const };
    profiles.push(
      await withHarness(page, options, async () => {
        await page.evaluate((c) => window.privads!.recordRead(c, 12_000), context);
        return (await page.evaluate(() => window.privads!.exportProfile())).profile?.vector;
      }),
    );
    await expectNoPageErrors(page);
  }
  expect(profiles[0]).toHaveLength(128);
  expect(maxAbsDiff(profiles[0] ?? [], profiles[1] ?? [])).toBeLessThan(1e-5);
});

test('an encoder that cannot load becomes one fallback event: non-personalised context, reading ignored', async ({
  page,
}) => {
  await openHarness(page, { server: server.url, site: scope(), encoder: 'broken' });
  const result = await page.evaluate(() =>
    window.privads!.rank({ slots: 3, context: { text: 'Cheap flights to Lisbon' } }),
  );
  expect(result).toMatchObject({ source: 'prior', personalised: false });
  expect(result.ads).toHaveLength(3);
  await page.evaluate(() => window.privads!.recordRead('Cheap flights to Lisbon', 20_000));
  expect((await page.evaluate(() => window.privads!.exportProfile())).profile).toBeUndefined();
  const fallbacks = (await events(page)).filter((e) => e.type === 'fallback');
  expect(fallbacks.map((e) => e.detail)).toEqual([
    {
      what: 'encoder',
      reason: expect.stringMatching(/no-such-encoder\/encoder\.json.*text contexts are ignored/),
    },
  ]);
  // Embeddings still work.
  const withEmbedding = await page.evaluate(
    (embedding) => window.privads!.rank({ slots: 3, context: { embedding } }),
    Array.from(fixture.topicCenters[2] as Float32Array),
  );
  expect(withEmbedding.source).toBe('context');
  await expectNoPageErrors(page);
});

/** The `debug` log line in which the worker reports its tfjs backend choice. */
async function tfjsBackendReport(page: Page): Promise<string> {
  // Projecting a content embedding loads the projector, which selects the tfjs backend.
  await page.evaluate(
    (embedding) => window.privads!.rank({ slots: 1, context: { embedding } }),
    Array.from(fixture.topicCenters[0] as Float32Array),
  );
  await expect
    .poll(async () => (await events(page)).some((e) => /tfjs backend/.test(JSON.stringify(e))))
    .toBe(true);
  const line = (await events(page)).find((e) => /tfjs backend/.test(JSON.stringify(e)));
  return (line?.detail as { message: string }).message;
}

test('assets.tfjsWasmPath locates the tfjs wasm backend binaries', async ({ page }) => {
  await openHarness(page, { server: server.url, site: scope(), debug: true, tfjsWasm: 'repo' });
  expect(await tfjsBackendReport(page)).toMatch(/wasm: (chosen|passed)/);
  // Without it, the default (the worker script's directory) has no binaries in this dev server.
  await openHarness(page, { server: server.url, site: scope(), debug: true });
  expect(await tfjsBackendReport(page)).toMatch(/wasm: skipped/);
  await expectNoPageErrors(page);
});
