/**
 * The product-quantised catalog index: the compact form of a large catalog's projected vectors
 * (one million ads in tens of megabytes) that the browser ranks with fast-scan lookup tables. One
 * immutable file per catalog version, published beside the catalog bundle and, like it, downloaded
 * whole. Envelope (see `envelope.ts`) with magic `PRVPQIDX`: version 1, version 2 when the index
 * carries a rotation, version 3 when it carries partitions (each file is written in the oldest
 * version that can say what it holds).
 *
 * The index holds one or more **stages** of 4-bit product-quantisation codes. Stage 0 splits each
 * `dim`-vector into `subspaces` contiguous sub-vectors of `dim / subspaces` values and stores, per
 * ad and sub-space, the index of the nearest of 16 centroids; each later stage does the same for
 * what the stages before it leave (the residual), so the sum of the stages' centroids approximates
 * the vector ever more finely. Stage 0 alone is what the fast scan reads; all stages together are
 * what re-ranking reads.
 *
 * Version 2 adds an optional **rotation** R, an orthogonal `dim × dim` matrix: the stages then code
 * `R·x` rather than `x`, and a searcher scores `R·q` against them (`R·q · R·x = q · x`). A rotation
 * that spreads the vectors' variance evenly over the first stage's sub-spaces (see
 * `trainProductQuantizer`) lets the same 4-bit codes keep more of each vector.
 *
 * Version 3 adds optional **partitions** (an inverted file, as FAISS's IVF-PQ): every ad belongs to
 * one of `P` partitions, each with a centroid `c_p`, and the stages code `R·(x − c_p)` rather than
 * `R·x`. A query scores ad `x` as `q · c_p + R·q · (stage sum)`: the partition's score is one number
 * per partition and query, so the 4-bit codes spend all their precision on what tells the ads of a
 * partition apart, and a searcher may skip a partition whose score cannot reach its best so far.
 * Partitions are part of the file downloaded whole; which ones a searcher scans never leaves it.
 *
 * The body holds, each at an 8-byte-aligned offset, zero-padded between:
 * 0. (version 2 and later, optional) `rotation`: `dim × dim` f32, row-major
 * 0. (version 3, optional) `partitions.centroids`: `P × dim` f32, row-major, in the vectors' own
 *    (unrotated) space; then `partitions.assignment`: `count` u16, the partition of each ad, in
 *    catalog order
 *
 * then for each stage in order:
 * 1. `centroids`: `subspaces × 16 × (dim / subspaces)` f32, sub-space-major
 * 2. `codes`: `count × subspaces / 2` bytes, row-major; byte `j` of a row holds sub-space `2j` in
 *    its low nibble and `2j + 1` in its high nibble
 *
 * The header's `checksum` is CRC-32C of the whole body.
 */
import { formatChecksum, readSection, type CatalogSection } from './catalog-header.js';
import { crc32c } from './checksum.js';
import { align8, readEnvelope, writeEnvelope } from './envelope.js';
import { ProtocolError } from './errors.js';
import { assertFinite } from './finite.js';
import { FieldReader } from './json.js';
import { resolveLimits, type DecodeLimits, type ResolvedLimits } from './limits.js';
import { readLE, writeLE } from './typed-bytes.js';

/** ASCII magic of a PQ index. */
export const PQ_INDEX_MAGIC = 'PRVPQIDX';
/** Current PQ index format version (files without a rotation are still written as version 1). */
export const PQ_INDEX_FORMAT_VERSION = 3;
/**
 * Largest dimension a rotation may have: checking that it is orthogonal costs `dim³` operations
 * at decode time, which must stay bounded whatever a file claims.
 */
export const PQ_MAX_ROTATION_DIM = 512;
/** Largest deviation of `R·Rᵀ` from the identity that an f32 rotation may show. */
const ORTHOGONALITY_TOLERANCE = 1e-4;
/** Centroids per sub-space: codes are 4 bits. */
export const PQ_CENTROIDS = 16;
/** Most stages an index may hold. */
export const PQ_MAX_STAGES = 8;
/** Most partitions an index may hold: an ad's partition is a u16. */
export const PQ_MAX_PARTITIONS = 65_536;

const MiB = 1024 * 1024;

/**
 * Default limits of {@link decodePqIndex}: 256 MiB index, 64 KiB header, four million ads,
 * 4096-dimensional vectors.
 * @defaultValue `{ maxBytes: 256 MiB, maxHeaderBytes: 64 KiB, maxCount: 4_000_000, maxDim: 4096 }`
 */
export const PQ_INDEX_DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxBytes: 256 * MiB,
  maxHeaderBytes: 64 * 1024,
  maxCount: 4_000_000,
  maxDim: 4096,
});

/** One stage of 4-bit codes. */
export interface PqStage {
  /** Sub-spaces: an even divisor of `dim`. */
  subspaces: number;
  /** `subspaces × 16 × (dim / subspaces)` centroid values, sub-space-major. */
  centroids: Float32Array;
  /** `count × subspaces / 2` bytes: two 4-bit codes per byte, low nibble first. */
  codes: Uint8Array;
}

/** A product-quantised catalog. */
export interface PqIndex {
  /** Catalog version the codes were built from (integer ≥ 0). */
  catalogVersion: number;
  /** Projector version of the vectors (integer ≥ 0). */
  projectorVersion: number;
  /** Number of ads, in catalog order. */
  count: number;
  /** Vector dimension (the user dimension Du). */
  dim: number;
  /** Stage 0 first; 1 to {@link PQ_MAX_STAGES} stages. */
  stages: PqStage[];
  /**
   * Orthogonal `dim × dim` matrix, row-major, when the stages code `R·x` (version 2); absent when
   * they code the vectors themselves.
   */
  rotation?: Float32Array;
  /** The partitions the ads fall into (version 3), when the stages code residuals from them. */
  partitions?: PqPartitions;
}

/** An inverted file: which partition each ad falls into, and the partitions' centroids. */
export interface PqPartitions {
  /** `P × dim` values, row-major, unrotated (1 ≤ P ≤ {@link PQ_MAX_PARTITIONS}). */
  centroids: Float32Array;
  /** `count` partition numbers, in catalog order, each below `P`. */
  assignment: Uint16Array;
}

/** The JSON header of a PQ index. */
export interface PqIndexHeader {
  catalogVersion: number;
  projectorVersion: number;
  count: number;
  dim: number;
  /** Always 4 in versions 1 and 2. */
  bits: 4;
  /** Where the rotation lies (version 2, when there is one). */
  rotation?: CatalogSection;
  /** How many partitions and where their sections lie (version 3, when there are any). */
  partitions?: { count: number; centroids: CatalogSection; assignment: CatalogSection };
  /** Per stage: its sub-space count and where its sections lie. */
  stages: { subspaces: number; centroids: CatalogSection; codes: CatalogSection }[];
  bodyLength: number;
  /** `crc32c:` + 8 lowercase hex digits, over the whole body. */
  checksum: string;
}

/** The canonical layout of the body for these dimensions. */
function layout(
  count: number,
  dim: number,
  subspaces: readonly number[],
  rotated: boolean,
  partitionCount: number,
) {
  let at = 0;
  const take = (length: number): CatalogSection => {
    const section = { offset: align8(at), length };
    at = section.offset + length;
    return section;
  };
  const rotation = rotated ? take(dim * dim * 4) : undefined;
  const partitions =
    partitionCount > 0
      ? {
          count: partitionCount,
          centroids: take(partitionCount * dim * 4),
          assignment: take(count * 2),
        }
      : undefined;
  const stages = subspaces.map((m) => ({
    subspaces: m,
    centroids: take(m * PQ_CENTROIDS * (dim / m) * 4),
    codes: take((count * m) / 2),
  }));
  return {
    ...(rotation ? { rotation } : {}),
    ...(partitions ? { partitions } : {}),
    stages,
    bodyLength: at,
  };
}

/**
 * Checks that a rotation is a finite orthogonal `dim × dim` matrix (rows of unit length, pairwise
 * orthogonal, within f32 rounding): anything else would rank by distorted scores without a sign.
 */
function checkRotation(rotation: Float32Array, dim: number, path: string): void {
  if (dim > PQ_MAX_ROTATION_DIM) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `${path} is allowed up to dim ${PQ_MAX_ROTATION_DIM}, got ${dim}`,
    );
  }
  if (rotation.length !== dim * dim) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${path} has ${rotation.length} values, expected ${dim * dim}`,
    );
  }
  assertFinite(rotation, path);
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      let dot = 0;
      for (let j = 0; j < dim; j++)
        dot += (rotation[a * dim + j] as number) * (rotation[b * dim + j] as number);
      if (Math.abs(dot - (a === b ? 1 : 0)) > ORTHOGONALITY_TOLERANCE) {
        throw new ProtocolError(
          'OUT_OF_RANGE',
          `${path} is not orthogonal: rows ${a} and ${b} have dot product ${dot}`,
        );
      }
    }
  }
}

/** Checks that `m` sub-spaces split `dim` into whole sub-vectors, two codes to a byte. */
function checkSubspaces(m: number, dim: number, path: string): void {
  if (!Number.isInteger(m) || m < 2 || m % 2 !== 0 || dim % m !== 0) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `${path} must be an even divisor of dim ${dim}, got ${String(m)}`,
    );
  }
}

/** Checks a partition count before anything of that size is allocated or trusted. */
function checkPartitionCount(partitions: number, path: string): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > PQ_MAX_PARTITIONS) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `${path} must be 1 to ${PQ_MAX_PARTITIONS} partitions, got ${String(partitions)}`,
    );
  }
}

/**
 * Checks partitions' shapes, that their centroids are finite and that every ad's partition exists
 * (a searcher lays the ads out by partition: one out of range would be lost or read past its end).
 */
function checkPartitions(partitions: PqPartitions, count: number, dim: number, path: string): void {
  const { centroids, assignment } = partitions;
  if (centroids.length % dim !== 0) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${path}.centroids has ${centroids.length} values, not a multiple of dim ${dim}`,
    );
  }
  const partitionCount = centroids.length / dim;
  checkPartitionCount(partitionCount, `${path}.centroids`);
  assertFinite(centroids, `${path}.centroids`);
  if (assignment.length !== count) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${path}.assignment has ${assignment.length} entries, expected ${count}`,
    );
  }
  for (let i = 0; i < count; i++) {
    if ((assignment[i] as number) >= partitionCount) {
      throw new ProtocolError(
        'OUT_OF_RANGE',
        `${path}.assignment[${i}] is ${assignment[i]}, but there are ${partitionCount} partitions`,
      );
    }
  }
}

const checksumOf = (body: Uint8Array): string => formatChecksum(crc32c(body));

/**
 * Encodes a PQ index.
 * @param index - versions, dimensions and stages
 * @returns the file bytes
 * @throws ProtocolError `OUT_OF_RANGE` (bad versions, dims, stage count, sub-spaces or a code
 *   byte for an odd count), `DIM_MISMATCH` (array lengths), `NON_FINITE` (centroids)
 */
export function encodePqIndex(index: PqIndex): Uint8Array {
  const fields = readScalars(new FieldReader(index, 'pq index'));
  const { count, dim } = fields;
  if (index.stages.length < 1 || index.stages.length > PQ_MAX_STAGES) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `pq index needs 1 to ${PQ_MAX_STAGES} stages, got ${index.stages.length}`,
    );
  }
  index.stages.forEach((stage, s) => checkStage(stage, count, dim, `pq index stages[${s}]`));
  const { rotation, partitions } = index;
  if (rotation !== undefined) checkRotation(rotation, dim, 'pq index rotation');
  if (partitions !== undefined) checkPartitions(partitions, count, dim, 'pq index partitions');
  const planned = layout(
    count,
    dim,
    index.stages.map((s) => s.subspaces),
    rotation !== undefined,
    partitions === undefined ? 0 : partitions.centroids.length / dim,
  );
  const body = new Uint8Array(planned.bodyLength);
  if (rotation !== undefined && planned.rotation) {
    writeLE(body, planned.rotation.offset, rotation);
  }
  if (partitions !== undefined && planned.partitions) {
    writeLE(body, planned.partitions.centroids.offset, partitions.centroids);
    writeLE(body, planned.partitions.assignment.offset, partitions.assignment);
  }
  index.stages.forEach((stage, s) => {
    const sections = planned.stages[s] as (typeof planned.stages)[number];
    writeLE(body, sections.centroids.offset, stage.centroids);
    body.set(stage.codes, sections.codes.offset);
  });
  const header: PqIndexHeader = {
    ...fields,
    bits: 4,
    ...(planned.rotation ? { rotation: planned.rotation } : {}),
    ...(planned.partitions ? { partitions: planned.partitions } : {}),
    stages: planned.stages,
    bodyLength: planned.bodyLength,
    checksum: checksumOf(body),
  };
  const { bytes, bodyOffset } = writeEnvelope(
    PQ_INDEX_MAGIC,
    // The oldest version that can say it: older readers keep reading what they understand.
    partitions !== undefined ? 3 : rotation !== undefined ? 2 : 1,
    header,
    body.length,
  );
  bytes.set(body, bodyOffset);
  return bytes;
}

function checkStage(stage: PqStage, count: number, dim: number, path: string): void {
  checkSubspaces(stage.subspaces, dim, `${path}.subspaces`);
  const centroidValues = stage.subspaces * PQ_CENTROIDS * (dim / stage.subspaces);
  if (stage.centroids.length !== centroidValues) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${path}.centroids has ${stage.centroids.length} values, expected ${centroidValues}`,
    );
  }
  assertFinite(stage.centroids, `${path}.centroids`);
  const codeBytes = (count * stage.subspaces) / 2;
  if (stage.codes.length !== codeBytes) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `${path}.codes has ${stage.codes.length} bytes, expected ${codeBytes}`,
    );
  }
}

function readScalars(r: FieldReader) {
  return {
    catalogVersion: r.integer('catalogVersion', { min: 0 }),
    projectorVersion: r.integer('projectorVersion', { min: 0 }),
    count: r.integer('count', { min: 0 }),
    dim: r.integer('dim', { min: 2 }),
  };
}

/**
 * Validates a parsed header against its version's schema (not yet against limits or layout).
 * @param value - parsed JSON
 * @param version - the envelope's format version
 * @returns the typed header
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
function readPqHeader(value: unknown, version: number): PqIndexHeader {
  const r = new FieldReader(value, 'pq index header');
  const scalars = readScalars(r);
  // Versions 1 and 2 know 4-bit codes only; a later version may add others.
  r.integer('bits', { min: 4, max: 4 });
  // Version 1 has no rotation: the field is unknown there, and `done()` refuses it.
  const rotation =
    version >= 2 ? r.optional('rotation', (k) => r.object(k, readSection)) : undefined;
  const partitions =
    version >= 3
      ? r.optional('partitions', (k) =>
          r.object(k, (p) => {
            const read = {
              count: p.integer('count', { min: 1, max: PQ_MAX_PARTITIONS }),
              centroids: p.object('centroids', readSection),
              assignment: p.object('assignment', readSection),
            };
            p.done();
            return read;
          }),
        )
      : undefined;
  const stages = r.array(
    'stages',
    (item, path) => {
      const s = new FieldReader(item, path);
      const stage = {
        subspaces: s.integer('subspaces', { min: 2 }),
        centroids: s.object('centroids', readSection),
        codes: s.object('codes', readSection),
      };
      s.done();
      return stage;
    },
    PQ_MAX_STAGES,
  );
  const bodyLength = r.integer('bodyLength', { min: 0 });
  const checksum = r.string('checksum', { pattern: /^crc32c:[0-9a-f]{8}$/ });
  r.done();
  return {
    ...scalars,
    bits: 4,
    ...(rotation ? { rotation } : {}),
    ...(partitions ? { partitions } : {}),
    stages,
    bodyLength,
    checksum,
  };
}

/**
 * Decodes and validates a PQ index: size cap first, then counts and dims against the limits and
 * the sections against the canonical layout before anything is allocated, then the checksum,
 * then every centroid.
 * @param bytes - the file
 * @param limits - `maxBytes`, `maxHeaderBytes`, `maxCount` (ads), `maxDim`
 * @defaultValue limits = {@link PQ_INDEX_DEFAULT_LIMITS}
 * @returns the index (centroids and codes are copies, safe to keep)
 * @throws ProtocolError `OVERSIZE`, `TRUNCATED`, `TRAILING_BYTES`, `BAD_MAGIC`,
 *   `UNSUPPORTED_VERSION`, `LENGTH_OVERFLOW`, `BAD_HEADER`, `DIM_MISMATCH`, `CHECKSUM_MISMATCH`,
 *   `NON_FINITE`, `OUT_OF_RANGE`
 */
export function decodePqIndex(bytes: Uint8Array, limits?: DecodeLimits): PqIndex {
  const lim = resolveLimits(limits, PQ_INDEX_DEFAULT_LIMITS);
  const envelope = readEnvelope(
    bytes,
    { magic: PQ_INDEX_MAGIC, versions: [1, 2, PQ_INDEX_FORMAT_VERSION], what: 'pq index' },
    lim,
  );
  const header = readPqHeader(envelope.header, envelope.version);
  const { count, dim, catalogVersion, projectorVersion } = header;
  if (count > lim.maxCount)
    throw new ProtocolError(
      'OVERSIZE',
      `pq index count ${count} exceeds the limit ${lim.maxCount}`,
    );
  if (dim > lim.maxDim)
    throw new ProtocolError('OVERSIZE', `pq index dim ${dim} exceeds the limit ${lim.maxDim}`);
  if (header.stages.length < 1) throw new ProtocolError('BAD_HEADER', 'pq index has no stages');
  header.stages.forEach((s, i) =>
    checkSubspaces(s.subspaces, dim, `pq index stages[${i}].subspaces`),
  );
  if (header.rotation && dim > PQ_MAX_ROTATION_DIM) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `pq index rotation is allowed up to dim ${PQ_MAX_ROTATION_DIM}, got ${dim}`,
    );
  }
  const expected = layout(
    count,
    dim,
    header.stages.map((s) => s.subspaces),
    header.rotation !== undefined,
    header.partitions?.count ?? 0,
  );
  const checkSection = (got: CatalogSection, want: CatalogSection, path: string): void => {
    if (got.length !== want.length) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `${path} is ${got.length} bytes, expected ${want.length}`,
      );
    }
    if (got.offset !== want.offset) {
      throw new ProtocolError(
        'BAD_HEADER',
        `${path} at offset ${got.offset}, expected ${want.offset}`,
      );
    }
  };
  if (header.rotation && expected.rotation) {
    checkSection(header.rotation, expected.rotation, 'pq index rotation');
  }
  if (header.partitions && expected.partitions) {
    for (const key of ['centroids', 'assignment'] as const) {
      checkSection(header.partitions[key], expected.partitions[key], `pq index partitions.${key}`);
    }
  }
  header.stages.forEach((got, i) => {
    const want = expected.stages[i] as (typeof expected.stages)[number];
    for (const key of ['centroids', 'codes'] as const) {
      checkSection(got[key], want[key], `pq index stages[${i}].${key}`);
    }
  });
  if (header.bodyLength !== expected.bodyLength) {
    throw new ProtocolError(
      'BAD_HEADER',
      `pq index bodyLength ${header.bodyLength} disagrees with its sections (${expected.bodyLength})`,
    );
  }
  const { body } = envelope;
  if (body.length !== header.bodyLength) {
    throw new ProtocolError(
      body.length < header.bodyLength ? 'TRUNCATED' : 'TRAILING_BYTES',
      `pq index body is ${body.length} bytes, header says ${header.bodyLength}`,
    );
  }
  const actual = checksumOf(body);
  if (actual !== header.checksum) {
    throw new ProtocolError(
      'CHECKSUM_MISMATCH',
      `pq index checksum is ${actual}, header says ${header.checksum}`,
    );
  }
  const stages = header.stages.map((s, i): PqStage => {
    const centroids = readLE(Float32Array, body, s.centroids.offset, s.centroids.length / 4);
    assertFinite(centroids, `pq index stages[${i}].centroids`);
    const end = s.codes.offset + s.codes.length;
    // Uint8Array's own slice copies (a Node Buffer's would share its pool).
    const codes = Uint8Array.prototype.slice.call(body, s.codes.offset, end);
    return { subspaces: s.subspaces, centroids, codes };
  });
  const index: PqIndex = { catalogVersion, projectorVersion, count, dim, stages };
  const section = header.rotation;
  if (section !== undefined) {
    index.rotation = readLE(Float32Array, body, section.offset, section.length / 4);
    checkRotation(index.rotation, dim, 'pq index rotation');
  }
  if (header.partitions !== undefined) {
    const { centroids, assignment } = header.partitions;
    index.partitions = {
      centroids: readLE(Float32Array, body, centroids.offset, centroids.length / 4),
      assignment: readLE(Uint16Array, body, assignment.offset, assignment.length / 2),
    };
    checkPartitions(index.partitions, count, dim, 'pq index partitions');
  }
  return index;
}
