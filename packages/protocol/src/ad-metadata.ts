/**
 * Ad metadata as carried in the catalog bundle. Every field is validated because the client
 * renders it into the publisher's page: URLs must be absolute http(s) so a catalog can never inject
 * a `javascript:` link.
 */
import { ProtocolError } from './errors.js';
import { FieldReader } from './json.js';

/** One ad of the catalog. */
export interface AdMetadata {
  /** Unique id within the catalog (1‥256 characters). */
  id: string;
  /** Headline (≤ 1024 characters). */
  title: string;
  /** Landing page: absolute `http:` or `https:` URL (≤ 2048 characters). */
  url: string;
  /** Advertiser name, used for diversity and frequency rules (1‥256 characters). */
  advertiser: string;
  /** Category label (1‥256 characters). */
  category: string;
  /** Optional image: absolute `http:` or `https:` URL (≤ 2048 characters). */
  imageUrl?: string;
}

/**
 * Absolute http(s) URL without whitespace, control characters, double quotes, angle brackets or
 * backticks (which a valid URL percent-encodes anyway, and which matter if a page builds HTML).
 */
export const HTTP_URL_PATTERN = /^https?:\/\/[^\s\p{Cc}"<>`]+$/iu;

const TEXT = { maxLength: 256, nonEmpty: true };
const URL_FIELD = { maxLength: 2048, pattern: HTTP_URL_PATTERN };

/**
 * Validates one ad and returns a copy holding only the documented fields.
 * @param value - parsed JSON
 * @param path - path for error messages
 * @returns the ad
 * @throws ProtocolError `BAD_HEADER` for a missing, unknown or malformed field
 */
export function readAdMetadata(value: unknown, path: string): AdMetadata {
  const r = new FieldReader(value, path);
  const ad: AdMetadata = {
    id: r.string('id', TEXT),
    title: r.string('title', { maxLength: 1024 }),
    url: r.string('url', URL_FIELD),
    advertiser: r.string('advertiser', TEXT),
    category: r.string('category', TEXT),
  };
  const imageUrl = r.optional('imageUrl', (k) => r.string(k, URL_FIELD));
  if (imageUrl !== undefined) ad.imageUrl = imageUrl;
  r.done();
  return ad;
}

/**
 * Validates a list of ads: each ad, and that ids are unique.
 * @param values - parsed JSON array items
 * @param path - path for error messages
 * @returns validated copies
 * @throws ProtocolError `BAD_HEADER`
 */
export function readAdList(values: readonly unknown[], path: string): AdMetadata[] {
  const ids = new Set<string>();
  return values.map((value, i) => {
    const ad = readAdMetadata(value, `${path}[${i}]`);
    if (ids.has(ad.id))
      throw new ProtocolError(
        'BAD_HEADER',
        `${path}[${i}].id ${JSON.stringify(ad.id)} is a duplicate`,
      );
    ids.add(ad.id);
    return ad;
  });
}
