import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { boundCounts } from '@privads/dp';

describe('boundCounts', () => {
  it('keeps counts within the bound unchanged', () => {
    expect(Array.from(boundCounts([1, 0, 2], 3))).toEqual([1, 0, 2]);
  });

  it('scales counts over the bound down by largest remainders', () => {
    expect(Array.from(boundCounts([9, 0, 3], 4))).toEqual([3, 0, 1]);
    expect(Array.from(boundCounts([1, 1, 1], 2))).toEqual([1, 1, 0]);
  });

  it('always returns integers ≤ the input, summing to min(total, max), with L2 norm ≤ max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { maxLength: 50 }),
        fc.nat({ max: 200 }),
        (counts, max) => {
          const out = boundCounts(counts, max);
          const total = counts.reduce((a, b) => a + b, 0);
          expect(out.reduce((a, b) => a + b, 0)).toBe(Math.min(total, max));
          out.forEach((x, i) => expect(x).toBeLessThanOrEqual(counts[i] as number));
          expect(Math.hypot(...out)).toBeLessThanOrEqual(max + 1e-9);
        },
      ),
    );
  });

  it('refuses negative, fractional or unsafe counts and bounds', () => {
    expect(() => boundCounts([1, -1], 3)).toThrow(RangeError);
    expect(() => boundCounts([1.5], 3)).toThrow(RangeError);
    expect(() => boundCounts([1], -1)).toThrow(RangeError);
  });
});
