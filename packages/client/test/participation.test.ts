import { describe, expect, it } from 'vitest';

import {
  analyticGaussianSigma,
  distributedGaussianRho,
  gaussianEpsilon,
  gaussianZcdp,
  localNoiseSigma,
  localSensitivity,
  planSecureSumEncoding,
  secureSumEncodingOf,
  zcdpToEpsilon,
} from '@privads/dp';
import { toBase64Url, type RoundConfig } from '@privads/protocol';

import { spendOf } from '../src/worker/accounting.js';
import { chargeOf } from '../src/worker/participation.js';

const MODEL = { kind: 'linear', contentDim: 384, userDim: 128, parameterCount: 49_280 } as const;

/** A round of the default 49,280-parameter projector with the given privacy. */
function round(privacy: RoundConfig['privacy'], kMin = 2): RoundConfig {
  return {
    formatVersion: 2,
    roundId: 1,
    projectorVersion: 1,
    model: MODEL,
    clipNorm: 1,
    privacy,
    kMin,
    deadline: '2030-01-01T00:00:00Z',
    participation: { maxParticipationsPerDevice: 30, minRoundGap: 1, samplingProbability: 1 },
    acceptedEncodings: privacy.mode === 'distributed' ? ['masked'] : ['f32'],
    maxUploadBytes: 1 << 20,
  };
}

const localRound = (sigma: number): RoundConfig =>
  round({ mode: 'local', epsilon: 1, delta: 1e-6, sigma });

/** The server's default distributed round, at a small scale: k_min 100, at most 1,000 devices. */
function distributedRound(): RoundConfig {
  const rotationSeed = Uint8Array.from({ length: 16 }, (_, i) => 3 * i + 1);
  const encoding = planSecureSumEncoding({
    clipNorm: 1,
    dimension: MODEL.parameterCount,
    bits: 20,
    noiseMultiplier: 4,
    minDevices: 100,
    maxDevices: 1000,
    rotationSeed,
  });
  return round(
    {
      mode: 'distributed',
      noiseMultiplier: 4,
      delta: 1e-6,
      bits: encoding.bits,
      granularity: encoding.granularity,
      deviceSigma: encoding.deviceSigma,
      paddedDimension: encoding.paddedDimension,
      rotationSeed: toBase64Url(rotationSeed),
      beta: encoding.beta,
      threshold: 17,
      degree: 32,
      maxCohort: 1000,
    },
    100,
  );
}

describe('chargeOf', () => {
  it("local: accepts the server's σ from localNoiseSigma and charges ρ = 1/(2z²), z = σ/Δ", () => {
    const sigma = localNoiseSigma(1, 1e-6, 1, 49_280);
    const priced = chargeOf(localRound(sigma));
    expect(priced.ok).toBe(true);
    if (!priced.ok) return;
    const z = sigma / localSensitivity(1, sigma, 49_280);
    // The declaration is checked with the analytic Gaussian the server calibrates with…
    expect(gaussianEpsilon(z, 1e-6)).toBeCloseTo(1, 6);
    // …and the ledger composes zCDP, whose ε for one upload is a little above it.
    expect(priced.charge.rho).toBe(gaussianZcdp(z));
    expect(priced.charge.epsilon).toBe(zcdpToEpsilon(gaussianZcdp(z), 1e-6));
    expect(priced.charge.epsilon).toBeGreaterThan(1);
    expect(priced.charge.epsilon).toBeLessThan(1.2);
  });

  it('local: refuses a σ calibrated for 2C only: it ignores the noise grid’s rounding', () => {
    const priced = chargeOf(localRound(analyticGaussianSigma(1, 1e-6, 2)));
    expect(priced).toMatchObject({ ok: false, reason: 'config-inconsistent' });
  });

  it("distributed: the distributed discrete Gaussian's ρ over k_min‥maxCohort shares, not the declared z", () => {
    const config = distributedRound();
    const priced = chargeOf(config);
    expect(priced.ok).toBe(true);
    if (!priced.ok) return;
    const rho = distributedGaussianRho({
      encoding: secureSumEncodingOf(config),
      devices: 100,
      maxDevices: 1000,
    });
    expect(priced.charge).toMatchObject({ mode: 'distributed', rho, delta: 1e-6 });
    expect(priced.charge.epsilon).toBe(zcdpToEpsilon(rho, 1e-6));
    // Close to the continuous Gaussian's 1/(2z²) at this scale (τ is negligible for σ_dev ≫ 1).
    expect(rho).toBeGreaterThanOrEqual(gaussianZcdp(4) * 0.99);
    expect(rho).toBeLessThan(gaussianZcdp(4) * 1.1);
  });

  it('distributed: refuses an encoding that does not validate (D below the parameter count)', () => {
    const config = distributedRound();
    if (config.privacy.mode !== 'distributed') throw new Error('distributed expected');
    const priced = chargeOf({
      ...config,
      privacy: { ...config.privacy, paddedDimension: 32_768 },
    });
    expect(priced).toMatchObject({ ok: false, reason: 'config-invalid' });
  });
});

describe('spendOf (zCDP, every mode)', () => {
  it('adds ρ over participations and modes, and converts once at the largest δ', () => {
    const ledger = [
      { roundId: 1, mode: 'central', epsilon: 1, delta: 1e-6, rho: 0.1, noiseMultiplier: 2.236 },
      { roundId: 2, mode: 'distributed', epsilon: 1, delta: 1e-6, rho: 0.05 },
      { roundId: 3, mode: 'distributed', epsilon: 1, delta: 1e-7, rho: 0.05 },
    ] as const;
    const spend = spendOf(ledger);
    expect(spend.byMode.distributed).toMatchObject({ participations: 2, delta: 1e-6 });
    expect(spend.byMode.distributed.rho).toBeCloseTo(0.1, 15);
    expect(spend.totalRho).toBeCloseTo(0.2, 15);
    expect(spend.totalEpsilon).toBe(zcdpToEpsilon(spend.totalRho, 1e-6));
    // Tighter than adding the per-mode ε's.
    expect(spend.totalEpsilon).toBeLessThan(
      spend.byMode.central.epsilon + spend.byMode.distributed.epsilon,
    );
  });

  it('prices a record written before ρ was kept from its noise multiplier, and `none` as ∞', () => {
    const legacy = spendOf([
      { roundId: 1, mode: 'central', epsilon: 4, delta: 1e-6, noiseMultiplier: 1.1 },
    ]);
    expect(legacy.totalRho).toBe(gaussianZcdp(1.1));
    const none = spendOf([{ roundId: 1, mode: 'none', epsilon: Infinity, delta: 0 }]);
    expect(none.totalEpsilon).toBe(Infinity);
    expect(spendOf([]).totalEpsilon).toBe(0);
  });
});
