import { createSeededRandomSource } from '@privads/dp';
import { createProjector, initialParameters } from '@privads/model';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createServerAggregator,
  createSyntheticPopulation,
  encodeCatalog,
  evaluateDevices,
  evaluateScorer,
  heldOutOf,
  projectCatalog,
  replayUsers,
  runFederation,
  useFastestNodeBackend,
  type AggregatorSettings,
  type CatalogContent,
  type HeldOut,
  type UserTimeline,
} from '@privads/sim';

// A small world that learns in a few rounds: 300 users, 120 ads (so NDCG@10 over the full catalog
// is not dominated by noise), a quarter of the users upload each round. A learner that does not
// learn (wrong gradient sign, lost updates, a projector that never changes) lands at or below
// content-only and fails.
const USERS = 300;
const ROUNDS = 12;
const SAMPLING = 0.25;
const spec = { kind: 'linear', contentDim: 384, userDim: 128 } as const;

let content: CatalogContent;
let timelines: UserTimeline[];
let heldOut: HeldOut[];

beforeAll(async () => {
  await useFastestNodeBackend();
  const population = createSyntheticPopulation({ seed: 11, users: USERS, ads: 120 });
  content = await encodeCatalog(population.items);
  timelines = Array.from({ length: USERS }, (_, u) => population.timeline(u));
  heldOut = timelines.map((t, u) => heldOutOf(u, t)).filter((h): h is HeldOut => h !== undefined);
}, 60_000);

function settings(): AggregatorSettings {
  return {
    spec,
    projectorSeed: 0x5eed,
    clipNorm: 1,
    privacy: { mode: 'none' },
    samplingProbability: SAMPLING,
    maxParticipationsPerDevice: 1000,
    minRoundGap: 1,
    denominator: Math.round(SAMPLING * USERS),
    kMin: 1,
    serverLearningRate: 0.2,
    serverMomentum: 0.9,
    source: createSeededRandomSource(5),
  };
}

describe('federated simulation against the real server over loopback HTTP', () => {
  it('learns a projector whose NDCG@10 beats content-only and popularity', async () => {
    const aggregator = await createServerAggregator(settings(), 'http');
    let run;
    try {
      run = await runFederation({
        aggregator,
        timelines,
        content,
        rounds: ROUNDS,
        samplingProbability: SAMPLING,
        seed: 3,
        evalUsers: [],
        withAuc: true,
      });
    } finally {
      await aggregator.dispose();
    }
    expect(run.releasedRounds).toBe(ROUNDS);
    expect(run.history.every((h) => h.cohortSize > 0)).toBe(true);
    const federated = evaluateDevices(run.fleet, run.projected, heldOut, true);

    const projector = createProjector(spec, { parameters: initialParameters(spec, 0x5eed) });
    const bootstrap = projectCatalog(projector, content);
    projector.dispose();
    const contentOnly = evaluateDevices(
      replayUsers(timelines, bootstrap, 128),
      bootstrap,
      heldOut,
      true,
    );
    const counts = new Float64Array(content.count);
    for (const t of timelines)
      for (const s of t.train) s.clicked.forEach((c, k) => (counts[s.items[k]!]! += c));
    const popularity = evaluateScorer(heldOut, () => counts, true);

    // Seeded run: federated 0.186, content-only 0.161, popularity 0.087 (AUC 0.748 vs 0.701).
    expect(federated.ndcgAt10).toBeGreaterThan(1.08 * contentOnly.ndcgAt10);
    expect(federated.ndcgAt10).toBeGreaterThan(1.5 * popularity.ndcgAt10);
    expect(federated.auc!).toBeGreaterThan(contentOnly.auc! + 0.02);
  }, 120_000);
});
