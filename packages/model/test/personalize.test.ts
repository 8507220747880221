import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_PERSONALIZE_EPOCHS,
  refitUserVector,
  seededUniforms,
  slateSoftmaxLoss,
  userGradientStep,
  type ProjectedClick,
} from '@privads/model';

const D = 8;

function rows(n: number, seed: number): Float32Array {
  return Float32Array.from(seededUniforms(n * D, seed), (x) => x * 2 - 1);
}

const clickCase = fc.record({
  u: fc.integer({ min: 1, max: 1e6 }).map((seed) => rows(1, seed)),
  clicks: fc.array(
    fc.record({
      n: fc.integer({ min: 1, max: 5 }),
      seed: fc.integer({ min: 1, max: 1e6 }),
      pick: fc.nat(),
    }),
    { maxLength: 6 },
  ),
});

const toClicks = (spec: { n: number; seed: number; pick: number }[]): ProjectedClick[] =>
  spec.map(({ n, seed, pick }) => ({ slate: rows(n, seed), clickedIndex: pick % n }));

describe('refitUserVector', () => {
  it('is the click rule replayed in order, epoch after epoch, skipping one-ad slates', () => {
    fc.assert(
      fc.property(clickCase, fc.integer({ min: 0, max: 3 }), ({ u, clicks }, epochs) => {
        const replay = toClicks(clicks);
        let expected: Float32Array = Float32Array.from(u);
        for (let e = 0; e < epochs; e++) {
          for (const click of replay) {
            if (click.slate.length < 2 * D) continue;
            expected = userGradientStep(expected, click.slate, click.clickedIndex);
          }
        }
        const refitted = refitUserVector(u, replay, epochs);
        expect(Array.from(refitted)).toEqual(Array.from(expected));
      }),
    );
  });

  it('replays each click with its own slate bias', () => {
    const u = rows(1, 3);
    const clicks: ProjectedClick[] = [
      { slate: rows(3, 4), clickedIndex: 1, bias: [-1, 0, -2] },
      { slate: rows(2, 5), clickedIndex: 0 },
    ];
    let expected = userGradientStep(u, clicks[0]!.slate, 1, { bias: [-1, 0, -2] });
    expected = userGradientStep(expected, clicks[1]!.slate, 0);
    expect(Array.from(refitUserVector(u, clicks, 1))).toEqual(Array.from(expected));
    const unbiased = refitUserVector(
      u,
      clicks.map(({ slate, clickedIndex }) => ({ slate, clickedIndex })),
      1,
    );
    expect(Array.from(unbiased)).not.toEqual(Array.from(expected));
  });

  it('leaves its input alone and copies it for zero epochs', () => {
    const u = rows(1, 3);
    const before = Array.from(u);
    const clicks = toClicks([{ n: 4, seed: 9, pick: 1 }]);
    const zero = refitUserVector(u, clicks, 0);
    expect(Array.from(zero)).toEqual(before);
    expect(zero).not.toBe(u);
    refitUserVector(u, clicks);
    expect(Array.from(u)).toEqual(before);
  });

  it('lowers the loss of the clicks it replays (one click, a small step)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.nat(),
        (seed, n, pick) => {
          const u = rows(1, seed + 1);
          const click = { slate: rows(n, seed), clickedIndex: pick % n };
          const before = slateSoftmaxLoss(u, click.slate, click.clickedIndex);
          const after = slateSoftmaxLoss(
            refitUserVector(u, [click], 1, { learningRate: 1e-3 }),
            click.slate,
            click.clickedIndex,
          );
          expect(after).toBeLessThanOrEqual(before + 1e-9);
        },
      ),
    );
  });

  it('defaults to one pass and refuses a bad epoch count', () => {
    expect(DEFAULT_PERSONALIZE_EPOCHS).toBe(1);
    const u = rows(1, 5);
    const clicks = toClicks([{ n: 3, seed: 2, pick: 0 }]);
    expect(Array.from(refitUserVector(u, clicks))).toEqual(
      Array.from(refitUserVector(u, clicks, 1)),
    );
    expect(() => refitUserVector(u, clicks, -1)).toThrow(RangeError);
    expect(() => refitUserVector(u, clicks, 1.5)).toThrow(RangeError);
  });
});
