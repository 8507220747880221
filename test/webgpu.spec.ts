import { expect, test, type Page } from '@playwright/test';
import type { WebGpuProbeResult } from './pages/webgpu/probe-result.js';

async function runProbe(page: Page): Promise<WebGpuProbeResult> {
  await page.goto('/webgpu/index.html');
  await page.waitForFunction(() => window.webGpuProbe !== undefined);
  return (await page.evaluate(() => window.webGpuProbe)) as WebGpuProbeResult;
}

test('a module worker gets a WebGPU adapter and runs a compute shader', async ({ page }) => {
  const result = await runProbe(page);
  expect(result, JSON.stringify(result)).toMatchObject({ adapter: true });
  if (!result.adapter) return;
  expect(result.output).toEqual(Array.from({ length: 64 }, (_, i) => 2 * i + 1));
  // Headless Chromium on these machines only ever has SwiftShader: record it, so a change of
  // adapter (a real GPU) shows up in the test log rather than silently.
  test.info().annotations.push({
    type: 'adapter',
    description: `${result.vendor}/${result.architecture} fallback=${result.isFallbackAdapter}`,
  });
});

test('without --enable-unsafe-webgpu no adapter is exposed @no-webgpu', async ({ page }) => {
  const result = await runProbe(page);
  expect(result.adapter).toBe(false);
});
