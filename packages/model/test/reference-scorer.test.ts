import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { referenceScores, referenceTopK, seededUniforms } from '@privads/model';

describe('referenceScores', () => {
  it('computes cosines in f64, zero rows scoring 0', () => {
    const user = Float32Array.from([3, 4]);
    const catalog = Float32Array.from([3, 4, -6, -8, 0, 0, 1, 0, 0, 2]);
    expect(Array.from(referenceScores(user, catalog, 5, 2))).toEqual([1, -1, 0, 0.6, 0.8]);
    expect(Array.from(referenceScores(new Float32Array(2), catalog, 5, 2))).toEqual([
      0, 0, 0, 0, 0,
    ]);
    expect(referenceScores(user, new Float32Array(0), 0, 2)).toEqual(new Float64Array(0));
  });

  it('matches a direct f64 computation on a 128-d catalog', () => {
    const dim = 128;
    const count = 500;
    const user = seededUniforms(dim, 1);
    const catalog = seededUniforms(count * dim, 2);
    const scores = referenceScores(user, catalog, count, dim);
    for (const i of [0, 17, 499]) {
      let dot = 0;
      let nu = 0;
      let np = 0;
      for (let k = 0; k < dim; k++) {
        dot += user[k]! * catalog[i * dim + k]!;
        nu += user[k]! ** 2;
        np += catalog[i * dim + k]! ** 2;
      }
      expect(scores[i]).toBeCloseTo(dot / Math.sqrt(nu * np), 14);
    }
  });

  it('rejects inconsistent sizes', () => {
    expect(() => referenceScores([1, 0], [1, 0, 1], 2, 2)).toThrow(/count·dim = 4/);
    expect(() => referenceScores([1, 0, 0], [1, 0], 1, 2)).toThrow(/user must have 2/);
    expect(() => referenceScores([1, 0], [1, 0], 1, 0)).toThrow(/dim/);
  });
});

describe('referenceTopK', () => {
  it('orders by score, ties to the lower index, NaN last', () => {
    const scores = [0.5, NaN, 0.9, 0.5, -Infinity, 0.9];
    expect(referenceTopK(scores, 6)).toEqual([2, 5, 0, 3, 4, 1]);
    expect(referenceTopK(scores, 2)).toEqual([2, 5]);
    expect(referenceTopK(scores, 10)).toHaveLength(6);
    expect(referenceTopK([], 3)).toEqual([]);
    expect(() => referenceTopK(scores, -1)).toThrow(/k must be/);
  });

  it('returns the k best, each at least as good as everything left out', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 60 }),
        fc.nat({ max: 70 }),
        (scores, k) => {
          const top = referenceTopK(scores, k);
          expect(top).toHaveLength(Math.min(k, scores.length));
          expect(new Set(top).size).toBe(top.length);
          const chosen = new Set(top);
          for (let i = 1; i < top.length; i++) {
            const [a, b] = [top[i - 1]!, top[i]!];
            expect(scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b)).toBe(true);
          }
          const worst = top.length > 0 ? scores[top[top.length - 1]!]! : Infinity;
          scores.forEach((s, i) => {
            if (!chosen.has(i)) expect(s).toBeLessThanOrEqual(worst);
          });
        },
      ),
    );
  });
});
