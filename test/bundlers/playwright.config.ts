import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../support/chromium.js';

/**
 * The bundler suite (`npm run test:bundlers`, and a suite of `npm test`): packs the client, builds
 * three fresh apps outside the repository with the recipes of docs/api.md and loads each in
 * Debian's Chromium, without the WebGPU flag like most readers' browsers. It serves on free ports
 * only, so it may run beside the main end-to-end suite.
 */
export default defineConfig({
  testDir: '.',
  testMatch: 'bundlers.test.ts',
  outputDir: '../../test-results/bundlers',
  // Installing and building an app takes most of a test's time (the npm cache makes it shorter).
  timeout: 480_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    headless: true,
    trace: 'off',
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs({ webgpu: false }) },
  },
});
