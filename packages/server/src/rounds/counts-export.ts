/**
 * The per-ad counts of a round in the two forms operators ask for: CSV for spreadsheets and billing
 * systems (one row per ad: id, advertiser, noised impressions and clicks, their noise std), and
 * safetensors for NumPy/PyTorch (`impressions` and `clicks` F32 tensors, the ad ids and the noise
 * in `__metadata__`). Both come from the round's aggregate release and the catalog it counted.
 */
import {
  ProtocolError,
  encodeSafetensors,
  type AdMetadata,
  type ReleasedCounts,
  type ReleasedCountsMetadata,
} from '@privads/protocol';

/** `format` metadata value of a counts file. */
export const AD_COUNTS_FORMAT = 'privads.ad-counts';
/** Output formats of the counts endpoint. */
export const AD_COUNTS_FORMATS = ['csv', 'safetensors', 'json'] as const;
/** A counts output format. */
export type AdCountsFormat = (typeof AD_COUNTS_FORMATS)[number];

/** A round's counts with the ads they index. */
export interface RoundAdCounts {
  /** The round. */
  roundId: number;
  /** What the counts are and their noise. */
  metadata: ReleasedCountsMetadata;
  /** The noised totals. */
  counts: ReleasedCounts;
  /** The counted catalog's ads, in the counts' order. */
  ads: readonly Pick<AdMetadata, 'id' | 'advertiser'>[];
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formula starts defused. */
function csvField(value: string): string {
  // A leading =, +, - or @ makes spreadsheets evaluate the cell: prefix a quote (OWASP advice).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function checkAds(round: RoundAdCounts): void {
  if (round.ads.length !== round.metadata.adCount) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `round ${round.roundId} counted ${round.metadata.adCount} ads, catalog ${round.metadata.catalogVersion} has ${round.ads.length}`,
    );
  }
}

/**
 * The counts as CSV: header `round_id,catalog_version,ad_id,advertiser,impressions,clicks,sigma`,
 * one row per ad in catalog order. Counts are the released (noised) values, unrounded: rounding or
 * clamping is the reader's post-processing to choose.
 * @param round - the counts and the ads
 * @returns UTF-8 CSV text with CRLF line ends
 * @throws ProtocolError `DIM_MISMATCH` when the ads do not match the counts
 */
export function adCountsCsv(round: RoundAdCounts): string {
  checkAds(round);
  const { metadata, counts } = round;
  const lines = ['round_id,catalog_version,ad_id,advertiser,impressions,clicks,sigma'];
  round.ads.forEach((ad, i) => {
    lines.push(
      [
        String(round.roundId),
        String(metadata.catalogVersion),
        csvField(ad.id),
        csvField(ad.advertiser),
        String(counts.impressions[i]),
        String(counts.clicks[i]),
        String(metadata.sigma),
      ].join(','),
    );
  });
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The counts as JSON (what the operator dashboard charts): `{ roundId, counts, ads: [{ id,
 * advertiser, impressions, clicks }] }`, ads in catalog order.
 * @param round - the counts and the ads
 * @returns the JSON-ready object
 * @throws ProtocolError `DIM_MISMATCH` when the ads do not match the counts
 */
export function adCountsJson(round: RoundAdCounts): {
  roundId: number;
  counts: ReleasedCountsMetadata;
  ads: { id: string; advertiser: string; impressions: number; clicks: number }[];
} {
  checkAds(round);
  return {
    roundId: round.roundId,
    counts: round.metadata,
    ads: round.ads.map((ad, i) => ({
      id: ad.id,
      advertiser: ad.advertiser,
      impressions: round.counts.impressions[i] as number,
      clicks: round.counts.clicks[i] as number,
    })),
  };
}

/**
 * The counts as safetensors: F32 tensors `impressions` and `clicks` of shape `[adCount]`;
 * `__metadata__` `format` = `privads.ad-counts`, `roundId`, `counts` (the JSON
 * {@link ReleasedCountsMetadata}) and `adIds` (a JSON array of the ad ids, in order).
 * @param round - the counts and the ads
 * @returns safetensors bytes
 * @throws ProtocolError `DIM_MISMATCH` when the ads do not match the counts
 */
export function adCountsSafetensors(round: RoundAdCounts): Uint8Array {
  checkAds(round);
  const { impressions, clicks } = round.counts;
  return encodeSafetensors(
    {
      impressions: { dtype: 'F32', shape: [impressions.length], data: impressions },
      clicks: { dtype: 'F32', shape: [clicks.length], data: clicks },
    },
    {
      format: AD_COUNTS_FORMAT,
      roundId: String(round.roundId),
      counts: JSON.stringify(round.metadata),
      adIds: JSON.stringify(round.ads.map((ad) => ad.id)),
    },
  );
}
