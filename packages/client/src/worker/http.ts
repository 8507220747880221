import { PrivAdsError } from '@privads/protocol';

/**
 * Every request the client makes goes through here, so that none can carry a cookie, a referrer
 * or a cached credential: `credentials: 'omit'`, `referrerPolicy: 'no-referrer'`, no custom headers
 * (GETs stay CORS-simple, so no preflight reveals anything either).
 */
export const PRIVATE_REQUEST: RequestInit = Object.freeze({
  credentials: 'omit',
  referrerPolicy: 'no-referrer',
  mode: 'cors',
});

/** A `fetch`-compatible function (injectable for tests). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Joins the server base URL and an API path.
 * @param server - base URL, with or without a trailing slash
 * @param path - path starting with `/`
 * @returns the absolute URL
 * @throws TypeError when `server` is not an absolute URL
 */
export function apiUrl(server: string, path: string): string {
  return new URL(path.replace(/^\//, ''), server.endsWith('/') ? server : `${server}/`).href;
}

/**
 * GET with the private request options.
 * @param fetchFn - transport
 * @param url - absolute URL
 * @param cache - HTTP cache mode (`no-cache` revalidates with the server)
 * @returns the response when it is 2xx, `undefined` for 204 and 404
 * @throws PrivAdsError `NETWORK` when no response arrives, `RATE_LIMITED` for 429, `INTERNAL` for
 *   other statuses
 */
export async function privateGet(
  fetchFn: FetchLike,
  url: string,
  cache: RequestCache = 'default',
): Promise<Response | undefined> {
  let response: Response;
  try {
    response = await fetchFn(url, { ...PRIVATE_REQUEST, method: 'GET', cache });
  } catch (error) {
    throw new PrivAdsError('NETWORK', `GET ${url} failed: ${String(error)}`, { cause: error });
  }
  if (response.status === 204 || response.status === 404) return undefined;
  if (response.status === 429) throw new PrivAdsError('RATE_LIMITED', `GET ${url}: 429`);
  if (!response.ok) throw new PrivAdsError('INTERNAL', `GET ${url}: HTTP ${response.status}`);
  return response;
}

/**
 * GET binary content.
 * @returns the bytes, or `undefined` for 204/404
 * @throws PrivAdsError as {@link privateGet}
 */
export async function getBytes(
  fetchFn: FetchLike,
  url: string,
  cache: RequestCache = 'default',
): Promise<Uint8Array | undefined> {
  const response = await privateGet(fetchFn, url, cache);
  return response && new Uint8Array(await response.arrayBuffer());
}
