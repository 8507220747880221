/**
 * The per-ad counts query of a round: besides its projector gradient, each device reports how many
 * times it showed and clicked every ad of one catalog version during the round, at most
 * `maxImpressions` impressions and `maxClicks` clicks in total. The counts ride in the same upload
 * as the gradient, appended to it: the update vector is
 *
 * `[ clip(g, C) (parameterCount) | s·impressions (adCount) | s·clicks (adCount) ]`
 *
 * with `s` = `scale`, so one clip, one noise draw and one sum (secure or not) serve both, and the
 * counts are released through the same privacy mode as the gradient. A device's counts segment has
 * L2 norm at most `s·√(i² + c²)` (all its impressions and clicks on one ad), so the whole vector's
 * norm is at most `√(C² + s²(i² + c²))`: the sensitivity every mode is priced and checked with.
 */
import { crc32c } from './checksum.js';
import type { FieldReader } from './json.js';
import { utf8Encode } from './runtime.js';

const ADS_CHECKSUM_PATTERN = /^crc32c:[0-9a-f]{8}$/;

/** The counts part of a round config. */
export interface AdCountsQuery {
  /** Catalog version whose ad order indexes the counts (integer ≥ 0). */
  catalogVersion: number;
  /** Ads in that catalog (integer ≥ 1): the counts segment holds 2·adCount values. */
  adCount: number;
  /**
   * {@link adListChecksum} of that catalog's ad ids. Re-projected catalog versions keep their ads
   * and their order, so a device whose catalog is a version behind still counts against the same
   * list; a device whose ad list differs reports zeros.
   */
  adsChecksum: string;
  /** i: most impressions one device reports per round, summed over ads (integer ≥ 1). */
  maxImpressions: number;
  /** c: most clicks one device reports per round, summed over ads (integer ≥ 0). */
  maxClicks: number;
  /** s: the value of one count in update units (> 0); the server sets it from the clip norm. */
  scale: number;
}

/** The round config fields the counts layout depends on. */
export interface CountsLayoutConfig {
  /** L2 clip norm C of the gradient. */
  clipNorm: number;
  /** Projector shape (its parameter count is the gradient's length). */
  model: { parameterCount: number };
  /** The counts query, if the round asks for counts. */
  counts?: AdCountsQuery;
}

/**
 * Reads the `counts` object of a round config.
 * @param r - reader over the object
 * @returns the validated query
 * @throws ProtocolError `BAD_HEADER` / `OUT_OF_RANGE`
 */
export function readAdCountsQuery(r: FieldReader): AdCountsQuery {
  const query = {
    catalogVersion: r.integer('catalogVersion', { min: 0 }),
    adCount: r.integer('adCount', { min: 1 }),
    adsChecksum: r.string('adsChecksum', { pattern: ADS_CHECKSUM_PATTERN }),
    maxImpressions: r.integer('maxImpressions', { min: 1 }),
    maxClicks: r.integer('maxClicks', { min: 0 }),
    scale: r.number('scale', { above: 0 }),
  };
  r.done();
  return query;
}

/**
 * Identifies an ordered list of ad ids: CRC-32C of the UTF-8 JSON array of the ids, as
 * `crc32c:` + 8 hex digits. It guards against counting against the wrong order by accident; the
 * round config comes from the server the device already trusts with its catalog.
 * @param ids - ad ids in catalog order
 * @returns the checksum string
 */
export function adListChecksum(ids: readonly string[]): string {
  return `crc32c:${crc32c(utf8Encode(JSON.stringify(ids)))
    .toString(16)
    .padStart(8, '0')}`;
}

/**
 * L2 bound of one device's counts vector in count units, √(i² + c²): reached when every impression
 * and every click of the round went to one ad.
 * @param query - the round's counts query
 * @returns the bound
 */
export function countsSensitivity(
  query: Pick<AdCountsQuery, 'maxImpressions' | 'maxClicks'>,
): number {
  return Math.hypot(query.maxImpressions, query.maxClicks);
}

/**
 * Length of a round's update vector: the gradient, then 2·adCount counts when the round asks for them.
 * @param config - the round
 * @returns parameterCount (+ 2·adCount)
 */
export function updateVectorLength(config: CountsLayoutConfig): number {
  return config.model.parameterCount + (config.counts ? 2 * config.counts.adCount : 0);
}

/**
 * L2 bound of the counts segment in update units: s·√(i² + c²) (0 without counts).
 * @param config - the round
 * @returns the bound
 */
export function countsNormBound(config: Pick<CountsLayoutConfig, 'counts'>): number {
  return config.counts ? config.counts.scale * countsSensitivity(config.counts) : 0;
}

/**
 * L2 bound of a whole honest update vector before noise: √(C² + (s√(i² + c²))²), C without counts.
 * Every mode's sensitivity, clip check and secure-sum encoding use this one figure.
 * @param config - the round
 * @returns the bound
 */
export function updateNormBound(config: Pick<CountsLayoutConfig, 'clipNorm' | 'counts'>): number {
  return Math.hypot(config.clipNorm, countsNormBound(config));
}
