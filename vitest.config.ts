import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/**
 * One Vitest run covers every package's unit suite. Workspace imports resolve to sources
 * (`@privads/x` → `packages/x/src/index.ts`, `@privads/x/sub` → `packages/x/src/sub.ts`), so unit
 * tests never depend on a stale `dist/`.
 */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@privads\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
      { find: /^@privads\/([a-z-]+)\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/$2.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
