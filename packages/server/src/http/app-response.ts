/**
 * The application's answer: a status, headers and a body held whole (every route has its body in
 * memory). The node adapter writes it to the socket as is; in-process callers get a Fetch
 * `Response` of it ({@link toFetchResponse}). Building a Fetch `Response` per request, and reading
 * its body back through a stream to write it, cost the server a few per cent of its main thread
 * while it took uploads (`npm run bench:server`).
 */

/** A response body: text (sent as UTF-8), bytes, or none. */
export type AppBody = string | Uint8Array | null;

/** A response of the application. */
export class AppResponse {
  /** HTTP status. */
  readonly status: number;
  /** The body (null for none, as for 204, 304 and answers to `HEAD`). */
  readonly body: AppBody;
  /** Headers by lower-case name. */
  readonly headers: Record<string, string> = {};

  /**
   * @param status - HTTP status
   * @param body - the body
   * @param headers - headers (names in any case)
   */
  constructor(status: number, body: AppBody, headers: Readonly<Record<string, string>> = {}) {
    this.status = status;
    this.body = body;
    this.setHeaders(headers);
  }

  /**
   * Sets headers, replacing those of the same name (in any case).
   * @param headers - the headers
   * @returns this response
   */
  setHeaders(headers: Readonly<Record<string, string>>): this {
    for (const [name, value] of Object.entries(headers)) this.headers[name.toLowerCase()] = value;
    return this;
  }
}

/**
 * Bytes as a Fetch body. Server bytes are always backed by a plain `ArrayBuffer` (never shared
 * memory), which is what the DOM typings of `BodyInit` ask for.
 * @param bytes - content
 * @returns the same bytes, typed as a body
 */
const asBody = (bytes: Uint8Array): ConstructorParameters<typeof Response>[0] =>
  bytes as Uint8Array<ArrayBuffer>;

/**
 * The Fetch `Response` of an application response.
 * @param response - the application's response
 * @returns the same status, headers and body
 */
export function toFetchResponse(response: AppResponse): Response {
  const { body } = response;
  return new Response(typeof body === 'string' || body === null ? body : asBody(body), {
    status: response.status,
    headers: response.headers,
  });
}
