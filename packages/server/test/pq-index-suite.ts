/**
 * The PQ index as a server keeps and serves it, run against every store (embedded in
 * pq-index.test.ts, PostgreSQL in postgres.test.ts): built at import above the size threshold,
 * committed with its catalog version, announced by the catalog response, served whole and
 * cacheable, and rebuilt from the new vectors when a round re-projects the catalog.
 */
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { trainProductQuantizer } from '@privads/model';
import {
  decodeCatalogBundle,
  decodePqIndex,
  encodePqIndex,
  type DecodedCatalogBundle,
} from '@privads/protocol';
import type { ConfigOverrides, PrivAdsServer } from '@privads/server';

import { withServer, type ServerFactory } from './behaviour-suite.js';
import {
  call,
  operator,
  openRound,
  postUpload,
  SMALL_CONFIG,
  upload,
  vectorWithNorm,
} from './helpers.js';

/**
 * SMALL_CONFIG (user dimension 4) with an index for catalogs of at least 5 ads (one stage of 2
 * sub-spaces), and f32 rows in the bundle.
 */
export const PQ_CONFIG: ConfigOverrides = {
  ...SMALL_CONFIG,
  catalog: { projectedEncoding: 'f32', pqIndex: { minAds: 5, stages: [2] } },
};

/** `count` ads as the operator endpoint takes them (JSON lines). */
export function adsJsonl(count: number, prefix = 'ad'): string {
  const words = ['bike', 'tea', 'shoes', 'phone', 'garden', 'piano', 'train', 'cheese'];
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `${prefix}-${i}`,
      title: `${words[i % words.length]} ${i}`,
      text: `${words[i % words.length]} ${words[(i * 3) % words.length]} number ${i}`,
      url: `https://shop.example/${prefix}/${i}`,
      advertiser: `adv-${i % 3}`,
      category: 'misc',
    }),
  ).join('\n');
}

/**
 * Publishes a catalog through the operator API.
 * @returns the new version
 */
export async function postCatalog(server: PrivAdsServer, jsonl: string): Promise<number> {
  const r = await operator(server, '/v1/admin/catalog', {
    method: 'POST',
    body: jsonl,
    headers: { 'Content-Type': 'application/x-ndjson' },
  });
  expect(r.status).toBe(201);
  return Number((r.headers.get('location') ?? '').split('/').at(-1));
}

/**
 * The index the server must have built for a bundle: training is seeded, so the same vectors give
 * the same bytes (PQ_CONFIG ships f32 rows, so the bundle holds exactly the vectors that were coded).
 */
function expectedIndex(bundle: DecodedCatalogBundle, stages: readonly number[]): Uint8Array {
  const { header, projected } = bundle;
  if (projected.encoding !== 'f32') throw new Error('PQ_CONFIG publishes f32 rows');
  return encodePqIndex({
    ...trainProductQuantizer(projected.values, header.userDim, { stages }),
    catalogVersion: header.catalogVersion,
    projectorVersion: header.projectorVersion,
  });
}

async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Registers the suite.
 * @param name - store name for the describe block
 * @param factory - fresh server per test, configured with {@link PQ_CONFIG} and a test encoder
 */
export function pqIndexSuite(name: string, factory: ServerFactory): void {
  describe(`PQ index (${name} store)`, () => {
    it('a catalog below the threshold has none: no announcement, 404', async () => {
      await withServer(factory, async (server) => {
        const version = await postCatalog(server, adsJsonl(4));
        const catalog = await call(server, `/v1/catalog/${version}`);
        expect(catalog.status).toBe(200);
        expect(catalog.headers.get('privads-pq-index')).toBeNull();
        expect((await server.store.latest('catalog'))?.pqIndex).toBeUndefined();
        const r = await call(server, `/v1/catalog/${version}/pq-index`);
        expect(r.status).toBe(404);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
        expect((await call(server, '/v1/catalog/99/pq-index')).status).toBe(404);
        expect((await call(server, '/v1/catalog/x/pq-index')).status).toBe(404);
      });
    });

    it('is built at import, announced, served whole, cacheable, gzip only when accepted', async () => {
      await withServer(factory, async (server) => {
        const version = await postCatalog(server, adsJsonl(12));
        const info = await server.store.latest('catalog');
        expect(info?.pqIndex).toMatchObject({ stages: [2] });
        const path = `/v1/catalog/${version}/pq-index`;
        for (const catalogPath of [`/v1/catalog/${version}`, '/v1/catalog/latest']) {
          const catalog = await call(server, catalogPath);
          expect(catalog.headers.get('privads-pq-index')).toBe(path);
          expect(catalog.headers.get('access-control-expose-headers')).toContain(
            'PrivAds-PQ-Index',
          );
        }
        const r = await call(server, path);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/vnd.privads.pq-index');
        expect(r.headers.get('cache-control')).toContain('immutable');
        expect(r.headers.get('etag')).toBe(info?.pqIndex?.etag);
        expect(r.headers.get('vary')).toBe('Accept-Encoding');
        expect(r.headers.get('content-encoding')).toBeNull();
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        const bytes = await bytesOf(r);
        expect(bytes.byteLength).toBe(info?.pqIndex?.byteLength);
        const index = decodePqIndex(bytes);
        expect(index).toMatchObject({ catalogVersion: version, projectorVersion: 1, count: 12 });
        const bundle = decodeCatalogBundle(
          await bytesOf(await call(server, `/v1/catalog/${version}`)),
        );
        expect(bytes).toEqual(expectedIndex(bundle, [2]));

        // The same bytes whatever the request says: no shard, range or query is honoured.
        for (const variant of [`${path}?shard=3`, `${path}?interest=sport`]) {
          expect(await bytesOf(await call(server, variant))).toEqual(bytes);
        }
        const ranged = await call(server, path, { headers: { Range: 'bytes=0-99' } });
        expect(ranged.status).toBe(200);
        expect((await bytesOf(ranged)).byteLength).toBe(bytes.byteLength);

        const etag = r.headers.get('etag') as string;
        const again = await call(server, path, { headers: { 'If-None-Match': etag } });
        expect(again.status).toBe(304);
        const head = await call(server, path, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(await head.arrayBuffer()).toHaveProperty('byteLength', 0);

        const zipped = await call(server, path, { headers: { 'Accept-Encoding': 'gzip, br' } });
        expect(zipped.status).toBe(200);
        // A small index is mostly header and centroids, which compress.
        expect(zipped.headers.get('content-encoding')).toBe('gzip');
        const body = await bytesOf(zipped);
        expect(body.byteLength).toBeLessThan(bytes.byteLength);
        expect(new Uint8Array(gunzipSync(body))).toEqual(bytes);
        expect(zipped.headers.get('etag')).not.toBe(etag);
        const zippedAgain = await call(server, path, {
          headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': zipped.headers.get('etag') ?? '' },
        });
        expect(zippedAgain.status).toBe(304);
        const refused = await call(server, path, { headers: { 'Accept-Encoding': 'gzip;q=0' } });
        expect(refused.headers.get('content-encoding')).toBeNull();
      });
    });

    it('a round that re-projects the catalog rebuilds the index from the new vectors', async () => {
      await withServer(factory, async (server) => {
        const first = await postCatalog(server, adsJsonl(10));
        const before = await bytesOf(await call(server, `/v1/catalog/${first}/pq-index`));
        const round = await openRound(server);
        for (const seed of [1, 2]) {
          const r = await postUpload(
            server,
            round.roundId,
            upload(round, vectorWithNorm(0.9, seed)),
          );
          expect(r.status).toBe(202);
        }
        expect((await operator(server, '/v1/admin/rounds/close', { method: 'POST' })).status).toBe(
          200,
        );
        const info = await server.store.latest('catalog');
        expect(info).toMatchObject({ version: first + 1, projectorVersion: 2 });
        expect(info?.pqIndex?.stages).toEqual([2]);
        const path = `/v1/catalog/${first + 1}/pq-index`;
        expect(
          (await call(server, `/v1/catalog/${first + 1}`)).headers.get('privads-pq-index'),
        ).toBe(path);
        const after = await bytesOf(await call(server, path));
        expect(decodePqIndex(after)).toMatchObject({
          catalogVersion: first + 1,
          projectorVersion: 2,
          count: 10,
        });
        const bundle = decodeCatalogBundle(
          await bytesOf(await call(server, `/v1/catalog/${first + 1}`)),
        );
        expect(after).toEqual(expectedIndex(bundle, [2]));
        expect(after).not.toEqual(before);
        // The older version keeps its own index, unchanged.
        expect(await bytesOf(await call(server, `/v1/catalog/${first}/pq-index`))).toEqual(before);
      });
    });
  });
}
