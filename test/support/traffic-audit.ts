/**
 * What leaves the browser: every request of a context recorded with its body, and one audit of it
 * shared by the network specs — the page's own origin is only read from; everything else goes to
 * the PrivAds server, to a documented endpoint, without query string, cookie or referrer.
 */
import { expect, type BrowserContext } from '@playwright/test';
import { countsSensitivity, type RoundConfig } from '@privads/protocol';

/** A documented request: method and path pattern. */
export interface AllowedRequest {
  readonly method: string;
  readonly path: RegExp;
}

/** The requests of the float modes (no query strings, ever). */
export const PROTOCOL_REQUESTS: readonly AllowedRequest[] = [
  { method: 'GET', path: /^\/v1\/catalog\/(latest|\d+)$/ },
  // A large catalog's PQ index: one whole file per catalog version, the same URL for every reader.
  { method: 'GET', path: /^\/v1\/catalog\/\d+\/pq-index$/ },
  { method: 'GET', path: /^\/v1\/round$/ },
  { method: 'GET', path: /^\/v1\/projector\/\d+$/ },
  { method: 'POST', path: /^\/v1\/rounds\/\d+\/updates$/ },
];

/** The requests of the distributed mode: the protocol's, plus the secure-aggregation messages. */
export const SECURE_AGGREGATION_REQUESTS: readonly AllowedRequest[] = [
  ...PROTOCOL_REQUESTS,
  { method: 'GET', path: /^\/v1\/rounds\/\d+\/secagg$/ },
  { method: 'POST', path: /^\/v1\/rounds\/\d+\/secagg\/(keys|roster|shares|inbox|unmask|reveal)$/ },
];

/** One request as the browser sent it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
}

/**
 * Records every request of every page (and its workers) of a context, with its body.
 * @param context - the browser context
 * @returns the list, filled as requests are made
 */
export function captureTraffic(context: BrowserContext): SeenRequest[] {
  const seen: SeenRequest[] = [];
  context.on('request', (request) => {
    seen.push({
      method: request.method(),
      url: new URL(request.url()),
      headers: request.headers(),
      body: request.postDataBuffer(),
    });
  });
  return seen;
}

/**
 * Checks every request the browser made.
 * @param seen - the recorded requests
 * @param origins - the page's own origin and the PrivAds server's
 * @param allowed - the documented requests
 * @param label - prefix of failure messages (e.g. which context)
 * @returns the requests that went to the server
 */
export function auditBrowserTraffic(
  seen: readonly SeenRequest[],
  origins: { readonly page: string; readonly server: string },
  allowed: readonly AllowedRequest[],
  label = '',
): SeenRequest[] {
  const toServer: SeenRequest[] = [];
  for (const request of seen) {
    const where = `${label}${request.method} ${request.url.href}`;
    if (request.url.origin === origins.page) {
      // The publisher's own page, scripts and the worker script: loaded, never sent to.
      expect(request.method, where).toBe('GET');
      continue;
    }
    expect(request.url.origin, `request to a third party: ${where}`).toBe(origins.server);
    toServer.push(request);
    expect(request.url.search, where).toBe('');
    expect(
      allowed.some((a) => a.method === request.method && a.path.test(request.url.pathname)),
      where,
    ).toBe(true);
    expect(request.headers['cookie'], where).toBeUndefined();
    // Playwright shows a suppressed referrer as an empty header; the server side checks it is absent.
    expect(request.headers['referer'] ?? '', where).toBe('');
  }
  return toServer;
}

/** The per-ad counts an upload carries, read back from its decoded (noise-free) vector. */
export interface UploadedCounts {
  readonly impressions: number[];
  readonly clicks: number[];
}

/**
 * Reads the counts segment of a decoded upload of a round without device noise (`none`, `central`)
 * and checks that it is what the protocol allows and nothing more: integers of the round's scale,
 * non-negative, within the round's bounds, and the gradient part within C.
 * @param round - the round (with a counts query)
 * @param vector - the decoded update vector
 * @param tolerance - relative slack of the encoding (f16: 2⁻¹⁰)
 * @returns the counts per ad
 */
export function uploadedCounts(
  round: RoundConfig,
  vector: Float32Array,
  tolerance = 2 ** -10,
): UploadedCounts {
  const query = round.counts;
  if (query === undefined) throw new Error(`round ${round.roundId} asks for no counts`);
  const p = round.model.parameterCount;
  expect(vector.length).toBe(p + 2 * query.adCount);
  let gradient = 0;
  for (let i = 0; i < p; i++) gradient += (vector[i] as number) ** 2;
  expect(Math.sqrt(gradient)).toBeLessThanOrEqual(round.clipNorm * (1 + tolerance));
  const read = (from: number): number[] =>
    Array.from(vector.subarray(from, from + query.adCount), (x) => {
      const count = x / query.scale;
      expect(Math.abs(count - Math.round(count))).toBeLessThan(0.01 + count * tolerance);
      return Math.round(count);
    });
  const impressions = read(p);
  const clicks = read(p + query.adCount);
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  expect(Math.min(...impressions, ...clicks)).toBeGreaterThanOrEqual(0);
  expect(sum(impressions)).toBeLessThanOrEqual(query.maxImpressions);
  expect(sum(clicks)).toBeLessThanOrEqual(query.maxClicks);
  expect(Math.hypot(...impressions, ...clicks)).toBeLessThanOrEqual(countsSensitivity(query));
  return { impressions, clicks };
}
