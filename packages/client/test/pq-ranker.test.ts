/**
 * The PQ ranking path's gate: only an index that decodes and describes exactly the catalog in use
 * is searched; every other input is a typed ProtocolError (fuzzed), which the runtime turns into
 * one `fallback` event and the exact engine (core.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trainProductQuantizer } from '@privads/model';
import { encodePqIndex, ProtocolError } from '@privads/protocol';
import { PqRanker, type IndexedCatalog } from '../src/worker/pq-ranker.js';
import { mutationArbitrary, SECTIONED_FORMAT_CODES } from '../../protocol/test/helpers.js';
import { unitRows } from './engine-conformance.js';

const dim = 16;
const count = 200;
const vectors = unitRows(count, dim, 3);
const cosineOf = (i: number, q: Float32Array): number =>
  q.reduce((sum, x, j) => sum + x * (vectors[i * dim + j] as number), 0);
const cosinesOf = (indices: Int32Array, q: Float32Array): Float32Array =>
  Float32Array.from(indices, (i) => cosineOf(i, q));
const catalog: IndexedCatalog = { version: 4, projectorVersion: 2, count, userDim: dim, cosinesOf };
const bytes = encodePqIndex({
  ...trainProductQuantizer(vectors, dim, { stages: [8, 4], iterations: 4 }),
  catalogVersion: 4,
  projectorVersion: 2,
});

/** Loads, and returns `ok` or the ProtocolError's code (anything else fails the test). */
async function outcome(input: Uint8Array, of: IndexedCatalog = catalog): Promise<string> {
  try {
    const ranker = await PqRanker.load(input, of);
    // A loaded index must rank without throwing.
    const top = await ranker.topK(vectors.subarray(0, dim), 5);
    expect(top.indices.length).toBe(5);
    ranker.dispose();
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).code;
  }
}

describe('PQ ranker', () => {
  it('ranks with an index of this catalog, returning exact cosines of the best candidates', async () => {
    const ranker = await PqRanker.load(bytes, catalog);
    expect(ranker).toMatchObject({ name: 'pq-index', version: 4 });
    for (let i = 0; i < 20; i++) {
      const q = vectors.subarray(i * dim, (i + 1) * dim);
      const top = await ranker.topK(q, 3);
      // Every ad is a candidate here (200 < the exact re-rank depth): the ranking is exact.
      expect(top.indices[0]).toBe(i);
      top.indices.forEach((j, r) => expect(top.scores[r]).toBeCloseTo(cosineOf(j, q), 5));
    }
  });

  it('keeps the lower index first among exact ties, whatever order the index found them in', async () => {
    // Rounded cosines tie in bunches (a tenth apart); all 200 ads are candidates.
    const rounded: IndexedCatalog = {
      ...catalog,
      cosinesOf: (indices, q) => Float32Array.from(indices, (i) => Math.round(cosineOf(i, q) * 10)),
    };
    const ranker = await PqRanker.load(bytes, rounded);
    for (let i = 0; i < 10; i++) {
      const q = vectors.subarray(i * dim, (i + 1) * dim);
      const scores = Array.from({ length: count }, (_, j) => Math.round(cosineOf(j, q) * 10));
      const want = Array.from(scores.keys())
        .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
        .slice(0, 8);
      expect(Array.from((await ranker.topK(q, 8)).indices)).toEqual(want);
    }
  });

  it('refuses an index of another catalog, projector, size or dimension with a typed error', async () => {
    expect(await outcome(bytes, { ...catalog, version: 5 })).toBe('BAD_HEADER');
    expect(await outcome(bytes, { ...catalog, projectorVersion: 1 })).toBe('BAD_HEADER');
    expect(await outcome(bytes, { ...catalog, count: count + 1 })).toBe('DIM_MISMATCH');
    expect(await outcome(bytes, { ...catalog, userDim: 32 })).toBe('DIM_MISMATCH');
  });

  it('refuses every truncation, and any mutation loads or fails with a documented code (property)', async () => {
    for (const n of [0, 7, 8, 40, bytes.length >> 1, bytes.length - 1]) {
      expect(SECTIONED_FORMAT_CODES).toContain(await outcome(bytes.slice(0, n)));
    }
    await fc.assert(
      fc.asyncProperty(mutationArbitrary(bytes.length), async (mutate) => {
        const result = await outcome(mutate(bytes));
        expect([...SECTIONED_FORMAT_CODES, 'ok']).toContain(result);
      }),
      { numRuns: 150 },
    );
  });
});
