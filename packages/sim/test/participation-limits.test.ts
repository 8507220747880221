import { createSeededRandomSource } from '@privads/dp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createServerAggregator,
  runFederation,
  useFastestNodeBackend,
  type AggregatorSettings,
} from '@privads/sim';
import { TINY_SPEC, tinyWorld } from './tiny-world.js';

// Nothing here needs to learn, only to run many rounds through the real server.
const { content, timelines } = tinyWorld({ users: 40, slates: 2, clickRate: 0.3, seed: 9 });
const spec = TINY_SPEC;

beforeAll(async () => {
  await useFastestNodeBackend();
});

function settings(limits: { maxParticipationsPerDevice: number; minRoundGap: number }) {
  return {
    spec,
    projectorSeed: 1,
    clipNorm: 1,
    privacy: { mode: 'none' },
    samplingProbability: 0.5,
    ...limits,
    denominator: 10,
    kMin: 1,
    serverLearningRate: 0.1,
    serverMomentum: 0,
    source: createSeededRandomSource(2),
  } satisfies AggregatorSettings;
}

describe('participation limits in the simulated fleet', () => {
  it.each([
    // The gap binds: ⌈T/b⌉ = 143.
    { rounds: 1000, limits: { maxParticipationsPerDevice: 1000, minRoundGap: 7 } },
    // The lifetime cap binds: min(30, ⌈200/3⌉) = 30.
    { rounds: 200, limits: { maxParticipationsPerDevice: 30, minRoundGap: 3 } },
  ])(
    'over $rounds rounds no device joins more than min(k, ⌈T/b⌉) rounds ($limits)',
    async ({ rounds, limits }) => {
      const aggregator = await createServerAggregator(settings(limits), 'in-process');
      let run;
      try {
        run = await runFederation({
          aggregator,
          timelines,
          content,
          rounds,
          samplingProbability: 0.5,
          seed: 4,
          evalUsers: [],
          withAuc: false,
        });
      } finally {
        await aggregator.dispose();
      }
      const allowed = Math.min(
        limits.maxParticipationsPerDevice,
        Math.ceil(rounds / limits.minRoundGap),
      );
      const most = Math.max(...run.participations);
      expect(most).toBeLessThanOrEqual(allowed);
      // The rules bind: with p = 0.5 every device reaches a good share of its allowance.
      expect(Math.min(...run.participations)).toBeGreaterThan(allowed / 3);
    },
    120_000,
  );
});
