import { describe, expect, it } from 'vitest';

import { accumulateModular, expandMask } from '@privads/secagg';

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
