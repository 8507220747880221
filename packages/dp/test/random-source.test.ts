import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  createCryptoRandomSource,
  createSeededRandomSource,
  defaultRandomSource,
  floorSqrt,
  toRational,
  uniform53,
  uniform53Positive,
  uniformBelow,
} from '@privads/dp';
import type { RandomSource } from '@privads/dp';

import { chiSquareCritical, chiSquareStatistic } from './helpers/stats.js';

/** χ² test that uniformBelow(m) is uniform on [0, m). */
function expectUniform(m: bigint, n: number, source: RandomSource, z: number): void {
  const counts = new Array<number>(Number(m)).fill(0);
  for (let i = 0; i < n; i++) {
    const k = Number(uniformBelow(m, source));
    counts[k] = (counts[k] as number) + 1;
  }
  const expected = counts.map(() => n / Number(m));
  expect(chiSquareStatistic(counts, expected)).toBeLessThan(
    chiSquareCritical(counts.length - 1, z),
  );
}

describe('uniformBelow', () => {
  it('is uniform for small and non-power-of-two bounds (seeded)', () => {
    const source = createSeededRandomSource(1);
    for (const m of [2n, 3n, 7n, 10n, 255n]) expectUniform(m, 50_000, source, 4.26);
  });

  it('is uniform on the CSPRNG', () => {
    expectUniform(6n, 60_000, createCryptoRandomSource(), 5.3);
  });

  it('has no modulo bias for a bound just above 2³¹', () => {
    // With m = 3·2³⁰, taking a word mod m would put half again as much mass on [0, 2³⁰).
    const m = 3n * 2n ** 30n;
    const source = createSeededRandomSource(2);
    const n = 30_000;
    let low = 0;
    for (let i = 0; i < n; i++) if (uniformBelow(m, source) < 2n ** 30n) low++;
    expect(Math.abs(low / n - 1 / 3)).toBeLessThan(4.26 * Math.sqrt(((1 / 3) * (2 / 3)) / n));
  });

  it('stays in range for multi-word bigint bounds', () => {
    const source = createSeededRandomSource(3);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 200n }), (m) => {
        const k = uniformBelow(m, source);
        return k >= 0n && k < m;
      }),
    );
  });

  it('splits a 2⁹⁶-sized range evenly in its top bit', () => {
    const source = createSeededRandomSource(4);
    const m = 2n ** 96n + 12345n;
    const n = 20_000;
    let high = 0;
    for (let i = 0; i < n; i++) if (uniformBelow(m, source) >= m / 2n) high++;
    expect(Math.abs(high / n - 0.5)).toBeLessThan(4.26 * Math.sqrt(0.25 / n));
  });

  it('rejects m < 1', () => {
    expect(() => uniformBelow(0n, createSeededRandomSource(1))).toThrow(RangeError);
  });
});

describe('uniform53', () => {
  it('lies in [0, 1) and (0, 1] respectively, on the 2⁻⁵³ grid', () => {
    const source = createSeededRandomSource(5);
    for (let i = 0; i < 10_000; i++) {
      const u = uniform53(source);
      const v = uniform53Positive(source);
      expect(u >= 0 && u < 1 && v > 0 && v <= 1).toBe(true);
      expect(Number.isInteger(u * 2 ** 53) && Number.isInteger(v * 2 ** 53)).toBe(true);
    }
  });

  it('uses all 53 bits: the low bits are not constant', () => {
    const source = createSeededRandomSource(6);
    const lowBits = new Set<number>();
    for (let i = 0; i < 64; i++) lowBits.add((uniform53(source) * 2 ** 53) % 4);
    expect(lowBits.size).toBe(4);
  });

  it('is uniform in deciles (CSPRNG)', () => {
    const source = defaultRandomSource();
    const counts = new Array<number>(10).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const d = Math.floor(uniform53(source) * 10);
      counts[d] = (counts[d] as number) + 1;
    }
    expect(chiSquareStatistic(counts, new Array<number>(10).fill(n / 10))).toBeLessThan(
      chiSquareCritical(9, 5.3),
    );
  });
});

describe('random sources', () => {
  it('the crypto source refills its buffer (more words than one batch)', () => {
    const source = createCryptoRandomSource();
    const words = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const w = source.nextUint32();
      expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
      words.add(w);
    }
    // 3000 CSPRNG words colliding is a 1e-3 event; a stale buffer would repeat 1024-word blocks.
    expect(words.size).toBeGreaterThan(2990);
  });

  it('the default source is the shared crypto source', () => {
    expect(defaultRandomSource()).toBe(defaultRandomSource());
  });

  it('seeded sources are deterministic per seed and produce full 32-bit words', () => {
    const a = createSeededRandomSource(123);
    const b = createSeededRandomSource(123);
    const c = createSeededRandomSource(124);
    const wa = Array.from({ length: 16 }, () => a.nextUint32());
    expect(Array.from({ length: 16 }, () => b.nextUint32())).toEqual(wa);
    expect(Array.from({ length: 16 }, () => c.nextUint32())).not.toEqual(wa);
    wa.forEach((w) => expect(w >= 0 && w < 2 ** 32 && Number.isInteger(w)).toBe(true));
    expect(() => createSeededRandomSource(1.5)).toThrow(TypeError);
  });
});

describe('exact rationals', () => {
  it('converts doubles exactly (0.1 is 3602879701896397/2⁵⁵)', () => {
    expect(toRational(0.1)).toEqual({ numerator: 3602879701896397n, denominator: 2n ** 55n });
    expect(toRational(2.5)).toEqual({ numerator: 5n, denominator: 2n });
    expect(toRational(7)).toEqual({ numerator: 7n, denominator: 1n });
    expect(toRational(5e-324)).toEqual({ numerator: 1n, denominator: 2n ** 1074n });
  });

  it('is exact for every finite non-negative double (dyadic denominator, same value)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }), (x) => {
        const { numerator: n, denominator: d } = toRational(x);
        const k = d.toString(2).length - 1;
        // Dividing by powers of two is exact as long as the result is representable, which x is.
        const value = Number(n) / 2 ** Math.min(k, 1023) / 2 ** Math.max(0, k - 1023);
        return d === 1n << BigInt(k) && value === x;
      }),
    );
  });

  it('reduces fractions and validates', () => {
    expect(toRational({ numerator: 6n, denominator: 4n })).toEqual({
      numerator: 3n,
      denominator: 2n,
    });
    expect(() => toRational(-1)).toThrow(RangeError);
    expect(() => toRational(Infinity)).toThrow(RangeError);
    expect(() => toRational(-1n)).toThrow(RangeError);
  });

  it('floorSqrt is the exact integer square root', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 300n }), (n) => {
        const r = floorSqrt(n);
        return r * r <= n && (r + 1n) * (r + 1n) > n;
      }),
    );
  });
});
