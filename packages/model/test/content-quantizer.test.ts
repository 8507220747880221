import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contentSubspaceChoices,
  defaultContentSubspaces,
  seededUniforms,
  trainContentQuantizer,
} from '@privads/model';
import { contentRows } from '@privads/protocol';

/** `count` unit rows of `dim` values around `clusters` seeded centres (closer to embeddings than noise). */
function clusteredRows(count: number, dim: number, clusters: number, seed: number): Float32Array {
  const centres = seededUniforms(clusters * dim, seed);
  const noise = seededUniforms(count * dim, seed + 1);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const x =
        (centres[(i % clusters) * dim + j] as number) -
        0.5 +
        0.3 * ((noise[i * dim + j] as number) - 0.5);
      out[i * dim + j] = x;
      norm += x * x;
    }
    for (let j = 0; j < dim; j++) out[i * dim + j] = (out[i * dim + j] as number) / Math.sqrt(norm);
  }
  return out;
}

/** Mean squared reconstruction error over the rows, relative to their mean squared norm. */
function relativeError(values: Float32Array, dim: number, rows: Float32Array): number {
  let error = 0;
  let norm = 0;
  values.forEach((x, i) => {
    error += (x - (rows[i] as number)) ** 2;
    norm += x * x;
  });
  return error / norm;
}

describe('content quantizer (pq8)', () => {
  it('defaults to the most sub-spaces of at least 2 dimensions, and offers coarser ones in order', () => {
    expect(defaultContentSubspaces(384)).toBe(192);
    expect(contentSubspaceChoices(384).slice(0, 5)).toEqual([192, 128, 96, 64, 48]);
    expect(defaultContentSubspaces(100)).toBe(50);
    expect(defaultContentSubspaces(8)).toBe(4);
    expect(defaultContentSubspaces(3)).toBe(1);
    expect(contentSubspaceChoices(1)).toEqual([1]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2048 }), (dim) => {
        const m = defaultContentSubspaces(dim);
        expect(dim % m).toBe(0);
        expect(m === 1 || dim / m >= 2).toBe(true);
        expect(contentSubspaceChoices(dim)[0]).toBe(m);
      }),
    );
  });

  it('codes rows exactly when a sub-space has at most 256 distinct values', () => {
    // 200 rows over 8 dims: any sub-space sees at most 200 distinct sub-vectors.
    const values = seededUniforms(200 * 8, 3);
    const coded = trainContentQuantizer(values, 8, { subspaces: 2, iterations: 20 });
    const back = contentRows(
      coded,
      8,
      Array.from({ length: 200 }, (_, i) => i),
    );
    expect(relativeError(values, 8, back)).toBeLessThan(1e-3);
  });

  it('reconstructs clustered content closely, better with more sub-spaces, and deterministically', () => {
    const dim = 64;
    const count = 2000;
    const values = clusteredRows(count, dim, 40, 11);
    const all = Array.from({ length: count }, (_, i) => i);
    const errors = [2, 8, 16].map((subspaces) =>
      relativeError(
        values,
        dim,
        contentRows(trainContentQuantizer(values, dim, { subspaces }), dim, all),
      ),
    );
    // Coding each row as its nearest of 256 whole-row centroids is already better than the
    // 40 cluster centres; more sub-spaces (more bytes) only lower the error.
    expect(errors[0]).toBeLessThan(0.05);
    expect(errors[1]).toBeLessThan(errors[0] as number);
    expect(errors[2]).toBeLessThan(errors[1] as number);
    const again = trainContentQuantizer(values, dim, { subspaces: 8 });
    expect(trainContentQuantizer(values, dim, { subspaces: 8 })).toEqual(again);
    expect(trainContentQuantizer(values, dim, { subspaces: 8, seed: 2 }).codes).not.toEqual(
      again.codes,
    );
  });

  it('reports progress per sub-space and per chunk of rows, and handles an empty catalog', () => {
    const seen: [number, number][] = [];
    trainContentQuantizer(seededUniforms(20_000 * 4, 5), 4, {
      subspaces: 2,
      iterations: 2,
      onProgress: (done, total) => seen.push([done, total]),
    });
    expect(seen).toEqual([1, 2, 3, 4].map((done) => [done, 4]));
    const empty = trainContentQuantizer(new Float32Array(0), 8);
    expect(empty).toMatchObject({ encoding: 'pq8', subspaces: 4 });
    expect(empty.codes.length).toBe(0);
    expect(empty.codebook.length).toBe(256 * 8);
  });

  it('refuses sub-spaces that do not divide the dimension, ragged input and non-finite values', () => {
    expect(() => trainContentQuantizer(new Float32Array(12), 6, { subspaces: 4 })).toThrow(
      RangeError,
    );
    expect(() => trainContentQuantizer(new Float32Array(13), 6)).toThrow(/multiple of dim 6/);
    expect(() => trainContentQuantizer(Float32Array.of(1, Number.NaN), 2)).toThrow(/finite/);
  });
});
