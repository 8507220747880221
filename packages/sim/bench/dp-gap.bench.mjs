// Benchmark (not a test): how the cost of central DP shrinks as the population grows. For each
// population size N the same federation (fixed expected cohort M and rounds R, so the same number
// of client-rounds) runs without DP and with central DP at ε (δ = 1/N); with sampling rate M/N
// falling, the accountant needs a smaller noise multiplier z for the same ε. Prints JSON with the
// NDCG@10 of both runs and their ratio (the DP gap) per N, plus client-rounds/s.
//
//   npx tsc -b packages/sim && node packages/sim/bench/dp-gap.bench.mjs [--sizes 1000,3000,10000] [--cohort 100] [--rounds 20] [--epsilon 2]
import { parseArgs } from 'node:util';
import { createSeededRandomSource, findNoiseMultiplier } from '@privads/dp';
import {
  createServerAggregator,
  createSyntheticPopulation,
  encodeCatalog,
  evaluateDevices,
  heldOutOf,
  runFederation,
  useFastestNodeBackend,
} from '../dist/index.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,3000,10000' },
    cohort: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '20' },
    epsilon: { type: 'string', default: '2' },
    'server-lr': { type: 'string', default: '0.1' },
    aggregator: { type: 'string', default: 'server' },
    seed: { type: 'string', default: '1' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const COHORT = Number(values.cohort);
const ROUNDS = Number(values.rounds);
const EPSILON = Number(values.epsilon);
const SEED = Number(values.seed);
const spec = { kind: 'linear', contentDim: 384, userDim: 128 };

const backend = await useFastestNodeBackend();
const rows = [];
for (const users of SIZES) {
  const population = createSyntheticPopulation({ seed: SEED, users });
  const content = await encodeCatalog(population.items);
  const timelines = Array.from({ length: users }, (_, u) => population.timeline(u));
  const heldOut = timelines.map((t, u) => heldOutOf(u, t)).filter((h) => h !== undefined);
  const q = Math.min(1, COHORT / users);
  const delta = 1 / users;
  const z = findNoiseMultiplier({ targetEpsilon: EPSILON, delta, sampleRate: q, steps: ROUNDS });
  const run = async (privacy) => {
    const settings = {
      spec,
      projectorSeed: 0x5eed,
      clipNorm: 1,
      privacy,
      samplingProbability: q,
      denominator: Math.round(q * users),
      kMin: 1,
      serverLearningRate: Number(values['server-lr']),
      serverMomentum: 0.9,
      source: createSeededRandomSource(SEED),
    };
    const aggregator = await createServerAggregator(
      settings,
      values.aggregator === 'http' ? 'http' : 'in-process',
    );
    try {
      const result = await runFederation({
        aggregator,
        timelines,
        content,
        rounds: ROUNDS,
        samplingProbability: q,
        seed: SEED,
        evalUsers: [],
        withAuc: true,
      });
      return { result, metrics: evaluateDevices(result.fleet, result.projected, heldOut, true) };
    } finally {
      await aggregator.dispose();
    }
  };
  const plain = await run({ mode: 'none' });
  const dp = await run({ mode: 'central', noiseMultiplier: z, delta, targetEpsilon: EPSILON });
  const row = {
    users,
    samplingProbability: q,
    noiseMultiplier: Number(z.toFixed(4)),
    // Std of the noise on the mean update relative to the clip norm, over all 49,280 coordinates.
    noiseNormOverClip: Number(((z * Math.sqrt(49280)) / (q * users)).toFixed(3)),
    ndcgAt10NoDp: Number(plain.metrics.ndcgAt10.toFixed(5)),
    ndcgAt10Dp: Number(dp.metrics.ndcgAt10.toFixed(5)),
    dpOverNoDp: Number((dp.metrics.ndcgAt10 / plain.metrics.ndcgAt10).toFixed(4)),
    aucNoDp: Number(plain.metrics.auc.toFixed(4)),
    aucDp: Number(dp.metrics.auc.toFixed(4)),
    clientRoundsPerSecond: Number(
      (plain.result.clientRounds / plain.result.clientSeconds).toFixed(1),
    ),
    secondsPerRun: Number(plain.result.seconds.toFixed(1)),
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
console.log(
  JSON.stringify(
    {
      benchmark: '@privads/sim dp-gap',
      backend,
      cohort: COHORT,
      rounds: ROUNDS,
      epsilon: EPSILON,
      rows,
    },
    null,
    2,
  ),
);
