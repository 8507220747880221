/**
 * The thin node:http adapter: turns an `IncomingMessage` into the application's request, whose body
 * is read from the socket (nothing is read before the handler asks for it, so the upload size cap
 * holds before the body is read; see `readCappedBody`), and writes the application's response back.
 *
 * `Expect: 100-continue` is answered by the same rule: `100 Continue` goes out when the handler
 * first reads the body, so a request the handler refuses without reading (unknown route, declared
 * length over the cap, rate limit spent, bad token) gets its final status alone, and the client
 * never starts sending a body that would be cut off.
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { RequestInfo } from '../app.js';
import type { AppRequest, BodyReader } from './app-request.js';
import type { AppResponse } from './app-response.js';
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
 * The headers of an incoming request, looked up the way Fetch's `Headers.get` does: by name in any
 * case, repeated headers joined with `, ` (node's own `headers` object keeps only the first of
 * some, such as `Authorization`).
 */
class RawHeaders {
  readonly #raw: readonly string[];
  #byName: Map<string, string> | undefined;

  /** @param raw - `IncomingMessage.rawHeaders`: names and values, alternating */
  constructor(raw: readonly string[]) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    if (this.#byName === undefined) {
      const byName = new Map<string, string>();
      for (let i = 0; i + 1 < this.#raw.length; i += 2) {
        const key = (this.#raw[i] as string).toLowerCase();
        const value = this.#raw[i + 1] as string;
        const earlier = byName.get(key);
        byName.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
      }
      this.#byName = byName;
    }
    return this.#byName.get(name.toLowerCase()) ?? null;
  }
}

/** An incoming request as the application reads it, without the Fetch objects. */
class NodeRequest implements AppRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: RawHeaders;
  readonly body = null;
  readonly bodyReader: BodyReader | undefined;

  constructor(req: IncomingMessage, origin: string, onFirstRead: (() => void) | undefined) {
    this.method = req.method ?? 'GET';
    const target = req.url ?? '/';
    // A path (the usual request target) is appended; anything else (`//host/…`, an absolute URL,
    // `*`) is resolved against the origin as URL parsing does.
    this.url =
      target.startsWith('/') && !target.startsWith('//')
        ? origin + target
        : new URL(target, origin).href;
    this.headers = new RawHeaders(req.rawHeaders);
    this.bodyReader = ['GET', 'HEAD', 'OPTIONS'].includes(this.method)
      ? undefined
      : new SocketBodyReader(req, onFirstRead);
  }
}

/**
 * Writes an application response to a node:http response: the whole body in one `end`, with its
 * `Content-Length` (so never chunked).
 * @param response - what the handler answered
 * @param res - the node response
 * @throws what node throws for a header it cannot send
 */
function writeAppResponse(response: AppResponse, res: ServerResponse): void {
  const { body, headers } = response;
  if (headers.connection === 'close') res.shouldKeepAlive = false;
  if (body === null) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(response.status, { ...headers, 'content-length': String(length) });
  res.end(body);
}

/** The application's handler, as `createAppHandler` builds it. */
export type AppHandler = (request: AppRequest, info: RequestInfo) => Promise<AppResponse>;

/** Options of {@link serveApp}. */
export interface ServeAppOptions {
  /** Origin to resolve request paths against (the Host header is not trusted). */
  origin: string;
  /** Called when a response could not be written (the socket is then destroyed). */
  onWriteError: (error: unknown) => void;
}

/**
 * Answers every request of a node:http server with the application's handler, including requests that carry
 * `Expect`. Node's default answers `100 Continue` before any handler runs; a refusal then races the
 * body the client has started to send, and the client sees a reset instead of the status.
 * @param server - the node server (no other `request` listener)
 * @param handle - the application's handler
 * @param options - origin, write-failure sink
 */
export function serveApp(server: Server, handle: AppHandler, options: ServeAppOptions): void {
  const answer = (response: AppResponse, res: ServerResponse): void => {
    try {
      writeAppResponse(response, res);
    } catch (error) {
      options.onWriteError(error);
      res.destroy();
    }
  };
  const serve = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    // Once the status is out, a late `100 Continue` would land inside the response.
    const sendContinue = (): void => {
      if (!res.headersSent) res.writeContinue();
    };
    const request = new NodeRequest(
      req,
      options.origin,
      expectsContinue ? sendContinue : undefined,
    );
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
