import { createSeededRandomSource } from '@privads/dp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createSeededRandom,
  createServerAggregator,
  runFederation,
  useFastestNodeBackend,
  type AggregatorSettings,
  type CatalogContent,
  type Slate,
  type UserTimeline,
} from '@privads/sim';

// A tiny world (a 4 → 2 projector, 6 ads, 40 devices with a few slates each): nothing here needs
// to learn, only to run many rounds through the real server.
const USERS = 40;
const ADS = 6;
const spec = { kind: 'linear', contentDim: 4, userDim: 2 } as const;

let content: CatalogContent;
let timelines: UserTimeline[];

beforeAll(async () => {
  await useFastestNodeBackend();
  const random = createSeededRandom(9);
  const vectors = new Float32Array(ADS * spec.contentDim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = random.next() - 0.5;
  content = { encoderId: 'test', dim: spec.contentDim, count: ADS, vectors };
  const slate = (): Slate => ({
    items: Int32Array.from([0, 1, 2]),
    clicked: Uint8Array.from([random.next() < 0.3 ? 1 : 0, 0, 0]),
    time: 0,
  });
  timelines = Array.from({ length: USERS }, () => ({
    train: [slate(), slate()],
    test: [slate()],
  }));
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
