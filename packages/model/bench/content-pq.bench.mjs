#!/usr/bin/env node
/**
 * A million ads' content vectors in a catalog bundle: product-quantised (`pq8`) against f16 rows.
 * On a synthetic clustered catalog (`createClusteredEmbeddings` of @privads/sim, 384-d), measures
 * in one run: the bundle's size both ways against the 512 MiB readers decode, the time to train
 * and code the content, its reconstruction error, what ranking loses when the projected vectors
 * are the image of the reconstructions (recall@10 of the top 10 over the projections of the exact
 * rows, with a seeded linear projector, on a prefix — and how much of the best 10's exact score
 * the 10 found keep; beside it the same measure for f16 content and for the int8 rows every
 * bundle ships), and the time to decode the pq8 bundle with the readers' limits against decoding
 * an f16 bundle of the largest prefix that fits, per ad.
 *
 * Usage: node --max-old-space-size=8192 packages/model/bench/content-pq.bench.mjs
 *   [count=1000000] [subspaces=192] [recallPrefix=100000] [queries=30]
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { createClusteredEmbeddings } from '@privads/sim';
import { seededUniforms, trainContentQuantizer } from '@privads/model';
import {
  CATALOG_DEFAULT_LIMITS,
  checkCatalogBundleSize,
  contentRange,
  decodeCatalogBundle,
  dequantizeRowsInt8,
  encodeCatalogBundle,
  float16ToFloat32Array,
  float32ToFloat16Array,
  quantizeRowsInt8,
} from '@privads/protocol';

const [count = 1_000_000, subspaces = 192, recallPrefix = 100_000, queries = 30] = process.argv
  .slice(2)
  .map(Number);
const dim = 384;
const userDim = 128;
/** Metadata bytes per ad of the bench's ads (id, title, url, advertiser, category as JSON). */
const ad = (i) => ({
  id: `ad-${i}`,
  title: `Offer number ${i} from a shop`,
  url: `https://advertiser-${i % 5000}.example/offers/${i}`,
  advertiser: `advertiser-${i % 5000}`,
  category: `category-${i % 40}`,
});

const t0 = performance.now();
const { ads: content } = createClusteredEmbeddings({ count, queries: 0, dim, seed: 7 });
const generateMs = performance.now() - t0;

const t1 = performance.now();
const coded = trainContentQuantizer(content, dim, { subspaces });
const codeMs = performance.now() - t1;
const all = (n) => Array.from({ length: n }, (_, i) => i);

let error = 0;
let norm = 0;
const chunk = 65_536;
for (let start = 0; start < count; start += chunk) {
  const end = Math.min(count, start + chunk);
  const back = contentRange(coded, dim, start, end);
  for (let i = 0; i < back.length; i++) {
    const x = content[start * dim + i];
    error += (x - back[i]) ** 2;
    norm += x * x;
  }
}

// Ranking with projections of the reconstructions, against projections of the exact rows.
const prefix = Math.min(recallPrefix, count);
const projector = seededUniforms(dim * userDim, 3).map((x) => x - 0.5);
const project = (rows, n) => {
  const out = new Float32Array(n * userDim);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let k = 0; k < userDim; k++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += rows[i * dim + j] * projector[j * userDim + k];
      out[i * userDim + k] = s;
      sq += s * s;
    }
    const inv = 1 / Math.sqrt(sq);
    for (let k = 0; k < userDim; k++) out[i * userDim + k] *= inv;
  }
  return out;
};
const exactProjected = project(content, prefix);
const codedProjected = project(contentRange(coded, dim, 0, prefix), prefix);
const topTen = (matrix, query) => {
  const scores = new Float32Array(prefix);
  for (let i = 0; i < prefix; i++) {
    let s = 0;
    for (let k = 0; k < userDim; k++) s += matrix[i * userDim + k] * query[k];
    scores[i] = s;
  }
  return all(prefix)
    .sort((a, b) => scores[b] - scores[a])
    .slice(0, 10);
};
// Baselines of the same measure: f16 content rows (what a bundle ships below the limit), and the
// int8 rows every bundle ships for scoring (the exact rows' projections, quantised).
const f16Projected = project(
  float16ToFloat32Array(float32ToFloat16Array(content.subarray(0, prefix * dim))),
  prefix,
);
const int8Projected = dequantizeRowsInt8(quantizeRowsInt8(exactProjected, userDim), userDim);
/** Recall@10 against the exact rows' top 10, and the exact scores of the 10 found over the best 10's. */
const fidelity = (matrix) => {
  let hits = 0;
  let found = 0;
  let best = 0;
  for (let q = 0; q < queries; q++) {
    const row = Math.floor((q + 0.5) * (prefix / queries));
    const query = exactProjected.subarray(row * userDim, (row + 1) * userDim);
    const exactScore = (i) => {
      let s = 0;
      for (let k = 0; k < userDim; k++) s += exactProjected[i * userDim + k] * query[k];
      return s;
    };
    const truth = topTen(exactProjected, query);
    const got = topTen(matrix, query);
    const truthSet = new Set(truth);
    hits += got.filter((i) => truthSet.has(i)).length;
    for (const i of got) found += exactScore(i);
    for (const i of truth) best += exactScore(i);
  }
  return { recall: +(hits / (10 * queries)).toFixed(3), scoreRatio: +(found / best).toFixed(5) };
};

// Sizes: the shapes the server checks at import (popularity included, as re-projection adds it).
const adsByteLength = Buffer.byteLength(JSON.stringify(all(count).map(ad)));
const shape = { count, userDim, contentDim: dim, adsByteLength, popularity: true };
const sizeOf = (content) => {
  try {
    return { bytes: checkCatalogBundleSize({ ...shape, ...content }), fits: true };
  } catch (e) {
    return { bytes: Number(/bundle of (\d+) bytes/.exec(e.message)?.[1]), fits: false };
  }
};
const f16 = sizeOf({});
const pq8 = sizeOf({ contentEncoding: 'pq8', contentSubspaces: subspaces });

// Decoding the pq8 bundle as a reader does (projected rows: the exact rows' projections, tiled).
const projected = new Float32Array(count * userDim);
for (let i = 0; i < count; i++)
  projected.set(
    exactProjected.subarray((i % prefix) * userDim, ((i % prefix) + 1) * userDim),
    i * userDim,
  );
const catalog = {
  catalogVersion: 1,
  projectorVersion: 1,
  encoderId: 'bench',
  contentDim: dim,
  userDim,
  projected,
  content: coded,
  ads: all(count).map(ad),
};
const bundle = encodeCatalogBundle(catalog);
const t2 = performance.now();
decodeCatalogBundle(bundle, CATALOG_DEFAULT_LIMITS);
const decodeMs = performance.now() - t2;
// The f16 baseline: the largest prefix whose f16 bundle decodes, timed per ad.
const fitF16 = Math.min(
  count,
  Math.floor((CATALOG_DEFAULT_LIMITS.maxBytes / (f16.bytes / count)) * 0.98),
);
const f16Bundle = encodeCatalogBundle({
  ...catalog,
  projected: projected.subarray(0, fitF16 * userDim),
  content: content.subarray(0, fitF16 * dim),
  ads: catalog.ads.slice(0, fitF16),
});
const t3 = performance.now();
decodeCatalogBundle(f16Bundle, CATALOG_DEFAULT_LIMITS);
const f16DecodeMs = performance.now() - t3;

const mb = (b) => +(b / 1e6).toFixed(1);
console.log(
  JSON.stringify(
    {
      count,
      subspaces,
      contentBytesPerAd: {
        f16: dim * 2,
        pq8: subspaces,
        ratio: +(subspaces / (dim * 2)).toFixed(4),
      },
      bundleMB: {
        f16: mb(f16.bytes),
        f16Fits: f16.fits,
        pq8: mb(pq8.bytes),
        pq8Fits: pq8.fits,
        encodedPq8: mb(bundle.byteLength),
        readerLimit: mb(CATALOG_DEFAULT_LIMITS.maxBytes),
        ratio: +(pq8.bytes / f16.bytes).toFixed(3),
      },
      adsMetadataBytesPerAd: +(adsByteLength / count).toFixed(1),
      relativeSquaredError: +(error / norm).toFixed(4),
      top10: {
        prefix,
        queries,
        pq8Content: fidelity(codedProjected),
        f16Content: fidelity(f16Projected),
        int8Rows: fidelity(int8Projected),
      },
      ms: {
        generate: Math.round(generateMs),
        trainAndCode: Math.round(codeMs),
        decodePq8: Math.round(decodeMs),
        decodeF16Prefix: { ads: fitF16, ms: Math.round(f16DecodeMs) },
        decodePerAdRatioPq8OverF16: +(decodeMs / count / (f16DecodeMs / fitF16)).toFixed(3),
      },
    },
    null,
    2,
  ),
);
