/**
 * The few HTTP calls a device makes in a distributed round, as an interface: the browser worker and
 * the demo readers pass {@link fetchTransport}; the simulator passes the same over the server's
 * in-process Fetch handler (or wraps it to make devices vanish). Kept apart from the round driver
 * so the driver never sees a URL or a header.
 */

/** A server answer: status and parsed JSON body (`undefined` when the body is empty or not JSON). */
export interface TransportResponse {
  /** HTTP status. */
  readonly status: number;
  /** Parsed JSON body, if any. */
  readonly body: unknown;
  /** `Retry-After` in seconds, when the server sent one. */
  readonly retryAfterSeconds?: number;
}

/** How a device reaches the server during a distributed round; paths start with `/v1/`. */
export interface SecureRoundTransport {
  /** `GET path`, JSON answer. */
  getJson(path: string): Promise<TransportResponse>;
  /** `POST path` with a JSON body, JSON answer. */
  postJson(path: string, body: unknown): Promise<TransportResponse>;
  /** `POST path` with an `application/octet-stream` body (the masked update upload), JSON answer. */
  postBytes(path: string, bytes: Uint8Array): Promise<TransportResponse>;
}

/**
 * The request options {@link fetchTransport} passes: a subset of `RequestInit`, typed locally so
 * this package compiles without DOM typings.
 */
export interface TransportRequestInit {
  readonly method: 'GET' | 'POST';
  readonly credentials: 'omit';
  readonly referrerPolicy: 'no-referrer';
  readonly cache: 'no-store';
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/** The part of a `Response` {@link fetchTransport} reads. */
export interface TransportFetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The `fetch` the transport calls (the global one, a worker's, or a server's in-process handler). */
export type FetchFunction = (
  input: string,
  init: TransportRequestInit,
) => Promise<TransportFetchResponse>;

async function answerOf(response: TransportFetchResponse): Promise<TransportResponse> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // A proxy's HTML error page: the status alone says what happened.
    body = undefined;
  }
  const header = response.headers.get('retry-after');
  const retry = header === null ? NaN : Number(header);
  return {
    status: response.status,
    body,
    ...(Number.isFinite(retry) && retry >= 0 ? { retryAfterSeconds: retry } : {}),
  };
}

const platformFetch: FetchFunction = (input, init) =>
  (globalThis as unknown as { fetch: FetchFunction }).fetch(input, init);

/**
 * A transport over `fetch`. Every request is anonymous and uncached, like the client's private
 * uploads: no cookies or HTTP auth (`credentials: 'omit'`), no referrer that would name the
 * publisher's page, and no cached phase answer (`cache: 'no-store'`).
 * @param baseUrl - the server's origin (and path prefix), e.g. `https://ads.example`
 * @param fetchFunction - the `fetch` to call
 * @defaultValue fetchFunction = `globalThis.fetch`
 * @returns the transport
 */
export function fetchTransport(
  baseUrl: string,
  fetchFunction: FetchFunction = platformFetch,
): SecureRoundTransport {
  const base = baseUrl.replace(/\/+$/, '');
  const send = async (
    method: 'GET' | 'POST',
    path: string,
    body?: { type: string; data: string | Uint8Array },
  ): Promise<TransportResponse> =>
    answerOf(
      await fetchFunction(`${base}${path}`, {
        method,
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        headers: body
          ? { 'content-type': body.type, accept: 'application/json' }
          : { accept: 'application/json' },
        ...(body ? { body: body.data } : {}),
      }),
    );
  return {
    getJson: (path) => send('GET', path),
    postJson: (path, body) =>
      send('POST', path, { type: 'application/json', data: JSON.stringify(body) }),
    postBytes: (path, bytes) =>
      send('POST', path, { type: 'application/octet-stream', data: bytes }),
  };
}
