import { describe, expect, it } from 'vitest';

import {
  DEFAULT_RDP_ORDERS,
  RdpAccountant,
  composeRdp,
  createSeededRandomSource,
  gaussianRdp,
  sampleGaussian,
  zcdpToEpsilon,
} from '@privads/dp';
import { encodeProjectorFile, initialParameters, type ProjectorSpec } from '@privads/model';
import { decodeAggregateRelease } from '@privads/protocol';
import {
  RoundAccumulator,
  buildRoundConfig,
  finalizeRound,
  nextClipNorm,
  resolveConfig,
  sumNoiseMultiplier,
} from '@privads/server';

import { SMALL_CONFIG } from './helpers.js';

/** TF Privacy's RDP orders (compute_dp_sgd_privacy): 1.1 … 10.9, then 12 … 63. */
const TF_ORDERS = [
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
];

/** The noise multiplier of the sum and the count released together (Andrew et al., Theorem 1). */
const jointMultiplier = (zSum: number, countStd: number): number =>
  (zSum ** -2 + (2 * countStd) ** -2) ** -0.5;

describe('adaptive clipping privacy (Andrew et al. 2021, Theorem 1)', () => {
  it('1/z_Δ² + 1/(2σ_b)² = 1/z²', () => {
    for (const [z, countStd] of [
      [1.1, 5],
      [0.5, 0.3],
      [2, 50],
      [0.8, 12.5],
    ] as const) {
      const zSum = sumNoiseMultiplier(z, countStd);
      expect(zSum).toBeGreaterThan(z);
      expect(zSum ** -2 + (2 * countStd) ** -2).toBeCloseTo(z ** -2, 12);
      // Unsubsampled, the pair's RDP curve is the Gaussian's at z at every order.
      const pair = composeRdp([
        DEFAULT_RDP_ORDERS.map((a) => gaussianRdp(zSum, a)),
        DEFAULT_RDP_ORDERS.map((a) => gaussianRdp(2 * countStd, a)),
      ]);
      pair.forEach((rdp, i) => {
        const alone = gaussianRdp(z, DEFAULT_RDP_ORDERS[i] as number);
        expect(Math.abs(rdp - alone)).toBeLessThanOrEqual(1e-12 * alone);
      });
    }
    expect(() => sumNoiseMultiplier(1.1, 0.5)).toThrow(RangeError);
  });

  it("reproduces TF Privacy's ε = 3.01 (N = 60000, batch 256, z = 1.1, 60 epochs, δ = 1e-5) for the pair", () => {
    // compute_dp_sgd_privacy.py --N=60000 --batch_size=256 --noise_multiplier=1.1 --epochs=60
    // --delta=1e-5 reports ε = 3.01 (classic RDP conversion). Run it with the sum at z_Δ and the
    // count at σ_b = expected batch / 20: as one Gaussian query on the same sample they account
    // exactly like z = 1.1.
    const q = 256 / 60_000;
    const steps = Math.ceil((60 * 60_000) / 256);
    const countStd = 256 / 20;
    const joint = jointMultiplier(sumNoiseMultiplier(1.1, countStd), countStd);
    const epsilonOf = (z: number): number =>
      new RdpAccountant({ orders: TF_ORDERS }).step(z, q, steps).getEpsilon(1e-5, 'classic')
        .epsilon;
    expect(joint).toBeCloseTo(1.1, 12);
    expect(epsilonOf(joint)).toBeCloseTo(epsilonOf(1.1), 9);
    expect(Math.abs(epsilonOf(joint) - 3.01)).toBeLessThan(0.005);
  });

  it('records the pair in the ledger at the Gaussian ε of z, and applies z_Δ to the sum', async () => {
    const z = 1.2;
    const countStd = 5;
    const config = resolveConfig({
      ...SMALL_CONFIG,
      round: {
        ...SMALL_CONFIG.round,
        privacy: { mode: 'central', noiseMultiplier: z, delta: 1e-6 },
        denominator: 100,
        adaptiveClipping: { targetQuantile: 0.5, learningRate: 0.2, countNoiseStd: countStd },
      } as never,
    });
    const spec: ProjectorSpec = { kind: 'linear', contentDim: 8, userDim: 4 };
    const now = new Date('2030-01-01T00:00:00Z');
    const round = buildRoundConfig(config, { roundId: 1, projectorVersion: 1, clipNorm: 1, now });
    const totals = new RoundAccumulator(36);
    for (let i = 0; i < 4; i++) totals.add(new Float32Array(36), i % 2 === 0);
    const commit = await finalizeRound(
      {
        round: { config: round, status: 'open', openedAt: now.toISOString() },
        totals,
        projector: {
          info: { kind: 'projector', version: 1, etag: '"x"', byteLength: 0, createdAt: '' },
          bytes: encodeProjectorFile(spec, initialParameters(spec, 1)),
        },
        ledger: [],
        next: { roundId: 2, projectorVersion: 2, catalogVersion: 1 },
      },
      { config, reason: 'operator', now, source: createSeededRandomSource(1) },
    );
    const q = round.participation.samplingProbability;
    // Per device, no amplification: one release of the pair is ½z⁻²-zCDP, as one Gaussian of z.
    expect(commit.ledgerEntry?.noiseMultiplier).toBe(z);
    expect(commit.ledgerEntry?.rho).toBeCloseTo(1 / (2 * z * z), 12);
    expect(commit.ledgerEntry?.epsilon).toBeCloseTo(zcdpToEpsilon(1 / (2 * z * z), 1e-6), 12);
    // The labelled amplified figure is the subsampled Gaussian's at z.
    const amplified = new RdpAccountant().step(z, q).getEpsilon(1e-6).epsilon;
    expect(commit.ledgerEntry?.epsilonIfParticipationHidden).toBeCloseTo(amplified, 12);
    const zSum = sumNoiseMultiplier(z, countStd);
    expect(jointMultiplier(zSum, countStd)).toBeCloseTo(z, 12);
    const release = decodeAggregateRelease(commit.release as Uint8Array);
    expect(release.metadata.noiseMultiplier).toBe(zSum);
    expect(release.metadata.sigma).toBe(zSum * 1);
    expect(commit.closed.adaptiveClipping?.noisedFraction).toBeGreaterThanOrEqual(0);
  });

  it('refuses adaptive clipping over the real cohort size', () => {
    const round = {
      ...SMALL_CONFIG.round,
      privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
      adaptiveClipping: { targetQuantile: 0.5, learningRate: 0.2, countNoiseStd: 5 },
    };
    expect(() =>
      resolveConfig({ ...SMALL_CONFIG, round: { ...round, denominator: 'cohort' } as never }),
    ).toThrow(/fixed numeric round.denominator.*"cohort"/);
    expect(() =>
      resolveConfig({ ...SMALL_CONFIG, round: { ...round, denominator: 100 } as never }),
    ).not.toThrow();
  });
});

describe('quantile estimator with centred bits and a fixed denominator', () => {
  const exact = { targetQuantile: 0.5, learningRate: 0.2, countNoiseStd: 0 };

  it('centres the bits: half of any cohort below C reads as 1/2, whatever its size', () => {
    for (const n of [10, 50, 100, 174]) {
      const half = nextClipNorm(exact, 1, { belowClip: n / 2, cohortSize: n }, 100);
      expect(half.noisedFraction).toBe(0.5);
      expect(half.clipNorm).toBe(1);
    }
    // 50 updates all below C with 100 expected: (50 − 25)/100 + 1/2, not 50/50 = 1.
    expect(nextClipNorm(exact, 1, { belowClip: 50, cohortSize: 50 }, 100).noisedFraction).toBe(
      0.75,
    );
    // Clamped to [0, 1] like TF Privacy.
    expect(nextClipNorm(exact, 1, { belowClip: 300, cohortSize: 300 }, 100).noisedFraction).toBe(1);
    expect(() => nextClipNorm(exact, 1, { belowClip: 3, cohortSize: 2 }, 100)).toThrow(RangeError);
    expect(() => nextClipNorm(exact, 1, { belowClip: 1, cohortSize: 2 }, 0)).toThrow(RangeError);
  });

  it('moves C to the target quantile of synthetic norms (noised count, varying cohorts)', () => {
    // Norms are log-normal: median 2, quantile γ at 2·exp(0.5·Φ⁻¹(γ)).
    const source = createSeededRandomSource(2024);
    const expectedCount = 200;
    for (const [target, z] of [
      [0.5, 0],
      [0.8, 0.8416212335729143],
    ] as const) {
      const config = {
        targetQuantile: target,
        learningRate: 0.2,
        countNoiseStd: expectedCount / 20,
      };
      const truth = 2 * Math.exp(0.5 * z);
      let clip = 0.1;
      const late: number[] = [];
      for (let r = 0; r < 400; r++) {
        const n = expectedCount + (r % 41) - 20;
        let belowClip = 0;
        for (let i = 0; i < n; i++) {
          const norm = 2 * Math.exp(0.5 * sampleGaussian(1, { source }));
          if (norm < clip) belowClip++;
        }
        clip = nextClipNorm(
          config,
          clip,
          { belowClip, cohortSize: n },
          expectedCount,
          source,
        ).clipNorm;
        if (r >= 300) late.push(Math.log(clip));
      }
      const geometricMean = Math.exp(late.reduce((a, b) => a + b, 0) / late.length);
      expect(Math.abs(geometricMean / truth - 1)).toBeLessThan(0.1);
    }
  });
});
