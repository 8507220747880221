import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './support/chromium.js';

const harnessPort = Number(process.env['PRIVADS_HARNESS_PORT'] ?? 5174);

/**
 * Every browser test runs in Debian's Chromium (Playwright cannot download browsers here).
 * Four projects: `chromium` has WebGPU (SwiftShader, via --enable-unsafe-webgpu) and runs every
 * spec except those tagged @no-webgpu; `chromium-no-webgpu` runs only those, without the flag;
 * `distributed` runs `client-distributed.spec.ts`, several browser contexts through one secure
 * aggregation round of the real server; `demo` runs `demo*.spec.ts` against the `npm start` stack.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${harnessPort}`,
    headless: true,
    trace: 'off',
  },
  webServer: {
    command: 'node ../node_modules/vite/bin/vite.js --config ../vite.config.ts',
    cwd: '.',
    url: `http://127.0.0.1:${harnessPort}/index.html`,
    reuseExistingServer: !process.env['CI'],
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  projects: [
    {
      name: 'chromium',
      grepInvert: /@no-webgpu/,
      testIgnore: [/demo.*\.spec\.ts$/, /client-distributed\.spec\.ts$/],
      use: {
        launchOptions: { executablePath: chromiumPath(), args: chromiumArgs({ webgpu: true }) },
      },
    },
    {
      name: 'chromium-no-webgpu',
      grep: /@no-webgpu/,
      testIgnore: [/demo.*\.spec\.ts$/, /client-distributed\.spec\.ts$/],
      use: {
        launchOptions: { executablePath: chromiumPath(), args: chromiumArgs({ webgpu: false }) },
      },
    },
    {
      // The real `@privads/server` in distributed mode (started by the spec in process) and five
      // browser contexts, without the WebGPU flag like most readers' browsers; every phase of the
      // round waits on all five, so the test gets more time.
      name: 'distributed',
      testMatch: /client-distributed\.spec\.ts$/,
      timeout: 240_000,
      use: {
        launchOptions: { executablePath: chromiumPath(), args: chromiumArgs({ webgpu: false }) },
      },
    },
    {
      // The news-site demo as a reader meets it: `scripts/start.mjs` (npm start) runs the real
      // server, simulated readers and the built site (started by the spec, test/support/demo-stack.ts);
      // no WebGPU flag, like most readers' browsers.
      name: 'demo',
      testMatch: /demo.*\.spec\.ts$/,
      timeout: 120_000,
      use: {
        launchOptions: { executablePath: chromiumPath(), args: chromiumArgs({ webgpu: false }) },
      },
    },
  ],
});
