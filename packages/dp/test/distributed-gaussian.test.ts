import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_BETA,
  composedNoiseMultiplier,
  distributedGaussianEpsilon,
  distributedGaussianRho,
  distributedGaussianTau,
  gaussianEpsilon,
  planSecureSumEncoding,
} from '@privads/dp';
import type { SecureSumEncoding } from '@privads/dp';

const SEED = new Uint8Array(16).fill(1);

/** An encoding with γ = 1 and β = 0, so that Δ₂ = C + √D exactly. */
function encoding(clipNorm: number, dim: number, deviceSigma: number): SecureSumEncoding {
  return {
    clipNorm,
    dimension: dim,
    paddedDimension: dim,
    rotationSeed: SEED,
    granularity: 1,
    bits: 20,
    deviceSigma,
    beta: 0,
  };
}

describe('distributedGaussianRho (Kairouz, Liu & Steinke 2021, Theorem 1)', () => {
  // Expected values: an independent Python transcription of Theorem 1 with τ summed as in
  // `ddgauss_epsilon` (google-research/federated, distributed_dp/accounting_utils.py).
  const cases = [
    { sigma: 0.5, n: 10, D: 1024, delta2: 42, tau: 2.3453253192467702, rho: 953.203281727173 },
    { sigma: 1, n: 1000, D: 4096, delta2: 100, tau: 5.731282577500228e-4, rho: 5.116665722744879 },
    { sigma: 0.3, n: 3, D: 16, delta2: 5, tau: 7.173133130009644, rho: 74.98882881633484 },
    { sigma: 2, n: 5000, D: 65536, delta2: 300, tau: 7.157179647609446e-17, rho: 2.25 },
  ];
  for (const { sigma, n, D, delta2, tau, rho } of cases) {
    it(`σ = ${sigma}, n = ${n}, D = ${D}, Δ₂ = ${delta2} → τ ≈ ${tau.toPrecision(4)}, ρ ≈ ${rho.toPrecision(6)}`, () => {
      const enc = encoding(delta2 - Math.sqrt(D), D, sigma);
      expect(distributedGaussianTau(sigma, n) / tau - 1).toBeLessThan(1e-12);
      expect(
        Math.abs(distributedGaussianRho({ encoding: enc, devices: n }) / rho - 1),
      ).toBeLessThan(1e-12);
    });
  }

  it('the contract example: C = 1, d = 49 280, b = 20, z = 1, k_min = 100, k_max = 300', () => {
    const enc = planSecureSumEncoding({
      clipNorm: 1,
      dimension: 49_280,
      bits: 20,
      noiseMultiplier: 1,
      minDevices: 100,
      maxDevices: 300,
      rotationSeed: SEED,
    });
    // Python reference (same formulas): γ, σ_dev, ρ; ε by CKS `cdp_eps` at δ = 1e-6.
    expect(enc.granularity).toBeCloseTo(1.983686546809255e-5, 18);
    expect(enc.deviceSigma).toBeCloseTo(5041.119029659663, 8);
    expect(distributedGaussianRho({ encoding: enc, devices: 100 })).toBeCloseTo(
      0.5000131671789023,
      10,
    );
    const epsilon = (participations: number): number =>
      distributedGaussianEpsilon({ encoding: enc, devices: 100, participations, delta: 1e-6 });
    expect(epsilon(1)).toBeCloseTo(5.2216122227691875, 6);
    expect(epsilon(21)).toBeCloseTo(33.28667627816516, 6);
    expect(epsilon(0)).toBe(0);
  });

  it('with τ ≈ 0 it is the Gaussian mechanism of sensitivity Δ₂ and std √n·σ', () => {
    const enc = encoding(100, 1024, 50);
    const rho = distributedGaussianRho({ encoding: enc, devices: 40 });
    expect(rho).toBeCloseTo((132 * 132) / (2 * 40 * 2500), 12);
  });

  it('ρ decreases with more noise; with more devices once τ is negligible (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 2000 }),
        (sigma, n) => {
          const rho = (s: number, m: number): number =>
            distributedGaussianRho({ encoding: encoding(10, 256, s), devices: m });
          expect(rho(sigma * 1.1, n)).toBeLessThanOrEqual(rho(sigma, n) * (1 + 1e-12));
          if (sigma >= 1)
            expect(rho(sigma, n + 1)).toBeLessThanOrEqual(rho(sigma, n) * (1 + 1e-12));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('for a small σ τ grows with n, so a range of n is charged its worst case', () => {
    const enc = encoding(10, 256, 0.3);
    const at = (n: number): number => distributedGaussianRho({ encoding: enc, devices: n });
    expect(at(50)).toBeGreaterThan(at(10));
    const range = distributedGaussianRho({ encoding: enc, devices: 10, maxDevices: 50 });
    let worst = 0;
    for (let n = 10; n <= 50; n++) worst = Math.max(worst, at(n));
    expect(range / worst - 1).toBeLessThan(1e-9);
    expect(() => distributedGaussianRho({ encoding: enc, devices: 10, maxDevices: 9 })).toThrow(
      /got 9/,
    );
  });

  it('no noise is no privacy; bad arguments are rejected', () => {
    expect(distributedGaussianRho({ encoding: encoding(1, 16, 0), devices: 5 })).toBe(Infinity);
    const enc = { ...encoding(1, 16, 1), beta: DEFAULT_BETA };
    expect(() => distributedGaussianRho({ encoding: enc, devices: 0 })).toThrow(/got 0/);
    expect(() => distributedGaussianRho({ encoding: enc, devices: 2.5 })).toThrow(/got 2.5/);
    expect(() =>
      distributedGaussianEpsilon({ encoding: enc, devices: 2, participations: 1, delta: 0 }),
    ).toThrow(/got 0/);
  });
});

describe('Gaussian composition (GDP) and exact ε', () => {
  it('z = 1, δ = 1e-6: ε = 4.8866 once, 31.599 after 21 participations', () => {
    // The values the client's ledger tests pin (packages/client, accounting by Balle & Wang).
    expect(Math.abs(gaussianEpsilon(1, 1e-6) - 4.8866)).toBeLessThan(1e-3);
    const z21 = composedNoiseMultiplier(new Array<number>(21).fill(1));
    expect(z21).toBeCloseTo(1 / Math.sqrt(21), 15);
    expect(Math.abs(gaussianEpsilon(z21, 1e-6) - 31.599)).toBeLessThan(1e-3);
  });

  it('composition of mixed multipliers: 1/z² = Σ 1/zᵢ²', () => {
    expect(composedNoiseMultiplier([3, 4])).toBeCloseTo(12 / 5, 15);
    expect(composedNoiseMultiplier([])).toBe(Infinity);
    expect(gaussianEpsilon(Infinity, 1e-5)).toBe(0);
    expect(() => composedNoiseMultiplier([1, 0])).toThrow(/multipliers\[1\].*got 0/);
    expect(() => gaussianEpsilon(1, 1)).toThrow(/got 1/);
  });

  it('ε is monotone: more participations cost more (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.3, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        (z, k) => {
          const eps = (m: number): number =>
            gaussianEpsilon(composedNoiseMultiplier(new Array<number>(m).fill(z)), 1e-6);
          expect(eps(k + 1)).toBeGreaterThanOrEqual(eps(k));
        },
      ),
      { numRuns: 30 },
    );
  });
});
