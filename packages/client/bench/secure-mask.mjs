#!/usr/bin/env node
/**
 * A device's masking cost in a distributed round, in headless Chromium, in a module worker as the
 * client runs it: quantizeForSecureSum + shareKeys + maskInput for the 49,280-parameter projector
 * (padded to 65,536 words, modulus 2^20) with 32 neighbours, against a plain Float32 pass over the
 * same vector in the same run. Prints JSON rows (ms) and each step's ratio to the baseline; the
 * target for the total is 200 ms.
 *
 * Usage: node packages/client/bench/secure-mask.mjs [iterations=5] [neighbours=32]
 */
/* global window -- used inside page.waitForFunction, which runs in the browser */
import { URLSearchParams } from 'node:url';
import { withBrowserHarness } from './browser-harness.mjs';

const iterations = process.argv[2] ?? '5';
const neighbours = process.argv[3] ?? '32';
const TARGET_MS = 200;

await withBrowserHarness({ webgpu: false }, async ({ harness, browser }) => {
  const page = await browser.newPage();
  const params = new URLSearchParams({ iterations, neighbours });
  await page.goto(`${harness}/client/bench-mask.html?${params}`);
  await page.waitForFunction(() => window.maskBenchResult !== undefined, undefined, {
    timeout: 600_000,
  });
  const result = await page.evaluate(() => window.maskBenchResult);
  if (result.error) throw new Error(result.error);
  const baseline = result.rows.find((r) => r.step === 'baseline-f32-pass')?.p50 ?? NaN;
  const total = result.rows.find((r) => r.step === 'total')?.p50 ?? NaN;
  console.log(
    JSON.stringify(
      {
        benchmark: 'client-secure-mask',
        browser: `chromium ${browser.version()} headless`,
        unit: 'ms per device and round (p50)',
        keyAgreement: result.keyAgreement,
        parameters: result.parameters,
        targetMs: TARGET_MS,
        withinTarget: total <= TARGET_MS,
        rows: result.rows.map((r) => ({
          ...r,
          ratioToBaselineP50: Number((r.p50 / baseline).toFixed(1)),
        })),
      },
      null,
      2,
    ),
  );
});
