import { describe, expect, it } from 'vitest';

import { createSeededRandomSource } from '@privads/dp';
import { encodeProjectorFile, initialParameters, type ProjectorSpec } from '@privads/model';
import { decodeAggregateRelease } from '@privads/protocol';
import {
  CENTRAL_GRID_STEP,
  FRACTION_BITS,
  RoundAccumulator,
  addCentralNoise,
  buildRoundConfig,
  finalizeRound,
  resolveConfig,
  type ConfigOverrides,
} from '@privads/server';

import { SMALL_CONFIG } from './helpers.js';

const SPEC: ProjectorSpec = { kind: 'linear', contentDim: 8, userDim: 4 };

/** Closes one round of `totals` under `overrides`, with a seeded noise source. */
async function close(overrides: ConfigOverrides, totals: RoundAccumulator, seed = 1) {
  const config = resolveConfig({ ...SMALL_CONFIG, ...overrides });
  const now = new Date('2030-01-01T00:00:00Z');
  const round = buildRoundConfig(config, { roundId: 1, projectorVersion: 1, clipNorm: 1, now });
  return finalizeRound(
    {
      round: { config: round, status: 'open', openedAt: now.toISOString() },
      totals,
      projector: {
        info: { kind: 'projector', version: 1, etag: '"x"', byteLength: 0, createdAt: '' },
        bytes: encodeProjectorFile(SPEC, initialParameters(SPEC, 1)),
      },
      ledger: [],
      next: { roundId: 2, projectorVersion: 2, catalogVersion: 1 },
    },
    { config, reason: 'operator', now, source: createSeededRandomSource(seed) },
  );
}

describe('central noise (exact discrete Gaussian on the 2^-32 grid)', () => {
  it('has variance σ² (seeded source, 5 standard errors)', () => {
    for (const sigma of [1, 0.37]) {
      const n = 20_000;
      const noised = addCentralNoise(
        new Array<bigint>(n).fill(0n),
        sigma,
        createSeededRandomSource(3),
      );
      let sum = 0;
      let sq = 0;
      for (const x of noised) {
        sum += x;
        sq += x * x;
      }
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
      expect(Math.abs(variance / sigma ** 2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    }
  });

  it('moves the exact sum by whole grid steps only', () => {
    const totals = new RoundAccumulator(500);
    const source = createSeededRandomSource(9);
    for (let k = 0; k < 20; k++) {
      const v = Float32Array.from({ length: 500 }, () => source.nextUint32() / 2 ** 32 - 0.5);
      totals.add(v, true);
    }
    const grid = totals.gridSum();
    const exact = totals.sum();
    grid.forEach((g, i) => expect(Number(g) * CENTRAL_GRID_STEP).toBe(exact[i]));
    const noised = addCentralNoise(grid, 0.5, createSeededRandomSource(4));
    expect(CENTRAL_GRID_STEP).toBe(2 ** -FRACTION_BITS);
    let moved = 0;
    noised.forEach((x, i) => {
      const steps = (x - (exact[i] as number)) / CENTRAL_GRID_STEP;
      expect(Number.isInteger(steps)).toBe(true);
      if (steps !== 0) moved++;
    });
    expect(moved).toBe(500);
  });

  it('records discrete noise in the release metadata and the closed round', async () => {
    const totals = new RoundAccumulator(36);
    for (let i = 0; i < 3; i++) totals.add(new Float32Array(36), true);
    const central = await close(
      {
        round: {
          ...SMALL_CONFIG.round,
          privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
        } as never,
      },
      totals,
    );
    expect(central.closed.noise).toBe('discrete-gaussian');
    const release = decodeAggregateRelease(central.release as Uint8Array);
    expect(release.metadata.noise).toBe('discrete-gaussian');
    const none = await close({}, totals);
    expect(none.closed.noise).toBeUndefined();
    expect(decodeAggregateRelease(none.release as Uint8Array).metadata.noise).toBeUndefined();
  });

  it('is reproducible from a seeded source and differs across seeds', async () => {
    const totals = new RoundAccumulator(36);
    for (let i = 0; i < 3; i++) totals.add(new Float32Array(36).fill(0.1), true);
    const overrides = {
      round: {
        ...SMALL_CONFIG.round,
        privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
      },
    } as never;
    const a = decodeAggregateRelease((await close(overrides, totals, 1)).release as Uint8Array);
    const b = decodeAggregateRelease((await close(overrides, totals, 1)).release as Uint8Array);
    const c = decodeAggregateRelease((await close(overrides, totals, 2)).release as Uint8Array);
    expect(Array.from(a.update)).toEqual(Array.from(b.update));
    expect(Array.from(a.update)).not.toEqual(Array.from(c.update));
  });
});
