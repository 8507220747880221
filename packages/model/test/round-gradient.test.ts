import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import {
  RoundGradientAccumulator,
  createProjector,
  parameterCount,
  referenceRoundGradient,
  referenceRoundLoss,
  seededUniforms,
  type ClickEvent,
  type ProjectorSpec,
} from '@privads/model';
import { TEST_BACKENDS, makeEvents, relativeError, useBackend } from './helpers.js';

const TINY_LINEAR: ProjectorSpec = { kind: 'linear', contentDim: 6, userDim: 4 };
const TINY_MLP: ProjectorSpec = { kind: 'mlp', contentDim: 6, userDim: 4, hiddenDim: 5 };
const TAU = 0.3;

/** f64 central differences of the f64 reference loss, one parameter at a time. */
function finiteDifferenceGradient(
  spec: ProjectorSpec,
  params: Float32Array,
  events: ClickEvent[],
): Float64Array {
  const theta = Float64Array.from(params);
  const h = 1e-5;
  const grad = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const keep = theta[i]!;
    theta[i] = keep + h;
    const up = referenceRoundLoss(spec, theta, events, TAU);
    theta[i] = keep - h;
    const down = referenceRoundLoss(spec, theta, events, TAU);
    theta[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/**
 * tfjs gradient of a projector. Tiny specs get every parameter (biases too) random, so no slate row
 * sits at the `‖y‖ < MIN_PROJECTION_NORM` cut, where finite differences would be meaningless.
 */
function tfjsGradient(spec: ProjectorSpec, seed: number, events: ClickEvent[], batchSize?: number) {
  const tiny = spec.contentDim < 100;
  const projector = tiny
    ? createProjector(spec, { parameters: seededUniforms(parameterCount(spec), seed) })
    : createProjector(spec, { seed });
  const acc = new RoundGradientAccumulator(projector, {
    temperature: TAU,
    ...(batchSize ? { batchSize } : {}),
  });
  events.forEach((e) => acc.add(e));
  const gradient = acc.result();
  const params = projector.getFlatParameters();
  acc.dispose();
  projector.dispose();
  return { gradient, params };
}

/** The events with a per-ad slate bias in [−3, 0] (as `popularityBias` gives), seeded. */
function withBias(events: ClickEvent[], seed: number): ClickEvent[] {
  return events.map((e, k) => {
    const n = e.slateContent.length / 6;
    return { ...e, slateBias: seededUniforms(n, seed + k).map((x) => -3 * x) };
  });
}

function withoutBias(events: ClickEvent[]): ClickEvent[] {
  return events.map(({ slateBias: _bias, ...e }) => e);
}

describe('reference gradient (hand-derived, f64)', () => {
  it.each([
    ['linear', TINY_LINEAR],
    ['mlp', TINY_MLP],
  ])('matches f64 central differences (%s)', (_label, spec) => {
    // Slates of different sizes; deterministic parameters, no tfjs involved.
    const events = makeEvents(spec, [3, 1, 5, 2], 4);
    const theta = new Float32Array(parameterCount(spec)).map(
      (_, i) => Math.sin(i * 1.7 + 0.3) * 0.8,
    );
    const fd = finiteDifferenceGradient(spec, theta, events);
    const analytic = referenceRoundGradient(spec, theta, events, TAU);
    expect(Math.hypot(...fd)).toBeGreaterThan(0.1);
    expect(relativeError(analytic, fd)).toBeLessThan(1e-7);
  });

  it.each([
    ['linear', TINY_LINEAR],
    ['mlp', TINY_MLP],
  ])(
    'with a slate bias (the popularity prior) still matches central differences (%s)',
    (_l, spec) => {
      const events = withBias(makeEvents(spec, [3, 1, 5, 2], 4), 7);
      const theta = new Float32Array(parameterCount(spec)).map(
        (_, i) => Math.sin(i * 1.7 + 0.3) * 0.8,
      );
      const fd = finiteDifferenceGradient(spec, theta, events);
      const analytic = referenceRoundGradient(spec, theta, events, TAU);
      expect(relativeError(analytic, fd)).toBeLessThan(1e-7);
      // The bias moves the softmax, so it changes the gradient; a constant bias changes nothing.
      const plain = referenceRoundGradient(spec, theta, withoutBias(events), TAU);
      expect(relativeError(analytic, plain)).toBeGreaterThan(0.01);
      const constant = events.map((e) => ({ ...e, slateBias: e.slateBias!.map(() => -2.5) }));
      expect(relativeError(referenceRoundGradient(spec, theta, constant, TAU), plain)).toBeLessThan(
        1e-9,
      );
    },
  );

  it('rejects a slate bias of the wrong length', () => {
    const [event] = makeEvents(TINY_LINEAR, [3], 4) as [ClickEvent];
    const theta = new Float32Array(parameterCount(TINY_LINEAR));
    expect(() =>
      referenceRoundGradient(
        TINY_LINEAR,
        theta,
        [{ ...event, slateBias: new Float32Array(2) }],
        TAU,
      ),
    ).toThrow(/slateBias/);
  });

  it('rejects a parameter vector of the wrong length', () => {
    expect(() => referenceRoundGradient(TINY_LINEAR, new Float32Array(3), [], TAU)).toThrow(
      RangeError,
    );
    expect(() => referenceRoundLoss(TINY_LINEAR, new Float32Array(28), [], 0)).toThrow(
      /temperature/,
    );
  });
});

describe.each(TEST_BACKENDS)('RoundGradientAccumulator on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    ['linear', TINY_LINEAR],
    ['mlp', TINY_MLP],
  ])('tfjs autodiff matches f64 finite differences (%s, 6→4)', (_label, spec) => {
    const events = makeEvents(spec, [3, 1, 5, 2], 9);
    const { gradient, params } = tfjsGradient(spec, 21, events);
    const fd = finiteDifferenceGradient(spec, params, events);
    expect(Math.hypot(...fd)).toBeGreaterThan(0.1);
    expect(Math.hypot(...fd)).toBeLessThan(1e3);
    expect(relativeError(gradient, fd)).toBeLessThan(1e-5);
  });

  it.each([
    ['linear', TINY_LINEAR],
    ['mlp', TINY_MLP],
  ])('tfjs autodiff with a slate bias matches the reference (%s)', (_label, spec) => {
    const events = withBias(makeEvents(spec, [3, 1, 5, 2], 9), 11);
    const { gradient, params } = tfjsGradient(spec, 21, events, 3);
    const want = referenceRoundGradient(spec, params, events, TAU);
    expect(relativeError(gradient, want)).toBeLessThan(1e-5);
    expect(
      relativeError(gradient, referenceRoundGradient(spec, params, withoutBias(events), TAU)),
    ).toBeGreaterThan(0.01);
  });

  it('gives rows that project to zero no gradient (no 1/‖y‖ blow-up)', () => {
    // Linear, zero bias: an all-zero content row has y = 0 exactly.
    const projector = createProjector(TINY_LINEAR, { seed: 4 });
    const acc = new RoundGradientAccumulator(projector, { temperature: TAU });
    const [event] = makeEvents(TINY_LINEAR, [3], 8) as [ClickEvent];
    event.slateContent.fill(0, 6, 12);
    acc.add(event);
    const gradient = acc.result();
    const want = referenceRoundGradient(TINY_LINEAR, projector.getFlatParameters(), [event], TAU);
    expect(Math.hypot(...want)).toBeLessThan(100);
    expect(relativeError(gradient, want)).toBeLessThan(1e-5);
    acc.dispose();
    projector.dispose();
  });

  it('linear 384→128 matches the hand-derived analytic gradient', () => {
    const spec: ProjectorSpec = { kind: 'linear', contentDim: 384, userDim: 128 };
    const events = makeEvents(spec, [10, 10, 7], 2);
    const { gradient, params } = tfjsGradient(spec, 5, events);
    expect(gradient.length).toBe(49_280);
    const analytic = referenceRoundGradient(spec, params, events, TAU);
    expect(relativeError(gradient, analytic)).toBeLessThan(1e-5);
  });

  it('mlp 384→256→128 matches the reference gradient', () => {
    const spec: ProjectorSpec = { kind: 'mlp', contentDim: 384, userDim: 128 };
    const events = makeEvents(spec, [10, 4], 3);
    const { gradient, params } = tfjsGradient(spec, 6, events);
    expect(relativeError(gradient, referenceRoundGradient(spec, params, events, TAU))).toBeLessThan(
      1e-5,
    );
  });

  it('does not depend on how events are batched', () => {
    const events = makeEvents(TINY_MLP, [3, 4, 2, 5, 1, 3, 6], 12);
    const one = tfjsGradient(TINY_MLP, 2, events, 1).gradient;
    const two = tfjsGradient(TINY_MLP, 2, events, 2).gradient;
    const all = tfjsGradient(TINY_MLP, 2, events).gradient;
    expect(relativeError(one, all)).toBeLessThan(1e-6);
    expect(relativeError(two, all)).toBeLessThan(1e-6);
  });

  it('is additive: two batches summed equal the batch of their union', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 1000 }),
        (slates, cut, seed) => {
          const events = makeEvents(TINY_MLP, slates, seed);
          const split = Math.min(cut, events.length - 1);
          const projector = createProjector(TINY_MLP, { seed });
          const a = new RoundGradientAccumulator(projector, { temperature: TAU });
          const b = new RoundGradientAccumulator(projector, { temperature: TAU });
          const union = new RoundGradientAccumulator(projector, { temperature: TAU });
          events.forEach((e, i) => (i < split ? a : b).add(e));
          events.forEach((e) => union.add(e));
          const ga = a.result();
          const gb = b.result();
          const sum = ga.map((v, i) => v + gb[i]!);
          const gu = union.result();
          [a, b, union].forEach((x) => x.dispose());
          projector.dispose();
          expect(relativeError(sum, gu)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('returns zeros before any event and counts events', async () => {
    const projector = createProjector(TINY_LINEAR);
    const acc = new RoundGradientAccumulator(projector);
    expect(acc.eventCount).toBe(0);
    expect(acc.result()).toEqual(new Float32Array(28));
    makeEvents(TINY_LINEAR, [2, 3], 1).forEach((e) => acc.add(e));
    expect(acc.eventCount).toBe(2);
    const sync = acc.result();
    expect(await acc.resultAsync()).toEqual(sync);
    expect(sync.some((v) => v !== 0)).toBe(true);
    acc.reset();
    expect(acc.eventCount).toBe(0);
    expect(acc.result()).toEqual(new Float32Array(28));
    acc.dispose();
    projector.dispose();
  });

  it('copies event arrays, so callers may reuse their buffers', () => {
    const events = makeEvents(TINY_LINEAR, [3, 2], 5);
    const expected = tfjsGradient(TINY_LINEAR, 1, events).gradient;
    const projector = createProjector(TINY_LINEAR, { parameters: seededUniforms(28, 1) });
    const acc = new RoundGradientAccumulator(projector, { temperature: TAU });
    for (const e of events) {
      const user = e.user.slice();
      const slateContent = e.slateContent.slice();
      acc.add({ user, slateContent, clickedIndex: e.clickedIndex });
      user.fill(9);
      slateContent.fill(-9);
    }
    expect(relativeError(acc.result(), expected)).toBeLessThan(1e-7);
    acc.dispose();
    projector.dispose();
  });

  it('releases every tensor after a round', async () => {
    const start = tf.memory().numTensors;
    const projector = createProjector(TINY_MLP, { seed: 3 });
    const withProjector = tf.memory().numTensors;
    expect(withProjector - start).toBe(4);
    const acc = new RoundGradientAccumulator(projector, { batchSize: 2 });
    makeEvents(TINY_MLP, [3, 2, 4, 1, 5], 6).forEach((e) => acc.add(e));
    acc.result();
    await acc.resultAsync();
    acc.add(makeEvents(TINY_MLP, [2], 7)[0]!);
    acc.result();
    acc.dispose();
    expect(tf.memory().numTensors).toBe(withProjector);
    projector.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('rejects invalid events and use after dispose', () => {
    const projector = createProjector(TINY_LINEAR);
    const acc = new RoundGradientAccumulator(projector);
    const [good] = makeEvents(TINY_LINEAR, [3], 1) as [ClickEvent];
    expect(() => acc.add({ ...good, user: new Float32Array(3) })).toThrow(/user must have 4/);
    expect(() => acc.add({ ...good, user: new Float32Array(4) })).toThrow(/non-zero/);
    expect(() => acc.add({ ...good, clickedIndex: 3 })).toThrow(/clickedIndex/);
    expect(() => acc.add({ ...good, slateContent: new Float32Array(7) })).toThrow(
      /multiple of contentDim/,
    );
    const nan = good.slateContent.slice();
    nan[4] = NaN;
    expect(() => acc.add({ ...good, slateContent: nan })).toThrow(/finite/);
    expect(acc.eventCount).toBe(0);
    expect(() => new RoundGradientAccumulator(projector, { temperature: 0 })).toThrow(RangeError);
    expect(() => new RoundGradientAccumulator(projector, { batchSize: 0 })).toThrow(RangeError);
    acc.dispose();
    expect(() => acc.add(good)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    projector.dispose();
    expect(() => new RoundGradientAccumulator(projector)).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE' }),
    );
  });
});
