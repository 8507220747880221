/**
 * Product-quantised content (`pq8`) as the server publishes it: chosen when f16 rows would not fit
 * the readers' decode limit, trained in a worker thread at import, projected from the very
 * reconstructions the bundle carries, and kept code for code when a round re-projects the catalog.
 */
import { describe, expect, it } from 'vitest';

import type { ContentEncoder } from '@privads/encoder';
import { trainContentQuantizer } from '@privads/model';
import { contentRows, decodeCatalogBundle, ProtocolError } from '@privads/protocol';
import { resolveConfig, type ConfigOverrides } from '@privads/server';

import { chooseContentShape } from '../src/catalog/content-codes.js';
import { projectWithParameters } from '../src/catalog/project.js';
import { decodeProjectorFile } from '@privads/model';
import {
  call,
  operator,
  openRound,
  postUpload,
  SMALL_CONFIG,
  smallServer,
  upload,
  vectorWithNorm,
} from './helpers.js';
import { adsJsonl, postCatalog } from './pq-index-suite.js';

const PQ8_CONFIG: ConfigOverrides = {
  ...SMALL_CONFIG,
  catalog: { projectedEncoding: 'f32', contentEncoding: 'pq8', contentSubspaces: 2 },
};

/** Distinct unit vectors per text (seeded by its hash), so that 300 ads need more than 256 centroids. */
const scatterEncoder: ContentEncoder = {
  id: 'test-scatter-8',
  dim: 8,
  async encode(texts) {
    const out = new Float32Array(texts.length * 8);
    texts.forEach((text, r) => {
      let state = 2166136261;
      for (let i = 0; i < text.length; i++) state = Math.imul(state ^ text.charCodeAt(i), 16777619);
      let norm = 0;
      for (let j = 0; j < 8; j++) {
        state = Math.imul(state ^ (state >>> 15), 2246822507) >>> 0;
        const x = state / 2 ** 32 - 0.5;
        out[r * 8 + j] = x;
        norm += x * x;
      }
      for (let j = 0; j < 8; j++) out[r * 8 + j] = (out[r * 8 + j] as number) / Math.sqrt(norm);
    });
    return out;
  },
  async dispose() {},
};

const bytesOf = async (r: Response): Promise<Uint8Array> => new Uint8Array(await r.arrayBuffer());

describe('content encoding choice', () => {
  // 4096-d content: 8 KB of f16 per ad, so 70,000 ads are 573 MB of content rows alone.
  const heavy = { count: 70_000, userDim: 8, contentDim: 4096, adsByteLength: 7_000_000 };

  it('auto keeps f16 rows while the bundle fits, and codes them when it would not', () => {
    const auto = { contentEncoding: 'auto', contentSubspaces: 'auto' } as const;
    expect(chooseContentShape({ ...heavy, count: 50_000 }, auto)).toEqual({
      contentEncoding: 'f16',
    });
    // The finest coding that fits: 2 dimensions a byte.
    expect(chooseContentShape(heavy, auto)).toEqual({
      contentEncoding: 'pq8',
      contentSubspaces: 2048,
    });
    // At 250,000 ads, 2,048 bytes an ad would not fit (2,168 with the rest, over 512 MiB); 1,024 do.
    const more = { ...heavy, count: 250_000, adsByteLength: 25_000_000 };
    expect(chooseContentShape(more, auto)).toEqual({
      contentEncoding: 'pq8',
      contentSubspaces: 1024,
    });
  });

  it('refuses with OVERSIZE what fits in neither encoding, or not in the one configured', () => {
    const refusal = (run: () => unknown): ProtocolError => {
      try {
        run();
      } catch (error) {
        return error as ProtocolError;
      }
      throw new Error('not refused');
    };
    const f16 = refusal(() =>
      chooseContentShape(heavy, { contentEncoding: 'f16', contentSubspaces: 'auto' }),
    );
    expect(f16).toBeInstanceOf(ProtocolError);
    expect(f16.code).toBe('OVERSIZE');
    const fine = refusal(() =>
      chooseContentShape(
        { ...heavy, count: 250_000, adsByteLength: 25_000_000 },
        { contentEncoding: 'pq8', contentSubspaces: 2048 },
      ),
    );
    expect(fine.code).toBe('OVERSIZE');
    expect(fine.message).toMatch(/coded in 2048 bytes/);
    const neither = refusal(() =>
      chooseContentShape(
        { ...heavy, count: 1_000_000 },
        { contentEncoding: 'auto', contentSubspaces: 4096 },
      ),
    );
    expect(neither.code).toBe('OVERSIZE');
    expect(neither.message).toMatch(/coded in 4096 bytes/);
  });

  it('rejects content settings that name no encoding or do not divide the content dimension', () => {
    expect(() => resolveConfig({ catalog: { contentEncoding: 'int4' as 'pq8' } })).toThrow(
      /catalog.contentEncoding must be one of auto, f16, pq8/,
    );
    expect(() => resolveConfig({ catalog: { contentSubspaces: 7 } })).toThrow(
      /catalog.contentSubspaces must be 'auto' or an integer dividing projector.contentDim 384, got 7/,
    );
    expect(resolveConfig({ catalog: { contentSubspaces: 96 } }).catalog.contentSubspaces).toBe(96);
  });
});

describe('pq8 content through the server', () => {
  it('publishes codes trained on the encoder output, projects their reconstructions, and a round keeps the codes', async () => {
    const { server, dispose } = await smallServer({ config: PQ8_CONFIG, encoder: scatterEncoder });
    try {
      // More ads than centroids, so that the codes are lossy.
      const jsonl = adsJsonl(300);
      const first = await postCatalog(server, jsonl);
      const bundle = decodeCatalogBundle(await bytesOf(await call(server, `/v1/catalog/${first}`)));
      expect(bundle.header).toMatchObject({ contentEncoding: 'pq8', contentSubspaces: 2 });
      const texts = jsonl.split('\n').map((line) => {
        const ad = JSON.parse(line) as { title: string; text: string };
        return `${ad.title}\n${ad.text}`;
      });
      const exact = await scatterEncoder.encode(texts);
      // Training is seeded: the server's worker thread gives what the model's function gives.
      const expected = trainContentQuantizer(exact, 8, { subspaces: 2 });
      expect(bundle.content).toEqual(expected);
      const all = Array.from({ length: 300 }, (_, i) => i);
      const reconstructed = contentRows(bundle.content, 8, all);
      expect(reconstructed).not.toEqual(exact);

      // The projected rows are the projector's image of the reconstructions, not of the exact rows.
      const projector = await server.store.readVersion('projector', 1);
      if (projector === undefined) throw new Error('no projector 1');
      const file = decodeProjectorFile(projector.bytes);
      const fromCodes = await projectWithParameters(
        file.spec,
        file.parameters,
        bundle.content,
        300,
      );
      if (bundle.projected.encoding !== 'f32') throw new Error('PQ8_CONFIG publishes f32 rows');
      expect(bundle.projected.values).toEqual(fromCodes);

      const round = await openRound(server);
      for (const seed of [1, 2]) {
        const r = await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.9, seed)));
        expect(r.status).toBe(202);
      }
      expect((await operator(server, '/v1/admin/rounds/close', { method: 'POST' })).status).toBe(
        200,
      );
      const next = decodeCatalogBundle(
        await bytesOf(await call(server, `/v1/catalog/${first + 1}`)),
      );
      expect(next.header).toMatchObject({ projectorVersion: 2, contentEncoding: 'pq8' });
      expect(next.content).toEqual(bundle.content);
      expect(next.projected).not.toEqual(bundle.projected);
    } finally {
      await dispose();
    }
  });
});
