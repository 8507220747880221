// Page side of gradient-browser.bench.mjs: times one round's projector gradient per tfjs backend in
// this browser (served by Vite, so `@privads/model` resolves to its sources) and exposes
// `window.gradientBench(options)`, which resolves to JSON-able results.
/* global window, navigator, performance */
import * as tf from '@tensorflow/tfjs-core';
import {
  RoundGradientAccumulator,
  createProjector,
  findGradientBackend,
  seededUniforms,
  selectGradientBackend,
} from '@privads/model';

const SPECS = {
  linear: { kind: 'linear', contentDim: 384, userDim: 128 },
  mlp: { kind: 'mlp', contentDim: 384, userDim: 128, hiddenDim: 256 },
};

function events(spec, count, slate) {
  return Array.from({ length: count }, (_, k) => ({
    user: seededUniforms(spec.userDim, 7 + 2 * k),
    slateContent: seededUniforms(slate * spec.contentDim, 8 + 2 * k),
    clickedIndex: k % slate,
  }));
}

async function timeRounds(spec, batch, rounds) {
  const projector = createProjector(spec, { seed: 1 });
  const acc = new RoundGradientAccumulator(projector);
  const samples = [];
  // Two warm-up rounds: the first compiles WebGPU shaders / instantiates wasm kernels.
  for (let r = -2; r < rounds; r++) {
    acc.reset();
    const start = performance.now();
    for (const e of batch) acc.add(e);
    await acc.resultAsync();
    if (r >= 0) samples.push(performance.now() - start);
  }
  acc.dispose();
  projector.dispose();
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)], minMs: samples[0] };
}

window.gradientBench = async ({ rounds, events: count, slate, wasmPaths }) => {
  const adapter = await navigator.gpu?.requestAdapter();
  const result = {
    userAgent: navigator.userAgent,
    webgpuAdapter: adapter ? (adapter.info?.architecture ?? 'unknown') || 'unknown' : null,
    gradientMsPerRound: {},
  };
  for (const [label, spec] of Object.entries(SPECS)) {
    const batch = events(spec, count, slate);
    const perBackend = {};
    for (const name of ['cpu', 'wasm', 'webgpu']) {
      try {
        // Software adapters are allowed here: the point is to measure them, not to pick them.
        await findGradientBackend(name).prepare({ wasmPaths, allowSoftwareAdapter: true });
        if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
        await tf.ready();
        const before = tf.memory().numTensors;
        perBackend[name] = await timeRounds(spec, batch, rounds);
        perBackend[name].leakedTensors = tf.memory().numTensors - before;
      } catch (error) {
        perBackend[name] = { skipped: String(error instanceof Error ? error.message : error) };
      }
    }
    const cpu = perBackend.cpu.medianMs;
    for (const entry of Object.values(perBackend))
      if (entry.medianMs !== undefined) entry.speedupVsCpu = cpu / entry.medianMs;
    result.gradientMsPerRound[label] = perBackend;
  }
  // What the client's default selection does here (software adapters skipped unless forced).
  result.selection = await selectGradientBackend({ wasmPaths });
  return result;
};
