import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PQ_CENTROIDS, decodePqIndex, encodePqIndex, type PqIndex } from '@privads/protocol';
import {
  expectCleanOutcome,
  expectCode,
  expectEveryTruncationRejected,
  mutationArbitrary,
  SECTIONED_FORMAT_CODES,
} from './helpers.js';

const PQ_CODES = SECTIONED_FORMAT_CODES;

/** Valid indexes: dim = subspaces × sub-vector length, any count, 1–3 stages. */
const indexArbitrary: fc.Arbitrary<PqIndex> = fc
  .record({
    count: fc.nat({ max: 40 }),
    subDim: fc.integer({ min: 1, max: 4 }),
    halves: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
    catalogVersion: fc.nat(),
    projectorVersion: fc.nat(),
  })
  .chain(({ count, subDim, halves, catalogVersion, projectorVersion }) => {
    // Every stage divides the same dim: use sub-space counts that divide the largest one.
    const top = 2 * Math.max(...halves);
    const dim = top * subDim;
    const subspaceCounts = halves.map((h) => (top % (2 * h) === 0 ? 2 * h : top));
    return fc
      .tuple(
        ...subspaceCounts.map((m) =>
          fc.record({
            centroids: fc.float32Array({
              minLength: m * PQ_CENTROIDS * (dim / m),
              maxLength: m * PQ_CENTROIDS * (dim / m),
              noNaN: true,
              noDefaultInfinity: true,
            }),
            codes: fc.uint8Array({ minLength: (count * m) / 2, maxLength: (count * m) / 2 }),
          }),
        ),
      )
      .map((stages) => ({
        catalogVersion,
        projectorVersion,
        count,
        dim,
        stages: stages.map((s, i) => ({ subspaces: subspaceCounts[i] as number, ...s })),
      }));
  });

function small(): PqIndex {
  const dim = 8;
  const count = 5;
  return {
    catalogVersion: 2,
    projectorVersion: 1,
    count,
    dim,
    stages: [
      {
        subspaces: 4,
        centroids: Float32Array.from({ length: 4 * 16 * 2 }, (_, i) => i / 7),
        codes: Uint8Array.from({ length: (count * 4) / 2 }, (_, i) => (i * 37) & 255),
      },
    ],
  };
}

describe('PQ index', () => {
  it('decodes what it encodes, bit for bit (property)', () => {
    fc.assert(
      fc.property(indexArbitrary, (index) => {
        const decoded = decodePqIndex(encodePqIndex(index));
        expect(decoded.count).toBe(index.count);
        expect(decoded.dim).toBe(index.dim);
        expect(decoded.catalogVersion).toBe(index.catalogVersion);
        expect(decoded.projectorVersion).toBe(index.projectorVersion);
        expect(decoded.stages.length).toBe(index.stages.length);
        decoded.stages.forEach((stage, s) => {
          const want = index.stages[s]!;
          expect(stage.subspaces).toBe(want.subspaces);
          expect(Array.from(stage.codes)).toEqual(Array.from(want.codes));
          expect(new Uint8Array(stage.centroids.buffer)).toEqual(
            new Uint8Array(
              want.centroids.buffer,
              want.centroids.byteOffset,
              want.centroids.byteLength,
            ),
          );
        });
      }),
      { numRuns: 100 },
    );
  });

  it('any mutation of the bytes decodes cleanly or fails with a documented code (property)', () => {
    const bytes = encodePqIndex(small());
    fc.assert(
      fc.property(mutationArbitrary(bytes.length), (mutate) => {
        expectCleanOutcome((b) => decodePqIndex(b), mutate(bytes), PQ_CODES);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every truncation', () => {
    expectEveryTruncationRejected((b) => decodePqIndex(b), encodePqIndex(small()), PQ_CODES);
  });

  it('encode refuses what decode would reject', () => {
    const index = small();
    expectCode(() => encodePqIndex({ ...index, stages: [] }), 'OUT_OF_RANGE');
    const stage = index.stages[0]!;
    expectCode(
      () => encodePqIndex({ ...index, stages: [{ ...stage, subspaces: 3 }] }),
      'OUT_OF_RANGE',
    );
    expectCode(
      () => encodePqIndex({ ...index, stages: [{ ...stage, codes: stage.codes.subarray(1) }] }),
      'DIM_MISMATCH',
    );
    const centroids = stage.centroids.slice();
    centroids[3] = Number.NaN;
    expectCode(() => encodePqIndex({ ...index, stages: [{ ...stage, centroids }] }), 'NON_FINITE');
    expectCode(() => encodePqIndex({ ...index, count: -1 }), 'OUT_OF_RANGE');
  });

  it('enforces its limits before allocating', () => {
    const bytes = encodePqIndex(small());
    expectCode(() => decodePqIndex(bytes, { maxBytes: bytes.length - 1 }), 'OVERSIZE');
    expectCode(() => decodePqIndex(bytes, { maxCount: 4 }), 'OVERSIZE');
    expectCode(() => decodePqIndex(bytes, { maxDim: 4 }), 'OVERSIZE');
  });

  it('is not a catalog bundle', () => {
    const bytes = encodePqIndex(small());
    bytes[3] = 'X'.charCodeAt(0);
    expectCode(() => decodePqIndex(bytes), 'BAD_MAGIC');
  });
});
