// Benchmark (not a test): the centralized baseline of `privads-sim run --dataset synthetic` alone,
// without the federated runs, for checking how a capped step budget changes the denominator of a
// table's ratios and what its search costs at a population size. It trains with the code path of
// `runExperiment` (same population, catalog, version-1 projector and held-out clicks) and prints
// JSON: test NDCG@10, Recall@10, AUC, the selected learning rate, steps and user vectors, every
// candidate's validation result, and seconds.
//
//   npx tsc -b packages/sim && node packages/sim/bench/centralized.bench.mjs --users 2000 --seed 7 [--steps 200] [--lr 0.003,0.01,0.03]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createProjector, initialParameters } from '@privads/model';
import {
  createSyntheticPopulation,
  encodeCatalog,
  evaluateDevices,
  heldOutOf,
  projectCatalog,
  trainCentralized,
  useFastestNodeBackend,
} from '../dist/index.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '200' },
    lr: { type: 'string', default: '0.003,0.01,0.03' },
  },
});
/** The version-1 projector's seed of `runExperiment`. */
const PROJECTOR_SEED = 0x5eed;

const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(0);
await useFastestNodeBackend();
const population = createSyntheticPopulation({
  seed: Number(values.seed),
  users: Number(values.users),
});
const content = await encodeCatalog(population.items);
const timelines = Array.from({ length: population.userCount }, (_, u) => population.timeline(u));
const heldOut = timelines.map((t, u) => heldOutOf(u, t)).filter((h) => h !== undefined);
const spec = { kind: 'linear', contentDim: content.dim, userDim: 128 };
const project = (parameters) => {
  const projector = createProjector(spec, { parameters });
  try {
    return projectCatalog(projector, content);
  } finally {
    projector.dispose();
  }
};
let lastTwentieth = -1;
const trained = trainCentralized(
  {
    spec,
    initialParameters: initialParameters(spec, PROJECTOR_SEED),
    content,
    timelines,
    maxSteps: Number(values.steps),
    learningRates: values.lr.split(',').map(Number),
    onProgress: (fraction) => {
      const twentieth = Math.floor(fraction * 20);
      if (twentieth === lastTwentieth) return;
      lastTwentieth = twentieth;
      console.error(`centralized ${(100 * fraction).toFixed(0)}% (${elapsed()}s)`);
    },
  },
  project,
);
const metrics = evaluateDevices(
  trained.fleet,
  trained.projected,
  heldOut,
  population.hasImpressions,
);
console.log(
  JSON.stringify({
    users: population.userCount,
    seed: Number(values.seed),
    maxSteps: Number(values.steps),
    ndcgAt10: metrics.ndcgAt10,
    recallAt10: metrics.recallAt10,
    auc: metrics.auc,
    learningRate: trained.learningRate,
    steps: trained.steps,
    userVectors: trained.userVectors,
    validationNdcgAt10: trained.validationNdcgAt10,
    candidates: trained.candidates,
    seconds: (performance.now() - started) / 1000,
  }),
);
