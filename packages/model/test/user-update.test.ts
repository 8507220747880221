import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  emaUpdate,
  pullToward,
  pushAway,
  seededUniforms,
  slateSoftmaxLoss,
  userGradientStep,
} from '@privads/model';
import { relativeError } from './helpers.js';

const D = 8;
const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s / (norm(a) * norm(b));
};

/** Vectors of length `d` with norm ≥ 0.1 (the rules require a non-zero u). */
const vector = (d: number) =>
  fc
    .array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: d, maxLength: d })
    .filter((v) => norm(v) >= 0.1)
    .map((v) => Float32Array.from(v));

const slateCase = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    u: vector(D),
    slate: fc.array(vector(D), { minLength: n, maxLength: n }).map((rows) => {
      const out = new Float32Array(n * D);
      rows.forEach((r, j) => out.set(r, j * D));
      return out;
    }),
    clicked: fc.integer({ min: 0, max: n - 1 }),
    temperature: fc.double({ min: 0.05, max: 1, noNaN: true }),
  }),
);

describe('slateSoftmaxLoss', () => {
  it('is −log softmax(s/τ)[c] with cosine scores', () => {
    const u = [2, 0, 0];
    const slate = [1, 0, 0, 0, 3, 0]; // cosines 1 and 0, whatever the lengths
    expect(slateSoftmaxLoss(u, slate, 0, 1)).toBeCloseTo(Math.log(1 + Math.exp(-1)), 12);
    expect(slateSoftmaxLoss(u, slate, 1, 0.5)).toBeCloseTo(Math.log(1 + Math.exp(2)), 12);
    expect(slateSoftmaxLoss(u, [1, 0, 0], 0, 0.1)).toBe(0);
  });

  it('stays finite at small temperatures', () => {
    expect(slateSoftmaxLoss([1, 0], [1, 0, -1, 0], 1, 0.001)).toBeCloseTo(2000, 6);
  });

  it('rejects invalid arguments', () => {
    expect(() => slateSoftmaxLoss([1, 0], [1, 0, 0], 0, 1)).toThrow(/multiple of u.length/);
    expect(() => slateSoftmaxLoss([1, 0], [1, 0], 1, 1)).toThrow(/clickedIndex/);
    expect(() => slateSoftmaxLoss([1, 0], [1, 0], 0, 0)).toThrow(/temperature must be > 0, got 0/);
    expect(() => slateSoftmaxLoss([0, 0], [1, 0], 0, 1)).toThrow(/non-zero/);
    expect(() => slateSoftmaxLoss([1, NaN], [1, 0], 0, 1)).toThrow(/finite/);
  });
});

/** A 128-d user, a 10-ad slate, τ and η for the step tests. */
const STEP_CASE = {
  u: Float64Array.from(seededUniforms(128, 1)),
  slate: seededUniforms(10 * 128, 2),
  tau: 0.2,
  eta: 0.05,
};

/** `normalise(u − η∇L)` for a click on ad 3, ∇L of the (biased) loss by f64 central differences. */
function finiteDifferenceStep(bias: Float32Array | undefined): Float64Array {
  const { u, slate, tau, eta } = STEP_CASE;
  const h = 1e-6;
  const grad = u.map((_, i) => {
    const up = u.slice();
    const down = u.slice();
    up[i]! += h;
    down[i]! -= h;
    return (
      (slateSoftmaxLoss(up, slate, 3, tau, bias) - slateSoftmaxLoss(down, slate, 3, tau, bias)) /
      (2 * h)
    );
  });
  const moved = u.map((v, i) => v - eta * grad[i]!);
  return moved.map((v) => v / norm(moved));
}

describe('userGradientStep', () => {
  it('equals normalise(u − η∇L) with ∇L from f64 central differences', () => {
    const { u, slate, tau, eta } = STEP_CASE;
    const got = userGradientStep(u, slate, 3, { learningRate: eta, temperature: tau });
    expect(relativeError(got, finiteDifferenceStep(undefined))).toBeLessThan(1e-6);
  });

  it('keeps ‖u‖ = 1 and lowers the loss for a small step', () => {
    fc.assert(
      fc.property(slateCase, ({ u, slate, clicked, temperature }) => {
        const next = userGradientStep(u, slate, clicked, { learningRate: 1e-3, temperature });
        expect(norm(next)).toBeCloseTo(1, 6);
        const before = slateSoftmaxLoss(u, slate, clicked, temperature);
        // f32 rounding of the result may add ~1e-7 when the gradient is (nearly) zero.
        expect(slateSoftmaxLoss(next, slate, clicked, temperature)).toBeLessThanOrEqual(
          before + 1e-5,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('strictly lowers the loss and moves toward the clicked ad', () => {
    const u = seededUniforms(128, 5);
    const slate = seededUniforms(10 * 128, 6);
    const next = userGradientStep(u, slate, 4);
    expect(slateSoftmaxLoss(next, slate, 4)).toBeLessThan(slateSoftmaxLoss(u, slate, 4) - 1e-3);
    const clicked = slate.subarray(4 * 128, 5 * 128);
    expect(cos(next, clicked)).toBeGreaterThan(cos(u, clicked));
    expect(u).toEqual(seededUniforms(128, 5));
  });

  it('rejects a non-positive learning rate', () => {
    expect(() => userGradientStep([1, 0], [1, 0], 0, { learningRate: 0 })).toThrow(/learningRate/);
  });

  it('with a slate bias: the step of the biased loss, and a constant bias changes nothing', () => {
    const { u, slate, tau, eta } = STEP_CASE;
    const bias = seededUniforms(10, 3).map((x) => -2 * x);
    const got = userGradientStep(u, slate, 3, { learningRate: eta, temperature: tau, bias });
    expect(relativeError(got, finiteDifferenceStep(bias))).toBeLessThan(1e-6);
    const plain = userGradientStep(u, slate, 3, { learningRate: eta, temperature: tau });
    expect(relativeError(got, plain)).toBeGreaterThan(1e-4);
    const constant = userGradientStep(u, slate, 3, {
      learningRate: eta,
      temperature: tau,
      bias: new Float32Array(10).fill(-1.5),
    });
    expect(relativeError(constant, plain)).toBeLessThan(1e-6);
  });

  it('with a slate bias: a popular clicked ad teaches less than an unpopular one', () => {
    // The bias already explains part of a click on a popular ad, so u moves less toward it.
    const u = seededUniforms(16, 5);
    const slate = seededUniforms(4 * 16, 6);
    const toward = (bias: number[]): number =>
      cos(userGradientStep(u, slate, 0, { bias }), slate.subarray(0, 16)) -
      cos(u, slate.subarray(0, 16));
    expect(toward([0, -2, -2, -2])).toBeLessThan(toward([0, 0, 0, 0]));
    expect(toward([-2, 0, 0, 0])).toBeGreaterThan(toward([0, 0, 0, 0]));
  });

  it('rejects a bias of the wrong length or with a non-finite entry', () => {
    expect(() => userGradientStep([1, 0], [1, 0, 0, 1], 0, { bias: [0] })).toThrow(/bias/);
    expect(() => slateSoftmaxLoss([1, 0], [1, 0, 0, 1], 0, 1, [0, NaN])).toThrow(/finite/);
  });
});

describe('emaUpdate, pushAway, pullToward', () => {
  it('uses α = min(0.1, 1/(n+1))', () => {
    const u = [1, 0];
    const t = [0, 1];
    const angle = (v: Float32Array) => Math.atan2(v[1]!, v[0]!);
    expect(angle(emaUpdate(u, t, 0))).toBeCloseTo(Math.atan2(0.1, 0.9), 6);
    expect(angle(emaUpdate(u, t, 9))).toBeCloseTo(Math.atan2(0.1, 0.9), 6);
    expect(angle(emaUpdate(u, t, 19))).toBeCloseTo(Math.atan2(0.05, 0.95), 6);
    expect(() => emaUpdate(u, t, -1)).toThrow(/n must be/);
    expect(() => emaUpdate(u, t, 1.5)).toThrow(/n must be/);
  });

  it('keep the norm at 1; push lowers and pull raises the cosine to the target', () => {
    fc.assert(
      fc.property(
        vector(D),
        vector(D),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (u, t, n, w) => {
          const ema = emaUpdate(u, t, n);
          const away = pushAway(u, t, w);
          const toward = pullToward(u, t, w);
          for (const v of [ema, away, toward]) expect(norm(v)).toBeCloseTo(1, 6);
          const c = cos(u, t);
          expect(cos(away, t)).toBeLessThanOrEqual(c + 1e-6);
          expect(cos(toward, t)).toBeGreaterThanOrEqual(c - 1e-6);
          expect(cos(ema, t)).toBeGreaterThanOrEqual(c - 1e-6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('treats a zero target as no signal and validates weights', () => {
    expect(pullToward([3, 4], [0, 0], 0.5)).toEqual(Float32Array.from([0.6, 0.8]));
    expect(pushAway([3, 4], [1, 0], 0)).toEqual(Float32Array.from([0.6, 0.8]));
    expect(() => pushAway([1, 0], [1, 0], 1.5)).toThrow(/weight must be in \[0, 1\], got 1.5/);
    expect(() => pullToward([1, 0], [1, 0, 0], 0.1)).toThrow(/target must have 2/);
    expect(() => pullToward([0, 0], [1, 0], 0.1)).toThrow(/non-zero/);
  });

  it('returns û unchanged when push and target cancel exactly', () => {
    expect(pullToward([1, 0], [-1, 0], 0.5)).toEqual(Float32Array.from([1, 0]));
  });
});
