/**
 * What the application reads of a request. A Fetch `Request` has this shape (in-process callers
 * and tests pass one), and so has the node adapter's lighter request, which costs no `Headers`,
 * `AbortSignal` or stream per request: those were a tenth of the server's main thread while it
 * took uploads (`npm run bench:server`).
 */

/** Reads a body chunk by chunk: a Fetch body's reader has this shape, as has the adapter's. */
export interface BodyReader {
  /** The next chunk, or `done` at the end of the body; rejects when the body fails. */
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  /** Stops reading (the rest of the body is never read). */
  cancel(): Promise<void>;
}

/** A request as the application handles it. */
export interface AppRequest {
  /** The method, upper case. */
  readonly method: string;
  /** The absolute URL. */
  readonly url: string;
  /** Header lookup by name (any case); repeated headers joined with `, `, as Fetch does. */
  readonly headers: { get(name: string): string | null };
  /** The Fetch body, when the request came with one. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** The body's bytes when they come from elsewhere (the node adapter reads them off the socket). */
  readonly bodyReader?: BodyReader;
}
