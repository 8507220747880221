import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The operator dashboard: a static page built into `packages/server/dist/dashboard/`, which the
 * server serves at `/dashboard/`. It holds no data; it asks for the operator token and reads the
 * operator API with it.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./', import.meta.url)),
  base: '/dashboard/',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env['PRIVADS_DASHBOARD_PORT'] ?? 5185),
    strictPort: true,
  },
  logLevel: 'warn',
});
