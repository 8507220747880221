/**
 * Every tfjs tensor the package creates is released: after whole lifecycles, after calls that are
 * rejected half-way, and after a backend selection. A browser tab runs this code for hours, so a
 * single leaked tensor per click or per round grows without bound.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  RoundGradientAccumulator,
  createProjector,
  projectorFromSafetensors,
  seededUniforms,
  type ClickEvent,
  type ProjectorSpec,
} from '@privads/model';
import { selectNodeGradientBackend } from '@privads/model/node';
import { TEST_BACKENDS, makeEvents, useBackend } from './helpers.js';

const MLP: ProjectorSpec = { kind: 'mlp', contentDim: 12, userDim: 5, hiddenDim: 7 };

/** Runs `fn` and checks that the engine holds exactly as many tensors and bytes as before. */
async function expectNoLeak(fn: () => unknown): Promise<void> {
  const before = tf.memory();
  await fn();
  const after = tf.memory();
  expect({ tensors: after.numTensors, bytes: after.numBytes }).toEqual({
    tensors: before.numTensors,
    bytes: before.numBytes,
  });
}

describe.each(TEST_BACKENDS)('tensor hygiene on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('a whole projector lifecycle releases everything', async () => {
    await expectNoLeak(async () => {
      const p = createProjector(MLP, { seed: 2 });
      const z = seededUniforms(4 * MLP.contentDim, 3);
      p.project(z, 4);
      await p.projectAsync(z, 4);
      p.setFlatParameters(seededUniforms(p.parameterCount, 4));
      p.applyUpdate(seededUniforms(p.parameterCount, 5), 0.5);
      await p.getFlatParametersAsync();
      const loaded = projectorFromSafetensors(p.toSafetensors({ version: '7' }));
      const copy = loaded.clone();
      [p, loaded, copy].forEach((x) => x.dispose());
    });
  });

  it('a round gradient lifecycle (several rounds, async read-back, reset) releases everything', async () => {
    await expectNoLeak(async () => {
      const p = createProjector(MLP, { seed: 6 });
      const acc = new RoundGradientAccumulator(p, { batchSize: 2 });
      for (let round = 0; round < 3; round++) {
        makeEvents(MLP, [3, 1, 4], round + 1).forEach((e) => acc.add(e));
        await acc.resultAsync();
        acc.result();
        acc.reset();
      }
      makeEvents(MLP, [2], 9).forEach((e) => acc.add(e));
      acc.dispose();
      p.dispose();
    });
  });

  it('rejected calls leave no tensor behind', async () => {
    const p = createProjector(MLP, { seed: 1 });
    const acc = new RoundGradientAccumulator(p);
    const [good] = makeEvents(MLP, [3], 2) as [ClickEvent];
    const bad = new Float32Array(p.parameterCount).fill(Number.NaN);
    await expectNoLeak(() => {
      expect(() => createProjector(MLP, { parameters: new Float32Array(3) })).toThrow(RangeError);
      expect(() => p.setFlatParameters(bad)).toThrow(RangeError);
      expect(() => p.applyUpdate(new Float32Array(p.parameterCount), Infinity)).toThrow(RangeError);
      expect(() => p.project(new Float32Array(5), 1)).toThrow(RangeError);
      expect(() => projectorFromSafetensors(new Uint8Array([1, 2, 3]))).toThrow();
      expect(() => acc.add({ ...good, clickedIndex: 7 })).toThrow(RangeError);
      expect(() => acc.add({ ...good, slateContent: new Float32Array(4) })).toThrow(RangeError);
      expect(acc.eventCount).toBe(0);
    });
    acc.dispose();
    p.dispose();
  });

  it('a disposed projector makes the accumulator throw without leaking its pending batch', async () => {
    await expectNoLeak(() => {
      const p = createProjector(MLP, { seed: 4 });
      const acc = new RoundGradientAccumulator(p);
      makeEvents(MLP, [2, 3], 5).forEach((e) => acc.add(e));
      p.dispose();
      expect(() => acc.result()).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
      acc.dispose();
    });
  });
});

describe('backend selection', () => {
  it('self-tests and timing runs release their tensors', async () => {
    await useBackend('cpu');
    await expectNoLeak(() => selectNodeGradientBackend({ candidates: ['wasm', 'cpu'] }));
  });
});
