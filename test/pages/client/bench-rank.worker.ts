/// <reference lib="webworker" />
/**
 * Rank benchmark in a module worker, where the client scores: each engine's `topK` over int8
 * catalogs of several sizes, and the naive baseline — a plain loop of Float32 dot products over the
 * dequantised rows, then a top-K insertion pass — on the same rows and queries, interleaved.
 */
import { resolveEngine } from '../../../packages/client/src/engines/resolver.js';
import { defaultEngineRegistry } from '../../../packages/client/src/worker/core.js';
import type { ScoringEngine } from '../../../packages/client/src/engines/engine.js';
import { fixture, query } from '../../../packages/client/test/engine-conformance.js';
import type { RankBenchRequest, RankBenchResult, RankBenchRow } from './bench-rank-result.js';
import { naiveTopK, stats } from './bench-support.js';

const WARMUP = 5;

interface Contender {
  readonly engine: string;
  readonly run: (q: Float32Array) => unknown;
  readonly loadMs?: number;
  readonly note?: string;
  readonly dispose?: () => void;
  readonly samples: number[];
}

/** The engines of `names` that can be created here, loaded with `matrix`; failures become rows. */
async function contenders(
  names: readonly string[],
  matrix: Parameters<ScoringEngine['load']>[0],
  k: number,
  failed: RankBenchRow[],
) {
  const out: Contender[] = [];
  for (const name of names) {
    let resolution;
    try {
      resolution = await resolveEngine(defaultEngineRegistry(), { preference: name });
    } catch (error) {
      failed.push({
        engine: name,
        rows: matrix.rows,
        p50: NaN,
        p95: NaN,
        mean: NaN,
        note: String(error),
      });
      continue;
    }
    const { engine, decisions } = resolution;
    const note = decisions.map((d) => `${d.name}: ${d.status} (${d.reason})`).join('; ');
    if (engine.name !== name) {
      engine.dispose();
      failed.push({ engine: name, rows: matrix.rows, p50: NaN, p95: NaN, mean: NaN, note });
      continue;
    }
    const t0 = performance.now();
    await engine.load(matrix);
    const loadMs = Number((performance.now() - t0).toFixed(3));
    out.push({
      engine: name,
      run: (q) => engine.topK(q, k),
      loadMs,
      note,
      dispose: () => engine.dispose(),
      samples: [],
    });
  }
  return out;
}

async function run(request: RankBenchRequest): Promise<RankBenchResult> {
  const out: RankBenchRow[] = [];
  for (const rows of request.sizes) {
    const { matrix, dequantized } = fixture(rows, 128, rows);
    const all: Contender[] = [
      {
        engine: 'naive-f32-loop',
        run: (q) => naiveTopK(dequantized, 128, q, request.k),
        samples: [],
      },
      ...(await contenders(request.engines, matrix, request.k, out)),
    ];
    // Interleaved on the same query, so that load from other processes hits every contender alike.
    for (let i = 0; i < WARMUP + request.iterations; i++) {
      const q = query(128, 1000 + i);
      for (const c of all) {
        const t0 = performance.now();
        await c.run(q);
        if (i >= WARMUP) c.samples.push(performance.now() - t0);
      }
    }
    for (const c of all) {
      c.dispose?.();
      out.push({
        engine: c.engine,
        rows,
        ...stats(c.samples),
        ...(c.loadMs === undefined ? {} : { loadMs: c.loadMs }),
        ...(c.note === undefined ? {} : { note: c.note }),
      });
    }
  }
  return { rows: out };
}

self.onmessage = (event: MessageEvent<RankBenchRequest>) => {
  run(event.data).then(
    (result) => postMessage(result),
    (error: unknown) => postMessage({ rows: [], error: String(error) }),
  );
};
