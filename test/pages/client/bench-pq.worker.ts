/// <reference lib="webworker" />
/**
 * PQ benchmark in a module worker, where the client ranks: a synthetic clustered catalog, its PQ
 * index built by the server's trainer and sent through the wire format, then per query (all
 * interleaved, so machine load hits each alike) the PQ searcher at each re-rank depth, the
 * client's ranking path (the searcher's candidates re-ranked exactly with the int8 rows), a plain
 * Float32 loop over the original vectors (the same-run baseline, which also gives the exact top 10
 * that recall is measured against), and the exact WASM SIMD int8 engine.
 */
import { trainProductQuantizer } from '../../../packages/model/src/index.js';
import {
  decodePqIndex,
  encodePqIndex,
  quantizeRowsInt8,
} from '../../../packages/protocol/src/index.js';
import { createClusteredEmbeddings } from '../../../packages/sim/src/synthetic/clustered-embeddings.js';
import { PqSearcher } from '../../../packages/client/src/engines/pq-searcher.js';
import { unitRowMatrix } from '../../../packages/client/src/engines/unit-rows.js';
import { scaledRowScores } from '../../../packages/client/src/engines/cpu-engine.js';
import { PqRanker } from '../../../packages/client/src/worker/pq-ranker.js';
import { wasmSimdEngineProvider } from '../../../packages/client/src/engines/wasm-engine.js';
import {
  indexIsFaster,
  timeRankingPaths,
} from '../../../packages/client/src/worker/ranking-probe.js';
import type { PqBenchDepth, PqBenchRequest, PqBenchResult } from './bench-pq-result.js';
import { naiveTopK, stats } from './bench-support.js';

const K = 10;
const WARMUP = 3;

async function gzipBytes(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function run(request: PqBenchRequest): Promise<PqBenchResult> {
  const dim = 128;
  const { ads, queries } = createClusteredEmbeddings({
    count: request.count,
    queries: request.queries,
    dim,
  });
  let t0 = performance.now();
  const trained = trainProductQuantizer(ads, dim, {
    stages: request.stages,
    trainingSample: request.trainingSample,
    rotate: request.rotate,
    partitions: request.partitions,
  });
  const trainMs = performance.now() - t0;
  const wire = encodePqIndex(trained) as Uint8Array<ArrayBuffer>;
  const indexGzipBytes = await gzipBytes(wire);
  t0 = performance.now();
  const searcher = await PqSearcher.create();
  searcher.load(decodePqIndex(wire));
  const loadMs = performance.now() - t0;

  const int8 = quantizeRowsInt8(ads, dim);
  const probe = await wasmSimdEngineProvider.probe({ force: true });
  if (!probe.ok) throw new Error(probe.reason);
  const wasm = await probe.create();
  const matrix = unitRowMatrix('bench', request.count, dim, int8.values, int8.scales);
  await wasm.load(matrix);
  // The client's ranking path: the index's candidates re-ranked exactly with the int8 rows.
  const ranker = await PqRanker.load(wire, {
    version: 0,
    projectorVersion: 0,
    count: request.count,
    userDim: dim,
    cosinesOf: (indices, query) => scaledRowScores(matrix, query, indices),
  });

  const f32Samples: number[] = [];
  const wasmSamples: number[] = [];
  const depthSamples = request.rerank.map(() => [] as number[]);
  const hits = request.rerank.map(() => 0);
  const rankerSamples = request.exactRerank.map(() => [] as number[]);
  const rankerHits = request.exactRerank.map(() => 0);
  for (let i = 0; i < WARMUP + request.queries; i++) {
    const q = queries.subarray((i % request.queries) * dim, ((i % request.queries) + 1) * dim);
    let t = performance.now();
    const exact = new Set(naiveTopK(ads, dim, q, K));
    if (i >= WARMUP) f32Samples.push(performance.now() - t);
    t = performance.now();
    await wasm.topK(q, K);
    if (i >= WARMUP) wasmSamples.push(performance.now() - t);
    for (const [d, { depth, scan }] of request.exactRerank.entries()) {
      t = performance.now();
      const ranked = await ranker.topK(q, K, depth, scan);
      if (i < WARMUP) continue;
      rankerSamples[d]?.push(performance.now() - t);
      for (const index of ranked.indices)
        if (exact.has(index)) rankerHits[d] = (rankerHits[d] as number) + 1;
    }
    request.rerank.forEach((rerank, d) => {
      t = performance.now();
      const got = searcher.topK(q, K, { rerank });
      if (i < WARMUP) return;
      depthSamples[d]?.push(performance.now() - t);
      for (const index of got.indices) if (exact.has(index)) hits[d] = (hits[d] as number) + 1;
    });
  }
  // What the worker decides with `pqIndex: 'auto'`: both paths timed on an engine of their own.
  const timingEngine = await probe.create();
  t0 = performance.now();
  const timings = await timeRankingPaths(ranker, timingEngine, matrix, () => performance.now());
  const probeMs = performance.now() - t0;
  timingEngine.dispose();
  const depths: PqBenchDepth[] = request.rerank.map((rerank, d) => ({
    rerank,
    ...stats(depthSamples[d] as number[]),
    recallAt10: Number(((hits[d] as number) / (K * request.queries)).toFixed(4)),
  }));
  wasm.dispose();
  searcher.dispose();
  ranker.dispose();
  return {
    count: request.count,
    dim,
    stages: request.stages,
    rotated: trained.rotation !== undefined,
    partitions: trained.partitions ? trained.partitions.centroids.length / dim : 0,
    indexBytes: wire.byteLength,
    indexGzipBytes,
    int8Bytes: request.count * (dim + 4),
    f32Bytes: request.count * dim * 4,
    trainMs: Math.round(trainMs),
    loadMs: Math.round(loadMs),
    f32Loop: stats(f32Samples),
    wasmInt8: stats(wasmSamples),
    depths,
    exactRerank: request.exactRerank.map(({ depth, scan }, d) => ({
      candidates: depth,
      scan,
      ...stats(rankerSamples[d] as number[]),
      recallAt10: Number(((rankerHits[d] as number) / (K * request.queries)).toFixed(4)),
    })),
    rankingProbe: { ...timings, indexChosen: indexIsFaster(timings), tookMs: Math.round(probeMs) },
  };
}

self.onmessage = (event: MessageEvent<PqBenchRequest>) => {
  run(event.data).then(
    (result) => postMessage(result),
    (error: unknown) => postMessage({ error: String(error) }),
  );
};
