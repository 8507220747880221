import { describe, expect, it } from 'vitest';
import { createClusteredEmbeddings } from '../src/index.js';

describe('clustered embeddings', () => {
  it('gives unit vectors, the same for the same seed', () => {
    const a = createClusteredEmbeddings({ count: 300, queries: 5, dim: 32, topics: 20, seed: 4 });
    const b = createClusteredEmbeddings({ count: 300, queries: 5, dim: 32, topics: 20, seed: 4 });
    expect(a.ads).toEqual(b.ads);
    for (const rows of [a.ads, a.queries]) {
      for (let i = 0; i < rows.length / 32; i++) {
        expect(Math.hypot(...rows.subarray(i * 32, (i + 1) * 32))).toBeCloseTo(1, 5);
      }
    }
  });

  it('is clustered: an ad is closer to some other ads than random unit vectors are', () => {
    const { ads } = createClusteredEmbeddings({ count: 400, queries: 0, dim: 64, topics: 10 });
    const dot = (i: number, j: number) => {
      let s = 0;
      for (let t = 0; t < 64; t++) s += ads[i * 64 + t]! * ads[j * 64 + t]!;
      return s;
    };
    let best = 0;
    for (let j = 1; j < 400; j++) best = Math.max(best, dot(0, j));
    // Random unit vectors in 64-d rarely exceed 0.4 in 400 tries.
    expect(best).toBeGreaterThan(0.6);
  });

  it('rejects a bad size', () => {
    expect(() => createClusteredEmbeddings({ count: -1, queries: 0 })).toThrow(RangeError);
  });
});
