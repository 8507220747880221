import { describe, expect, it } from 'vitest';

import { analyticGaussianSigma, localNoiseSigma } from '@privads/dp';
import type { RoundConfig } from '@privads/protocol';

import { chargeOf } from '../src/worker/participation.js';

/** A local-mode round of the default 49,280-parameter projector with the given σ. */
function localRound(sigma: number): RoundConfig {
  return {
    formatVersion: 2,
    roundId: 1,
    projectorVersion: 1,
    model: { kind: 'linear', contentDim: 384, userDim: 128, parameterCount: 49_280 },
    clipNorm: 1,
    privacy: { mode: 'local', epsilon: 1, delta: 1e-6, sigma },
    kMin: 2,
    deadline: '2030-01-01T00:00:00Z',
    participation: { maxParticipationsPerDevice: 30, minRoundGap: 1, samplingProbability: 1 },
    acceptedEncodings: ['f32'],
    maxUploadBytes: 1 << 20,
  };
}

describe('chargeOf (local mode)', () => {
  it("accepts the server's σ from localNoiseSigma and prices it at the declared ε", () => {
    const priced = chargeOf(localRound(localNoiseSigma(1, 1e-6, 1, 49_280)));
    expect(priced.ok).toBe(true);
    if (priced.ok) expect(priced.charge.epsilon).toBeCloseTo(1, 6);
  });

  it('refuses a σ calibrated for 2C only: it ignores the noise grid’s rounding', () => {
    const priced = chargeOf(localRound(analyticGaussianSigma(1, 1e-6, 2)));
    expect(priced).toMatchObject({ ok: false, reason: 'config-inconsistent' });
  });
});
