/**
 * Response builders: JSON, immutable versioned bytes with strong ETags, and error bodies.
 */
import { errorBody, type HttpError } from './errors.js';

/**
 * Bytes as a response body. Server bytes are always backed by a plain `ArrayBuffer` (never shared
 * memory), which is what the DOM typings of `BodyInit` ask for.
 * @param bytes - content
 * @returns the same bytes, typed as a body
 */
export const asBody = (bytes: Uint8Array): ConstructorParameters<typeof Response>[0] =>
  bytes as Uint8Array<ArrayBuffer>;

/** Cache policy of a response with bytes. */
export type CachePolicy = 'immutable' | 'revalidate' | 'no-store';

const CACHE_CONTROL: Record<CachePolicy, string> = {
  immutable: 'public, max-age=31536000, immutable',
  revalidate: 'no-cache',
  'no-store': 'no-store',
};

/**
 * A JSON response.
 * @param status - HTTP status
 * @param body - JSON-serialisable value
 * @param headers - extra headers
 * @returns the response
 */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    },
  });
}

/**
 * The JSON error response of an {@link HttpError}.
 * @param error - the error
 * @param headers - extra headers (e.g. CORS)
 * @returns the response
 */
export function errorResponse(error: HttpError, headers: Record<string, string> = {}): Response {
  return jsonResponse(error.status, errorBody(error), { ...headers, ...error.headers });
}

/**
 * Bytes with a strong ETag, answering `If-None-Match` with 304.
 * @param request - the request (for `If-None-Match`)
 * @param bytes - content
 * @param options - content type, entity tag, cache policy, extra headers
 * @returns 200 with the bytes or 304 without
 */
export function bytesResponse(
  request: Request,
  bytes: Uint8Array,
  options: {
    contentType: string;
    etag: string;
    cache: CachePolicy;
    headers?: Record<string, string>;
  },
): Response {
  const headers = {
    'Content-Type': options.contentType,
    ETag: options.etag,
    'Cache-Control': CACHE_CONTROL[options.cache],
    ...options.headers,
  };
  const match = request.headers.get('if-none-match');
  if (
    match !== null &&
    (match.trim() === '*' ||
      match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === options.etag))
  ) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(request.method === 'HEAD' ? null : asBody(bytes), {
    status: 200,
    headers: { ...headers, 'Content-Length': String(bytes.length) },
  });
}
