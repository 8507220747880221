import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrivacyParameterError } from '@privads/protocol';
import {
  allowedParticipations,
  findPerDeviceNoiseMultiplier,
  gaussianZcdp,
  perDeviceEpsilon,
  worstCaseRho,
  zcdpToEpsilon,
} from '@privads/dp';

describe('per-device accounting (no amplification)', () => {
  it('allows min(k, ⌈T/b⌉) participations', () => {
    expect(allowedParticipations({ maxParticipationsPerDevice: 30, minRoundGap: 24 }, 0)).toBe(0);
    expect(allowedParticipations({ maxParticipationsPerDevice: 30, minRoundGap: 24 }, 1)).toBe(1);
    expect(allowedParticipations({ maxParticipationsPerDevice: 30, minRoundGap: 24 }, 25)).toBe(2);
    expect(allowedParticipations({ maxParticipationsPerDevice: 30, minRoundGap: 24 }, 1e4)).toBe(
      30,
    );
    expect(allowedParticipations({ maxParticipationsPerDevice: 5, minRoundGap: 1 }, 3)).toBe(3);
    expect(() =>
      allowedParticipations({ maxParticipationsPerDevice: 0, minRoundGap: 1 }, 3),
    ).toThrow(RangeError);
    expect(() =>
      allowedParticipations({ maxParticipationsPerDevice: 1, minRoundGap: 1.5 }, 3),
    ).toThrow(RangeError);
  });

  it('composes the most expensive releases a device may have joined', () => {
    expect(worstCaseRho([0.1, 0.5, 0.2], 2)).toBeCloseTo(0.7, 12);
    expect(worstCaseRho([0.1, 0.5, 0.2], 5)).toBeCloseTo(0.8, 12);
    expect(worstCaseRho([], 3)).toBe(0);
    expect(() => worstCaseRho([-1], 1)).toThrow(RangeError);
  });

  it('is monotone: more releases or more allowed participations never lower ε', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 1, max: 25 }),
        (rhos, extra, allowed) => {
          const before = perDeviceEpsilon(rhos, allowed, 1e-6);
          expect(perDeviceEpsilon([...rhos, extra], allowed, 1e-6)).toBeGreaterThanOrEqual(
            before - 1e-9,
          );
          expect(perDeviceEpsilon(rhos, allowed + 1, 1e-6)).toBeGreaterThanOrEqual(before - 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with one Gaussian release per participation equals zCDP composition of k releases', () => {
    // z = 1, δ = 1e-6: 21 participations of ρ = 1/2 are 10.5-zCDP.
    const rhos = Array.from({ length: 100 }, () => gaussianZcdp(1));
    expect(perDeviceEpsilon(rhos, 21, 1e-6)).toBeCloseTo(zcdpToEpsilon(10.5, 1e-6), 9);
  });
});

describe('findPerDeviceNoiseMultiplier', () => {
  it('finds the smallest z whose composed central releases meet the target', () => {
    const rhoOf = gaussianZcdp;
    for (const [target, participations] of [
      [8, 20],
      [2, 1],
      [1, 5],
    ] as const) {
      const z = findPerDeviceNoiseMultiplier({
        targetEpsilon: target,
        delta: 1e-5,
        participations,
        rhoOf,
      });
      expect(zcdpToEpsilon(participations * rhoOf(z), 1e-5)).toBeLessThanOrEqual(target);
      expect(zcdpToEpsilon(participations * rhoOf(z * (1 - 2e-4)), 1e-5)).toBeGreaterThan(target);
    }
  });

  it('throws a typed error when no noise reaches the target', () => {
    expect(() =>
      findPerDeviceNoiseMultiplier({
        targetEpsilon: 1,
        delta: 1e-5,
        participations: 1,
        rhoOf: () => 10,
      }),
    ).toThrow(PrivacyParameterError);
  });
});
