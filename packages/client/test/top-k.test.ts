import fc from 'fast-check';
import { referenceTopK } from '@privads/model';
import { describe, expect, it } from 'vitest';
import { TopKCollector, selectTopK } from '../src/engines/top-k.js';

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
