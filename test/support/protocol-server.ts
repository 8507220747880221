/**
 * {@link ProtocolHandler} behind a real `node:http` server on 127.0.0.1, for Playwright specs. It
 * listens on a different port than the harness pages, so every call the client makes is
 * cross-origin, as on a publisher's site.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProtocolHandler } from './protocol-handler.js';
import type { Fixture } from './protocol-fixture.js';

/** A running test server. */
export interface ProtocolServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly handler: ProtocolHandler;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Starts a server on a free port.
 * @param fixture - catalog and projector to serve
 * @returns the server, its URL and its handler (state, recorded requests, uploads)
 */
export async function startProtocolServer(fixture: Fixture): Promise<ProtocolServer> {
  const handler = new ProtocolHandler(fixture);
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const answer = handler.handle({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers,
          body,
        });
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body === undefined ? undefined : Buffer.from(answer.body));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handler,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
