import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  contributionOf,
  initialState,
  openEmbeddedStore,
  resolveConfig,
  RoundAccumulator,
} from '@privads/server';

import { PARAMS, SMALL_CONFIG, tempDir, upload, vectorWithNorm } from './helpers.js';

const vectors = fc.array(
  fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 5, maxLength: 5 }),
  {
    minLength: 1,
    maxLength: 12,
  },
);

describe('RoundAccumulator (exact fixed-point sums)', () => {
  it('does not depend on order, on partitioning into partial sums, or on serialisation', () => {
    fc.assert(
      fc.property(vectors, fc.nat(), (rows, split) => {
        const all = new RoundAccumulator(5);
        for (const r of rows) all.add(Float32Array.from(r), r[0]! > 0);
        const reversed = new RoundAccumulator(5);
        for (const r of [...rows].reverse()) reversed.add(Float32Array.from(r), r[0]! > 0);
        const cut = split % (rows.length + 1);
        const a = new RoundAccumulator(5);
        const b = new RoundAccumulator(5);
        rows.forEach((r, i) => (i < cut ? a : b).add(Float32Array.from(r), r[0]! > 0));
        a.merge(RoundAccumulator.fromBytes(b.toBytes()));
        expect(reversed.equals(all)).toBe(true);
        expect(a.equals(all)).toBe(true);
        expect(a.count).toBe(rows.length);
        const sum = all.sum();
        for (let j = 0; j < 5; j++) {
          const expected = rows.reduce((s, r) => s + Math.fround(r[j]!), 0);
          expect(Math.abs((sum[j] as number) - expected)).toBeLessThanOrEqual(
            rows.length * 2 ** -32,
          );
        }
      }),
    );
  });

  it('refuses out-of-range values without adding anything', () => {
    const acc = new RoundAccumulator(2);
    expect(() => acc.add(Float32Array.of(1, Number.NaN), true)).toThrow(RangeError);
    expect(() => acc.add(Float32Array.of(2 ** 21, 0), true)).toThrow(RangeError);
    expect(acc.count).toBe(0);
    expect([...acc.sum()]).toEqual([0, 0]);
  });
});

describe('embedded store', () => {
  it('recovers from a torn final log frame and refuses a second process on the same directory', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const config = resolveConfig(SMALL_CONFIG);
      const store = await openEmbeddedStore({ dir, decoder: contributionOf });
      await store.initialize(async () => initialState(config, new Date()));
      const round = (await store.openRound())!.config;
      await expect(openEmbeddedStore({ dir, decoder: contributionOf })).rejects.toMatchObject({
        code: 'STORAGE_BLOCKED',
      });
      for (const seed of [1, 2, 3]) {
        const body = upload(round, vectorWithNorm(0.5, seed));
        expect(
          await store.addUpdate(round.roundId, `nonce-${seed}`, body, contributionOf(round, body)),
        ).toBe('accepted');
      }
      const body = upload(round, vectorWithNorm(0.5, 1));
      expect(
        await store.addUpdate(round.roundId, 'nonce-1', body, contributionOf(round, body)),
      ).toBe('duplicate');
      const before = await store.roundTotals(round.roundId);
      await store.close();
      // A crash in the middle of writing the next frame leaves a partial frame at the end.
      const segment = (await readdir(dir)).find((n) => n.startsWith('wal-'))!;
      await appendFile(join(dir, segment), Buffer.from([200, 1, 0, 0, 1, 2, 3]));
      const reopened = await openEmbeddedStore({ dir, decoder: contributionOf });
      try {
        const after = await reopened.roundTotals(round.roundId);
        expect(after?.count).toBe(3);
        expect(after?.equals(before!)).toBe(true);
        expect(after?.length).toBe(PARAMS);
      } finally {
        await reopened.close();
      }
    } finally {
      await cleanup();
    }
  });
});
