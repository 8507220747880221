import { chacha20 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { MASK_INFO_LABEL, accumulateModular, addMask, expandMask } from '@privads/secagg';

import { labelled } from '../src/bytes.js';

const key = new Uint8Array(32).map((_, i) => i);
const ctx = { roundId: 3, purpose: 'pair' };

describe('expandMask', () => {
  it('is deterministic, below 2^bits, and separated by key, round and purpose', () => {
    const a = expandMask(key, ctx, 1000, 12);
    expect(expandMask(key, ctx, 1000, 12)).toEqual(a);
    expect(a.every((w) => w < 4096)).toBe(true);
    expect(expandMask(key, ctx, 10, 12)).toEqual(a.slice(0, 10)); // a prefix of one stream
    const others = [
      expandMask(key, { roundId: 4, purpose: 'pair' }, 1000, 12),
      expandMask(key, { roundId: 3, purpose: 'self' }, 1000, 12),
      expandMask(
        key.map((b, i) => (i === 0 ? b ^ 1 : b)),
        ctx,
        1000,
        12,
      ),
    ];
    for (const o of others) expect(o.filter((w, i) => w === a[i]).length).toBeLessThan(10);
    // 32 bits: raw little-endian keystream words, roughly uniform.
    const full = expandMask(key, ctx, 4096, 32);
    const mean = full.reduce((s, w) => s + w / 2 ** 32, 0) / full.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });

  it('rejects bad keys, lengths and bits', () => {
    expect(() => expandMask(new Uint8Array(31), ctx, 4, 8)).toThrow(RangeError);
    expect(() => expandMask(key, ctx, -1, 8)).toThrow(RangeError);
    expect(() => expandMask(key, ctx, 4, 33)).toThrow(RangeError);
    expect(() => expandMask(key, { roundId: -1, purpose: 'x' }, 4, 8)).toThrow(RangeError);
  });

  it('is the v1 mask of the wire format: HKDF-SHA256 stream key, ChaCha20 keystream (noble), LE words, low bits', () => {
    // Devices and servers of earlier versions built masks this way; they must still cancel.
    const v1 = (secret: Uint8Array, length: number, bits: number): Uint32Array => {
      const streamKey = hkdf(sha256, secret, undefined, labelled(MASK_INFO_LABEL, '3', 'pair'), 32);
      const bytes = new Uint8Array(4 * length);
      chacha20(streamKey, new Uint8Array(12), new Uint8Array(bytes.length), bytes);
      const view = new DataView(bytes.buffer);
      const m = bits === 32 ? 0xffffffff : 2 ** bits - 1;
      return Uint32Array.from({ length }, (_, i) => (view.getUint32(4 * i, true) & m) >>> 0);
    };
    for (const [length, bits] of [
      [1, 1],
      [17, 12],
      [1000, 16],
      [4096, 32],
    ] as const) {
      expect(expandMask(key, ctx, length, bits)).toEqual(v1(key, length, bits));
    }
  });

  it('addMask(x) equals x ± expandMask, in one pass', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 32 }),
        fc.constantFrom(1 as const, -1 as const),
        (secret, length, bits, sign) => {
          const m = bits === 32 ? 0xffffffff : 2 ** bits - 1;
          const x = Uint32Array.from({ length }, (_, i) => ((i * 2_654_435_761) & m) >>> 0);
          const expected = x.slice();
          accumulateModular(expected, expandMask(secret, ctx, length, bits), sign, bits);
          addMask(x, secret, ctx, sign, bits);
          expect(x).toEqual(expected);
        },
      ),
      { numRuns: 50 },
    );
    expect(() => addMask(new Uint32Array(4), key, ctx, 1, 0)).toThrow(RangeError);
    expect(() => addMask(new Uint32Array(4), new Uint8Array(31), ctx, 1, 8)).toThrow(RangeError);
  });

  it('masks cancel: x + m − m = x mod 2^bits', () => {
    const x = Uint32Array.from({ length: 64 }, (_, i) => (i * 977) % 1024);
    const y = x.slice();
    const m = expandMask(key, ctx, 64, 10);
    accumulateModular(y, m, 1, 10);
    accumulateModular(y, m, -1, 10);
    expect(y).toEqual(x);
  });

  it('builds 33 masks of 65 536 words quickly (a device with 32 neighbours)', () => {
    const start = performance.now();
    for (let i = 0; i < 33; i++) expandMask(key, { roundId: i, purpose: 'pair' }, 65_536, 16);
    const ms = performance.now() - start;
    console.log(`33 masks × 65 536 words: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(2000); // generous: shared CI machines
  });
});
