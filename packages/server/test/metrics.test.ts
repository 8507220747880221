import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { Counter } from '../src/metrics.js';

const labelSets = fc.dictionary(
  fc.constantFrom('route', 'status', 'reason', 'encoding'),
  fc.string({ maxLength: 6 }),
  { maxKeys: 4 },
);

describe('metric series', () => {
  it('one series per label set, whatever the order of its labels', () => {
    fc.assert(
      fc.property(fc.array(labelSets, { minLength: 1, maxLength: 12 }), (sets) => {
        const counter = new Counter('privads_test_total', 'test');
        for (const labels of sets) {
          counter.inc(labels);
          // The same set with its labels in reverse order counts into the same series.
          counter.inc(Object.fromEntries(Object.entries(labels).reverse()));
        }
        const distinct = new Map<string, number>();
        for (const labels of sets) {
          const canonical = JSON.stringify(Object.entries(labels).sort());
          distinct.set(canonical, (distinct.get(canonical) ?? 0) + 2);
        }
        const series = counter.values();
        expect(series).toHaveLength(distinct.size);
        for (const { labels, value } of series) {
          expect(value).toBe(distinct.get(JSON.stringify(Object.entries(labels).sort())));
        }
      }),
      { numRuns: 300 },
    );
  });
});
