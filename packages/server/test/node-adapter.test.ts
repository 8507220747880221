/**
 * The node:http adapter over a real socket: requests read the way Fetch reads them (repeated
 * headers, request-target forms), and responses written whole with their length.
 */
import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PrivAdsServer } from '@privads/server';

import { smallServer, TOKEN } from './helpers.js';

/** What came back for one raw request. */
interface RawAnswer {
  status: number;
  /** Headers by lower-case name. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one HTTP/1.1 request as written, on a fresh connection, and reads the answer until the
 * server closes it (`Connection: close`).
 * @param url - server base URL
 * @param head - request line and headers, without the blank line
 * @returns the answer
 */
function raw(url: string, head: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine?.split(' ')[1]),
        headers,
        body: text.slice(split + 4),
      });
    });
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

let server: PrivAdsServer;
let url: string;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ server, dispose } = await smallServer());
  ({ url } = await server.listen(0));
});
afterAll(() => dispose());

describe('node:http adapter', () => {
  it('answers JSON with its Content-Length, not chunked', async () => {
    const answer = await raw(url, 'GET /healthz HTTP/1.1\r\nHost: x');
    expect(answer.status).toBe(200);
    expect(answer.headers['transfer-encoding']).toBeUndefined();
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
    expect(answer.headers['access-control-allow-origin']).toBe('*');
  });

  it('joins a repeated header as Fetch does, so a second Authorization line is not ignored', async () => {
    const once = await raw(
      url,
      `GET /v1/rounds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}`,
    );
    expect(once.status).toBe(200);
    const twice = await raw(
      url,
      `GET /v1/rounds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nauthorization: Bearer other`,
    );
    expect(twice.status).toBe(401);
  });

  it('routes an absolute-form target by its path, never by the host it names', async () => {
    const answer = await raw(url, 'GET http://elsewhere.example/healthz HTTP/1.1\r\nHost: x');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const get = await raw(url, 'GET /openapi.json HTTP/1.1\r\nHost: x');
    const head = await raw(url, 'HEAD /openapi.json HTTP/1.1\r\nHost: x');
    expect(get.status).toBe(200);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
  });
});
