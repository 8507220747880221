import { expect, test, type Page } from '@playwright/test';
import type { ConformanceReport } from './pages/client/engines-result.js';
import { buildFixture, type Fixture } from './support/protocol-fixture.js';
import { startProtocolServer, type ProtocolServer } from './support/protocol-server.js';
import { openHarness } from './support/client-page.js';

async function conformance(page: Page, engine: string): Promise<ConformanceReport> {
  await page.goto(`/client/engines.html?engine=${engine}`);
  await page.waitForFunction(() => window.conformance !== undefined, undefined, {
    timeout: 120_000,
  });
  return (await page.evaluate(() => window.conformance)) as ConformanceReport;
}

for (const engine of ['webgpu', 'wasm-simd', 'cpu']) {
  test(`the ${engine} engine passes the conformance suite against the reference scorer (in a worker)`, async ({
    page,
  }) => {
    test.setTimeout(180_000);
    const report = await conformance(page, engine);
    expect(report.error, JSON.stringify(report.decisions)).toBeUndefined();
    expect(report.created).toBe(engine);
    const failures = report.cases.filter((c) => !c.ok);
    expect(failures, JSON.stringify(failures)).toEqual([]);
    expect(report.cases.length).toBeGreaterThanOrEqual(8);
  });
}

test.describe('engine resolution in the client', () => {
  let fixture: Fixture;
  let server: ProtocolServer;
  test.beforeAll(async () => {
    fixture = buildFixture({ ads: 64 });
    server = await startProtocolServer(fixture);
  });
  test.afterAll(async () => server.close());

  test('auto skips the SwiftShader adapter and says why; WASM SIMD ranks only if measured faster', async ({
    page,
  }) => {
    await openHarness(page, { server: server.url, site: `auto-${test.info().testId}` });
    const diagnostics = await page.evaluate(() => window.privads!.diagnostics());
    const [webgpu, wasm, cpu] = diagnostics.engines;
    expect(webgpu).toEqual({
      name: 'webgpu',
      status: 'skipped',
      reason: expect.stringMatching(/software adapter .*swiftshader/i),
    });
    // The probe times both engines on this (shared, noisy) machine: either outcome is legitimate,
    // but it must be the one the measurement says.
    expect(wasm?.reason).toMatch(/top-10: [\d.]+ ms, cpu engine [\d.]+ ms/);
    if (wasm?.status === 'chosen') {
      expect(diagnostics.engine).toBe('wasm-simd');
      expect(cpu).toMatchObject({ name: 'cpu', status: 'skipped' });
    } else {
      expect(wasm).toMatchObject({ name: 'wasm-simd', status: 'skipped' });
      expect(wasm?.reason).toMatch(/not faster/);
      expect(diagnostics.engine).toBe('cpu');
      expect(cpu).toMatchObject({ name: 'cpu', status: 'chosen' });
    }
  });

  test('engine: webgpu forces the software adapter, and ranking agrees with the WASM and CPU engines', async ({
    browser,
  }) => {
    const site = `forced-${test.info().testId}`;
    const ranked: Record<string, string[]> = {};
    for (const engine of ['webgpu', 'wasm-simd', 'cpu'] as const) {
      const page = await browser.newPage();
      await openHarness(page, { server: server.url, site: `${site}-${engine}`, engine });
      const diagnostics = await page.evaluate(() => window.privads!.diagnostics());
      expect(diagnostics.engine).toBe(engine);
      if (engine === 'webgpu') {
        expect(diagnostics.engines[0]).toMatchObject({
          name: 'webgpu',
          status: 'chosen',
          reason: expect.stringMatching(/forced/),
        });
      }
      const context = Array.from(fixture.topicCenters[2] as Float32Array);
      const result = await page.evaluate(
        (embedding) => window.privads!.rank({ slots: 5, context: { embedding } }),
        context,
      );
      expect(result.engine).toBe(engine);
      ranked[engine] = result.ads.map((a) => a.id);
      await page.close();
    }
    expect(ranked['webgpu']).toEqual(ranked['cpu']);
    expect(ranked['wasm-simd']).toEqual(ranked['cpu']);
  });
});

test('without an adapter the resolver reports it and falls back to a CPU-side engine @no-webgpu', async ({
  page,
}) => {
  const report = await conformance(page, 'webgpu');
  expect(['wasm-simd', 'cpu']).toContain(report.created);
  expect(report.decisions[0]).toMatchObject({
    name: 'webgpu',
    status: 'skipped',
    reason: expect.stringMatching(/requestAdapter\(\) returned null/),
  });
});
