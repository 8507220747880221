/**
 * CORS for the public API: any publisher's page may call it, and no request ever carries cookies
 * (`Access-Control-Allow-Credentials` is never sent, so a browser refuses credentialed requests).
 * Operator endpoints get no CORS headers at all: they are for tools, not pages.
 */

/** Headers added to every public response. */
export const PUBLIC_CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'ETag, Retry-After, Content-Location, PrivAds-Catalog-Version, PrivAds-Projector-Version, PrivAds-PQ-Index',
});

/**
 * Headers of a preflight (`OPTIONS`) answer for a public route.
 * @param methods - the route's methods
 * @returns the headers
 */
export function preflightHeaders(methods: readonly string[]): Record<string, string> {
  return {
    ...PUBLIC_CORS_HEADERS,
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': 'Content-Type, If-None-Match',
    'Access-Control-Max-Age': '86400',
  };
}
