import { describe, expect, it } from 'vitest';

import { RdpAccountant, gaussianEpsilon, zcdpToEpsilon } from '@privads/dp';
import { decodeProjectorFile, encodeProjectorFile, initialParameters } from '@privads/model';
import { decodeAggregateRelease, type RoundConfig } from '@privads/protocol';
import {
  buildRoundConfig,
  finalizeRound,
  ledgerEntryFor,
  ledgerEpsilon,
  nextClipNorm,
  releaseCost,
  resolveConfig,
  RoundAccumulator,
  serverOptimizerStep,
  type LedgerEntry,
} from '@privads/server';

import {
  call,
  openRound,
  operator,
  postUpload,
  SMALL_CONFIG,
  smallServer,
  upload,
  vectorWithNorm,
} from './helpers.js';

describe('server optimizers (hand-computed)', () => {
  it('FedAvg with momentum: v ← βv + g, θ ← θ − ηv', () => {
    const config = { kind: 'fedavg', learningRate: 0.1, momentum: 0.9 } as const;
    const s1 = serverOptimizerStep(config, Float32Array.of(1, 2), Float64Array.of(0.5, -1));
    expect([...s1.parameters]).toEqual([Math.fround(0.95), Math.fround(2.1)]);
    const s2 = serverOptimizerStep(config, s1.parameters, Float64Array.of(1, 1), s1.state);
    // v2 = 0.9·[0.5, −1] + [1, 1] = [1.45, 0.1]; θ2 = θ1 − 0.1·v2
    expect(s2.parameters[0]).toBeCloseTo(0.95 - 0.145, 6);
    expect(s2.parameters[1]).toBeCloseTo(2.1 - 0.01, 6);
    expect(s2.state.step).toBe(2);
  });

  it('FedAvg without momentum is θ − η·mean', () => {
    const s = serverOptimizerStep(
      { kind: 'fedavg', learningRate: 2, momentum: 0 },
      Float32Array.of(1, 1, 1),
      Float64Array.of(0.25, 0, -0.5),
    );
    expect([...s.parameters]).toEqual([0.5, 1, 2]);
  });

  it('FedAdam: m, v with v₀ = τ², θ ← θ − η·m/(√v + τ)', () => {
    const config = {
      kind: 'fedadam',
      learningRate: 0.1,
      beta1: 0.9,
      beta2: 0.99,
      tau: 1e-3,
    } as const;
    const s1 = serverOptimizerStep(config, Float32Array.of(1), Float64Array.of(0.5));
    // m = 0.05, v = 0.99·1e-6 + 0.01·0.25 = 0.00250099, θ = 1 − 0.005/(0.0500099 + 0.001)
    expect(s1.state.slots.m?.[0]).toBeCloseTo(0.05, 12);
    expect(s1.state.slots.v?.[0]).toBeCloseTo(0.00250099, 12);
    expect(s1.parameters[0]).toBeCloseTo(0.9019798098790515, 6);
    const s2 = serverOptimizerStep(
      config,
      Float32Array.of(0.9019798098790515),
      Float64Array.of(-1),
      s1.state,
    );
    expect(s2.parameters[0]).toBeCloseTo(0.9507837032250177, 6);
  });
});

describe('round close', () => {
  it('publishes projector v+1 = v − η·mean through the HTTP API (FedAvg, η = 1)', async () => {
    const { server, dispose } = await smallServer();
    try {
      const round = await openRound(server);
      for (const seed of [1, 2, 3, 4])
        await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.7, seed)));
      await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
      const v1 = decodeProjectorFile(
        new Uint8Array(await (await call(server, '/v1/projector/1')).arrayBuffer()),
      );
      const v2 = decodeProjectorFile(
        new Uint8Array(await (await call(server, '/v1/projector/2')).arrayBuffer()),
      );
      const release = decodeAggregateRelease(
        new Uint8Array(await (await operator(server, '/v1/rounds/1/aggregate')).arrayBuffer()),
      );
      for (let i = 0; i < v1.parameters.length; i++) {
        expect(v2.parameters[i]).toBeCloseTo(
          (v1.parameters[i] as number) - (release.update[i] as number),
          6,
        );
      }
    } finally {
      await dispose();
    }
  });

  it('closes at the deadline by the injected clock', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const { server, dispose } = await smallServer({ clock: () => now });
    try {
      const round = await openRound(server);
      expect(round.deadline).toBe('2030-01-01T01:00:00.000Z');
      now += 3600_000;
      expect((await openRound(server)).roundId).toBe(round.roundId + 1);
      const list = (await (await operator(server, '/v1/rounds')).json()) as {
        rounds: Array<{ closedBy: string; status: string }>;
      };
      expect(list.rounds[0]).toMatchObject({ closedBy: 'deadline', status: 'insufficient' });
    } finally {
      await dispose();
    }
  });

  it('adds central noise with variance (zC)² to the sum', async () => {
    const config = resolveConfig({
      projector: { kind: 'linear', contentDim: 64, userDim: 32, seed: 1 },
      round: {
        ...SMALL_CONFIG.round,
        clipNorm: 0.5,
        privacy: { mode: 'central', noiseMultiplier: 2, delta: 1e-6 },
        kMin: 3,
      } as never,
    });
    const spec = { kind: 'linear', contentDim: 64, userDim: 32 } as const;
    const now = new Date('2030-01-01T00:00:00Z');
    const roundConfig = buildRoundConfig(config, {
      roundId: 1,
      projectorVersion: 1,
      clipNorm: 0.5,
      now,
    });
    const n = roundConfig.model.parameterCount;
    const totals = new RoundAccumulator(n);
    for (let i = 0; i < 4; i++) totals.add(new Float32Array(n), true);
    const commit = await finalizeRound(
      {
        round: { config: roundConfig, status: 'open', openedAt: now.toISOString() },
        totals,
        projector: {
          info: {
            kind: 'projector',
            version: 1,
            etag: '"x"',
            byteLength: 0,
            createdAt: now.toISOString(),
          },
          bytes: encodeProjectorFile(spec, initialParameters(spec, 1)),
        },
        ledger: [],
        next: { roundId: 2, projectorVersion: 2, catalogVersion: 1 },
      },
      { config, reason: 'operator', now },
    );
    const release = decodeAggregateRelease(commit.release as Uint8Array);
    let sum = 0;
    let sq = 0;
    for (const x of release.update) {
      const noise = x * 4; // mean = (sum + noise) / 4 with a zero sum
      sum += noise;
      sq += noise * noise;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    expect(commit.closed.sigma).toBe(1);
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(variance).toBeGreaterThan(0.85);
    expect(variance).toBeLessThan(1.15);
  });
});

describe('privacy ledger', () => {
  const centralRound = (participation: {
    maxParticipationsPerDevice: number;
    minRoundGap: number;
  }) =>
    buildRoundConfig(
      resolveConfig({
        ...SMALL_CONFIG,
        round: {
          ...SMALL_CONFIG.round,
          privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
          participation: { ...participation, samplingProbability: 0.01 },
        } as never,
      }),
      { roundId: 1, projectorVersion: 1, clipNorm: 1, now: new Date() },
    );

  function releases(round: RoundConfig, count: number): LedgerEntry[] {
    const ledger: LedgerEntry[] = [];
    for (let i = 0; i < count; i++) {
      const r = { ...round, roundId: i + 1 };
      ledger.push(
        ledgerEntryFor(
          r,
          { cohortSize: 10, ...releaseCost(r), releasedAt: new Date().toISOString() },
          ledger,
        ),
      );
    }
    return ledger;
  }

  it('states ε per device without amplification, composed over the participations the rules allow', () => {
    const ledger = releases(centralRound({ maxParticipationsPerDevice: 21, minRoundGap: 1 }), 30);
    // One participation of the (discrete) Gaussian mechanism with z = 1 is ½-zCDP.
    expect(ledger[0]?.epsilon).toBeCloseTo(zcdpToEpsilon(0.5, 1e-6), 10);
    expect(ledger[0]?.epsilon).toBeGreaterThan(gaussianEpsilon(1, 1e-6)); // 4.8866: the continuous bound
    // After 10 rounds a device can be in all 10; after 30, in at most k = 21.
    expect(ledger[9]?.cumulativeEpsilon).toBeCloseTo(zcdpToEpsilon(5, 1e-6), 9);
    expect(ledger[29]?.participationsAllowed).toBe(21);
    expect(ledger[29]?.cumulativeEpsilon).toBeCloseTo(zcdpToEpsilon(10.5, 1e-6), 9);
    // The amplified figure is kept, labelled, and far smaller: it needs participation hidden.
    const amplified = new RdpAccountant().step(1, 0.01, 30).getEpsilon(1e-6).epsilon;
    expect(ledger[29]?.epsilonIfParticipationHidden).toBeCloseTo(amplified, 10);
    expect(amplified).toBeLessThan((ledger[29]?.cumulativeEpsilon ?? 0) / 10);
  });

  it('a release without a guarantee never lowers the per-device figure of the ones before', () => {
    const round = centralRound({ maxParticipationsPerDevice: 21, minRoundGap: 1 });
    const ledger = releases(round, 3);
    const none = { ...round, roundId: 4, privacy: { mode: 'none' as const } };
    ledger.push(
      ledgerEntryFor(
        none,
        { cohortSize: 10, ...releaseCost(none), releasedAt: new Date().toISOString() },
        ledger,
      ),
    );
    expect(ledgerEpsilon(ledger, 1e-6)).toBeCloseTo(zcdpToEpsilon(1.5, 1e-6), 9);
  });

  it('counts at most one participation in any minRoundGap rounds', () => {
    const ledger = releases(centralRound({ maxParticipationsPerDevice: 30, minRoundGap: 24 }), 49);
    expect(
      ledger.map((e) => e.participationsAllowed).filter((n, i, a) => a.indexOf(n) === i),
    ).toEqual([1, 2, 3]);
    expect(ledger[48]?.cumulativeEpsilon).toBeCloseTo(zcdpToEpsilon(1.5, 1e-6), 9);
  });

  it('serves ε of every release over the operator API', async () => {
    const { server, dispose } = await smallServer({
      config: {
        ...SMALL_CONFIG,
        round: {
          ...SMALL_CONFIG.round,
          privacy: { mode: 'central', noiseMultiplier: 1.5, delta: 1e-6 },
        } as never,
      },
    });
    try {
      for (let r = 0; r < 2; r++) {
        const round = await openRound(server);
        for (const seed of [1, 2])
          await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.5, seed)));
        await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
      }
      const ledger = (await (await operator(server, '/v1/privacy/ledger')).json()) as {
        entries: LedgerEntry[];
        cumulativeEpsilon: number;
      };
      expect(ledger.entries.map((e) => e.roundId)).toEqual([1, 2]);
      // Two releases a device may both have joined (SMALL_CONFIG's minRoundGap is 1): 2ρ, ρ = 1/(2·1.5²).
      const expected = zcdpToEpsilon(2 / (2 * 1.5 ** 2), 1e-6);
      expect(ledger.cumulativeEpsilon).toBeCloseTo(expected, 10);
      expect(ledger.entries[1]?.cumulativeEpsilon).toBeCloseTo(expected, 10);
    } finally {
      await dispose();
    }
  });
});

describe('adaptive clipping', () => {
  it('moves C geometrically toward the target quantile', () => {
    const config = { targetQuantile: 0.5, learningRate: 0.2, countNoiseStd: 0 };
    const all = { belowClip: 10, cohortSize: 10 };
    const none = { belowClip: 0, cohortSize: 10 };
    expect(nextClipNorm(config, 1, all, 10).clipNorm).toBeCloseTo(Math.exp(-0.2 * 0.5), 12);
    expect(nextClipNorm(config, 1, none, 10).clipNorm).toBeCloseTo(Math.exp(0.2 * 0.5), 12);
  });
});
