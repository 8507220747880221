import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repoRoot = fileURLToPath(new URL('./', import.meta.url));
const packagesDir = `${repoRoot}packages/`;

/**
 * Serves the end-to-end harness pages in `test/pages/` for Playwright. Workspace imports resolve
 * to package sources, so browser tests exercise the same code as the unit tests without a build;
 * workers are emitted as ES modules, as a publisher's bundler would emit them.
 */
export default defineConfig({
  root: `${repoRoot}test/pages`,
  resolve: {
    alias: [
      { find: /^@privads\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
      { find: /^@privads\/([a-z-]+)\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/$2.ts` },
    ],
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env['PRIVADS_HARNESS_PORT'] ?? 5174),
    strictPort: true,
    fs: { allow: [repoRoot] },
  },
  worker: { format: 'es' },
  logLevel: 'warn',
});
