#!/usr/bin/env node
/**
 * A million ads in the browser: builds the product-quantised index of a synthetic clustered
 * catalog (topics of Zipf-distributed size and varying tightness, a decaying spectrum in rotated
 * directions: `createClusteredEmbeddings` of @privads/sim), and in a Chromium module worker
 * measures its size on the wire, the PQ searcher's top-10 latency against a plain Float32 loop
 * and the exact WASM int8 engine over the same ads in the same run, and recall@10 against exact
 * scoring of the original vectors; and the same for the client's ranking path (the searcher's
 * candidates re-ranked exactly with the int8 rows the catalog bundle carries).
 *
 * Usage: node packages/client/bench/pq-million.mjs [count=1000000] [queries=30] [stages=32,32,8]
 *   [rerank=250,1000] [exact=250,1000] [rotate=auto] [partitions=auto]   (exact: DEPTH or
 *   DEPTH@SCAN, the fast scan's pool; rank()'s, PQ_SCAN_POOL, by default. rotate: auto | true | false; partitions: auto | N;
 *   `trainProductQuantizer`'s options)
 */
/* global window -- used inside page.waitForFunction, which runs in the browser */
import { URLSearchParams } from 'node:url';
import { withBrowserHarness } from './browser-harness.mjs';

const [
  count = '1000000',
  queries = '30',
  stages = '32,32,8',
  rerank = '250,1000',
  exact = '250,1000',
  rotate = 'auto',
  partitions = 'auto',
] = process.argv.slice(2);

await withBrowserHarness({ webgpu: false }, async ({ harness, browser }) => {
  const page = await browser.newPage();
  const params = new URLSearchParams({
    count,
    queries,
    stages,
    rerank,
    exact,
    rotate,
    partitions,
  });
  await page.goto(`${harness}/client/bench-pq.html?${params}`);
  await page.waitForFunction(() => window.pqBenchResult !== undefined, undefined, {
    timeout: 3_600_000,
    polling: 1000,
  });
  const result = await page.evaluate(() => window.pqBenchResult);
  if (result.error) throw new Error(result.error);
  const MB = 1e6;
  const ratio = (x) => Number(x.toFixed(4));
  console.log(
    JSON.stringify(
      {
        benchmark: 'client-pq-million',
        browser: `chromium ${browser.version()} headless`,
        catalog: `synthetic clustered, ${result.count} × ${result.dim}`,
        stages: result.stages,
        rotated: result.rotated,
        partitions: result.partitions,
        wire: {
          indexMB: ratio(result.indexBytes / MB),
          indexGzipMB: ratio(result.indexGzipBytes / MB),
          ratioToInt8Rows: ratio(result.indexBytes / result.int8Bytes),
          ratioToF32Rows: ratio(result.indexBytes / result.f32Bytes),
        },
        trainMs: result.trainMs,
        loadMs: result.loadMs,
        unit: 'ms per top-10 query',
        f32Loop: result.f32Loop,
        wasmInt8: {
          ...result.wasmInt8,
          ratioToF32P50: ratio(result.wasmInt8.p50 / result.f32Loop.p50),
        },
        pq: result.depths.map((d) => ({
          ...d,
          ratioToF32P50: ratio(d.p50 / result.f32Loop.p50),
          ratioToWasmInt8P50: ratio(d.p50 / result.wasmInt8.p50),
        })),
        // What rank() does: the index's candidates, re-ranked exactly with the bundle's int8 rows.
        pqExactRerank: result.exactRerank.map((d) => ({
          ...d,
          ratioToF32P50: ratio(d.p50 / result.f32Loop.p50),
          ratioToWasmInt8P50: ratio(d.p50 / result.wasmInt8.p50),
        })),
        // The worker's choice with pqIndex 'auto', against the medians measured above.
        rankingProbe: {
          ...result.rankingProbe,
          exactMsToWasmInt8P50: ratio(result.rankingProbe.exactMs / result.wasmInt8.p50),
          indexMsToPqExactRerankP50: ratio(result.rankingProbe.indexMs / result.exactRerank[0].p50),
        },
      },
      null,
      2,
    ),
  );
});
