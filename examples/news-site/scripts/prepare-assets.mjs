#!/usr/bin/env node
/**
 * Writes the publisher-side assets of the demo into `public/`:
 * - `ad-copy.json`: ad id → body text, for display (the catalog bundle carries titles, not copy);
 * - `assets/tfjs-backend-wasm*.wasm`: the WebAssembly of tfjs' wasm backend (learning);
 * - `assets/ort-wasm-simd-threaded.wasm`: onnxruntime-web's WebAssembly (the content encoder);
 * - `assets/encoder/`: the project's default content encoder (`encoder.json`, `model.onnx`), the
 *   same model the server encodes the catalog with. Pages pass their text to `rank` and
 *   `recordRead`; the PrivAds worker encodes it on the reader's device.
 * `assets/` is where Vite emits the PrivAds worker, and the client looks for these files next to its
 * worker script by default (`assets.baseUrl`), all on the site's own origin, never a CDN.
 *
 * Usage: node examples/news-site/scripts/prepare-assets.mjs   (needs `npx tsc -b` first)
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const adLines = (await readFile(new URL('content/ads.jsonl', root), 'utf8'))
  .split('\n')
  .filter(Boolean);
const adCopy = Object.fromEntries(
  adLines.map((line) => JSON.parse(line)).map((ad) => [ad.id, ad.text]),
);
await mkdir(new URL('public/', root), { recursive: true });
await writeFile(new URL('public/ad-copy.json', root), JSON.stringify(adCopy, null, 2) + '\n');

// The library's own copy step (the one docs/api.md gives publishers), into the folder Vite emits
// the worker to.
const assetsCli = join(
  dirname(createRequire(import.meta.url).resolve('@privads/client/package.json')),
  'bin/privads-assets.js',
);
execFileSync(process.execPath, [assetsCli, fileURLToPath(new URL('public/assets/', root))], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
// Written by earlier versions of this script (precomputed article embeddings), no longer used.
await rm(new URL('public/article-embeddings.json', root), { force: true });
console.log(
  `${adLines.length} ad texts; tfjs and onnxruntime-web wasm and the content encoder copied to public/assets/`,
);
