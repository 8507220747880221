import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '@privads/sim';
import { fromState } from '../src/seeded-random.js';

describe('createSeededRandom', () => {
  it('matches the reference C implementation of xoshiro128** for state (1, 2, 3, 4)', () => {
    // Printed by Blackman & Vigna's xoshiro128starstar.c compiled with gcc.
    const reference = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849];
    const random = fromState(Uint32Array.of(1, 2, 3, 4));
    expect(reference.map(() => random.next() * 2 ** 32)).toEqual(reference);
  });

  it('is reproducible for a seed', () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const streamA = Array.from({ length: 1000 }, () => a.next());
    const streamB = Array.from({ length: 1000 }, () => b.next());
    expect(streamA).toEqual(streamB);
  });

  it('a negative seed and its bitwise complement give different streams', () => {
    const a = createSeededRandom(-2147483646);
    const b = createSeededRandom(2147483645);
    expect(a.next()).not.toBe(b.next());
  });

  it('different seeds give different streams', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (s1, s2) => {
        fc.pre(s1 !== s2);
        const a = createSeededRandom(s1);
        const b = createSeededRandom(s2);
        const xs = Array.from({ length: 4 }, () => a.next());
        const ys = Array.from({ length: 4 }, () => b.next());
        return xs.some((x, i) => x !== ys[i]);
      }),
    );
  });

  it('next() is uniform on [0, 1) (chi-square over 20 bins)', () => {
    const random = createSeededRandom(7);
    const bins = new Array<number>(20).fill(0);
    const n = 200_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = random.next();
      if (!(x >= 0 && x < 1)) outOfRange++;
      bins[Math.floor(x * 20)]!++;
    }
    expect(outOfRange).toBe(0);
    const expected = n / 20;
    const chi2 = bins.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: P(chi2 > 43.8) = 0.001.
    expect(chi2).toBeLessThan(43.8);
  });

  it('nextInt(n) covers [0, n) evenly and rejects bad n', () => {
    const random = createSeededRandom(3);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[random.nextInt(7)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => random.nextInt(0)).toThrow(RangeError);
    expect(() => random.nextInt(2.5)).toThrow(/got 2.5/);
  });

  it('nextNormal() has mean 0 and variance 1', () => {
    const random = createSeededRandom(11);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = random.nextNormal();
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // Standard errors: 1/sqrt(n) ≈ 0.0032 for the mean, sqrt(2/n) ≈ 0.0045 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('fork() gives a reproducible, distinct stream', () => {
    const a = createSeededRandom(5).fork();
    const b = createSeededRandom(5).fork();
    const parent = createSeededRandom(5);
    const xs = Array.from({ length: 10 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 10 }, () => b.next()));
    expect(xs).not.toEqual(Array.from({ length: 10 }, () => parent.next()));
  });

  it('rejects unsafe seeds', () => {
    expect(() => createSeededRandom(Number.NaN)).toThrow(RangeError);
    expect(() => createSeededRandom(1.5)).toThrow(/got 1.5/);
  });
});
