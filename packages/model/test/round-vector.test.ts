import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { participationCost } from '@privads/dp';
import { popularityBias, popularityPrior, roundUpdateVector } from '@privads/model';
import { updateNormBound, type AdCountsQuery, type RoundConfig } from '@privads/protocol';

const query: AdCountsQuery = {
  catalogVersion: 3,
  adCount: 4,
  adsChecksum: 'crc32c:00000000',
  maxImpressions: 6,
  maxClicks: 2,
  scale: 0.05,
};
const config = {
  clipNorm: 0.8,
  model: { kind: 'linear', contentDim: 2, userDim: 2, parameterCount: 4 },
  counts: query,
} as const satisfies Pick<RoundConfig, 'clipNorm' | 'model' | 'counts'>;

describe('roundUpdateVector', () => {
  it('appends the bounded, scaled counts after the clipped gradient', () => {
    const v = roundUpdateVector(config, Float32Array.from([3, 4, 0, 0]), {
      impressions: [1, 0, 2, 0],
      clicks: [0, 0, 1, 0],
    });
    expect(v.values.length).toBe(12);
    expect(Array.from(v.values.slice(0, 4)).map((x) => +x.toFixed(6))).toEqual([0.48, 0.64, 0, 0]);
    expect(Array.from(v.values.slice(4)).map((x) => +(x / 0.05).toFixed(4))).toEqual([
      1, 0, 2, 0, 0, 0, 1, 0,
    ]);
    expect(v.preClipNorm).toBeCloseTo(5, 5);
  });

  it('never exceeds the joint bound √(C² + (s√(i² + c²))²) for any gradient and counts', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 4, maxLength: 4, noNaN: true, noDefaultInfinity: true }),
        fc.array(fc.nat({ max: 50 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.nat({ max: 50 }), { minLength: 4, maxLength: 4 }),
        (gradient, impressions, clicks) => {
          const v = roundUpdateVector(config, gradient, { impressions, clicks });
          expect(Math.hypot(...v.values)).toBeLessThanOrEqual(updateNormBound(config) * (1 + 1e-6));
        },
      ),
    );
  });

  it('sends a zero counts segment for a device that saw nothing', () => {
    const v = roundUpdateVector(config, new Float32Array(4));
    expect(Array.from(v.values)).toEqual(new Array(12).fill(0));
  });

  it('refuses counts of the wrong length', () => {
    expect(() =>
      roundUpdateVector(config, new Float32Array(4), { impressions: [1], clicks: [0, 0, 0, 0] }),
    ).toThrow(RangeError);
  });
});

describe('participationCost with counts', () => {
  it('central: the counts add (s√(i²+c²)/C)² of the gradient ρ, and the share is reported', () => {
    const round = {
      ...config,
      privacy: { mode: 'central', noiseMultiplier: 2, delta: 1e-6 },
      kMin: 1,
    } as unknown as RoundConfig;
    const cost = participationCost(round);
    const share = (0.05 * Math.hypot(6, 2)) / 0.8;
    expect(cost?.rho).toBeCloseTo((1 + share ** 2) / 8, 12);
    expect(cost?.countsRho).toBeCloseTo(share ** 2 / 8, 12);
  });
});

describe('popularity prior', () => {
  it('is the smoothed log click share, clamping noisy negatives at 0', () => {
    const prior = popularityPrior([3, -2, 0, 1], 1);
    expect(Array.from(prior)).toEqual([4 / 8, 1 / 8, 1 / 8, 2 / 8].map(Math.log));
  });

  it('gives a bias ≤ 0 whose largest value is 0 and whose order is the clicks order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -50, max: 500, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.float({ min: 0, max: 2, noNaN: true }),
        (clicks, weight) => {
          const bias = popularityBias({ clicks, weight, smoothing: 1 });
          expect(Math.max(...bias)).toBe(0);
          for (let i = 0; i < clicks.length; i++)
            for (let j = 0; j < clicks.length; j++)
              if (Math.max(clicks[i]!, 0) > Math.max(clicks[j]!, 0) + 1e-3 && weight > 0)
                expect(bias[i]!).toBeGreaterThanOrEqual(bias[j]!);
        },
      ),
    );
  });

  it('refuses a negative weight or a non-positive smoothing', () => {
    expect(() => popularityBias({ clicks: [1], weight: -1, smoothing: 1 })).toThrow(RangeError);
    expect(() => popularityPrior([1], 0)).toThrow(RangeError);
  });
});
