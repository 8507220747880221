import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSeededRandomSource } from '@privads/dp';
import { reconstructPq, seededUniforms, trainProductQuantizer } from '@privads/model';
import { assignPartitions, autoPartitionCount, trainPartitions } from '../src/partitions.js';

/** `clusters` far-apart centres in `dim` dimensions, `perCluster` noisy copies of each, shuffled. */
function clustered(clusters: number, perCluster: number, dim: number) {
  const centres = seededUniforms(clusters * dim, 41).map((x) => 10 * (x - 0.5));
  const noise = seededUniforms(clusters * perCluster * dim, 42);
  const count = clusters * perCluster;
  const vectors = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    // Interleaved, so that no cluster sits in one run of rows.
    const c = i % clusters;
    labels[i] = c;
    for (let j = 0; j < dim; j++) {
      vectors[i * dim + j] = centres[c * dim + j]! + 0.3 * (noise[i * dim + j]! - 0.5);
    }
  }
  return { vectors, labels, count };
}

function squaredError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}

describe('partitions', () => {
  const dim = 16;

  it('k-means recovers well-separated clusters: every cluster lands in a partition of its own', () => {
    const { vectors, labels, count } = clustered(6, 150, dim);
    const sample = Int32Array.from({ length: count }, (_, i) => i);
    const centroids = trainPartitions(vectors, dim, sample, 6, 10, createSeededRandomSource(4));
    const assignment = assignPartitions(vectors, dim, centroids);
    const partitionOf = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const seen = partitionOf.get(labels[i]!) ?? assignment[i]!;
      expect(assignment[i]).toBe(seen);
      partitionOf.set(labels[i]!, seen);
    }
    expect(new Set(partitionOf.values()).size).toBe(6);
  });

  it('assigns every vector to its nearest centroid (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        (partitions, count, seed) => {
          const centroids = seededUniforms(partitions * dim, seed);
          const vectors = seededUniforms(count * dim, seed + 1);
          const got = assignPartitions(vectors, dim, centroids, undefined, 7);
          for (let i = 0; i < count; i++) {
            const distance = (p: number) => {
              let d = 0;
              for (let j = 0; j < dim; j++)
                d += (vectors[i * dim + j]! - centroids[p * dim + j]!) ** 2;
              return d;
            };
            for (let p = 0; p < partitions; p++) {
              expect(distance(got[i]!)).toBeLessThanOrEqual(distance(p) + 1e-5);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('auto: one partition per 4096 ads, at most 256, none below 16', () => {
    expect(autoPartitionCount(0)).toBe(0);
    expect(autoPartitionCount(65_535)).toBe(0);
    expect(autoPartitionCount(65_536)).toBe(16);
    expect(autoPartitionCount(1_000_000)).toBe(244);
    expect(autoPartitionCount(4_000_000)).toBe(256);
  });

  it('the quantizer codes residuals from the partitions: less error than without, same bytes', () => {
    const { vectors, count } = clustered(12, 80, dim);
    const options = { stages: [4], seed: 5, rotate: false } as const;
    const plain = trainProductQuantizer(vectors, dim, { ...options, partitions: 0 });
    const partitioned = trainProductQuantizer(vectors, dim, { ...options, partitions: 12 });
    expect(plain.partitions).toBeUndefined();
    expect(partitioned.partitions!.centroids.length).toBe(12 * dim);
    expect(partitioned.partitions!.assignment.length).toBe(count);
    expect(partitioned.stages[0]!.codes.length).toBe(plain.stages[0]!.codes.length);
    const plainError = squaredError(vectors, reconstructPq(plain));
    const partitionedError = squaredError(vectors, reconstructPq(partitioned));
    expect(partitionedError).toBeLessThan(0.2 * plainError);
    // Deterministic per seed, with a rotation too.
    const a = trainProductQuantizer(vectors, dim, {
      stages: [4],
      seed: 6,
      partitions: 5,
      rotate: true,
    });
    const b = trainProductQuantizer(vectors, dim, {
      stages: [4],
      seed: 6,
      partitions: 5,
      rotate: true,
    });
    expect(a.partitions!.assignment).toEqual(b.partitions!.assignment);
    expect(a.stages[0]!.codes).toEqual(b.stages[0]!.codes);
    expect(a.rotation).toBeDefined();
    // Rotated residuals still reconstruct the vectors: the partition's centroid is added back
    // unrotated.
    expect(squaredError(vectors, reconstructPq(a))).toBeLessThan(0.2 * plainError);
  });

  it('reports progress up to the total with partitions, and rejects bad counts', () => {
    const { vectors } = clustered(4, 50, dim);
    const calls: [number, number][] = [];
    trainProductQuantizer(vectors, dim, {
      stages: [4],
      partitions: 4,
      onProgress: (d, t) => calls.push([d, t]),
    });
    expect(calls.at(-1)).toEqual([calls[0]![1], calls[0]![1]]);
    expect(trainProductQuantizer(vectors, dim, { stages: [4] }).partitions).toBeUndefined();
    for (const partitions of [-1, 1.5, Number.NaN]) {
      expect(() => trainProductQuantizer(vectors, dim, { stages: [4], partitions })).toThrow(
        RangeError,
      );
    }
    expect(() =>
      trainProductQuantizer(vectors, dim, { stages: [4], partitions: 10, trainingSample: 8 }),
    ).toThrow(/at least as many sampled vectors/);
    expect(() => trainProductQuantizer(vectors, dim, { stages: [4], partitions: 70_000 })).toThrow(
      RangeError,
    );
  });
});
