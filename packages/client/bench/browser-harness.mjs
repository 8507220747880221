/**
 * What the browser benchmarks share: the e2e harness pages served by Vite (workspace packages
 * resolve to their sources, as in the Playwright tests), the TypeScript test support modules
 * loaded through Vite, and Debian's headless Chromium launched with the project's flags.
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

/** Repository root (absolute path, trailing slash). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs `task` with a harness server and a browser, and tears both down afterwards.
 * @param options.webgpu - launch Chromium with `--enable-unsafe-webgpu` (SwiftShader here)
 * @param task - receives `{ harness, browser, load }`: the harness base URL, the browser, and
 *   `load(path)` to import a repository TypeScript module (e.g. `test/support/protocol-server.ts`)
 * @returns what `task` returns
 */
export async function withBrowserHarness(options, task) {
  const vite = await createServer({
    configFile: `${repoRoot}vite.config.ts`,
    server: { port: 0, strictPort: false },
    logLevel: 'silent',
  });
  let browser;
  try {
    await vite.listen();
    const harness = vite.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? '';
    const load = (path) => vite.ssrLoadModule(`${repoRoot}${path}`);
    const { chromiumArgs, chromiumPath } = await load('test/support/chromium.ts');
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: chromiumArgs({ webgpu: options.webgpu }),
    });
    return await task({ harness, browser, load });
  } finally {
    await browser?.close();
    await vite.close();
  }
}

/**
 * @param values - samples
 * @returns p50, p95, mean and max, rounded to microseconds
 */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (x) => Number(x.toFixed(3));
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    mean: round(values.reduce((s, x) => s + x, 0) / values.length),
    max: round(sorted[sorted.length - 1]),
  };
}
