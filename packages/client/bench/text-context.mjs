#!/usr/bin/env node
/**
 * Cost of passing page text instead of a precomputed embedding, in headless Chromium: the text is
 * encoded in the client's worker by the content encoder (onnxruntime-web, loaded on the first text).
 * Measures, in one page and run:
 * - `coldTextRankMs`: the first `rank({ context: { text } })` (loads `@privads/encoder/web`, the
 *   onnxruntime-web wasm and the model, then encodes), after the catalog and projector are warm;
 * - `rank` latency over the news-site demo's 48 articles with `{ text }` and, as the baseline,
 *   with the Node-encoded `{ embedding }` of the same text; the ratio text / embedding.
 *
 * Usage: node packages/client/bench/text-context.mjs [rounds=3]
 */
/* global window, performance -- used inside page.evaluate, which runs in the browser */
import { readFile } from 'node:fs/promises';
import { URLSearchParams } from 'node:url';
import { repoRoot, summarize, withBrowserHarness } from './browser-harness.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const articles = JSON.parse(
  await readFile(`${repoRoot}examples/news-site/content/articles.json`, 'utf8'),
);
const texts = articles.map((a) => [a.title, a.dek, ...a.body].join('\n\n'));

await withBrowserHarness({ webgpu: false }, async ({ harness, browser, load }) => {
  const { buildFixture } = await load('test/support/protocol-fixture.ts');
  const { startProtocolServer } = await load('test/support/protocol-server.ts');
  const { createNodeEncoder } = await load('packages/encoder/src/node.ts');
  const encoder = await createNodeEncoder();
  const matrix = await encoder.encode(texts);
  await encoder.dispose();
  const embeddings = texts.map((_, i) => Array.from(matrix.subarray(i * 384, (i + 1) * 384)));
  const protocol = await startProtocolServer(buildFixture({ ads: 1000 }));
  try {
    const page = await browser.newPage();
    const params = new URLSearchParams({
      server: protocol.url,
      site: `bench-${Date.now()}`,
      encoder: 'repo',
    });
    await page.goto(`${harness}/client/index.html?${params}`);
    await page.waitForFunction(() => window.privads !== undefined);
    const result = await page.evaluate(
      async ({ texts, embeddings, rounds }) => {
        const privads = window.privads;
        const time = async (context) => {
          const t = performance.now();
          const r = await privads.rank({ slots: 3, context });
          if (r.source !== 'context') throw new Error(`context not used: ${r.source}`);
          return performance.now() - t;
        };
        await time({ embedding: embeddings[0] }); // catalog and projector warm
        const coldTextRankMs = await time({ text: texts[0] });
        const text = [];
        const embedding = [];
        for (let r = 0; r < rounds; r++) {
          for (let i = 0; i < texts.length; i++) {
            text.push(await time({ text: texts[i] }));
            embedding.push(await time({ embedding: embeddings[i] }));
          }
        }
        return { coldTextRankMs, text, embedding };
      },
      { texts, embeddings, rounds: ROUNDS },
    );
    const text = summarize(result.text);
    const embedding = summarize(result.embedding);
    console.log(
      JSON.stringify(
        {
          benchmark: 'client-text-context',
          articles: texts.length,
          meanChars: Math.round(texts.reduce((s, t) => s + t.length, 0) / texts.length),
          coldTextRankMs: Number(result.coldTextRankMs.toFixed(1)),
          rankWithTextMs: text,
          rankWithEmbeddingMs: embedding,
          ratioP50: Number((text.p50 / embedding.p50).toFixed(2)),
          extraP50Ms: Number((text.p50 - embedding.p50).toFixed(3)),
        },
        null,
        2,
      ),
    );
  } finally {
    await protocol.close();
  }
});
