/**
 * The catalog bundle's JSON header and the canonical section layout: both the encoder and the
 * decoder derive the layout from (count, dims, encoding, ads length), so a header that states any
 * other layout is rejected.
 */
import {
  CONTENT_ENCODINGS,
  CONTENT_PQ_CENTROIDS,
  type ContentEncoding,
} from './catalog-content.js';
import { checkIsoDateTime } from './iso-time.js';
import { align8 } from './envelope.js';
import { FieldReader } from './json.js';

/** Encodings of the projected section. */
export const PROJECTED_ENCODINGS = ['int8', 'f16', 'f32'] as const;
/** `int8`: symmetric per-row quantisation; `f16`: half precision; `f32`: exact. */
export type ProjectedEncoding = (typeof PROJECTED_ENCODINGS)[number];

/** Byte range of a section, relative to the body start. */
export interface CatalogSection {
  /** Offset (multiple of 8). */
  offset: number;
  /** Length in bytes. */
  length: number;
}

/** Sections of the body. */
export interface CatalogSections {
  /** Present exactly when `projectedEncoding` is `int8`. */
  projectedScales?: CatalogSection;
  /** Projected vectors, `count × userDim` elements. */
  projected: CatalogSection;
  /** Present exactly when `contentEncoding` is `pq8`: `256 × contentDim` f32 centroid values. */
  contentCodebook?: CatalogSection;
  /** Content vectors: `count × contentDim` f16 values, or (`pq8`) `count × contentSubspaces` codes. */
  content: CatalogSection;
  /** UTF-8 JSON array of ads. */
  ads: CatalogSection;
  /**
   * Present exactly when the header has `popularity`: `count` f32 released clicks, then `count`
   * f32 released impressions, per ad in catalog order.
   */
  popularity?: CatalogSection;
}

/**
 * How the ranking uses the released per-ad counts a bundle carries: `score = cos(u, p_ad) + weight ·
 * prior(ad)`, with `prior` the smoothed log click share of `popularityPrior` in `@privads/model`.
 */
export interface CatalogPopularityHeader {
  /** w ≥ 0: weight of the prior in the score (0 turns it off). */
  weight: number;
  /** α > 0: pseudo-clicks added to every ad before the log (smooths noise and unseen ads). */
  smoothing: number;
  /** Released rounds whose counts are summed into the section (integer ≥ 0). */
  rounds: number;
  /** Standard deviation of the noise of each summed count, in counts (≥ 0). */
  sigma: number;
}

/** The JSON header of a catalog bundle. */
export interface CatalogBundleHeader {
  /** Catalog version (integer ≥ 0). */
  catalogVersion: number;
  /** Projector version of the projected vectors (integer ≥ 0). */
  projectorVersion: number;
  /** Content encoder id (1‥256 characters). */
  encoderId: string;
  /** Dad (integer ≥ 1). */
  contentDim: number;
  /** Du (integer ≥ 1). */
  userDim: number;
  /** Number of ads (rows). */
  count: number;
  /** Wire encoding of the projected section. */
  projectedEncoding: ProjectedEncoding;
  /** Wire encoding of the content section. */
  contentEncoding: ContentEncoding;
  /** Present exactly when `contentEncoding` is `pq8`: sub-spaces M, dividing `contentDim`. */
  contentSubspaces?: number;
  /** Where each section lies in the body. */
  sections: CatalogSections;
  /** Total body length in bytes. */
  bodyLength: number;
  /** `crc32c:` + 8 lowercase hex digits, over the whole body. */
  checksum: string;
  /** ISO 8601 date-time with offset. */
  createdAt: string;
  /** Present when the bundle carries released per-ad counts (the `popularity` section). */
  popularity?: CatalogPopularityHeader;
}

const PROJECTED_BYTES: Record<ProjectedEncoding, number> = { int8: 1, f16: 2, f32: 4 };

/** What a catalog bundle's layout and size depend on. */
export interface CatalogBundleShape {
  /** Ads. */
  readonly count: number;
  /** Du, the projected vectors' dimension. */
  readonly userDim: number;
  /** Dad, the content vectors' dimension. */
  readonly contentDim: number;
  /** @defaultValue `'int8'` */
  readonly projectedEncoding?: ProjectedEncoding;
  /** @defaultValue `'f16'` */
  readonly contentEncoding?: ContentEncoding;
  /** Sub-spaces of `pq8` content (required with it). */
  readonly contentSubspaces?: number;
  /** UTF-8 bytes of the ads' metadata as JSON. */
  readonly adsByteLength: number;
  /** Whether it carries the popularity section. @defaultValue `false` */
  readonly popularity?: boolean;
}

/**
 * The canonical layout: sections in order, each at the next 8-byte boundary.
 * @param shape - count, dimensions, encodings, metadata size, popularity
 * @returns the sections and the total body length
 */
export function layoutSections(shape: CatalogBundleShape): {
  sections: CatalogSections;
  bodyLength: number;
} {
  const { count, userDim, contentDim, adsByteLength } = shape;
  const encoding = shape.projectedEncoding ?? 'int8';
  const quantizedContent = shape.contentEncoding === 'pq8';
  let at = 0;
  const take = (length: number): CatalogSection => {
    const section = { offset: align8(at), length };
    at = section.offset + length;
    return section;
  };
  const projectedScales = encoding === 'int8' ? take(count * 4) : undefined;
  const projected = take(count * userDim * PROJECTED_BYTES[encoding]);
  const contentCodebook = quantizedContent
    ? take(CONTENT_PQ_CENTROIDS * contentDim * 4)
    : undefined;
  const content = take(
    quantizedContent ? count * (shape.contentSubspaces ?? 0) : count * contentDim * 2,
  );
  const ads = take(adsByteLength);
  const popularitySection = shape.popularity === true ? take(count * 2 * 4) : undefined;
  return {
    sections: {
      ...(projectedScales ? { projectedScales } : {}),
      projected,
      ...(contentCodebook ? { contentCodebook } : {}),
      content,
      ads,
      ...(popularitySection ? { popularity: popularitySection } : {}),
    },
    bodyLength: at,
  };
}

/**
 * Formats a CRC-32C as the header's `checksum` string.
 * @param crc - unsigned 32-bit checksum
 * @returns `crc32c:` followed by 8 lowercase hex digits
 */
export const formatChecksum = (crc: number): string =>
  `crc32c:${crc.toString(16).padStart(8, '0')}`;

/** Header fields that come from the catalog itself (not from the layout). */
export type ScalarFields = Pick<
  CatalogBundleHeader,
  | 'catalogVersion'
  | 'projectorVersion'
  | 'encoderId'
  | 'contentDim'
  | 'userDim'
  | 'count'
  | 'createdAt'
>;

/**
 * Reads and validates the scalar header fields (shared with the encoder, so it never writes what
 * the decoder rejects).
 * @param r - reader over the header (or the catalog being encoded)
 * @returns the fields
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
export function readScalarFields(r: FieldReader): ScalarFields {
  return {
    catalogVersion: r.integer('catalogVersion', { min: 0 }),
    projectorVersion: r.integer('projectorVersion', { min: 0 }),
    encoderId: r.string('encoderId', { nonEmpty: true, maxLength: 256 }),
    contentDim: r.integer('contentDim', { min: 1 }),
    userDim: r.integer('userDim', { min: 1 }),
    count: r.integer('count', { min: 0 }),
    createdAt: checkIsoDateTime(`${r.path}.createdAt`, r.string('createdAt')),
  };
}

/**
 * Reads the header's `popularity` object (shared with the encoder).
 * @param r - reader over the object
 * @returns the validated fields
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
export function readPopularityHeader(r: FieldReader): CatalogPopularityHeader {
  const popularity = {
    weight: r.number('weight', { min: 0 }),
    smoothing: r.number('smoothing', { above: 0 }),
    rounds: r.integer('rounds', { min: 0 }),
    sigma: r.number('sigma', { min: 0 }),
  };
  r.done();
  return popularity;
}

/**
 * Reads one `{ offset, length }` section entry (shared by every sectioned format).
 * @param r - reader over the entry
 * @returns the section
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
export function readSection(r: FieldReader): CatalogSection {
  const section = {
    offset: r.integer('offset', { min: 0 }),
    length: r.integer('length', { min: 0 }),
  };
  r.done();
  return section;
}

/**
 * Validates a parsed catalog header against the version 1 schema (not yet against limits or layout).
 * @param value - parsed JSON
 * @returns the typed header
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
export function readHeader(value: unknown): CatalogBundleHeader {
  const r = new FieldReader(value, 'catalog header');
  const scalars = readScalarFields(r);
  const projectedEncoding = r.literal('projectedEncoding', PROJECTED_ENCODINGS);
  const contentEncoding = r.literal('contentEncoding', CONTENT_ENCODINGS);
  const contentSubspaces = r.optional('contentSubspaces', (k) => r.integer(k, { min: 1 }));
  if ((contentSubspaces === undefined) !== (contentEncoding === 'f16')) {
    r.fail('contentSubspaces', 'present exactly when contentEncoding is pq8', contentSubspaces);
  }
  const sections = r.object('sections', (s): CatalogSections => {
    const projectedScales = s.optional('projectedScales', (k) => s.object(k, readSection));
    const result = {
      ...(projectedScales ? { projectedScales } : {}),
      projected: s.object('projected', readSection),
      ...s.optional('contentCodebook', (k) => ({ contentCodebook: s.object(k, readSection) })),
      content: s.object('content', readSection),
      ads: s.object('ads', readSection),
    };
    const popularity = s.optional('popularity', (k) => s.object(k, readSection));
    s.done();
    return popularity ? { ...result, popularity } : result;
  });
  const bodyLength = r.integer('bodyLength', { min: 0 });
  const checksum = r.string('checksum', { pattern: /^crc32c:[0-9a-f]{8}$/ });
  const popularity = r.optional('popularity', (k) => r.object(k, readPopularityHeader));
  r.done();
  if ((popularity === undefined) !== (sections.popularity === undefined)) {
    r.fail('popularity', 'present exactly when sections.popularity is', popularity);
  }
  return {
    ...scalars,
    projectedEncoding,
    contentEncoding,
    ...(contentSubspaces === undefined ? {} : { contentSubspaces }),
    sections,
    bodyLength,
    checksum,
    ...(popularity ? { popularity } : {}),
  };
}

/** Section names in body order. */
export const SECTION_KEYS = [
  'projectedScales',
  'projected',
  'contentCodebook',
  'content',
  'ads',
  'popularity',
] as const;
