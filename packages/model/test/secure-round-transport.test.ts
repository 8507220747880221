import { describe, expect, it } from 'vitest';
import { fetchTransport } from '@privads/model/secure-upload';
import type { TransportRequestInit } from '@privads/model/secure-upload';

interface Call {
  readonly url: string;
  readonly init: TransportRequestInit;
}

function recordingFetch(answer: { status: number; text: string; retryAfter?: string }): {
  calls: Call[];
  fetch: (url: string, init: TransportRequestInit) => Promise<Response>;
} {
  const calls: Call[] = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push({ url, init });
      const headers = new Headers(
        answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter },
      );
      return Promise.resolve(new Response(answer.text, { status: answer.status, headers }));
    },
  };
}

describe('fetchTransport', () => {
  it('sends anonymous, uncached requests, as the private uploads do', async () => {
    const { calls, fetch } = recordingFetch({ status: 200, text: '{"phase":"keys"}' });
    const transport = fetchTransport('https://ads.example/', fetch);
    await transport.getJson('/v1/rounds/3/secagg');
    await transport.postJson('/v1/rounds/3/secagg/roster', { ticket: 't' });
    await transport.postBytes('/v1/rounds/3/updates', new Uint8Array([1, 2, 3]));
    expect(calls.map((c) => c.url)).toEqual([
      'https://ads.example/v1/rounds/3/secagg',
      'https://ads.example/v1/rounds/3/secagg/roster',
      'https://ads.example/v1/rounds/3/updates',
    ]);
    for (const { init } of calls) {
      expect(init.credentials).toBe('omit');
      expect(init.referrerPolicy).toBe('no-referrer');
      expect(init.cache).toBe('no-store');
    }
    expect(calls[0]?.init.method).toBe('GET');
    expect(calls[0]?.init.body).toBeUndefined();
    expect(calls[1]?.init.headers['content-type']).toBe('application/json');
    expect(calls[1]?.init.body).toBe('{"ticket":"t"}');
    expect(calls[2]?.init.headers['content-type']).toBe('application/octet-stream');
    expect(calls[2]?.init.body).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('returns the status, the parsed body and Retry-After', async () => {
    const body = { error: { code: 'SECAGG_WRONG_PHASE', message: 'early' } };
    const { fetch } = recordingFetch({ status: 409, text: JSON.stringify(body), retryAfter: '2' });
    const answer = await fetchTransport('https://ads.example', fetch).getJson('/v1/x');
    expect(answer).toEqual({ status: 409, body, retryAfterSeconds: 2 });
  });

  it('answers a body that is not JSON with the status alone', async () => {
    const { fetch } = recordingFetch({ status: 502, text: '<html>bad gateway</html>' });
    const answer = await fetchTransport('https://ads.example', fetch).postJson('/v1/x', {});
    expect(answer).toEqual({ status: 502, body: undefined });
  });
});
