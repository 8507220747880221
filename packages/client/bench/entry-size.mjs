#!/usr/bin/env node
/**
 * Size of what a publisher's page loads from `@privads/client` before the worker starts: bundles
 * `src/index.ts` the way an application bundler does (Vite's production build: tree-shaking,
 * minification, code splitting, the worker emitted as its own file) and prints, as JSON, the
 * gzipped bytes of the main-thread entry (with the chunks it imports statically) against the 10 KB
 * target, plus the lazily loaded chunks and the worker files, for comparison.
 *
 * Usage: node packages/client/bench/entry-size.mjs
 */
import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const TARGET_BYTES = 10 * 1024;
const root = fileURLToPath(new URL('../../../', import.meta.url));
const packages = `${root}packages/`;

const gz = (code) => gzipSync(Buffer.from(code), { level: 9 }).byteLength;

const output = await build({
  configFile: false,
  logLevel: 'silent',
  root,
  resolve: {
    alias: [
      { find: /^@privads\/([a-z-]+)$/, replacement: `${packages}$1/src/index.ts` },
      { find: /^@privads\/([a-z-]+)\/([a-z-]+)$/, replacement: `${packages}$1/src/$2.ts` },
    ],
  },
  worker: { format: 'es' },
  build: {
    write: false,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    lib: { entry: `${packages}client/src/index.ts`, formats: ['es'], fileName: 'privads' },
  },
});

const results = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
const byName = new Map(results.map((item) => [item.fileName, item]));
const entryChunk = results.find((item) => item.type === 'chunk' && item.isEntry);
if (entryChunk === undefined) throw new Error('the build produced no entry chunk');
// What the page loads before anything lazy: the entry and the chunks it imports statically.
const initial = new Set();
const visit = (name) => {
  if (initial.has(name)) return;
  initial.add(name);
  for (const dep of byName.get(name)?.imports ?? []) visit(dep);
};
visit(entryChunk.fileName);
const files = results.map((item) => {
  const code = item.type === 'chunk' ? item.code : item.source;
  return {
    file: item.fileName,
    kind: initial.has(item.fileName)
      ? 'initial'
      : item.type === 'chunk'
        ? 'lazy-chunk'
        : 'worker-asset',
    bytes: Buffer.byteLength(code),
    gzipBytes: gz(code),
  };
});
const entry = files.find((f) => f.file === entryChunk.fileName);
const initialGzipBytes = files
  .filter((f) => f.kind === 'initial')
  .reduce((s, f) => s + f.gzipBytes, 0);
const worker = files.find((f) => /privads\.worker/.test(f.file));
console.log(
  JSON.stringify(
    {
      benchmark: 'client-entry-size',
      entry: entry.file,
      entryBytes: entry.bytes,
      entryGzipBytes: entry.gzipBytes,
      initialChunks: [...initial],
      initialGzipBytes,
      targetGzipBytes: TARGET_BYTES,
      ratioToTarget: Number((initialGzipBytes / TARGET_BYTES).toFixed(3)),
      withinTarget: initialGzipBytes <= TARGET_BYTES,
      workerEntryGzipBytes: worker?.gzipBytes,
      files,
    },
    null,
    2,
  ),
);
