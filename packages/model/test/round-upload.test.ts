import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSeededRandomSource } from '@privads/dp';
import { privatizeRoundUpdate } from '@privads/model/round-upload';
import type { RoundUploadConfig } from '@privads/model/round-upload';
import { decodeUpdate } from '@privads/protocol';

const norm = (v: ArrayLike<number>): number => Math.hypot(...Array.from(v));

const central: RoundUploadConfig = {
  roundId: 7,
  projectorVersion: 3,
  clipNorm: 0.5,
  privacy: { mode: 'central', noiseMultiplier: 1.1, delta: 1e-6 },
};

describe('privatizeRoundUpdate', () => {
  it('without device noise, the decoded vector never exceeds the clip norm in any encoding', () => {
    fc.assert(
      fc.property(
        fc.float32Array({
          minLength: 1,
          maxLength: 64,
          noNaN: true,
          noDefaultInfinity: true,
          min: -1e3,
          max: 1e3,
        }),
        fc.constantFrom('f32' as const, 'f16' as const, 'int8' as const),
        fc.integer(),
        (gradient, encoding, seed) => {
          const upload = privatizeRoundUpdate(central, gradient, {
            encoding,
            source: createSeededRandomSource(seed),
          });
          const decoded = decodeUpdate(upload.body);
          expect(decoded.header.roundId).toBe(7);
          expect(decoded.header.projectorVersion).toBe(3);
          expect(upload.sigma).toBe(0);
          expect(upload.clippedNorm).toBeLessThanOrEqual(0.5 * (1 + 1e-6));
          return norm(decoded.vector) <= 0.5;
        },
      ),
    );
  });

  it('reports the pre-clip norm and leaves a short vector unscaled', () => {
    const gradient = Float32Array.from([0.03, 0.04]);
    const upload = privatizeRoundUpdate(central, gradient, { encoding: 'f32' });
    expect(upload.preClipNorm).toBeCloseTo(0.05, 6);
    expect(Array.from(decodeUpdate(upload.body).vector)).toEqual(Array.from(gradient));
    const long = privatizeRoundUpdate(central, Float32Array.from([3, 4]), { encoding: 'f32' });
    expect(long.preClipNorm).toBeCloseTo(5, 6);
    expect(norm(decodeUpdate(long.body).vector)).toBeLessThanOrEqual(0.5);
  });

  it('in local mode adds N(0, σ²) per coordinate from the given source', () => {
    const local: RoundUploadConfig = {
      ...central,
      privacy: { mode: 'local', epsilon: 1, delta: 1e-6, sigma: 2 },
    };
    const d = 20_000;
    const upload = privatizeRoundUpdate(local, new Float32Array(d), {
      encoding: 'f32',
      source: createSeededRandomSource(1),
    });
    expect(upload.sigma).toBe(2);
    const v = decodeUpdate(upload.body).vector;
    const mean = v.reduce((a, x) => a + x, 0) / d;
    const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / d;
    // Standard errors: σ/√d for the mean, σ²·√(2/d) for the variance; allow 5 of each.
    expect(Math.abs(mean)).toBeLessThan(5 * (2 / Math.sqrt(d)));
    expect(Math.abs(variance - 4)).toBeLessThan(5 * 4 * Math.sqrt(2 / d));
    const again = privatizeRoundUpdate(local, new Float32Array(d), {
      encoding: 'f32',
      source: createSeededRandomSource(1),
    });
    expect(decodeUpdate(again.body).vector).toEqual(v);
  });

  it('every upload carries a fresh nonce', () => {
    const a = privatizeRoundUpdate(central, new Float32Array(4), { encoding: 'f16' });
    const b = privatizeRoundUpdate(central, new Float32Array(4), { encoding: 'f16' });
    expect(decodeUpdate(a.body).header.nonce).not.toBe(decodeUpdate(b.body).header.nonce);
  });
});
