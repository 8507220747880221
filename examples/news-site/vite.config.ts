import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const siteRoot = fileURLToPath(new URL('./', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const port = Number(process.env['PRIVADS_DEMO_PORT'] ?? 5180);

/** The library's main-thread modules (the worker and the lazy in-page fallback stay in their own chunks). */
const LIBRARY_ENTRY =
  /[\\/]packages[\\/]client[\\/](?:dist|src)[\\/](?:index|client|events|options|types|policy[\\/]options)\.[jt]s$|[\\/]node_modules[\\/]comlink[\\/]/;

// The aggregation server the page talks to; `npm start` and the demo tests set it.
process.env['VITE_PRIVADS_SERVER'] ??= 'http://127.0.0.1:8787';

/**
 * The news-site demo. `@privads/client` resolves like any npm dependency (the workspace link to
 * its built `dist/`), exactly as in a publisher's project; `npx tsc -b` must have run first.
 */
export default defineConfig({
  root: siteRoot,
  server: { host: '127.0.0.1', port, strictPort: true, fs: { allow: [repoRoot] } },
  preview: { host: '127.0.0.1', port, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      output: {
        // The library's main-thread entry in a chunk of its own, so that its size and its time
        // on the main thread (long-animation-frame attribution in test/demo.spec.ts) can be told apart.
        manualChunks: (id: string) => (LIBRARY_ENTRY.test(id) ? 'privads-client' : undefined),
      },
    },
  },
  worker: { format: 'es' },
  logLevel: 'warn',
});
