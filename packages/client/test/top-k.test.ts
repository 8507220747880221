import fc from 'fast-check';
import { referenceTopK } from '@privads/model';
import { describe, expect, it } from 'vitest';
import {
  MAX_CANDIDATES,
  TopKCollector,
  selectTopK,
  topKOfCandidates,
} from '../src/engines/top-k.js';

describe('selectTopK', () => {
  it('matches the reference top K, ties to the lower index', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 200 }),
        fc.nat(50),
        (values, k) => {
          // Small integers make ties common, which is what this property is about.
          const scores = Float32Array.from(values, (v) => v / 4);
          expect(Array.from(selectTopK(scores, k).indices)).toEqual(referenceTopK(scores, k));
        },
      ),
    );
  });

  it('reports scores in the same order and ignores NaN', () => {
    const { indices, scores } = selectTopK(Float32Array.from([0.1, NaN, 0.9, 0.5]), 3);
    expect(Array.from(indices)).toEqual([2, 3, 0]);
    expect(Array.from(scores)).toEqual([Math.fround(0.9), 0.5, Math.fround(0.1)]);
  });

  it('rejects a negative or fractional K', () => {
    expect(() => new TopKCollector(-1)).toThrow(RangeError);
    expect(() => new TopKCollector(1.5)).toThrow(RangeError);
  });
});

describe('topKOfCandidates', () => {
  it('matches the reference top K of the candidates in any order, ties to the lower index', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -8, max: 8 }), { maxLength: 120 }),
        fc.nat(40),
        fc.nat(),
        (values, k, seed) => {
          const all = Array.from(values.keys());
          // A shuffled subset of the indices (a deterministic permutation from `seed`).
          const candidates = all
            .filter((i) => (i * 7 + seed) % 3 !== 0)
            .sort(
              (a, b) =>
                (((a * 2654435761 + seed) >>> 16) % 97) - (((b * 2654435761 + seed) >>> 16) % 97),
            );
          const scores = candidates.map((i) => (values[i] as number) / 4);
          const want = candidates
            .map((i, c) => ({ i, score: scores[c] as number }))
            .sort((a, b) => b.score - a.score || a.i - b.i)
            .slice(0, k)
            .map(({ i }) => i);
          expect(Array.from(topKOfCandidates(candidates, scores, k).indices)).toEqual(want);
        },
      ),
    );
  });

  it('refuses more candidates than its sort keys hold exactly', () => {
    const many = new Int32Array(MAX_CANDIDATES + 1).map((_, i) => i);
    expect(() => topKOfCandidates(many, new Float32Array(many.length), 1)).toThrow(RangeError);
  });
});
