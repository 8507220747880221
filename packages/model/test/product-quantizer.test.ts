import { describe, expect, it } from 'vitest';
import { reconstructPq, seededUniforms, trainProductQuantizer } from '@privads/model';
import { balancedPcaRotation, symmetricEigen } from '../src/pca-rotation.js';

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
    const plain = { stages: [4], seed: 9, anisotropy: 1, rotate: false } as const;
    const a = trainProductQuantizer(vectors, dim, plain);
    const b = trainProductQuantizer(vectors, dim, plain);
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

/**
 * Vectors whose variance decays over directions mixed off the axes (as embeddings' does):
 * latent `(1 + j)^-1`-scaled uniforms, then Householder reflections.
 */
function skewedVectors(count: number, dim: number): Float32Array {
  const out = seededUniforms(count * dim, 21);
  const mirrors = [seededUniforms(dim, 22), seededUniforms(dim, 23), seededUniforms(dim, 24)].map(
    (v) => {
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    },
  );
  for (let i = 0; i < count; i++) {
    const row = out.subarray(i * dim, (i + 1) * dim);
    for (let j = 0; j < dim; j++) row[j] = (row[j]! - 0.5) / (1 + j);
    for (const v of mirrors) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += v[j]! * row[j]!;
      for (let j = 0; j < dim; j++) row[j] = row[j]! - 2 * dot * v[j]!;
    }
  }
  return out;
}

describe('balanced PCA rotation', () => {
  const dim = 16;
  const count = 800;
  const vectors = skewedVectors(count, dim);
  const rows = Int32Array.from({ length: count }, (_, i) => i);

  it('diagonalises a symmetric matrix', () => {
    const n = 6;
    const r = seededUniforms(n * n, 4);
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) m[i * n + j] = r[i * n + j]! + r[j * n + i]!;
    const { values, vectors: v } = symmetricEigen(m, n);
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        let mv = 0;
        for (let k = 0; k < n; k++) mv += m[i * n + k]! * v[k * n + c]!;
        expect(mv).toBeCloseTo(values[c]! * v[i * n + c]!, 9);
      }
    }
  });

  it('is orthogonal, decorrelates, and deals the variance out evenly', () => {
    const subspaces = 4;
    const rotation = balancedPcaRotation(vectors, dim, rows, subspaces);
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += rotation[a * dim + j]! * rotation[b * dim + j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    }
    // Covariance of the rotated rows: diagonal (principal directions), the diagonal their variances.
    const rotated = Array.from({ length: count }, (_, i) =>
      Float64Array.from({ length: dim }, (_, r) => {
        let sum = 0;
        for (let k = 0; k < dim; k++) sum += rotation[r * dim + k]! * vectors[i * dim + k]!;
        return sum;
      }),
    );
    const mean = new Float64Array(dim);
    for (const row of rotated) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + row[j]! / count;
    const covariance = new Float64Array(dim * dim);
    for (const row of rotated) {
      for (let a = 0; a < dim; a++) {
        for (let b = 0; b < dim; b++) {
          covariance[a * dim + b] =
            covariance[a * dim + b]! + ((row[a]! - mean[a]!) * (row[b]! - mean[b]!)) / count;
        }
      }
    }
    const diagonal = Array.from({ length: dim }, (_, j) => covariance[j * dim + j]!);
    const largest = Math.max(...diagonal);
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        if (a !== b) expect(Math.abs(covariance[a * dim + b]!)).toBeLessThan(1e-5 * largest);
      }
    }
    // Greedy balanced bins: no sub-space holds more than one direction's variance over another.
    const width = dim / subspaces;
    const bins = Array.from({ length: subspaces }, (_, s) =>
      diagonal.slice(s * width, (s + 1) * width).reduce((x, y) => x + y, 0),
    );
    expect(Math.max(...bins) - Math.min(...bins)).toBeLessThanOrEqual(largest * (1 + 1e-9));
    // The top `subspaces` directions go one to each sub-space.
    const top = Array.from(diagonal.keys())
      .sort((a, b) => diagonal[b]! - diagonal[a]!)
      .slice(0, subspaces)
      .map((j) => Math.floor(j / width));
    expect(new Set(top).size).toBe(subspaces);
  });

  it('auto rotates skewed vectors, lowering the error of what the index stands for', () => {
    const error = (rotate: boolean | 'auto') => {
      const index = trainProductQuantizer(vectors, dim, { stages: [4, 4], rotate, seed: 3 });
      return {
        rotated: index.rotation !== undefined,
        error: squaredError(vectors, reconstructPq(index)),
      };
    };
    const plain = error(false);
    const auto = error('auto');
    expect(plain.rotated).toBe(false);
    expect(auto.rotated).toBe(true);
    expect(auto.error).toBeLessThan(0.9 * plain.error);
  });

  it('auto keeps the axes of independent coordinates, where a rotation would mix them', () => {
    const uniform = seededUniforms(count * dim, 5);
    expect(trainProductQuantizer(uniform, dim, { stages: [8] }).rotation).toBeUndefined();
    expect(
      trainProductQuantizer(uniform, dim, { stages: [8], rotate: true }).rotation,
    ).toBeDefined();
  });
});
