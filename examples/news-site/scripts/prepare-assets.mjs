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
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('../', import.meta.url);
const adLines = (await readFile(new URL('content/ads.jsonl', root), 'utf8'))
  .split('\n')
  .filter(Boolean);
const adCopy = Object.fromEntries(
  adLines.map((line) => JSON.parse(line)).map((ad) => [ad.id, ad.text]),
);
await mkdir(new URL('public/', root), { recursive: true });
await writeFile(new URL('public/ad-copy.json', root), JSON.stringify(adCopy, null, 2) + '\n');

// Resolved through @privads/model, whose dependency it is.
const requireFromModel = createRequire(createRequire(import.meta.url).resolve('@privads/model'));
const wasmDir = dirname(
  requireFromModel.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);
await mkdir(new URL('public/assets/', root), { recursive: true });
for (const name of (await readdir(wasmDir)).filter((file) => file.endsWith('.wasm'))) {
  await copyFile(join(wasmDir, name), new URL(`public/assets/${name}`, root));
}

// Resolved through @privads/encoder, whose dependency onnxruntime-web is.
const requireFromEncoder = createRequire(
  createRequire(import.meta.url).resolve('@privads/encoder/package.json'),
);
await copyFile(
  requireFromEncoder.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
  new URL('public/assets/ort-wasm-simd-threaded.wasm', root),
);
const encoderDir = dirname(
  requireFromEncoder.resolve('@privads/encoder/models/default/encoder.json'),
);
await mkdir(new URL('public/assets/encoder/', root), { recursive: true });
for (const name of ['encoder.json', 'model.onnx']) {
  await copyFile(join(encoderDir, name), new URL(`public/assets/encoder/${name}`, root));
}
// Written by earlier versions of this script (precomputed article embeddings), no longer used.
await rm(new URL('public/article-embeddings.json', root), { force: true });
console.log(
  `${adLines.length} ad texts; tfjs and onnxruntime-web wasm and the content encoder copied to public/assets/`,
);
