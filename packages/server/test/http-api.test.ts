import { request as httpRequest } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeCatalogBundle } from '@privads/protocol';
import { ROUTES, type PrivAdsServer } from '@privads/server';

import {
  hashEncoder,
  asBody,
  call,
  openRound,
  operator,
  postUpload,
  smallServer,
  tempDir,
  upload,
  vectorWithNorm,
} from './helpers.js';

const ADS = [
  {
    id: 'a1',
    title: 'Trail shoes',
    text: 'Light running shoes',
    url: 'https://shop.example/a1',
    advertiser: 'RunCo',
    category: 'sport',
  },
  {
    id: 'a2',
    title: 'Espresso',
    text: 'Fresh roasted beans',
    url: 'https://coffee.example/a2',
    advertiser: 'Beans',
    category: 'food',
    image: 'https://coffee.example/a2.png',
  },
];
const jsonl = ADS.map((a) => JSON.stringify(a)).join('\n');

let server: PrivAdsServer;
let dispose: () => Promise<void>;
let dashboard: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dashboard = await tempDir('privads-dash-');
  await mkdir(join(dashboard.dir, 'assets'));
  await writeFile(
    join(dashboard.dir, 'index.html'),
    '<!doctype html><title>PrivAds operator</title>',
  );
  await writeFile(join(dashboard.dir, 'assets', 'app.js'), 'console.log(1);');
  ({ server, dispose } = await smallServer({ encoder: hashEncoder, dashboardDir: dashboard.dir }));
});
afterAll(async () => {
  await dispose();
  await dashboard.cleanup();
});

describe('public endpoints', () => {
  it('GET /healthz', async () => {
    const r = await call(server, '/healthz');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', store: 'embedded', round: 1 });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('GET /v1/round returns a round config a client accepts', async () => {
    const round = await openRound(server);
    expect(round).toMatchObject({
      roundId: 1,
      projectorVersion: 1,
      kMin: 2,
      model: { parameterCount: 36 },
    });
  });

  it('OPTIONS preflight for uploads allows POST without credentials', async () => {
    const r = await call(server, '/v1/rounds/1/updates', { method: 'OPTIONS' });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-methods')).toContain('POST');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('GET /v1/projector/latest and /v1/projector/{v}: immutable versioned URL, ETag, 304', async () => {
    const latest = await call(server, '/v1/projector/latest');
    expect(latest.status).toBe(200);
    expect(latest.headers.get('content-location')).toBe('/v1/projector/1');
    expect(latest.headers.get('cache-control')).toBe('no-cache');
    const v1 = await call(server, '/v1/projector/1');
    expect(v1.headers.get('cache-control')).toContain('immutable');
    const etag = v1.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await call(server, '/v1/projector/1', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect((await call(server, '/v1/projector/99')).status).toBe(404);
    expect((await call(server, '/v1/projector/abc')).status).toBe(404);
  });

  it('GET /metrics is Prometheus text for the operator only (live counts show who takes part)', async () => {
    await call(server, '/healthz');
    const anonymous = await call(server, '/metrics');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('privads_uploads');
    const text = await (await operator(server, '/metrics')).text();
    expect(text).toContain('# TYPE privads_uploads_accepted_total counter');
    expect(text).toContain('privads_http_requests_total{route="/healthz"');
  });

  it('answers 404 JSON for unknown paths and 405 with Allow for wrong methods', async () => {
    const r = await call(server, '/nope');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const m = await call(server, '/v1/round', { method: 'DELETE' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET');
  });
});

describe('catalog', () => {
  it('404 before any import, then POST /v1/admin/catalog publishes version 1 served by latest and {version}', async () => {
    expect((await call(server, '/v1/catalog/latest')).status).toBe(404);
    const posted = await operator(server, '/v1/admin/catalog', {
      method: 'POST',
      body: jsonl,
      headers: { 'Content-Type': 'application/x-ndjson' },
    });
    expect(posted.status).toBe(201);
    expect(posted.headers.get('location')).toBe('/v1/catalog/1');
    const latest = await call(server, '/v1/catalog/latest');
    expect(latest.headers.get('privads-catalog-version')).toBe('1');
    const bundle = decodeCatalogBundle(new Uint8Array(await latest.arrayBuffer()));
    expect(bundle.ads.map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(bundle.ads[1]?.imageUrl).toBe('https://coffee.example/a2.png');
    expect(bundle.header.encoderId).toBe('test-hash-8');
    const v1 = await call(server, '/v1/catalog/1', {
      headers: { 'If-None-Match': latest.headers.get('etag') as string },
    });
    expect(v1.status).toBe(304);
  });

  it('refuses an invalid JSONL import with 400 and publishes nothing', async () => {
    const before = await server.store.latest('catalog');
    const r = await operator(server, '/v1/admin/catalog', { method: 'POST', body: '{"id":"x"}\n' });
    expect(r.status).toBe(400);
    expect(await server.store.latest('catalog')).toEqual(before);
  });
});

describe('operator endpoints', () => {
  it('refuse without a token (401) and with a wrong one (403), with no CORS headers', async () => {
    for (const route of ROUTES.filter((r) => r.access === 'operator')) {
      const path = route.path.replace('{id}', '1');
      const r = await call(server, path, { method: route.method });
      expect({ path, status: r.status }).toEqual({ path, status: 401 });
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      const w = await call(server, path, {
        method: route.method,
        headers: { Authorization: 'Bearer not-the-operator-token' },
      });
      expect({ path, status: w.status }).toEqual({ path, status: 403 });
    }
  });

  it('round cycle: close, GET /v1/rounds?after, aggregate, ledger, versions, summary', async () => {
    const round = await openRound(server);
    // A refusal before any acceptance still lands in the round's statistics.
    expect((await postUpload(server, round.roundId, new Uint8Array(5))).status).toBe(400);
    for (const seed of [1, 2, 3])
      expect(
        (await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.5, seed)))).status,
      ).toBe(202);
    expect((await postUpload(server, round.roundId, upload(round, vectorWithNorm(3)))).status).toBe(
      422,
    );
    const close = await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
    expect(close.status).toBe(200);
    const rounds = (await (
      await operator(server, `/v1/rounds?after=${round.roundId - 1}`)
    ).json()) as {
      rounds: Array<Record<string, unknown> & { normHistogram: { counts: number[] } }>;
    };
    expect(rounds.rounds).toHaveLength(1);
    const r = rounds.rounds[0] as (typeof rounds.rounds)[number];
    expect(r).toMatchObject({
      id: round.roundId,
      status: 'released',
      cohortSize: 3,
      clipNorm: 1,
      rejected: { OUT_OF_RANGE: 1, TRUNCATED: 1 },
      newProjectorVersion: 2,
      newCatalogVersion: 2,
    });
    expect(r.normHistogram.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await (await operator(server, `/v1/rounds?after=${round.roundId}`)).json()).toEqual({
      rounds: [],
    });
    expect((await operator(server, '/v1/rounds?after=-1')).status).toBe(422);
    const aggregate = await operator(server, `/v1/rounds/${round.roundId}/aggregate`);
    expect(aggregate.headers.get('content-type')).toBe('application/vnd.privads.safetensors');
    const ledger = (await (await operator(server, '/v1/privacy/ledger')).json()) as {
      entries: unknown[];
    };
    expect(ledger.entries).toHaveLength(1);
    const versions = (await (await operator(server, '/v1/projector/versions')).json()) as {
      projectors: Array<{ version: number }>;
      catalogs: Array<{ version: number; projectorVersion: number }>;
    };
    expect(versions.projectors.map((v) => v.version)).toEqual([1, 2]);
    // The round close re-projected the catalog with the new projector.
    expect(versions.catalogs.at(-1)).toMatchObject({ version: 2, projectorVersion: 2 });
    const summary = (await (await operator(server, '/v1/metrics/summary')).json()) as {
      uploads: { accepted: number; rejectedByReason: Record<string, number> };
      roundsClosed: Record<string, number>;
    };
    expect(summary.uploads.accepted).toBeGreaterThanOrEqual(3);
    expect(summary.uploads.rejectedByReason.OUT_OF_RANGE).toBeGreaterThanOrEqual(1);
    expect(summary.roundsClosed.released).toBeGreaterThanOrEqual(1);
  });

  it('POST /v1/admin/quality and GET /v1/quality', async () => {
    const post = await operator(server, '/v1/admin/quality', {
      method: 'POST',
      body: JSON.stringify([
        { round: 1, metric: 'ndcg@10', value: 0.31 },
        { round: 2, metric: 'recall@10', value: 0.4 },
      ]),
    });
    expect(post.status).toBe(202);
    const bad = await operator(server, '/v1/admin/quality', {
      method: 'POST',
      body: JSON.stringify({ round: 1, metric: 'x', value: 'high' }),
    });
    expect(bad.status).toBe(400);
    const inf = await operator(server, '/v1/admin/quality', {
      method: 'POST',
      body: '{"round":-1,"metric":"x","value":1}',
    });
    expect(inf.status).toBe(422);
    const got = (await (await operator(server, '/v1/quality?metric=ndcg@10')).json()) as {
      points: Array<{ round: number; value: number }>;
    };
    expect(got.points.map((p) => [p.round, p.value])).toEqual([[1, 0.31]]);
  });
});

describe('dashboard files', () => {
  it('redirects /dashboard, serves files without auth, refuses traversal', async () => {
    const root = await call(server, '/dashboard');
    expect(root.status).toBe(308);
    expect(root.headers.get('location')).toBe('/dashboard/');
    const index = await call(server, '/dashboard/');
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('PrivAds operator');
    const js = await call(server, '/dashboard/assets/app.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await call(server, '/dashboard/../package.json')).status).toBe(404);
    expect((await call(server, '/dashboard/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await call(server, '/dashboard/missing.css')).status).toBe(404);
  });
});

describe('node:http adapter', () => {
  it('serves the same app on a port, answers 413 from Content-Length before the body is sent, and rate-limits by address', async () => {
    const { server: s, dispose: d } = await smallServer();
    try {
      const { url } = await s.listen(0);
      const ok = await fetch(`${url}/healthz`);
      expect(ok.status).toBe(200);
      const round = (await (await fetch(`${url}/v1/round`)).json()) as Parameters<typeof upload>[0];
      expect(
        (
          await fetch(`${url}/v1/rounds/1/updates`, {
            method: 'POST',
            body: asBody(upload(round, vectorWithNorm(0.3))),
          })
        ).status,
      ).toBe(202);
      // Declare 10 MB, send 10 bytes, never finish: the answer must come without the rest of the body.
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(`${url}/v1/rounds/1/updates`);
        const req = httpRequest(
          {
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: 'POST',
            headers: { 'Content-Length': String(10_000_000) },
          },
          (res) => {
            resolve(res.statusCode ?? 0);
            res.resume();
            req.destroy();
          },
        );
        req.on('error', reject);
        req.write(Buffer.alloc(10));
      });
      expect(status).toBe(413);
      // Chunked (no Content-Length) oversize body: refused once the count passes the cap.
      const chunked = await fetch(`${url}/v1/rounds/1/updates`, {
        method: 'POST',
        body: new ReadableStream({
          pull(c) {
            c.enqueue(new Uint8Array(1024));
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(chunked?.status).toBe(413);
      expect((await s.store.roundTotals(1))?.count).toBe(1);
      let last = 0;
      for (let i = 0; i < 8; i++)
        last = (
          await fetch(`${url}/v1/rounds/1/updates`, { method: 'POST', body: new Uint8Array(4) })
        ).status;
      expect(last).toBe(429);
    } finally {
      await d();
    }
  });
});
