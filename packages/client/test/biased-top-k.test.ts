import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { popularityBias } from '@privads/model/popularity';
import { CpuEngine } from '../src/engines/cpu-engine.js';
import { biasedTopK } from '../src/worker/biased-top-k.js';
import { fixture, query } from './engine-conformance.js';

describe('biasedTopK (the popularity prior as a re-rank stage over any engine)', () => {
  it('equals the brute-force top-k of cosine + bias, for any catalog, query, k and clicks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.float({ min: 0, max: 3, noNaN: true }),
        fc.array(fc.integer({ min: -5, max: 400 }), { minLength: 60, maxLength: 60 }),
        async (rows, seed, k, weight, clicks) => {
          const f = fixture(rows, 8, seed);
          const engine = new CpuEngine();
          await engine.load(f.matrix);
          const q = query(8, seed + 1);
          const bias = popularityBias({ clicks: clicks.slice(0, rows), weight, smoothing: 1 });
          const kk = Math.min(k, rows);
          const got = await biasedTopK(engine, q, kk, bias, rows);
          const cos = await engine.scoreAll(q);
          const totals = Array.from(cos, (s, i) => s + bias[i]!);
          const want = totals
            .map((score, index) => ({ score, index }))
            .sort((a, b) => b.score - a.score || a.index - b.index)
            .slice(0, kk);
          expect(Array.from(got.scores)).toEqual(want.map((w) => Math.fround(w.score)));
          engine.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is the engine top-k itself without a bias', async () => {
    const f = fixture(20, 8, 3);
    const engine = new CpuEngine();
    await engine.load(f.matrix);
    const q = query(8, 4);
    expect(await biasedTopK(engine, q, 5, undefined, 20)).toEqual(await engine.topK(q, 5));
  });
});
