import { describe, expect, it } from 'vitest';
import { reconstructPq, seededUniforms, trainProductQuantizer } from '@privads/model';

function squaredError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return sum;
}

describe('product quantizer', () => {
  const dim = 16;
  const vectors = seededUniforms(600 * dim, 3);

  it('each stage shrinks the reconstruction error of the ones before', () => {
    const index = trainProductQuantizer(vectors, dim, { stages: [8, 8, 4], iterations: 8 });
    let previous = squaredError(vectors, new Float32Array(vectors.length));
    for (let s = 1; s <= 3; s++) {
      const error = squaredError(
        vectors,
        reconstructPq({ ...index, stages: index.stages.slice(0, s) }),
      );
      expect(error).toBeLessThan(previous);
      previous = error;
    }
    // One 4-bit stage on 2-d sub-spaces of uniform data keeps well under a fifth of the energy out.
    const first = squaredError(
      vectors,
      reconstructPq({ ...index, stages: index.stages.slice(0, 1) }),
    );
    expect(first / squaredError(vectors, new Float32Array(vectors.length))).toBeLessThan(0.2);
  });

  it('with anisotropy 1, codes every vector by its nearest centroid, deterministically per seed', () => {
    const a = trainProductQuantizer(vectors, dim, { stages: [4], seed: 9, anisotropy: 1 });
    const b = trainProductQuantizer(vectors, dim, { stages: [4], seed: 9, anisotropy: 1 });
    expect(a.stages[0]!.codes).toEqual(b.stages[0]!.codes);
    const { centroids, codes } = a.stages[0]!;
    for (let i = 0; i < 50; i++) {
      for (let s = 0; s < 4; s++) {
        const byte = codes[(i * 4 + s) >> 1]!;
        const code = s % 2 === 0 ? byte & 15 : byte >> 4;
        const distance = (c: number) => {
          let d2 = 0;
          for (let j = 0; j < 4; j++)
            d2 += (vectors[i * dim + s * 4 + j]! - centroids[(s * 16 + c) * 4 + j]!) ** 2;
          return d2;
        };
        for (let c = 0; c < 16; c++) expect(distance(code)).toBeLessThanOrEqual(distance(c));
      }
    }
  });

  it('anisotropic coding shrinks the residual along each vector, at some cost across it', () => {
    const unit = vectors.slice();
    for (let i = 0; i < 600; i++) {
      const row = unit.subarray(i * dim, (i + 1) * dim);
      const norm = Math.hypot(...row);
      for (let j = 0; j < dim; j++) row[j] = row[j]! / norm;
    }
    const errors = (anisotropy: number) => {
      const index = trainProductQuantizer(unit, dim, { stages: [8], anisotropy, seed: 2 });
      const rows = reconstructPq(index);
      let along = 0;
      let total = 0;
      for (let i = 0; i < 600; i++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) {
          const r = unit[i * dim + j]! - rows[i * dim + j]!;
          dot += r * unit[i * dim + j]!;
          total += r * r;
        }
        along += dot * dot;
      }
      return { along, total };
    };
    const plain = errors(1);
    const aware = errors(4);
    expect(aware.along).toBeLessThan(0.7 * plain.along);
    expect(aware.total).toBeGreaterThanOrEqual(plain.total);
  });

  it('reports progress up to the total', () => {
    const calls: [number, number][] = [];
    trainProductQuantizer(vectors, dim, {
      stages: [8, 4],
      onProgress: (d, t) => calls.push([d, t]),
    });
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.at(-1)).toEqual([calls[0]![1], calls[0]![1]]);
  });

  it('handles an empty catalog and rejects bad shapes', () => {
    expect(
      trainProductQuantizer(new Float32Array(0), dim, { stages: [8] }).stages[0]!.codes.length,
    ).toBe(0);
    expect(() => trainProductQuantizer(vectors, dim, { stages: [3] })).toThrow(RangeError);
    expect(() => trainProductQuantizer(vectors, dim, { anisotropy: 0.5 })).toThrow(RangeError);
    expect(() => trainProductQuantizer(vectors.subarray(1), dim)).toThrow(RangeError);
    const bad = vectors.slice();
    bad[5] = Number.POSITIVE_INFINITY;
    expect(() => trainProductQuantizer(bad, dim, { stages: [8] })).toThrow(/finite/);
  });
});
