// Benchmark (not a test): time of one round's projector gradient per tfjs backend — cpu, wasm and
// webgpu (where the browser has an adapter) — in headless Chromium, with ratios against the cpu
// backend measured in the same run, plus what selectGradientBackend() picks there. Prints JSON.
//
//   node packages/model/bench/gradient-browser.bench.mjs [--rounds 20] [--events 20] [--slate 10]
//     [--port 5186] [--no-webgpu]
//
// Chromium gets --enable-unsafe-webgpu, without which headless Chromium has no adapter; on a machine
// without a GPU the adapter is SwiftShader (a CPU emulation), so webgpu numbers there are a
// correctness check, not a GPU speed.
/* global window -- inside page.evaluate / waitForFunction callbacks, which run in the page */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    events: { type: 'string', default: '20' },
    slate: { type: 'string', default: '10' },
    port: { type: 'string', default: '5186' },
    'no-webgpu': { type: 'boolean', default: false },
  },
});
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const packagesDir = `${repoRoot}packages/`;

const server = await createServer({
  configFile: false,
  root: fileURLToPath(new URL('./browser/', import.meta.url)),
  resolve: {
    alias: [{ find: /^@privads\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` }],
  },
  server: {
    host: '127.0.0.1',
    port: Number(values.port),
    strictPort: true,
    fs: { allow: [repoRoot] },
  },
  logLevel: 'error',
});
await server.listen();
const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update'];
if (!values['no-webgpu']) args.push('--enable-unsafe-webgpu');
const browser = await chromium.launch({
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  args,
});
try {
  const page = await browser.newPage();
  const origin = `http://127.0.0.1:${values.port}`;
  const options = {
    rounds: Number(values.rounds),
    events: Number(values.events),
    slate: Number(values.slate),
    wasmPaths: `${origin}/@fs${repoRoot}node_modules/@tensorflow/tfjs-backend-wasm/dist/`,
  };
  let result;
  // A cold Vite cache optimises tfjs on first sight and reloads the page once: retry then.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(`${origin}/index.html`);
      await page.waitForFunction(() => window.gradientBench !== undefined, undefined, {
        timeout: 120_000,
      });
      result = await page.evaluate((o) => window.gradientBench(o), options);
      break;
    } catch (error) {
      const reloaded = /Execution context was destroyed|interrupted by another navigation/;
      if (attempt >= 3 || !reloaded.test(String(error))) throw error;
    }
  }
  const round3 = (x) => Math.round(x * 1000) / 1000;
  for (const perBackend of Object.values(result.gradientMsPerRound))
    for (const entry of Object.values(perBackend))
      for (const key of ['medianMs', 'minMs', 'speedupVsCpu'])
        if (typeof entry[key] === 'number') entry[key] = round3(entry[key]);
  console.log(
    JSON.stringify(
      {
        benchmark: '@privads/model gradient per tfjs backend (headless Chromium, page)',
        chromium: browser.version(),
        round: { events: options.events, slate: options.slate, rounds: options.rounds },
        ...result,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await server.close();
}
