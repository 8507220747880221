/**
 * The catalog import format: JSON Lines, one ad per line, fields `id`, `title`, `text`, `url`,
 * `advertiser`, `category` and optionally `image` (or `imageUrl`). `text` is what the content
 * encoder reads besides the title; it is not shipped in the bundle.
 */
import { ProtocolError, type AdMetadata } from '@privads/protocol';

/** One ad to import. */
export interface CatalogAdInput {
  /** Unique id. */
  id: string;
  /** Headline. */
  title: string;
  /** Body text for the encoder (may be empty). */
  text: string;
  /** Landing page (absolute http(s) URL). */
  url: string;
  /** Advertiser. */
  advertiser: string;
  /** Category. */
  category: string;
  /** Optional image (absolute http(s) URL). */
  imageUrl?: string;
}

const REQUIRED = ['id', 'title', 'url', 'advertiser', 'category'] as const;
const KNOWN = new Set<string>([...REQUIRED, 'text', 'image', 'imageUrl']);

/**
 * Validates one parsed ad object (the bundle encoder validates URLs and lengths again).
 * @param value - parsed JSON
 * @param where - position for messages, e.g. `line 3`
 * @returns the ad
 * @throws ProtocolError `BAD_HEADER` naming the field
 */
export function readCatalogAd(value: unknown, where: string): CatalogAdInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('BAD_HEADER', `${where}: an ad must be a JSON object`);
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!KNOWN.has(key))
      throw new ProtocolError('BAD_HEADER', `${where}: unknown field ${JSON.stringify(key)}`);
  }
  for (const key of REQUIRED) {
    if (typeof v[key] !== 'string')
      throw new ProtocolError('BAD_HEADER', `${where}: ${key} must be a string`);
  }
  const text = v.text ?? '';
  if (typeof text !== 'string')
    throw new ProtocolError('BAD_HEADER', `${where}: text must be a string`);
  const image = v.imageUrl ?? v.image;
  if (image !== undefined && typeof image !== 'string') {
    throw new ProtocolError('BAD_HEADER', `${where}: image must be a string`);
  }
  return {
    id: v.id as string,
    title: v.title as string,
    text,
    url: v.url as string,
    advertiser: v.advertiser as string,
    category: v.category as string,
    ...(image === undefined ? {} : { imageUrl: image }),
  };
}

/**
 * Parses JSON Lines (blank lines are skipped).
 * @param text - file content
 * @returns the ads, in file order
 * @throws ProtocolError `BAD_HEADER` naming the line of the first invalid ad; `OUT_OF_RANGE` for an empty file
 */
export function parseAdsJsonl(text: string): CatalogAdInput[] {
  const ads: CatalogAdInput[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (cause) {
      throw new ProtocolError('BAD_HEADER', `line ${i + 1}: not valid JSON`, { cause });
    }
    ads.push(readCatalogAd(parsed, `line ${i + 1}`));
  });
  if (ads.length === 0) throw new ProtocolError('OUT_OF_RANGE', 'the catalog has no ads');
  return ads;
}

/**
 * The text the content encoder reads for an ad.
 * @param ad - the ad
 * @returns title and text on two lines
 */
export function encoderText(ad: CatalogAdInput): string {
  return ad.text === '' ? ad.title : `${ad.title}\n${ad.text}`;
}

/**
 * The metadata the bundle carries for an ad.
 * @param ad - the ad
 * @returns bundle metadata (no `text`)
 */
export function bundleMetadata(ad: CatalogAdInput): AdMetadata {
  return {
    id: ad.id,
    title: ad.title,
    url: ad.url,
    advertiser: ad.advertiser,
    category: ad.category,
    ...(ad.imageUrl === undefined ? {} : { imageUrl: ad.imageUrl }),
  };
}
