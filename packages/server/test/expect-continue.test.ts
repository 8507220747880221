/**
 * `Expect: 100-continue` over a real socket: `100 Continue` goes only to uploads the handler reads;
 * refusals (size, route, rate limit) get their JSON status without it, and the server stays healthy.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RoundConfig } from '@privads/protocol';
import type { PrivAdsServer } from '@privads/server';

import { SMALL_CONFIG, smallServer, tempDir, upload, vectorWithNorm } from './helpers.js';

/** What a client that honours `Expect` saw. */
interface Exchange {
  /** Whether the server sent `100 Continue` (the body was sent only then). */
  continued: boolean;
  status: number;
  connection: string | undefined;
  /** The error code of a JSON error body. */
  code: string | undefined;
}

/**
 * POSTs with `Expect` and sends the body only on `100 Continue`, as curl does.
 * @param url - server base URL
 * @param path - request path
 * @param body - the body (its length is declared up front)
 * @param expectation - the `Expect` value
 * @returns what came back
 */
function postExpecting(
  url: string,
  path: string,
  body: Uint8Array,
  expectation = '100-continue',
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    let continued = false;
    // Keep-alive, so that `Connection: close` in the answer is the server's own decision.
    const agent = new Agent({ keepAlive: true });
    const req = httpRequest({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(body.length),
        Expect: expectation,
      },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed = text.startsWith('{')
          ? (JSON.parse(text) as { error?: { code: string } })
          : {};
        resolve({
          continued,
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          code: parsed.error?.code,
        });
        agent.destroy();
      });
    });
    req.on('error', (error) => {
      agent.destroy();
      reject(error);
    });
    req.flushHeaders();
  });
}

const UPLOADS = '/v1/rounds/1/updates';
const SIXTY_FOUR_MIB = 64 * 1024 * 1024;

let server: PrivAdsServer;
let dispose: () => Promise<void>;
let url: string;
let round: RoundConfig;

beforeAll(async () => {
  ({ server, dispose } = await smallServer({
    config: {
      ...SMALL_CONFIG,
      http: {
        rateLimit: {
          uploads: { ratePerSecond: 0.001, burst: 4 },
          reads: { ratePerSecond: 20, burst: 100 },
        },
      },
    },
  }));
  ({ url } = await server.listen(0));
  round = (await (await fetch(`${url}/v1/round`)).json()) as RoundConfig;
});
afterAll(() => dispose());

describe('Expect: 100-continue on the node:http adapter', () => {
  it('refuses an oversize declared length with 413 OVERSIZE and no 100 Continue', async () => {
    const r = await postExpecting(url, UPLOADS, new Uint8Array(SIXTY_FOUR_MIB));
    expect(r).toEqual({ continued: false, status: 413, connection: 'close', code: 'OVERSIZE' });
  });

  it('refuses an unknown round with 404 NOT_FOUND and no 100 Continue', async () => {
    const r = await postExpecting(url, '/v1/rounds/99/updates', upload(round, vectorWithNorm(0.3)));
    expect(r).toEqual({ continued: false, status: 404, connection: 'close', code: 'NOT_FOUND' });
  });

  it('sends 100 Continue to a valid upload, reads it and answers 202', async () => {
    const r = await postExpecting(url, UPLOADS, upload(round, vectorWithNorm(0.3, 1)));
    expect(r).toEqual({
      continued: true,
      status: 202,
      connection: 'keep-alive',
      code: undefined,
    });
    expect((await server.store.roundTotals(1))?.count).toBe(1);
  });

  it('refuses an upload whose rate limit is spent with 429 and no 100 Continue', async () => {
    // The burst of 4 is spent by the three uploads above and this one.
    const last = await postExpecting(url, UPLOADS, upload(round, vectorWithNorm(0.3, 2)));
    expect(last).toMatchObject({ continued: true, status: 202 });
    const r = await postExpecting(url, UPLOADS, upload(round, vectorWithNorm(0.3, 3)));
    expect(r).toEqual({ continued: false, status: 429, connection: 'close', code: 'RATE_LIMITED' });
  });

  it('answers an unknown expectation with 417 JSON', async () => {
    const r = await postExpecting(url, UPLOADS, new Uint8Array(4), 'something-else');
    expect(r).toEqual({ continued: false, status: 417, connection: 'close', code: 'BAD_HEADER' });
  });

  it('stays healthy afterwards, with only the read uploads in the round', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect((await server.store.roundTotals(1))?.count).toBe(2);
  });
});

const curl = await promisify(execFile)('curl', ['--version']).then(
  () => true,
  () => false,
);

describe.skipIf(!curl)('Expect: 100-continue with curl', () => {
  it('a 64 MiB --data-binary upload gets 413 OVERSIZE JSON, not a reset', async () => {
    const { server: s, dispose: d } = await smallServer();
    const { dir, cleanup } = await tempDir('privads-curl-');
    try {
      const { url: base } = await s.listen(0);
      const file = join(dir, 'big.bin');
      await writeFile(file, new Uint8Array(SIXTY_FOUR_MIB));
      // curl adds `Expect: 100-continue` itself for a body this large.
      const { stdout, stderr } = await promisify(execFile)('curl', [
        '-sS',
        '-v',
        '-X',
        'POST',
        '-H',
        'content-type: application/octet-stream',
        '--data-binary',
        `@${file}`,
        '-w',
        '\n%{http_code}',
        `${base}${UPLOADS}`,
      ]);
      expect(stderr).toContain('Expect: 100-continue');
      expect(stderr).not.toContain('100 Continue');
      const [json, status] = stdout.split('\n');
      expect(status).toBe('413');
      expect(JSON.parse(json as string)).toMatchObject({ error: { code: 'OVERSIZE' } });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await d();
      await cleanup();
    }
  });
});
