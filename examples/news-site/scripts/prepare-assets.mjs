#!/usr/bin/env node
/**
 * Writes the publisher-side assets of the demo into `public/`:
 * - `ad-copy.json`: ad id → body text, for display (the catalog bundle carries titles, not copy);
 * - `assets/tfjs-backend-wasm*.wasm`: the WebAssembly of tfjs' wasm backend, which the PrivAds
 *   worker loads next to its bundled script (served from the site's own origin, never a CDN);
 * - `article-embeddings.json`: embeds every demo article with the project's content encoder (the same model the server uses
 * for the catalog) and writes `public/article-embeddings.json`: what `recordRead` and the page
 * context of `rank` receive. A publisher would do this in its CMS when an article is published;
 * the reader's browser then never has to download or run the encoder.
 *
 * Usage: node examples/news-site/scripts/prepare-assets.mjs   (needs `npx tsc -b` first)
 */
import { Buffer } from 'node:buffer';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createNodeEncoder } from '@privads/encoder/node';

const root = new URL('../', import.meta.url);
const articles = JSON.parse(await readFile(new URL('content/articles.json', root), 'utf8'));
// Same text as `articleText` in src/content.ts: what the reader reads is what is learned from.
const texts = articles.map((a) => [a.title, a.dek, ...a.body].join('\n\n'));

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

const encoder = await createNodeEncoder();
try {
  const matrix = await encoder.encode(texts);
  const vectors = {};
  articles.forEach((article, i) => {
    const row = matrix.slice(i * encoder.dim, (i + 1) * encoder.dim);
    vectors[article.slug] = Buffer.from(row.buffer).toString('base64');
  });
  const out = new URL('public/article-embeddings.json', root);
  await writeFile(
    out,
    // Indented like Prettier would write it, so `prettier --check .` passes on generated files.
    JSON.stringify(
      { encoder: encoder.id, dim: encoder.dim, encoding: 'f32-base64', vectors },
      null,
      2,
    ) + '\n',
  );
  console.log(
    `${adLines.length} ad texts; embedded ${articles.length} articles with ${encoder.id} → ${out.pathname}`,
  );
} finally {
  await encoder.dispose();
}
