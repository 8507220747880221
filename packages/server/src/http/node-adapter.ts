/**
 * The thin node:http adapter: turns an `IncomingMessage` into a Fetch `Request` whose body is read
 * from the socket (nothing is read before the handler asks for it, so the upload size cap holds
 * before the body is read; see `readCappedBody`), and writes the `Response` back.
 *
 * `Expect: 100-continue` is answered by the same rule: `100 Continue` goes out when the handler
 * first reads the body, so a request the handler refuses without reading (unknown route, declared
 * length over the cap, rate limit spent, bad token) gets its final status alone, and the client
 * never starts sending a body that would be cut off.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { RequestInfo } from '../app.js';
import { attachBodyReader, type BodyReader } from './body.js';
import { HttpError } from './errors.js';
import { errorResponse } from './responses.js';

/**
 * The body of an incoming request, read from the socket only while a reader waits for a chunk
 * (so an unread body stays on the wire). `cancel` stops reading (the handler refused the body);
 * the socket is then closed after the answer (`Connection: close`), never read to the end. A web
 * `ReadableStream` did the same before, at the cost of a stream, a controller, a reader and their
 * promises per request (`npm run bench:server`).
 */
class SocketBodyReader implements BodyReader {
  readonly #req: IncomingMessage;
  #onFirstRead: (() => void) | undefined;
  /** A chunk that arrived while no read waited (the socket is paused then). */
  #held: Uint8Array | undefined;
  #waiting:
    | {
        resolve: (result: { done: false; value: Uint8Array } | { done: true }) => void;
        reject: (error: unknown) => void;
      }
    | undefined;
  #ended = false;
  #failure: Error | undefined;

  /**
   * @param req - the incoming request
   * @param onFirstRead - called once, before the first byte is asked for (sends `100 Continue`)
   */
  constructor(req: IncomingMessage, onFirstRead: (() => void) | undefined) {
    this.#req = req;
    this.#onFirstRead = onFirstRead;
    req.on('data', (chunk: Buffer) => {
      const value = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) {
        waiting.resolve({ done: false, value });
      } else {
        this.#held = value;
        req.pause();
      }
    });
    req.once('end', () => {
      this.#ended = true;
      this.#waiting?.resolve({ done: true });
      this.#waiting = undefined;
    });
    req.once('close', () => {
      if (!this.#ended) this.#fail(new Error('request aborted'));
    });
    req.once('error', (error) => this.#fail(error));
    req.pause();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#waiting?.reject(error);
    this.#waiting = undefined;
  }

  read(): Promise<{ done: false; value: Uint8Array } | { done: true }> {
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      this.#req.resume();
      return Promise.resolve({ done: false, value: held });
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve({ done: true });
    this.#onFirstRead?.();
    this.#onFirstRead = undefined;
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#req.resume();
    });
  }

  cancel(): Promise<void> {
    this.#ended = true;
    this.#held = undefined;
    this.#req.pause();
    this.#req.removeAllListeners('data');
    return Promise.resolve();
  }
}

/**
 * Builds the Fetch request of an incoming request.
 * @param req - the incoming request
 * @param origin - origin to resolve the path against (the Host header is not trusted)
 * @param onFirstRead - called once when the handler first reads the body
 * @returns the request
 */
export function toFetchRequest(
  req: IncomingMessage,
  origin: string,
  onFirstRead?: () => void,
): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  const method = req.method ?? 'GET';
  const request = new Request(new URL(req.url ?? '/', origin), { method, headers });
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
    attachBodyReader(request, new SocketBodyReader(req, onFirstRead));
  }
  return request;
}

/**
 * Writes a Fetch response to a node:http response, streaming its body.
 * @param response - what the handler answered
 * @param res - the node response
 * @returns when the response is written
 */
export async function writeFetchResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (headers.connection === 'close') res.shouldKeepAlive = false;
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve));
  }
  res.end();
}

/** A Fetch handler, as `createHandler` builds it. */
export type FetchHandler = (request: Request, info: RequestInfo) => Promise<Response>;

/** Options of {@link serveFetch}. */
export interface ServeFetchOptions {
  /** Origin to resolve request paths against (the Host header is not trusted). */
  origin: string;
  /** Called when a response could not be written (the socket is then destroyed). */
  onWriteError: (error: unknown) => void;
}

/**
 * Answers every request of a node:http server with a Fetch handler, including requests that carry
 * `Expect`. Node's default answers `100 Continue` before any handler runs; a refusal then races the
 * body the client has started to send, and the client sees a reset instead of the status.
 * @param server - the node server (no other `request` listener)
 * @param handle - the Fetch handler
 * @param options - origin, write-failure sink
 */
export function serveFetch(server: Server, handle: FetchHandler, options: ServeFetchOptions): void {
  const answer = (response: Response, res: ServerResponse): void => {
    writeFetchResponse(response, res).catch((error: unknown) => {
      options.onWriteError(error);
      res.destroy();
    });
  };
  const serve = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    // Once the status is out, a late `100 Continue` would land inside the response.
    const sendContinue = (): void => {
      if (!res.headersSent) res.writeContinue();
    };
    const request = toFetchRequest(req, options.origin, expectsContinue ? sendContinue : undefined);
    void handle(request, { remoteAddress: req.socket.remoteAddress ?? 'unknown' }).then(
      (response) => answer(response, res),
    );
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => serve(req, res, false));
  // Without `100 Continue`, node marks the answer `Connection: close`: the unread body is never
  // mistaken for the next request.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => serve(req, res, true));
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expectation = req.headers.expect ?? '';
    const refusal = new HttpError(
      417,
      'BAD_HEADER',
      `unsupported expectation ${JSON.stringify(expectation)}; only 100-continue is understood`,
      // The body may follow at once and is not read: the connection cannot carry another request.
      { Connection: 'close' },
    );
    answer(errorResponse(refusal), res);
  });
}
