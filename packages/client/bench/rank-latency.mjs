#!/usr/bin/env node
/**
 * rank() scoring latency in headless Chromium, in a module worker as the client runs it: top-10
 * queries of the CPU engine (int8 catalog), the WebAssembly SIMD engine (forced: its probe is not
 * what is measured here) and the WebGPU engine (forced: the only adapter here is SwiftShader, a CPU
 * emulation, which `auto` never picks), against a naive Float32 loop over the same rows in the
 * same run. Prints JSON rows (ms per query) and each engine's ratio to the baseline.
 *
 * Usage: node packages/client/bench/rank-latency.mjs [sizes=10000,100000] [iterations=30]
 */
/* global window -- used inside page.waitForFunction, which runs in the browser */
import { URLSearchParams } from 'node:url';
import { withBrowserHarness } from './browser-harness.mjs';

const sizes = process.argv[2] ?? '10000,100000';
const iterations = process.argv[3] ?? '30';

await withBrowserHarness({ webgpu: true }, async ({ harness, browser }) => {
  const page = await browser.newPage();
  const params = new URLSearchParams({
    sizes,
    iterations,
    engines: 'cpu,wasm-simd,webgpu',
    k: '10',
  });
  await page.goto(`${harness}/client/bench-rank.html?${params}`);
  await page.waitForFunction(() => window.benchResult !== undefined, undefined, {
    timeout: 600_000,
  });
  const result = await page.evaluate(() => window.benchResult);
  if (result.error) throw new Error(result.error);
  const baseline = new Map(
    result.rows.filter((r) => r.engine === 'naive-f32-loop').map((r) => [r.rows, r.p50]),
  );
  const rows = result.rows.map((r) => ({
    ...r,
    ratioToNaiveP50: Number((r.p50 / (baseline.get(r.rows) ?? NaN)).toFixed(3)),
  }));
  console.log(
    JSON.stringify(
      {
        benchmark: 'client-rank-latency',
        browser: `chromium ${browser.version()} headless`,
        unit: 'ms per top-10 query',
        k: 10,
        rows,
      },
      null,
      2,
    ),
  );
});
