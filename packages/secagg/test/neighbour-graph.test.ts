import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { buildNeighbourGraph } from '@privads/secagg';

const graphArgs = fc
  .record({ n: fc.integer({ min: 1, max: 80 }), half: fc.integer({ min: 1, max: 10 }) })
  .chain(({ n, half }) =>
    fc.record({
      n: fc.constant(n),
      k: fc.constant(2 * half),
      permutation: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i + 1),
        { minLength: n, maxLength: n },
      ),
    }),
  );

describe('buildNeighbourGraph', () => {
  it('is symmetric, k-regular (complete when n ≤ k + 1), loop-free and deterministic', () => {
    fc.assert(
      fc.property(graphArgs, ({ n, k, permutation }) => {
        const g = buildNeighbourGraph(n, k, permutation);
        const degree = n <= k + 1 ? n - 1 : k;
        expect(g.size).toBe(n);
        for (const [slot, ns] of g) {
          expect(ns).toHaveLength(degree);
          expect(new Set(ns).size).toBe(degree);
          expect(ns).not.toContain(slot);
          for (const v of ns) expect(g.get(v)).toContain(slot);
        }
        expect(buildNeighbourGraph(n, k, permutation)).toEqual(g);
      }),
      { numRuns: 40 },
    );
  });

  it('joins ring neighbours in permuted order', () => {
    const g = buildNeighbourGraph(6, 2, [3, 1, 6, 2, 5, 4]);
    expect(g.get(3)).toEqual([1, 4]);
    expect(g.get(6)).toEqual([1, 2]);
  });

  it('rejects bad arguments', () => {
    expect(() => buildNeighbourGraph(4, 3, [1, 2, 3, 4])).toThrow(RangeError);
    expect(() => buildNeighbourGraph(4, 2, [1, 2, 3, 3])).toThrow(RangeError);
    expect(() => buildNeighbourGraph(4, 2, [1, 2, 3])).toThrow(RangeError);
  });
});
