import { describe, expect, it } from 'vitest';
import { planSecureSumEncoding, secureSumEncodingOf } from '@privads/dp';
import { PrivacyParameterError, toBase64Url } from '@privads/protocol';

describe('secureSumEncodingOf (the encoding a distributed round config describes)', () => {
  const base = {
    formatVersion: 2 as const,
    roundId: 4,
    projectorVersion: 2,
    model: { kind: 'linear' as const, contentDim: 8, userDim: 4, parameterCount: 36 },
    clipNorm: 1,
    kMin: 4,
    deadline: '2030-01-01T00:00:00Z',
    participation: { maxParticipationsPerDevice: 5, minRoundGap: 1, samplingProbability: 1 },
    acceptedEncodings: ['masked' as const],
    maxUploadBytes: 1024,
  };
  const plan = planSecureSumEncoding({
    clipNorm: 1,
    dimension: 36,
    bits: 16,
    noiseMultiplier: 1,
    minDevices: 4,
    maxDevices: 10,
    rotationSeed: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
  });
  const privacy = {
    mode: 'distributed' as const,
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

  it('gives back the planned encoding', () => {
    expect(secureSumEncodingOf({ ...base, privacy })).toEqual(plan);
  });

  it('refuses other modes and malformed parameters with PrivacyParameterError', () => {
    expect(() =>
      secureSumEncodingOf({
        ...base,
        privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
        acceptedEncodings: ['f32'],
      }),
    ).toThrow(PrivacyParameterError);
    expect(() =>
      secureSumEncodingOf({ ...base, privacy: { ...privacy, paddedDimension: 32 } }),
    ).toThrow(PrivacyParameterError);
    expect(() =>
      secureSumEncodingOf({ ...base, privacy: { ...privacy, rotationSeed: '!!' } }),
    ).toThrow(PrivacyParameterError);
  });
});
