import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { PrivacyParameterError } from '@privads/protocol';

import {
  DEFAULT_BETA,
  clipByL2Norm,
  createSeededRandomSource,
  dequantizeSecureSum,
  deviceNoiseVariance,
  planSecureSumEncoding,
  quantizeForSecureSum,
  roundedNormBound,
  validateSecureSumEncoding,
} from '@privads/dp';
import type { SecureSumEncoding } from '@privads/dp';
import { meanAndVariance } from './helpers/stats.js';

const SEED = Uint8Array.from({ length: 16 }, (_, i) => 17 * i + 3);

function encoding(overrides: Partial<SecureSumEncoding> = {}): SecureSumEncoding {
  return {
    clipNorm: 1,
    dimension: 100,
    paddedDimension: 128,
    rotationSeed: SEED,
    granularity: 1e-3,
    bits: 16,
    deviceSigma: 0,
    beta: DEFAULT_BETA,
    ...overrides,
  };
}

function l2(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s);
}

function centred(values: Uint32Array, bits: number): Float64Array {
  return Float64Array.from(values, (v) => (v >= 2 ** (bits - 1) ? v - 2 ** bits : v));
}

const gradientArb = (d: number): fc.Arbitrary<Float64Array> =>
  fc.float64Array({
    minLength: d,
    maxLength: d,
    noNaN: true,
    noDefaultInfinity: true,
    min: -5,
    max: 5,
  });

describe('quantizeForSecureSum / dequantizeSecureSum', () => {
  it('one device, no noise: dequantize(quantize(x)) is clip(x) within γ·√D (property)', () => {
    const enc = encoding();
    fc.assert(
      fc.property(gradientArb(100), fc.integer(), (x, seed) => {
        const { values, preClipNorm, clippedNorm } = quantizeForSecureSum(x, enc, {
          source: createSeededRandomSource(seed),
        });
        const back = dequantizeSecureSum(values, enc);
        const clipped = clipByL2Norm(x, 1).values;
        const error = l2(back.map((v, i) => v - (clipped[i] as number)));
        expect(error).toBeLessThanOrEqual(enc.granularity * Math.sqrt(enc.paddedDimension));
        expect(preClipNorm).toBeCloseTo(l2(x), 9);
        expect(clippedNorm).toBeLessThanOrEqual(1);
      }),
      { numRuns: 50 },
    );
  });

  it('the rounded vector never exceeds Δ₂ (property, over β and γ)', () => {
    fc.assert(
      fc.property(
        gradientArb(100),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.double({ min: 1e-3, max: 0.5, noNaN: true }),
        fc.integer(),
        (x, beta, granularity, seed) => {
          const enc = encoding({ beta, granularity });
          const { values } = quantizeForSecureSum(x, enc, {
            source: createSeededRandomSource(seed),
          });
          expect(l2(centred(values, enc.bits))).toBeLessThanOrEqual(roundedNormBound(enc));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('n devices: dequantize(Σ inputs mod 2^b) ≈ Σ clip(xᵢ) within n·γ·√D', () => {
    const enc = planSecureSumEncoding({
      clipNorm: 1,
      dimension: 300,
      bits: 16,
      noiseMultiplier: 0,
      minDevices: 10,
      maxDevices: 20,
      rotationSeed: SEED,
    });
    const source = createSeededRandomSource(5);
    const sum = new Uint32Array(enc.paddedDimension);
    const expected = new Float64Array(enc.dimension);
    for (let device = 0; device < 20; device++) {
      const x = Float64Array.from({ length: 300 }, (_, i) => Math.sin(device * 7 + i) * 0.2);
      const clipped = clipByL2Norm(x, 1).values;
      clipped.forEach((v, i) => (expected[i] = (expected[i] as number) + v));
      const { values } = quantizeForSecureSum(x, enc, { source });
      values.forEach((v, i) => (sum[i] = ((sum[i] as number) + v) % 2 ** enc.bits));
    }
    const back = dequantizeSecureSum(sum, enc);
    const error = l2(back.map((v, i) => v - (expected[i] as number)));
    expect(error).toBeLessThanOrEqual(20 * enc.granularity * Math.sqrt(enc.paddedDimension));
    // Rounding errors are independent and unbiased, so the real error is ~√n·γ·√D/2, far below.
    expect(error).toBeLessThan(0.25 * 20 * enc.granularity * Math.sqrt(enc.paddedDimension));
  });

  it('noise: each coordinate gets N_Z(0, ⌈σ_dev²⌉) (mean, variance)', () => {
    const enc = encoding({ dimension: 4096, paddedDimension: 4096, deviceSigma: 30.2 });
    expect(deviceNoiseVariance(enc)).toEqual({ numerator: 913n, denominator: 1n });
    const { values } = quantizeForSecureSum(new Float64Array(4096), enc, {
      source: createSeededRandomSource(11),
    });
    const { mean, variance } = meanAndVariance(centred(values, enc.bits));
    expect(Math.abs(mean)).toBeLessThan(4.26 * Math.sqrt(913 / 4096));
    expect(Math.abs(variance / 913 - 1)).toBeLessThan(4.26 * Math.sqrt(2 / 4096));
  });

  it('σ_dev below 1 is used exactly', () => {
    expect(deviceNoiseVariance(encoding({ deviceSigma: 0.5 }))).toEqual({
      numerator: 1n,
      denominator: 4n,
    });
    expect(deviceNoiseVariance(encoding({ deviceSigma: 0 })).numerator).toBe(0n);
  });

  it('rejects wrong lengths and out-of-range sums', () => {
    const enc = encoding();
    expect(() => quantizeForSecureSum(new Float64Array(99), enc)).toThrow(/99 values/);
    expect(() => dequantizeSecureSum(new Uint32Array(100), enc)).toThrow(/100 values/);
    expect(() => dequantizeSecureSum(new Uint32Array(128).fill(2 ** 16), enc)).toThrow(
      /65536 at index 0/,
    );
    expect(() =>
      quantizeForSecureSum(Float64Array.of(NaN, ...new Array<number>(99).fill(0)), enc),
    ).toThrow(PrivacyParameterError);
  });
});

describe('roundedNormBound (reference: rounded_l2_norm_bound of google-research/federated)', () => {
  // Values from an independent NumPy transcription of distributed_dp/accounting_utils.py.
  const cases = [
    { c: 100, beta: Math.exp(-0.5), D: 1024, expected: 101.84301645179212 },
    { c: 100, beta: 0, D: 1024, expected: 132 },
    { c: 50400, beta: Math.exp(-0.5), D: 65536, expected: 50400.663805152406 },
    { c: 3, beta: 0.9, D: 4096, expected: 32.38929647547049 },
  ];
  for (const { c, beta, D, expected } of cases) {
    it(`c = ${c}, β = ${beta.toFixed(3)}, D = ${D} → ${expected}`, () => {
      const enc = encoding({ clipNorm: c, granularity: 1, dimension: D, paddedDimension: D, beta });
      expect(roundedNormBound(enc)).toBeCloseTo(expected, 9);
    });
  }
});

describe('planSecureSumEncoding', () => {
  it('follows the contract: σ_dev·γ·√k_min = z·C and the headroom formula for γ', () => {
    const enc = planSecureSumEncoding({
      clipNorm: 1,
      dimension: 49_280,
      bits: 20,
      noiseMultiplier: 1,
      minDevices: 100,
      maxDevices: 300,
      rotationSeed: SEED,
    });
    expect(enc.paddedDimension).toBe(65_536);
    expect(enc.beta).toBe(DEFAULT_BETA);
    const expectedGamma = (2 * 6 * Math.sqrt(300 / 65_536 + 300 / 100)) / 2 ** 20;
    expect(enc.granularity).toBeCloseTo(expectedGamma, 15);
    expect(enc.deviceSigma * enc.granularity * Math.sqrt(100)).toBeCloseTo(1, 12);
  });

  it('validates every option and field, quoting the bad value', () => {
    const base = {
      clipNorm: 1,
      dimension: 10,
      bits: 16,
      noiseMultiplier: 1,
      minDevices: 2,
      maxDevices: 3,
      rotationSeed: SEED,
    };
    expect(() => planSecureSumEncoding({ ...base, bits: 7 })).toThrow(/got 7/);
    expect(() => planSecureSumEncoding({ ...base, bits: 21 })).toThrow(/got 21/);
    expect(() => planSecureSumEncoding({ ...base, bits: 12.5 })).toThrow(/got 12.5/);
    expect(() => planSecureSumEncoding({ ...base, beta: 1 })).toThrow(/beta .* got 1/);
    expect(() => planSecureSumEncoding({ ...base, minDevices: 4 })).toThrow(PrivacyParameterError);
    expect(() => planSecureSumEncoding({ ...base, clipNorm: -1 })).toThrow(/got -1/);
    expect(() => planSecureSumEncoding({ ...base, rotationSeed: new Uint8Array(3) })).toThrow(
      /got 3/,
    );
    const good = planSecureSumEncoding(base);
    expect(() => validateSecureSumEncoding({ ...good, paddedDimension: 32 })).toThrow(/got 32/);
    expect(() => validateSecureSumEncoding({ ...good, paddedDimension: 12 })).toThrow(/got 12/);
    expect(() => validateSecureSumEncoding({ ...good, granularity: Infinity })).toThrow(/Infinity/);
    expect(() => validateSecureSumEncoding({ ...good, deviceSigma: -1 })).toThrow(/got -1/);
    expect(() => validateSecureSumEncoding({ ...good, beta: -0.1 })).toThrow(/got -0.1/);
    expect(() => validateSecureSumEncoding({ ...good, bits: 'x' as unknown as number })).toThrow(
      TypeError,
    );
  });
});
