/**
 * Response builders: JSON, immutable versioned bytes with strong ETags, and error bodies.
 */
import type { AppRequest } from './app-request.js';
import { AppResponse } from './app-response.js';
import { errorBody, type HttpError } from './errors.js';

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
): AppResponse {
  return new AppResponse(status, JSON.stringify(body), {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
}

/**
 * The JSON error response of an {@link HttpError}.
 * @param error - the error
 * @param headers - extra headers (e.g. CORS)
 * @returns the response
 */
export function errorResponse(error: HttpError, headers: Record<string, string> = {}): AppResponse {
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
  request: AppRequest,
  bytes: Uint8Array,
  options: {
    contentType: string;
    etag: string;
    cache: CachePolicy;
    headers?: Record<string, string>;
  },
): AppResponse {
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
    return new AppResponse(304, null, headers);
  }
  return new AppResponse(200, request.method === 'HEAD' ? null : bytes, {
    ...headers,
    'Content-Length': String(bytes.length),
  });
}
