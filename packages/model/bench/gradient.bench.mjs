// Benchmark (not a test): time of one round's projector gradient per tfjs backend available in
// Node, for the linear and MLP projectors, with the ratio against the cpu backend measured in the
// same run. Also times the per-event user update and catalog re-projection. Prints JSON.
//
//   npx tsc -b packages/model && node packages/model/bench/gradient.bench.mjs [--rounds 20] [--events 20] [--slate 10]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  RoundGradientAccumulator,
  createProjector,
  emaUpdate,
  referenceRoundGradient,
  seededUniforms,
  userGradientStep,
} from '../dist/index.js';
import { nodeWasmPaths } from '../dist/node.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    events: { type: 'string', default: '20' },
    slate: { type: 'string', default: '10' },
    catalog: { type: 'string', default: '10000' },
  },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const SLATE = Number(values.slate);
const CATALOG = Number(values.catalog);
const BACKENDS = ['cpu', 'wasm'];
const SPECS = {
  linear: { kind: 'linear', contentDim: 384, userDim: 128 },
  mlp: { kind: 'mlp', contentDim: 384, userDim: 128, hiddenDim: 256 },
};

// Benchmarks measure speed, not debugging: skips tfjs's per-op checks and its Node banner.
tf.enableProdMode();
setWasmPaths(nodeWasmPaths());

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), min: sorted[0] };
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

function events(spec, seed) {
  return Array.from({ length: EVENTS }, (_, k) => ({
    user: seededUniforms(spec.userDim, seed + 2 * k),
    slateContent: seededUniforms(SLATE * spec.contentDim, seed + 2 * k + 1),
    clickedIndex: k % SLATE,
  }));
}

async function timeRounds(spec, batch) {
  const projector = createProjector(spec, { seed: 1 });
  const acc = new RoundGradientAccumulator(projector);
  const samples = [];
  for (let r = -2; r < ROUNDS; r++) {
    acc.reset();
    const start = performance.now();
    for (const e of batch) acc.add(e);
    await acc.resultAsync();
    if (r >= 0) samples.push(performance.now() - start);
  }
  acc.dispose();
  projector.dispose();
  return stats(samples);
}

async function timeProject(spec) {
  const projector = createProjector(spec, { seed: 1 });
  const content = seededUniforms(CATALOG * spec.contentDim, 99);
  const samples = [];
  for (let r = -1; r < 5; r++) {
    const start = performance.now();
    await projector.projectAsync(content, CATALOG);
    if (r >= 0) samples.push(performance.now() - start);
  }
  projector.dispose();
  return stats(samples);
}

function timeSync(fn, iterations) {
  for (let i = 0; i < Math.min(iterations, 1000); i++) fn(i);
  const samples = [];
  for (let rep = 0; rep < 5; rep++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn(i);
    samples.push(((performance.now() - start) / iterations) * 1000);
  }
  return stats(samples);
}

const result = {
  benchmark: '@privads/model gradient',
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  round: { events: EVENTS, slate: SLATE, rounds: ROUNDS },
  gradientMsPerRound: {},
  projectMs: { rows: CATALOG },
  userUpdateMicroseconds: {},
};

for (const [name, spec] of Object.entries(SPECS)) {
  const batch = events(spec, 7);
  const perBackend = {};
  for (const backend of BACKENDS) {
    if (!(await tf.setBackend(backend))) {
      perBackend[backend] = { skipped: 'backend failed to initialise' };
      continue;
    }
    await tf.ready();
    const t = await timeRounds(spec, batch);
    perBackend[backend] = {
      medianMs: round3(t.median),
      p90Ms: round3(t.p90),
      minMs: round3(t.min),
    };
    result.projectMs[`${name}/${backend}`] = round3((await timeProject(spec)).median);
  }
  const cpu = perBackend.cpu?.medianMs;
  for (const entry of Object.values(perBackend)) {
    if (entry.medianMs !== undefined && cpu !== undefined)
      entry.speedupVsCpu = round3(cpu / entry.medianMs);
  }
  // The f64 reference (plain JS loops) for scale; it is the specification, not a backend.
  const params = createProjector(spec, { seed: 1 });
  const theta = params.getFlatParameters();
  params.dispose();
  const ref = timeSync(() => referenceRoundGradient(spec, theta, batch, 0.1), 3);
  perBackend['reference-f64-js'] = {
    medianMs: round3(ref.median / 1000),
    speedupVsCpu: round3(cpu / (ref.median / 1000)),
  };
  result.gradientMsPerRound[name] = perBackend;
}

const u = seededUniforms(128, 1);
const slate = seededUniforms(SLATE * 128, 2);
const step = timeSync(
  (i) => userGradientStep(u, slate, i % SLATE, { learningRate: 0.01, temperature: 0.1 }),
  20000,
);
const ema = timeSync((i) => emaUpdate(u, slate.subarray(0, 128), i), 20000);
result.userUpdateMicroseconds = {
  userGradientStep: { median: round3(step.median), p90: round3(step.p90) },
  emaUpdate: { median: round3(ema.median), p90: round3(ema.p90) },
};

console.log(JSON.stringify(result, null, 2));
