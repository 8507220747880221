/**
 * The catalog bundle: one immutable binary file per catalog version, holding for every ad its
 * projected vector (what scoring uses), its content vector (what on-device learning needs) and its
 * metadata. Envelope (see `envelope.ts`) with magic `PRVCATLG`, version 1; the body holds the
 * sections listed in the header, each starting at an 8-byte-aligned offset, zero-padded between:
 *
 * 1. `projectedScales` (int8 only): `count` f32 row scales
 * 2. `projected`: `count × userDim` values, int8 / f16 / f32
 * 3. `contentCodebook` (`pq8` content only): `256 × contentDim` f32 centroid values, sub-space by
 *    sub-space (see `catalog-content.ts`)
 * 4. `content`: `count × contentDim` f16 values, or (`pq8`) `count × contentSubspaces` one-byte codes
 * 5. `ads`: UTF-8 JSON array of {@link AdMetadata}
 * 6. `popularity` (optional, with the header's `popularity` object): `count` f32 released clicks,
 *    then `count` f32 released impressions — the per-ad counts the ranking's prior is derived from,
 *    so a browser needs no second request for them
 *
 * The header's `checksum` is CRC-32C of the whole body.
 */
import { readAdList, type AdMetadata } from './ad-metadata.js';
import {
  CONTENT_PQ_CENTROIDS,
  checkQuantizedContent,
  type CatalogContent,
} from './catalog-content.js';
import { crc32c } from './checksum.js';
import { ProtocolError } from './errors.js';
import {
  SECTION_KEYS,
  formatChecksum,
  layoutSections,
  readHeader,
  readScalarFields,
  readPopularityHeader,
  type CatalogBundleHeader,
  type CatalogBundleShape,
  type CatalogPopularityHeader,
  type CatalogSections,
  type ProjectedEncoding,
  PROJECTED_ENCODINGS,
} from './catalog-header.js';
import { readEnvelope, writeEnvelope } from './envelope.js';
import { float16ToFloat32Array } from './f16.js';
import { assertFinite, toFiniteFloat16 } from './finite.js';
import { FieldReader, parseJsonBytes } from './json.js';
import {
  CATALOG_DEFAULT_LIMITS,
  resolveLimits,
  type DecodeLimits,
  type ResolvedLimits,
} from './limits.js';
import { quantizeRowsInt8 } from './quantize.js';
import { utf8Encode } from './runtime.js';
import { readLE, writeLE, type NumericArray } from './typed-bytes.js';

/** ASCII magic of a catalog bundle. */
export const CATALOG_MAGIC = 'PRVCATLG';
/** Current catalog bundle format version. */
export const CATALOG_FORMAT_VERSION = 1;
/** Default content (ad embedding) dimension Dad. */
export const DEFAULT_CONTENT_DIM = 384;
/** Default user-space dimension Du. */
export const DEFAULT_USER_DIM = 128;

/** The released per-ad counts a catalog carries, and how the ranking weighs them. */
export interface CatalogPopularity extends CatalogPopularityHeader {
  /** Summed released clicks per ad (`count` values, finite; noise may make them negative). */
  clicks: Float32Array;
  /** Summed released impressions per ad (`count` values, finite). */
  impressions: Float32Array;
}

/** What the server publishes: float32 vectors plus ad metadata. */
export interface Catalog {
  /** Catalog version (integer ≥ 0); bundles are immutable per version. */
  catalogVersion: number;
  /** Projector version that produced `projected` (integer ≥ 0). */
  projectorVersion: number;
  /** Content encoder id, e.g. `privads-default-384@1` (1‥256 characters). */
  encoderId: string;
  /** Content dimension Dad (integer ≥ 1). */
  contentDim: number;
  /** User-space dimension Du (integer ≥ 1). */
  userDim: number;
  /** Projected vectors P_θ(z_ad), row-major `ads.length × userDim`. */
  projected: Float32Array;
  /**
   * Content vectors z_ad: row-major `ads.length × contentDim` float32 (written as f16), or
   * product-quantised ones (written as they are: `trainContentQuantizer` of `@privads/model`
   * codes them, and a decoded `pq8` bundle's content re-encodes unchanged).
   */
  content: Float32Array | CatalogContent;
  /** Ad metadata, one per row, unique ids. */
  ads: readonly AdMetadata[];
  /**
   * Creation time, ISO 8601 with offset.
   * @defaultValue the current time
   */
  createdAt?: string;
  /** Released per-ad counts and the prior's weight (absent: ranking by the cosine alone). */
  popularity?: CatalogPopularity;
}

/** Options of {@link encodeCatalogBundle}. */
export interface EncodeCatalogOptions {
  /**
   * Encoding of the projected section.
   * @defaultValue `'int8'`
   */
  projectedEncoding?: ProjectedEncoding;
  /**
   * The decoder limits the bundle must meet: a bundle over them is refused here, not by every
   * reader that downloads it.
   * @defaultValue {@link CATALOG_DEFAULT_LIMITS}, what clients decode with
   */
  limits?: DecodeLimits;
}

/**
 * Checks that a bundle of this shape is one the decoder accepts, before anything of its size is
 * allocated: `encodeCatalogBundle` checks every bundle, and a publisher can check before it spends
 * minutes encoding a catalog's content.
 * @param shape - count, dimensions, encoding and metadata size
 * @param limits - the decoder's limits
 * @defaultValue limits = {@link CATALOG_DEFAULT_LIMITS}
 * @param envelopeBytes - bytes beside the body (magic, version, header), when known
 * @returns the body length
 * @throws ProtocolError `OVERSIZE` naming the limit that is exceeded and, for the size, how many
 *   ads of this shape fit
 */
export function checkCatalogBundleSize(
  shape: CatalogBundleShape,
  limits?: DecodeLimits,
  envelopeBytes = 0,
): number {
  const lim = resolveLimits(limits, CATALOG_DEFAULT_LIMITS);
  const { count, userDim, contentDim, adsByteLength } = shape;
  checkShapeLimits(count, userDim, contentDim, lim);
  const { bodyLength } = layoutSections(shape);
  const total = bodyLength + envelopeBytes;
  if (total > lim.maxBytes) {
    const fit = Math.floor((lim.maxBytes - envelopeBytes) / (total / Math.max(1, count)));
    const content =
      shape.contentEncoding === 'pq8'
        ? `${contentDim}-d content vectors coded in ${shape.contentSubspaces} bytes`
        : `${contentDim}-d f16 content vectors`;
    throw new ProtocolError(
      'OVERSIZE',
      `a catalog of ${count} ads (${userDim}-d ${shape.projectedEncoding ?? 'int8'} projected vectors, ${content}, ${adsByteLength} bytes of ad metadata) is a bundle of ${total} bytes; decoders accept at most ${lim.maxBytes}: about ${fit} ads of this shape`,
    );
  }
  return bodyLength;
}

/**
 * @param count - ads
 * @param userDim - Du
 * @param contentDim - Dad
 * @param lim - the decoder's limits
 * @throws ProtocolError `OVERSIZE` when the count or a dimension exceeds its limit
 */
function checkShapeLimits(
  count: number,
  userDim: number,
  contentDim: number,
  lim: ResolvedLimits,
): void {
  if (count > lim.maxCount)
    throw new ProtocolError('OVERSIZE', `catalog count ${count} exceeds the limit ${lim.maxCount}`);
  for (const [name, dim] of [
    ['userDim', userDim],
    ['contentDim', contentDim],
  ] as const) {
    if (dim > lim.maxDim)
      throw new ProtocolError('OVERSIZE', `catalog ${name} ${dim} exceeds the limit ${lim.maxDim}`);
  }
}

/** Projected vectors as a scoring engine consumes them (an `f16` bundle decodes to `f32`). */
export type ProjectedVectors =
  | {
      encoding: 'int8';
      /** `count × userDim` int8 values in [-127, 127]. */
      values: Int8Array;
      /** `count` row scales: value ≈ `values[r * userDim + c] * scales[r]`. */
      scales: Float32Array;
    }
  | {
      encoding: 'f32';
      /** `count × userDim` float32 values. */
      values: Float32Array;
    };

/** A decoded catalog bundle. */
export interface DecodedCatalogBundle {
  /** Validated header (versions, dims, count, wire encodings). */
  header: CatalogBundleHeader;
  /** Projected vectors, row-major. */
  projected: ProjectedVectors;
  /**
   * Content vectors: float32 (`f16` on the wire), or product-quantised, kept coded (`contentRows`
   * reconstructs the rows learning needs).
   */
  content: CatalogContent;
  /** Ad metadata, one per row. */
  ads: AdMetadata[];
  /** The popularity section, when the bundle has one. */
  popularity?: CatalogPopularity;
}

/**
 * Encodes a catalog into a bundle.
 * @param catalog - versions, dims, float32 vectors and ads
 * @param options - projected encoding (default `int8`)
 * @returns the bundle bytes
 * @throws ProtocolError `DIM_MISMATCH` when vector lengths disagree with `ads.length × dim`,
 *   `NON_FINITE` on NaN/±Infinity or f16 overflow, `BAD_HEADER` for invalid ads/ids/dates,
 *   `OUT_OF_RANGE` for negative or non-integer versions and dims
 */
export function encodeCatalogBundle(
  catalog: Catalog,
  options: EncodeCatalogOptions = {},
): Uint8Array {
  const projectedEncoding = options.projectedEncoding ?? 'int8';
  if (!PROJECTED_ENCODINGS.includes(projectedEncoding)) {
    throw new RangeError(
      `projectedEncoding must be one of ${PROJECTED_ENCODINGS.join(', ')}, got ${String(projectedEncoding)}`,
    );
  }
  const ads = readAdList(catalog.ads, 'catalog.ads');
  const count = ads.length;
  const { userDim, contentDim } = catalog;
  const draft = {
    catalogVersion: catalog.catalogVersion,
    projectorVersion: catalog.projectorVersion,
    encoderId: catalog.encoderId,
    contentDim,
    userDim,
    count,
    createdAt: catalog.createdAt ?? new Date().toISOString(),
  };
  // Validate scalar fields with the decoder's own reader, so encode never writes what decode rejects.
  readScalarFields(new FieldReader(draft, 'catalog'));
  if (catalog.projected.length !== count * userDim) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `catalog projected has ${catalog.projected.length} values, expected ${count} × ${userDim}`,
    );
  }
  const content: CatalogContent =
    catalog.content instanceof Float32Array
      ? { encoding: 'f32', values: catalog.content }
      : catalog.content;
  if (content.encoding === 'pq8') {
    checkQuantizedContent(content, contentDim, count, 'catalog content');
    assertFinite(content.codebook, 'catalog content codebook');
  } else if (content.values.length !== count * contentDim) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `catalog content has ${content.values.length} values, expected ${count} × ${contentDim}`,
    );
  }

  const adsBytes = utf8Encode(JSON.stringify(ads));
  const shape: CatalogBundleShape = {
    count,
    userDim,
    contentDim,
    projectedEncoding,
    ...(content.encoding === 'pq8'
      ? { contentEncoding: 'pq8', contentSubspaces: content.subspaces }
      : {}),
    adsByteLength: adsBytes.byteLength,
    popularity: catalog.popularity !== undefined,
  };
  checkCatalogBundleSize(shape, options.limits);
  const parts: [keyof CatalogSections, NumericArray | Uint8Array][] = [];
  if (projectedEncoding === 'int8') {
    const rows = quantizeRowsInt8(catalog.projected, userDim);
    parts.push(['projectedScales', rows.scales], ['projected', rows.values]);
  } else if (projectedEncoding === 'f16') {
    parts.push(['projected', toFiniteFloat16(catalog.projected, 'catalog projected')]);
  } else {
    assertFinite(catalog.projected, 'catalog projected');
    parts.push(['projected', catalog.projected]);
  }
  if (content.encoding === 'pq8')
    parts.push(['contentCodebook', content.codebook], ['content', content.codes]);
  else parts.push(['content', toFiniteFloat16(content.values, 'catalog content')]);
  parts.push(['ads', adsBytes]);
  const popularity = catalog.popularity && encodePopularity(catalog.popularity, count);
  if (popularity) parts.push(['popularity', popularity.values]);

  const { sections, bodyLength } = layoutSections(shape);
  const body = new Uint8Array(bodyLength);
  for (const [name, data] of parts) writeLE(body, sections[name]?.offset ?? 0, data);

  const header: CatalogBundleHeader = {
    ...draft,
    projectedEncoding,
    ...(content.encoding === 'pq8'
      ? { contentEncoding: 'pq8', contentSubspaces: content.subspaces }
      : { contentEncoding: 'f16' }),
    sections,
    bodyLength,
    checksum: formatChecksum(crc32c(body)),
    ...(popularity ? { popularity: popularity.header } : {}),
  };
  const { bytes, bodyOffset } = writeEnvelope(
    CATALOG_MAGIC,
    CATALOG_FORMAT_VERSION,
    header,
    bodyLength,
  );
  // The header's own bytes can tip a bundle just under the limit over it.
  checkCatalogBundleSize(shape, options.limits, bodyOffset);
  bytes.set(body, bodyOffset);
  return bytes;
}

/**
 * @param header - the validated header
 * @param body - the checked body
 * @returns the content section as float32 rows, or kept coded
 * @throws ProtocolError `NON_FINITE`
 */
function readContent(header: CatalogBundleHeader, body: Uint8Array): CatalogContent {
  const { count, contentDim, contentSubspaces, sections } = header;
  const at = sections.content.offset;
  if (contentSubspaces === undefined) {
    const values = float16ToFloat32Array(readLE(Uint16Array, body, at, count * contentDim));
    assertFinite(values, 'catalog content');
    return { encoding: 'f32', values };
  }
  const codebook = readLE(
    Float32Array,
    body,
    sections.contentCodebook?.offset ?? 0,
    CONTENT_PQ_CENTROIDS * contentDim,
  );
  assertFinite(codebook, 'catalog content codebook');
  return {
    encoding: 'pq8',
    subspaces: contentSubspaces,
    codebook,
    codes: readLE(Uint8Array, body, at, count * contentSubspaces),
  };
}

function encodePopularity(
  popularity: CatalogPopularity,
  count: number,
): { header: CatalogPopularityHeader; values: Float32Array } {
  const header = readPopularityHeader(
    new FieldReader(
      {
        weight: popularity.weight,
        smoothing: popularity.smoothing,
        rounds: popularity.rounds,
        sigma: popularity.sigma,
      },
      'catalog.popularity',
    ),
  );
  const values = new Float32Array(2 * count);
  for (const [name, offset] of [
    ['clicks', 0],
    ['impressions', count],
  ] as const) {
    const counts = popularity[name];
    if (counts.length !== count) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `catalog popularity.${name} has ${counts.length} values, expected ${count}`,
      );
    }
    values.set(counts, offset);
  }
  assertFinite(values, 'catalog popularity');
  return { header, values };
}

/**
 * Decodes and validates a catalog bundle. The size cap is checked first; counts and dims are
 * checked against the limits and the sections against the bytes present before any vector is
 * allocated; then the checksum, then every value.
 * @param bytes - the bundle
 * @param limits - `maxBytes`, `maxHeaderBytes`, `maxCount` (ads), `maxDim` (contentDim and userDim)
 * @defaultValue limits = {@link CATALOG_DEFAULT_LIMITS}
 * @returns header, projected vectors (f16 widened to f32), content vectors as f32, ads
 * @throws ProtocolError `OVERSIZE`, `TRUNCATED`, `TRAILING_BYTES`, `BAD_MAGIC`,
 *   `UNSUPPORTED_VERSION`, `LENGTH_OVERFLOW`, `BAD_HEADER`, `DIM_MISMATCH`, `CHECKSUM_MISMATCH`,
 *   `NON_FINITE`, `OUT_OF_RANGE`
 */
export function decodeCatalogBundle(
  bytes: Uint8Array,
  limits?: DecodeLimits,
): DecodedCatalogBundle {
  const lim = resolveLimits(limits, CATALOG_DEFAULT_LIMITS);
  const envelope = readEnvelope(
    bytes,
    { magic: CATALOG_MAGIC, versions: [CATALOG_FORMAT_VERSION], what: 'catalog bundle' },
    lim,
  );
  const header = readHeader(envelope.header);
  const { count, userDim, contentDim, projectedEncoding, sections } = header;
  checkShapeLimits(count, userDim, contentDim, lim);
  const { contentEncoding, contentSubspaces } = header;
  if (contentSubspaces !== undefined && contentDim % contentSubspaces !== 0) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `catalog contentSubspaces ${contentSubspaces} does not divide contentDim ${contentDim}`,
    );
  }
  const expected = layoutSections({
    count,
    userDim,
    contentDim,
    projectedEncoding,
    contentEncoding,
    ...(contentSubspaces === undefined ? {} : { contentSubspaces }),
    adsByteLength: sections.ads.length,
    popularity: sections.popularity !== undefined,
  });
  for (const key of SECTION_KEYS) {
    const got = sections[key];
    const want = expected.sections[key];
    if (got?.length !== want?.length) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `catalog section ${key} is ${got?.length ?? 'absent'} bytes, ${count} rows need ${want?.length ?? 'none'}`,
      );
    }
    if (got?.offset !== want?.offset) {
      throw new ProtocolError(
        'BAD_HEADER',
        `catalog section ${key} at offset ${got?.offset}, expected ${want?.offset}`,
      );
    }
  }
  if (header.bodyLength !== expected.bodyLength) {
    throw new ProtocolError(
      'BAD_HEADER',
      `catalog bodyLength ${header.bodyLength} disagrees with its sections (${expected.bodyLength})`,
    );
  }
  const { body } = envelope;
  if (body.length < header.bodyLength) {
    throw new ProtocolError(
      'TRUNCATED',
      `catalog body is ${body.length} bytes, header says ${header.bodyLength}`,
    );
  }
  if (body.length > header.bodyLength) {
    throw new ProtocolError(
      'TRAILING_BYTES',
      `catalog body is ${body.length} bytes, header says ${header.bodyLength}`,
    );
  }
  const actual = formatChecksum(crc32c(body));
  if (actual !== header.checksum) {
    throw new ProtocolError(
      'CHECKSUM_MISMATCH',
      `catalog checksum is ${actual}, header says ${header.checksum}`,
    );
  }

  const at = (key: keyof CatalogSections): number => sections[key]?.offset ?? 0;
  const projectedCount = count * userDim;
  let projected: ProjectedVectors;
  if (projectedEncoding === 'int8') {
    const scales = readLE(Float32Array, body, at('projectedScales'), count);
    assertFinite(scales, 'catalog projectedScales');
    if (scales.some((s) => s < 0))
      throw new ProtocolError('OUT_OF_RANGE', 'catalog row scales must be >= 0');
    const values = readLE(Int8Array, body, at('projected'), projectedCount);
    if (values.includes(-128))
      throw new ProtocolError('OUT_OF_RANGE', 'catalog int8 values must lie in [-127, 127]');
    projected = { encoding: 'int8', values, scales };
  } else {
    const values =
      projectedEncoding === 'f16'
        ? float16ToFloat32Array(readLE(Uint16Array, body, at('projected'), projectedCount))
        : readLE(Float32Array, body, at('projected'), projectedCount);
    assertFinite(values, 'catalog projected');
    projected = { encoding: 'f32', values };
  }
  const content = readContent(header, body);

  const adsJson = parseJsonBytes(
    body.subarray(sections.ads.offset, sections.ads.offset + sections.ads.length),
    'catalog ads',
  );
  if (!Array.isArray(adsJson))
    throw new ProtocolError('BAD_HEADER', 'catalog ads must be a JSON array');
  if (adsJson.length !== count) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `catalog has ${adsJson.length} ads, header count is ${count}`,
    );
  }
  const ads = readAdList(adsJson, 'catalog ads');
  if (header.popularity === undefined) return { header, projected, content, ads };
  const values = readLE(Float32Array, body, at('popularity'), 2 * count);
  assertFinite(values, 'catalog popularity');
  const popularity: CatalogPopularity = {
    ...header.popularity,
    clicks: values.subarray(0, count),
    impressions: values.subarray(count, 2 * count),
  };
  return { header, projected, content, ads, popularity };
}
