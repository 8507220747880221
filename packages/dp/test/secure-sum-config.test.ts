import { describe, expect, it } from 'vitest';
import {
  distributedGaussianRho,
  localSensitivity,
  participationCost,
  planSecureSumEncoding,
  secureSumEncodingOf,
} from '@privads/dp';
import {
  PrivacyParameterError,
  toBase64Url,
  type DistributedPrivacy,
  type RoundConfig,
} from '@privads/protocol';

/** A distributed round of a 36-parameter model: k_min 4, at most 10 devices. */
const plan = planSecureSumEncoding({
  clipNorm: 1,
  dimension: 36,
  bits: 16,
  noiseMultiplier: 1,
  minDevices: 4,
  maxDevices: 10,
  rotationSeed: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
});
const distributedPrivacy: DistributedPrivacy = {
  mode: 'distributed',
  noiseMultiplier: 1,
  delta: 1e-6,
  bits: plan.bits,
  granularity: plan.granularity,
  deviceSigma: plan.deviceSigma,
  paddedDimension: plan.paddedDimension,
  rotationSeed: toBase64Url(plan.rotationSeed),
  beta: plan.beta,
  threshold: 3,
  degree: 4,
  maxCohort: 10,
};

const round = (privacy: RoundConfig['privacy']): RoundConfig => ({
  formatVersion: 2,
  roundId: 1,
  projectorVersion: 1,
  model: { kind: 'linear', contentDim: 8, userDim: 4, parameterCount: 36 },
  clipNorm: 1,
  privacy,
  kMin: 4,
  deadline: '2030-01-01T00:00:00Z',
  participation: { maxParticipationsPerDevice: 5, minRoundGap: 1, samplingProbability: 1 },
  acceptedEncodings: privacy.mode === 'distributed' ? ['masked'] : ['f32'],
  maxUploadBytes: 1 << 20,
});

describe('secureSumEncodingOf (the encoding a distributed round config describes)', () => {
  it('gives back the planned encoding', () => {
    expect(secureSumEncodingOf(round(distributedPrivacy))).toEqual(plan);
  });

  it('refuses other modes and malformed parameters with PrivacyParameterError', () => {
    expect(() =>
      secureSumEncodingOf(round({ mode: 'central', noiseMultiplier: 1, delta: 1e-6 })),
    ).toThrow(PrivacyParameterError);
    expect(() =>
      secureSumEncodingOf(round({ ...distributedPrivacy, paddedDimension: 32 })),
    ).toThrow(PrivacyParameterError);
    expect(() => secureSumEncodingOf(round({ ...distributedPrivacy, rotationSeed: '!!' }))).toThrow(
      PrivacyParameterError,
    );
  });
});

describe('participationCost (the one pricing rule of server, client and simulator)', () => {
  it('prices central, local and distributed rounds, and none as no guarantee', () => {
    expect(participationCost(round({ mode: 'central', noiseMultiplier: 2, delta: 1e-6 }))).toEqual({
      noiseMultiplier: 2,
      rho: 1 / 8,
      countsRho: 0,
    });
    const sigma = 3;
    const local = participationCost(round({ mode: 'local', epsilon: 1, delta: 1e-6, sigma }));
    const z = sigma / localSensitivity(1, sigma, 36);
    expect(local?.noiseMultiplier).toBe(z);
    expect(local?.rho).toBeCloseTo(1 / (2 * z * z), 12);
    expect(participationCost(round({ mode: 'none' }))).toBeUndefined();
    const distributed = round(distributedPrivacy);
    const atKMin = participationCost(distributed)?.rho as number;
    expect(atKMin).toBeCloseTo(
      distributedGaussianRho({ encoding: plan, devices: 4, maxDevices: 10 }),
      12,
    );
    // More noise shares in the sum: a smaller ρ.
    expect(participationCost(distributed, 10)?.rho).toBeLessThan(atKMin);
  });
});
