import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  PQ_CENTROIDS,
  PQ_MAX_ROTATION_DIM,
  decodePqIndex,
  encodePqIndex,
  type PqIndex,
} from '@privads/protocol';
import {
  expectCleanOutcome,
  expectCode,
  expectEveryTruncationRejected,
  mutationArbitrary,
  SECTIONED_FORMAT_CODES,
  writeText,
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

/** The normalised 8 × 8 Hadamard matrix: orthogonal, every entry ±1/√8. */
function hadamard8(): Float32Array {
  const out = new Float32Array(64);
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      let bits = r & c;
      let parity = 0;
      while (bits) {
        parity ^= bits & 1;
        bits >>= 1;
      }
      out[r * 8 + c] = (parity ? -1 : 1) / Math.sqrt(8);
    }
  }
  return out;
}

/** The envelope's format version (u16 after the 8-byte magic). */
const versionOf = (bytes: Uint8Array): number =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(8, true);

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

  it('carries a rotation in version 2, and writes version 1 without one (property)', () => {
    expect(versionOf(encodePqIndex(small()))).toBe(1);
    expect(decodePqIndex(encodePqIndex(small())).rotation).toBeUndefined();
    // Signed permutations are exactly orthogonal in f32: any of them must round-trip bit for bit.
    const signedPermutation = fc
      .tuple(
        fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 8, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      )
      .map(([order, flips]) => {
        const r = new Float32Array(64);
        order.forEach((c, row) => (r[row * 8 + c] = flips[row] ? -1 : 1));
        return r;
      });
    fc.assert(
      fc.property(signedPermutation, (rotation) => {
        const bytes = encodePqIndex({ ...small(), rotation });
        expect(versionOf(bytes)).toBe(2);
        const decoded = decodePqIndex(bytes);
        expect(Array.from(decoded.rotation ?? [])).toEqual(Array.from(rotation));
        expect(Array.from(decoded.stages[0]!.codes)).toEqual(Array.from(small().stages[0]!.codes));
      }),
      { numRuns: 50 },
    );
    const rotated = encodePqIndex({ ...small(), rotation: hadamard8() });
    fc.assert(
      fc.property(mutationArbitrary(rotated.length), (mutate) => {
        expectCleanOutcome((b) => decodePqIndex(b), mutate(rotated), PQ_CODES);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a rotation that is not orthogonal, misshapen, or too large to check', () => {
    const index = small();
    const skewed = hadamard8();
    skewed[9] = (skewed[9] as number) * 1.01;
    expectCode(() => encodePqIndex({ ...index, rotation: skewed }), 'OUT_OF_RANGE');
    expectCode(
      () => encodePqIndex({ ...index, rotation: hadamard8().subarray(1) }),
      'DIM_MISMATCH',
    );
    const nan = hadamard8();
    nan[0] = Number.NaN;
    expectCode(() => encodePqIndex({ ...index, rotation: nan }), 'NON_FINITE');
    const dim = PQ_MAX_ROTATION_DIM + 2;
    const identity = new Float32Array(dim * dim);
    for (let i = 0; i < dim; i++) identity[i * dim + i] = 1;
    const wide: PqIndex = {
      ...index,
      count: 0,
      dim,
      stages: [
        { subspaces: 2, centroids: new Float32Array(2 * 16 * (dim / 2)), codes: new Uint8Array(0) },
      ],
    };
    expect(decodePqIndex(encodePqIndex(wide)).dim).toBe(dim);
    expectCode(() => encodePqIndex({ ...wide, rotation: identity }), 'OUT_OF_RANGE');
    // A version-1 file knows no rotation field: the same header under version 1 is refused.
    const bytes = encodePqIndex({ ...index, rotation: hadamard8() });
    bytes[8] = 1;
    expectCode(() => decodePqIndex(bytes), 'BAD_HEADER');
  });

  it('carries partitions in version 3, with or without a rotation (property)', () => {
    const partitioned = fc
      .record({
        partitions: fc.integer({ min: 1, max: 6 }),
        rotated: fc.boolean(),
      })
      .chain(({ partitions, rotated }) =>
        fc.record({
          rotated: fc.constant(rotated),
          centroids: fc.float32Array({
            minLength: partitions * 8,
            maxLength: partitions * 8,
            noNaN: true,
            noDefaultInfinity: true,
          }),
          assignment: fc
            .array(fc.nat({ max: partitions - 1 }), { minLength: 5, maxLength: 5 })
            .map((a) => Uint16Array.from(a)),
        }),
      );
    fc.assert(
      fc.property(partitioned, ({ rotated, centroids, assignment }) => {
        const index: PqIndex = {
          ...small(),
          ...(rotated ? { rotation: hadamard8() } : {}),
          partitions: { centroids, assignment },
        };
        const bytes = encodePqIndex(index);
        expect(versionOf(bytes)).toBe(3);
        const decoded = decodePqIndex(bytes);
        expect(decoded.rotation !== undefined).toBe(rotated);
        expect(new Uint8Array(decoded.partitions!.centroids.buffer)).toEqual(
          new Uint8Array(centroids.buffer, centroids.byteOffset, centroids.byteLength),
        );
        expect(Array.from(decoded.partitions!.assignment)).toEqual(Array.from(assignment));
        expect(Array.from(decoded.stages[0]!.codes)).toEqual(Array.from(small().stages[0]!.codes));
      }),
      { numRuns: 50 },
    );
    const bytes = encodePqIndex({
      ...small(),
      partitions: { centroids: new Float32Array(16), assignment: Uint16Array.of(0, 1, 1, 0, 1) },
    });
    fc.assert(
      fc.property(mutationArbitrary(bytes.length), (mutate) => {
        expectCleanOutcome((b) => decodePqIndex(b), mutate(bytes), PQ_CODES);
      }),
      { numRuns: 200 },
    );
    // A version-2 file knows no partitions field: the same header under version 2 is refused.
    bytes[8] = 2;
    expectCode(() => decodePqIndex(bytes), 'BAD_HEADER');
  });

  it('refuses partitions an ad cannot be laid out by', () => {
    const index = small();
    const partitions = {
      centroids: new Float32Array(16),
      assignment: Uint16Array.of(0, 1, 1, 0, 1),
    };
    const outside = Uint16Array.of(0, 1, 2, 0, 1);
    expectCode(
      () => encodePqIndex({ ...index, partitions: { ...partitions, assignment: outside } }),
      'OUT_OF_RANGE',
    );
    expectCode(
      () =>
        encodePqIndex({ ...index, partitions: { ...partitions, assignment: outside.subarray(1) } }),
      'DIM_MISMATCH',
    );
    expectCode(
      () =>
        encodePqIndex({ ...index, partitions: { ...partitions, centroids: new Float32Array(15) } }),
      'DIM_MISMATCH',
    );
    expectCode(
      () =>
        encodePqIndex({ ...index, partitions: { ...partitions, centroids: new Float32Array(0) } }),
      'OUT_OF_RANGE',
    );
    const nan = new Float32Array(16);
    nan[5] = Number.NaN;
    expectCode(
      () => encodePqIndex({ ...index, partitions: { ...partitions, centroids: nan } }),
      'NON_FINITE',
    );
    // The same check on decode: an assignment past the last partition, under a valid checksum.
    const bytes = encodePqIndex({ ...index, partitions });
    const text = new TextDecoder().decode(bytes);
    const bodyLength = Number(/"bodyLength":(\d+)/.exec(text)![1]);
    const body = bytes.subarray(bytes.length - bodyLength);
    const assignmentAt = Number(/"assignment":\{"offset":(\d+)/.exec(text)![1]);
    new DataView(body.buffer, body.byteOffset).setUint16(assignmentAt + 4, 2, true);
    const checksum = `crc32c:${crc32c(body).toString(16).padStart(8, '0')}`;
    writeText(bytes, text.indexOf('crc32c:'), checksum);
    expectCode(() => decodePqIndex(bytes), 'OUT_OF_RANGE');
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
