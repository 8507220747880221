import { describe, expect, it } from 'vitest';
import { reconstructPq, trainProductQuantizer } from '@privads/model';
import { decodePqIndex, encodePqIndex, type PqIndex } from '@privads/protocol';
import { PqSearcher } from '../src/engines/pq-searcher.js';
import { unitRows } from './engine-conformance.js';

/** Brute force over the vectors the index stands for: the ranking the re-rank must reproduce. */
function reconstructedTopK(index: PqIndex, q: Float32Array, k: number): number[] {
  const rows = reconstructPq(index);
  const scores = Array.from({ length: index.count }, (_, i) => {
    let s = 0;
    for (let j = 0; j < index.dim; j++) s += (rows[i * index.dim + j] as number) * (q[j] as number);
    return s;
  });
  return Array.from(scores.keys())
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
    .slice(0, k);
}

describe('PQ searcher', () => {
  // 1001 ads: the last fast-scan block is partly padding, which must never be returned.
  const dim = 32;
  const count = 1001;
  const vectors = unitRows(count, dim, 5);
  const index = decodePqIndex(
    encodePqIndex({
      ...trainProductQuantizer(vectors, dim, { stages: [8, 8], iterations: 6 }),
      catalogVersion: 3,
    }),
  );

  it('re-ranking every ad reproduces the brute-force ranking of the reconstructed vectors', async () => {
    const searcher = await PqSearcher.create();
    searcher.load(index);
    expect(searcher.loadedVersion).toBe(3);
    for (const seed of [1, 2, 3]) {
      const q = unitRows(1, dim, 100 + seed);
      const got = searcher.topK(q, 10, { rerank: count });
      const want = reconstructedTopK(index, q, 10);
      expect(Array.from(got.indices)).toEqual(want);
    }
  });

  it('a rotated index scores the rotated query: re-ranking every ad still reproduces brute force', async () => {
    const rotated = decodePqIndex(
      encodePqIndex({
        ...trainProductQuantizer(vectors, dim, { stages: [8, 8], iterations: 6, rotate: true }),
        catalogVersion: 3,
      }),
    );
    expect(rotated.rotation).toBeDefined();
    const searcher = await PqSearcher.create();
    searcher.load(rotated);
    for (const seed of [1, 2, 3]) {
      const q = unitRows(1, dim, 100 + seed);
      const got = searcher.topK(q, 10, { rerank: count });
      expect(Array.from(got.indices)).toEqual(reconstructedTopK(rotated, q, 10));
    }
  });

  it('the fast scan alone finds most of the reconstructed top 10 among 50 candidates', async () => {
    const searcher = await PqSearcher.create();
    searcher.load(index);
    let found = 0;
    for (let seed = 0; seed < 20; seed++) {
      const q = unitRows(1, dim, 200 + seed);
      const got = new Set(searcher.topK(q, 10, { rerank: 50 }).indices);
      for (const i of reconstructedTopK(index, q, 10)) if (got.has(i)) found++;
    }
    // Stage 0 carries about half the vector here; the u8 tables add little error on top.
    expect(found / 200).toBeGreaterThan(0.8);
  });

  describe('with partitions', () => {
    // Ads around 12 topics, so that partitions matter and some are skipped for a query.
    const topics = unitRows(12, dim, 60);
    const noise = unitRows(count, dim, 61);
    const clustered = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < dim; j++) {
        clustered[i * dim + j] = topics[(i % 12) * dim + j]! + 0.25 * noise[i * dim + j]!;
      }
    }
    const partitioned = decodePqIndex(
      encodePqIndex(
        trainProductQuantizer(clustered, dim, { stages: [8, 8], iterations: 6, partitions: 12 }),
      ),
    );
    // Queries near a topic: most partitions' centroids score far below the best ones.
    const queryNear = (seed: number): Float32Array => {
      const q = unitRows(1, dim, 300 + seed);
      for (let j = 0; j < dim; j++) q[j] = topics[(seed % 12) * dim + j]! + 0.3 * q[j]!;
      return q;
    };

    it('re-ranking every ad reproduces brute force over what the index stands for', async () => {
      expect(partitioned.partitions).toBeDefined();
      const searcher = await PqSearcher.create();
      searcher.load(partitioned);
      for (const seed of [1, 2, 3]) {
        const q = queryNear(seed);
        const got = searcher.topK(q, 10, { rerank: count });
        expect(Array.from(got.indices)).toEqual(reconstructedTopK(partitioned, q, 10));
      }
      const all = searcher.topK(queryNear(4), 5000, { rerank: 5000 });
      expect(new Set(all.indices).size).toBe(count);
    });

    it('the fast scan, skipping partitions that cannot reach its best, keeps the top 10', async () => {
      const searcher = await PqSearcher.create();
      searcher.load(partitioned);
      let found = 0;
      for (let seed = 0; seed < 24; seed++) {
        const q = queryNear(seed);
        const got = new Set(searcher.topK(q, 10, { rerank: 40 }).indices);
        for (const i of reconstructedTopK(partitioned, q, 10)) if (got.has(i)) found++;
      }
      expect(found / 240).toBeGreaterThan(0.9);
    });
  });

  it('never returns padding, clamps K, and answers K = 0 and non-finite queries with nothing', async () => {
    const searcher = await PqSearcher.create();
    searcher.load(index);
    const q = unitRows(1, dim, 9);
    const all = searcher.topK(q, 5000, { rerank: 5000 });
    expect(all.indices.length).toBe(count);
    expect(Math.max(...all.indices)).toBe(count - 1);
    expect(searcher.topK(q, 0).indices.length).toBe(0);
    q[0] = Number.NaN;
    expect(searcher.topK(q, 3).indices.length).toBe(0);
  });

  it('rejects bad calls with typed errors', async () => {
    const searcher = await PqSearcher.create();
    expect(() => searcher.topK(new Float32Array(dim), 1)).toThrow(/no index loaded/);
    searcher.load(index);
    expect(() => searcher.topK(new Float32Array(dim - 1), 1)).toThrow(RangeError);
    expect(() => searcher.topK(new Float32Array(dim), 1, { rerank: 0 })).toThrow(RangeError);
    expect(() => searcher.topK(new Float32Array(dim), 1, { rerank: 2 ** 22 })).toThrow(RangeError);
  });
});
