import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { PrivacyParameterError } from '@privads/protocol';
import { RdpAccountant, findNoiseMultiplier } from '@privads/dp';

const epsilonOf = (z: number, q: number, t: number, d: number, conversion?: 'classic'): number =>
  new RdpAccountant().step(z, q, t).getEpsilon(d, conversion).epsilon;

describe('findNoiseMultiplier', () => {
  it('inverts the reference value: ε = 1.9861 for q = 120/3383, 100 rounds → z ≈ 1.2', () => {
    const z = findNoiseMultiplier({
      targetEpsilon: 1.9861146,
      delta: 1e-5,
      sampleRate: 120 / 3383,
      steps: 100,
    });
    expect(Math.abs(z - 1.2)).toBeLessThan(1.2e-4);
  });

  it('meets the target and is minimal up to the relative tolerance', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.3, max: 10, noNaN: true }),
        fc.double({ min: 1e-3, max: 0.2, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 1e-9, max: 1e-4, noNaN: true }),
        fc.constantFrom(1e-2, 1e-4),
        (target, q, t, d, tolerance) => {
          const z = findNoiseMultiplier({
            targetEpsilon: target,
            delta: d,
            sampleRate: q,
            steps: t,
            tolerance,
          });
          return (
            epsilonOf(z, q, t, d) <= target && epsilonOf(z * (1 - tolerance), q, t, d) > target
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('honours the conversion: the classic one needs more noise', () => {
    const query = { targetEpsilon: 2, delta: 1e-5, sampleRate: 0.01, steps: 500 };
    const improved = findNoiseMultiplier(query);
    const classic = findNoiseMultiplier({ ...query, conversion: 'classic' });
    expect(classic).toBeGreaterThan(improved);
    expect(epsilonOf(classic, 0.01, 500, 1e-5, 'classic')).toBeLessThanOrEqual(2);
  });

  it('reports an unreachable target as PrivacyParameterError', () => {
    // With orders up to 1024, ε cannot go below ≈ log(1/δ)/1023 whatever the noise.
    const run = (): number =>
      findNoiseMultiplier({ targetEpsilon: 1e-4, delta: 1e-5, sampleRate: 0.1, steps: 10 });
    expect(run).toThrow(PrivacyParameterError);
    expect(run).toThrow(/reaches epsilon 0.0001/);
  });

  it('rejects invalid queries', () => {
    const ok = { targetEpsilon: 1, delta: 1e-5, sampleRate: 0.01, steps: 10 };
    expect(() => findNoiseMultiplier({ ...ok, targetEpsilon: 0 })).toThrow(RangeError);
    expect(() => findNoiseMultiplier({ ...ok, sampleRate: 0 })).toThrow(RangeError);
    expect(() => findNoiseMultiplier({ ...ok, steps: 0 })).toThrow(RangeError);
    expect(() => findNoiseMultiplier({ ...ok, tolerance: 1 })).toThrow(RangeError);
    expect(() => findNoiseMultiplier({ ...ok, delta: 1 })).toThrow(RangeError);
  });
});
