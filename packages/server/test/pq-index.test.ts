import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { trainProductQuantizer } from '@privads/model';
import { decodePqIndex, encodePqIndex } from '@privads/protocol';
import { buildPqIndex, createPrivAdsServer, resolveConfig } from '@privads/server';

import { gzipVariant } from '../src/http/gzip-variant.js';

import { call, hashEncoder, operator, smallServer, tempDir, TOKEN } from './helpers.js';
import { adsJsonl, postCatalog, PQ_CONFIG, pqIndexSuite } from './pq-index-suite.js';

pqIndexSuite('embedded', () => smallServer({ encoder: hashEncoder, config: PQ_CONFIG }));

describe('PQ index in the embedded store', () => {
  it('survives a restart with its catalog version (written before the record that announces it)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const options = {
        store: { kind: 'embedded', dataDir: dir } as const,
        operatorToken: TOKEN,
        config: PQ_CONFIG,
        encoder: hashEncoder,
      };
      const first = await createPrivAdsServer(options);
      const version = await postCatalog(first, adsJsonl(8));
      const bytes = new Uint8Array(
        await (await call(first, `/v1/catalog/${version}/pq-index`)).arrayBuffer(),
      );
      await first.close();
      const second = await createPrivAdsServer(options);
      try {
        const r = await call(second, `/v1/catalog/${version}/pq-index`);
        expect(r.status).toBe(200);
        const again = new Uint8Array(await r.arrayBuffer());
        expect(again).toEqual(bytes);
        expect(decodePqIndex(again).catalogVersion).toBe(version);
      } finally {
        await second.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('serves no gzip variant of bytes that do not compress', async () => {
    const noise = new Uint8Array(randomBytes(4096));
    expect(await gzipVariant(noise, '"noise"')).toBeUndefined();
    const text = new TextEncoder().encode('PRVPQIDX'.repeat(512));
    expect((await gzipVariant(text, '"text"'))?.etag).toBe('"text-gzip"');
  });

  it('refuses odd stages or bad partitions in the configuration, and stages that do not divide the dimension at import', async () => {
    await expect(
      smallServer({
        encoder: hashEncoder,
        config: { ...PQ_CONFIG, catalog: { pqIndex: { minAds: 5, stages: [3] } } },
      }),
    ).rejects.toThrow(/catalog\.pqIndex\.stages/);
    await expect(
      smallServer({
        encoder: hashEncoder,
        config: { ...PQ_CONFIG, catalog: { pqIndex: { minAds: 5, stages: [2], partitions: -1 } } },
      }),
    ).rejects.toThrow(/catalog\.pqIndex\.partitions/);
    // Fields left out of an override keep their defaults, one by one.
    expect(resolveConfig({ catalog: { pqIndex: { minAds: 5 } } }).catalog.pqIndex).toEqual({
      minAds: 5,
      stages: [32, 32, 8],
      partitions: 'auto',
    });
    const { server, dispose } = await smallServer({
      encoder: hashEncoder,
      config: { ...PQ_CONFIG, catalog: { pqIndex: { minAds: 5, stages: [8] } } },
    });
    try {
      const r = await operator(server, '/v1/admin/catalog', {
        method: 'POST',
        body: adsJsonl(6),
        headers: { 'Content-Type': 'application/x-ndjson' },
      });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(await server.store.latest('catalog')).toBeUndefined();
    } finally {
      await dispose();
    }
  });
});

describe('buildPqIndex', () => {
  const dim = 16;
  const count = 6000;
  const vectors = Float32Array.from({ length: count * dim }, (_, i) => Math.sin(i * 12.9898) % 1);
  const versions = { catalogVersion: 4, projectorVersion: 2 };

  it('codes in a worker thread: the event loop keeps turning, and the bytes are the in-thread ones', async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 1);
    const progress: number[][] = [];
    try {
      const built = await buildPqIndex(vectors, dim, versions, {
        stages: [8, 8],
        partitions: 4,
        onProgress: (done, total) => progress.push([done, total]),
      });
      // Coded on this thread, no timer could fire before the promise settled.
      expect(turns).toBeGreaterThan(0);
      const direct = encodePqIndex({
        ...trainProductQuantizer(vectors, dim, { stages: [8, 8], partitions: 4 }),
        ...versions,
      });
      expect(Buffer.from(built.bytes).equals(Buffer.from(direct))).toBe(true);
      expect(built.stages).toEqual([8, 8]);
      expect(decodePqIndex(built.bytes).partitions?.assignment.length).toBe(count);
      expect(progress.at(-1)).toEqual([progress[0]![1], progress[0]![1]]);
    } finally {
      clearInterval(timer);
    }
  });

  it('rejects what the quantizer refuses with its RangeError, and leaves the caller its vectors', async () => {
    await expect(
      buildPqIndex(vectors, dim, versions, { stages: [3], partitions: 'auto' }),
    ).rejects.toThrow(RangeError);
    await expect(
      buildPqIndex(vectors, dim, versions, { stages: [8], partitions: 1.5 }),
    ).rejects.toThrow(/partitions/);
    expect(vectors.length).toBe(count * dim);
  });
});
