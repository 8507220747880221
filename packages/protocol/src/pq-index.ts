/**
 * The product-quantised catalog index: the compact form of a large catalog's projected vectors
 * (one million ads in tens of megabytes) that the browser ranks with fast-scan lookup tables. One
 * immutable file per catalog version, published beside the catalog bundle and, like it, downloaded
 * whole. Envelope (see `envelope.ts`) with magic `PRVPQIDX`, version 1.
 *
 * The index holds one or more **stages** of 4-bit product-quantisation codes. Stage 0 splits each
 * `dim`-vector into `subspaces` contiguous sub-vectors of `dim / subspaces` values and stores, per
 * ad and sub-space, the index of the nearest of 16 centroids; each later stage does the same for
 * what the stages before it leave (the residual), so the sum of the stages' centroids approximates
 * the vector ever more finely. Stage 0 alone is what the fast scan reads; all stages together are
 * what re-ranking reads.
 *
 * The body holds, for each stage in order, each at an 8-byte-aligned offset, zero-padded between:
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
/** Current PQ index format version. */
export const PQ_INDEX_FORMAT_VERSION = 1;
/** Centroids per sub-space: codes are 4 bits. */
export const PQ_CENTROIDS = 16;
/** Most stages an index may hold. */
export const PQ_MAX_STAGES = 8;

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
}

/** The JSON header of a PQ index. */
export interface PqIndexHeader {
  catalogVersion: number;
  projectorVersion: number;
  count: number;
  dim: number;
  /** Always 4 in version 1. */
  bits: 4;
  /** Per stage: its sub-space count and where its sections lie. */
  stages: { subspaces: number; centroids: CatalogSection; codes: CatalogSection }[];
  bodyLength: number;
  /** `crc32c:` + 8 lowercase hex digits, over the whole body. */
  checksum: string;
}

/** The canonical layout of the body for these dimensions. */
function layout(count: number, dim: number, subspaces: readonly number[]) {
  let at = 0;
  const take = (length: number): CatalogSection => {
    const section = { offset: align8(at), length };
    at = section.offset + length;
    return section;
  };
  const stages = subspaces.map((m) => ({
    subspaces: m,
    centroids: take(m * PQ_CENTROIDS * (dim / m) * 4),
    codes: take((count * m) / 2),
  }));
  return { stages, bodyLength: at };
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
  const planned = layout(
    count,
    dim,
    index.stages.map((s) => s.subspaces),
  );
  const body = new Uint8Array(planned.bodyLength);
  index.stages.forEach((stage, s) => {
    const sections = planned.stages[s] as (typeof planned.stages)[number];
    writeLE(body, sections.centroids.offset, stage.centroids);
    body.set(stage.codes, sections.codes.offset);
  });
  const header: PqIndexHeader = {
    ...fields,
    bits: 4,
    stages: planned.stages,
    bodyLength: planned.bodyLength,
    checksum: checksumOf(body),
  };
  const { bytes, bodyOffset } = writeEnvelope(
    PQ_INDEX_MAGIC,
    PQ_INDEX_FORMAT_VERSION,
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
 * Validates a parsed header against the version 1 schema (not yet against limits or layout).
 * @param value - parsed JSON
 * @returns the typed header
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
function readPqHeader(value: unknown): PqIndexHeader {
  const r = new FieldReader(value, 'pq index header');
  const scalars = readScalars(r);
  // Version 1 knows 4-bit codes only; a later version may add others.
  r.integer('bits', { min: 4, max: 4 });
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
  return { ...scalars, bits: 4, stages, bodyLength, checksum };
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
    { magic: PQ_INDEX_MAGIC, versions: [PQ_INDEX_FORMAT_VERSION], what: 'pq index' },
    lim,
  );
  const header = readPqHeader(envelope.header);
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
  const expected = layout(
    count,
    dim,
    header.stages.map((s) => s.subspaces),
  );
  header.stages.forEach((got, i) => {
    const want = expected.stages[i] as (typeof expected.stages)[number];
    for (const key of ['centroids', 'codes'] as const) {
      if (got[key].length !== want[key].length) {
        throw new ProtocolError(
          'DIM_MISMATCH',
          `pq index stages[${i}].${key} is ${got[key].length} bytes, expected ${want[key].length}`,
        );
      }
      if (got[key].offset !== want[key].offset) {
        throw new ProtocolError(
          'BAD_HEADER',
          `pq index stages[${i}].${key} at offset ${got[key].offset}, expected ${want[key].offset}`,
        );
      }
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
  return { catalogVersion, projectorVersion, count, dim, stages };
}
