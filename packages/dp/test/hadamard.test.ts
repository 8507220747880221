import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  inverseRandomizedHadamard,
  isPowerOfTwo,
  randomizedHadamard,
  rotationSigns,
  walshHadamardInPlace,
} from '@privads/dp';

const seedArb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter((s) => s.some((b) => b !== 0));

// Values below 1e-100 are zeroed: their squares underflow, so the test's own norm would be wrong.
const vectorArb = fc
  .integer({ min: 0, max: 9 })
  .chain((k) =>
    fc.float64Array({ minLength: 2 ** k, maxLength: 2 ** k, noNaN: true, min: -1e6, max: 1e6 }),
  )
  .map((x) => x.map((v) => (Math.abs(v) < 1e-100 ? 0 : v)));

function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s);
}

/** O(D²) reference: H_ij = (−1)^popcount(i & j), divided by √D. */
function naiveHadamard(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      let bits = i & j;
      let parity = 0;
      while (bits !== 0) {
        parity ^= bits & 1;
        bits >>>= 1;
      }
      sum += parity === 1 ? -(x[j] as number) : (x[j] as number);
    }
    out[i] = sum / Math.sqrt(n);
  }
  return out;
}

describe('randomized Hadamard rotation', () => {
  it('preserves the L2 norm (property)', () => {
    fc.assert(
      fc.property(vectorArb, seedArb, (x, seed) => {
        const n = norm(x);
        expect(Math.abs(norm(randomizedHadamard(x, seed)) - n)).toBeLessThanOrEqual(
          1e-12 * n + 1e-300,
        );
      }),
    );
  });

  it('the inverse round-trips (property)', () => {
    fc.assert(
      fc.property(vectorArb, seedArb, (x, seed) => {
        const back = inverseRandomizedHadamard(randomizedHadamard(x, seed), seed);
        const scale = norm(x);
        for (let i = 0; i < x.length; i++) {
          expect(Math.abs((back[i] as number) - (x[i] as number))).toBeLessThanOrEqual(
            1e-12 * scale,
          );
        }
      }),
    );
  });

  it('the fast transform matches the O(D²) definition for D ≤ 64', () => {
    for (let k = 0; k <= 6; k++) {
      const x = Float64Array.from({ length: 2 ** k }, (_, i) => Math.sin(3 * i + 1));
      const fast = walshHadamardInPlace(x.slice());
      const slow = naiveHadamard(x);
      for (let i = 0; i < x.length; i++) expect(fast[i]).toBeCloseTo(slow[i] as number, 12);
    }
  });

  it('the rotation is H·diag(s)/√D with the documented signs', () => {
    const seed = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const x = Float64Array.from({ length: 32 }, (_, i) => i - 10);
    const signs = rotationSigns(seed, 32);
    const expected = naiveHadamard(x.map((v, i) => v * (signs[i] as number)));
    const actual = randomizedHadamard(x, seed);
    for (let i = 0; i < 32; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, 12);
  });

  it('signs are a pinned function of the seed (server and devices must agree bit for bit)', () => {
    const seed = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    // xoshiro128** from state (0x04030201, 0x08070605, 0x0c0b0a09, 0x100f0e0d), low bit first;
    // the expected bits come from an independent Python transcription of the reference generator.
    const signs = rotationSigns(seed, 64);
    const bits = Array.from(signs, (s) => (s < 0 ? '1' : '0')).join('');
    expect(bits).toBe('0010110010001110111000000111100100000001001001000011110101001010');
    expect(rotationSigns(seed, 64)).toEqual(signs);
    const other = seed.slice();
    other[0] = 2;
    expect(rotationSigns(other, 64)).not.toEqual(signs);
    // About half the signs are negative.
    const negatives = Array.from(rotationSigns(seed, 4096)).filter((s) => s < 0).length;
    expect(Math.abs(negatives - 2048)).toBeLessThan(4.26 * 32);
  });

  it('rejects bad lengths and seeds, quoting them', () => {
    const seed = new Uint8Array(16).fill(7);
    expect(() => randomizedHadamard([1, 2, 3], seed)).toThrow(/power of two, got 3/);
    expect(() => randomizedHadamard([1, 2], new Uint8Array(8))).toThrow(/16 bytes, got 8/);
    expect(() => randomizedHadamard([1, 2], new Uint8Array(16))).toThrow(/all zero/);
    expect(() => randomizedHadamard([1, 2], [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    expect(isPowerOfTwo(1)).toBe(true);
    expect(isPowerOfTwo(65536)).toBe(true);
    expect(isPowerOfTwo(0)).toBe(false);
    expect(isPowerOfTwo(12)).toBe(false);
  });
});
