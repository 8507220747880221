#!/usr/bin/env node
/**
 * Cold start on the demo catalog (examples/news-site): does the projector a fresh server starts
 * with (version 1, `initialState`) keep the content encoder's neighbourhoods? For each of the 48
 * articles, the share of its top-3 ads that come from the article's own section, ranking
 *   - by the unprojected content vectors: cos(z_article, z_ad) (the baseline), and
 *   - as a reader's browser does before any training: cos(P(z_article), P(z_ad)) with projector 1,
 *     as `initialState` makes it for a store initialised by its first catalog (`catalog import`, the
 *     demo: fitted to the catalog) and for one initialised without (`start` first: orthogonal),
 * for the linear projector (the default) and the MLP. Target: projector 1 within 0.05 of the
 * baseline. Prints one JSON object.
 *
 * Usage: npx tsc -b && node packages/server/bench/cold-start.bench.mjs
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

import { createNodeEncoder } from '@privads/encoder-node';
import { createProjector, decodeProjectorFile } from '@privads/model';
import { selectNodeGradientBackend } from '@privads/model/node';
import { encoderText, initialState, resolveConfig } from '@privads/server';

const TOP = 3;
const content = new URL('../../../examples/news-site/content/', import.meta.url);
const articles = JSON.parse(await readFile(new URL('articles.json', content), 'utf8'));
const ads = (await readFile(new URL('ads.jsonl', content), 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
// The texts the demo passes (examples/news-site/src/content.ts, articleText) and the server encodes.
const articleTexts = articles.map((a) => [a.title, a.dek, ...a.body].join('\n\n'));

const encoder = await createNodeEncoder();
const zAds = await encoder.encode(ads.map(encoderText));
const zArticles = await encoder.encode(articleTexts);
await encoder.dispose();
await selectNodeGradientBackend();

/**
 * @param queries - row-major, `articles.length` rows
 * @param items - row-major, `ads.length` rows of the same width
 * @returns the mean share of each article's top-3 ads (by cosine) in the article's section
 */
function ownSectionShare(queries, items) {
  const dim = items.length / ads.length;
  const norm = (m, r) => Math.hypot(...m.subarray(r * dim, (r + 1) * dim)) || 1;
  let share = 0;
  articles.forEach((article, q) => {
    const qn = norm(queries, q);
    const scores = ads.map((_, i) => {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += queries[q * dim + d] * items[i * dim + d];
      return dot / (qn * norm(items, i));
    });
    const top = scores
      .map((score, i) => ({ score, i }))
      .sort((a, b) => b.score - a.score)
      .slice(0, TOP);
    share += top.filter(({ i }) => ads[i].category === article.category).length / TOP;
  });
  return share / articles.length;
}

const round = (x) => Math.round(x * 1000) / 1000;
const baseline = ownSectionShare(zArticles, zAds);
const initialProjector = {};
const gapToContent = {};
for (const kind of ['linear', 'mlp']) {
  for (const [name, catalog] of [
    ['fittedToFirstCatalog', { content: zAds, count: ads.length }],
    ['withoutCatalog', undefined],
  ]) {
    const config = resolveConfig({ projector: { kind } });
    const started = performance.now();
    const file = decodeProjectorFile(initialState(config, new Date(), catalog).projector);
    const initMs = performance.now() - started;
    const projector = createProjector(file.spec, { parameters: file.parameters });
    const share = ownSectionShare(
      projector.project(zArticles, articles.length),
      projector.project(zAds, ads.length),
    );
    projector.dispose();
    initialProjector[`${kind}/${name}`] = { share: round(share), initMs: Math.round(initMs) };
    gapToContent[`${kind}/${name}`] = round(baseline - share);
  }
}
console.log(
  JSON.stringify(
    {
      benchmark: 'cold-start-own-section-top3',
      articles: articles.length,
      ads: ads.length,
      contentVectors: round(baseline),
      initialProjector,
      gapToContent,
      target: 'gap <= 0.05',
    },
    null,
    2,
  ),
);
