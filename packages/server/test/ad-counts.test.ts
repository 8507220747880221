import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createSeededRandomSource } from '@privads/dp';
import { privatizeRoundUpdate } from '@privads/model/round-upload';
import {
  decodeAggregateRelease,
  decodeCatalogBundle,
  decodeSafetensors,
  parseRoundConfig,
  updateNormBound,
  type RoundConfig,
} from '@privads/protocol';
import { pullReleases, type PrivAdsServer } from '@privads/server';

import {
  BASE,
  SMALL_CONFIG,
  TOKEN,
  call,
  hashEncoder,
  operator,
  openRound,
  postUpload,
  smallServer,
  upload,
  vectorWithNorm,
} from './helpers.js';

const ADS = ['a1', 'a2', 'a3'].map((id, i) => ({
  id,
  title: `Ad ${i}`,
  text: 'x'.repeat(i + 1),
  url: `https://shop.example/${id}`,
  advertiser: i === 2 ? '=cmd' : 'Shop, Inc.',
  category: 'misc',
}));

const COUNTS = { maxImpressions: 4, maxClicks: 2, normShare: 0.5 };

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => {
  await dispose?.();
  dispose = undefined;
});

async function serverWithCatalog(
  privacy: NonNullable<typeof SMALL_CONFIG.round>['privacy'],
): Promise<{ server: PrivAdsServer; round: RoundConfig }> {
  const made = await smallServer({
    encoder: hashEncoder,
    noiseSource: createSeededRandomSource(5),
    config: {
      ...SMALL_CONFIG,
      round: { ...SMALL_CONFIG.round, privacy, counts: COUNTS },
      catalog: { projectedEncoding: 'f32', popularity: { weight: 0.2, smoothing: 1 } },
    } as typeof SMALL_CONFIG,
  });
  dispose = made.dispose;
  const { server } = made;
  const posted = await operator(server, '/v1/admin/catalog', {
    method: 'POST',
    body: ADS.map((a) => JSON.stringify(a)).join('\n'),
  });
  expect(posted.status).toBe(201);
  // The round open at import time counts nothing; the next one counts catalog 1's ads.
  const first = await openRound(server);
  expect(first.counts).toBeUndefined();
  expect((await operator(server, '/v1/admin/rounds/close', { method: 'POST' })).status).toBe(200);
  return { server, round: parseRoundConfig(await openRound(server)) };
}

describe('per-ad counts', () => {
  it('are asked for in the round config with their bound, and priced with the gradient', async () => {
    const { round } = await serverWithCatalog({ mode: 'none' });
    expect(round.counts).toMatchObject({ adCount: 3, maxImpressions: 4, maxClicks: 2 });
    // s·√(i² + c²) = normShare · C.
    expect(updateNormBound(round)).toBeCloseTo(Math.hypot(1, 0.5), 12);
  });

  it('come back exactly in a release without noise, in the aggregate, as CSV and as safetensors', async () => {
    const { server, round } = await serverWithCatalog({ mode: 'none' });
    const devices = [
      { impressions: [3, 1, 0], clicks: [1, 0, 0] },
      { impressions: [9, 0, 3], clicks: [0, 5, 1] }, // over both bounds: scaled down on the device
    ];
    for (const [i, counts] of devices.entries()) {
      const body = privatizeRoundUpdate(round, vectorWithNorm(0.5, i + 1), {
        encoding: 'f32',
        counts,
      }).body;
      expect((await postUpload(server, round.roundId, body)).status).toBe(202);
    }
    expect((await operator(server, '/v1/admin/rounds/close', { method: 'POST' })).status).toBe(200);

    const release = decodeAggregateRelease(
      new Uint8Array(
        await (await operator(server, `/v1/rounds/${round.roundId}/aggregate`)).arrayBuffer(),
      ),
    );
    // Device 2: 12 impressions bounded to 4 as 3:0:1, 6 clicks bounded to 2 as 0:2:0 (largest remainders).
    expect(Array.from(release.counts?.impressions ?? [])).toEqual([6, 1, 1]);
    expect(Array.from(release.counts?.clicks ?? [])).toEqual([1, 2, 0]);
    expect(release.metadata.counts).toMatchObject({ catalogVersion: 1, adCount: 3, sigma: 0 });

    const csv = await (await operator(server, `/v1/rounds/${round.roundId}/counts`)).text();
    expect(csv.split('\r\n')).toEqual([
      'round_id,catalog_version,ad_id,advertiser,impressions,clicks,sigma',
      `${round.roundId},1,a1,"Shop, Inc.",6,1,0`,
      `${round.roundId},1,a2,"Shop, Inc.",1,2,0`,
      `${round.roundId},1,a3,'=cmd,1,0,0`,
      '',
    ]);
    const st = decodeSafetensors(
      new Uint8Array(
        await (
          await operator(server, `/v1/rounds/${round.roundId}/counts?format=safetensors`)
        ).arrayBuffer(),
      ),
    );
    expect(Array.from(st.tensors.clicks?.data as Float32Array)).toEqual([1, 2, 0]);
    expect(JSON.parse(st.metadata.adIds ?? '[]')).toEqual(['a1', 'a2', 'a3']);
    expect((await operator(server, `/v1/rounds/${round.roundId}/counts?format=xml`)).status).toBe(
      422,
    );
    expect((await call(server, `/v1/rounds/${round.roundId}/counts`)).status).toBe(401);
    const json = (await (
      await operator(server, `/v1/rounds/${round.roundId}/counts?format=json`)
    ).json()) as { ads: { id: string; clicks: number }[]; counts: { sigma: number } };
    expect(json.ads.map((a) => [a.id, a.clicks])).toEqual([
      ['a1', 1],
      ['a2', 2],
      ['a3', 0],
    ]);

    // `privads-server pull` writes the counts CSV next to the release.
    const out = await mkdtemp(join(tmpdir(), 'privads-pull-'));
    try {
      const pulled = await pullReleases({
        url: BASE,
        token: TOKEN,
        out,
        fetch: (request) => server.fetch(request),
      });
      const mine = pulled.find((p) => p.roundId === round.roundId);
      expect(mine?.countsCsv).toBe(join(out, `round-${round.roundId}-counts.csv`));
      expect(await readFile(mine?.countsCsv ?? '', 'utf8')).toBe(csv);
    } finally {
      await rm(out, { recursive: true, force: true });
    }

    // The next catalog carries the running totals, so browsers rank with the prior at no extra request.
    const bundle = decodeCatalogBundle(
      new Uint8Array(await (await call(server, '/v1/catalog/latest')).arrayBuffer()),
    );
    expect(Array.from(bundle.popularity?.clicks ?? [])).toEqual([1, 2, 0]);
    expect(bundle.popularity).toMatchObject({ weight: 0.2, smoothing: 1, rounds: 1 });

    // A new import keeps the totals of the ads whose id persists; a new ad starts from zero.
    const reimported = [ADS[2]!, { ...ADS[0]!, id: 'a4' }, ADS[0]!];
    expect(
      (
        await operator(server, '/v1/admin/catalog', {
          method: 'POST',
          body: reimported.map((a) => JSON.stringify(a)).join('\n'),
        })
      ).status,
    ).toBe(201);
    const next = decodeCatalogBundle(
      new Uint8Array(await (await call(server, '/v1/catalog/latest')).arrayBuffer()),
    );
    expect(next.ads.map((ad) => ad.id)).toEqual(['a3', 'a4', 'a1']);
    expect(Array.from(next.popularity?.clicks ?? [])).toEqual([0, 0, 1]);
    expect(Array.from(next.popularity?.impressions ?? [])).toEqual([1, 0, 6]);
    expect(next.popularity).toMatchObject({ weight: 0.2, smoothing: 1, rounds: 1, sigma: 0 });
    // No id in common: nothing to carry, the bundle has no popularity section.
    expect(
      (
        await operator(server, '/v1/admin/catalog', {
          method: 'POST',
          body: JSON.stringify({ ...ADS[1]!, id: 'b1' }),
        })
      ).status,
    ).toBe(201);
    const fresh = decodeCatalogBundle(
      new Uint8Array(await (await call(server, '/v1/catalog/latest')).arrayBuffer()),
    );
    expect(fresh.popularity).toBeUndefined();
  });

  it('in central mode are noised with the gradient, and the ledger shows both shares of ρ', async () => {
    const { server, round } = await serverWithCatalog({
      mode: 'central',
      noiseMultiplier: 2,
      delta: 1e-6,
    });
    for (let i = 0; i < 3; i++) {
      const body = privatizeRoundUpdate(round, vectorWithNorm(0.5, i + 1), {
        encoding: 'f32',
        counts: { impressions: [2, 1, 1], clicks: [1, 0, 0] },
      }).body;
      expect((await postUpload(server, round.roundId, body)).status).toBe(202);
    }
    await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
    const release = decodeAggregateRelease(
      new Uint8Array(
        await (await operator(server, `/v1/rounds/${round.roundId}/aggregate`)).arrayBuffer(),
      ),
    );
    const s = round.counts?.scale ?? 0;
    // σ of a count = z·C/s.
    expect(release.metadata.counts?.sigma).toBeCloseTo(2 / s, 9);
    const { entries } = (await (await operator(server, '/v1/privacy/ledger')).json()) as {
      entries: Array<{ rho: number; counts?: { rho: number; gradientRho: number } }>;
    };
    const last = entries[entries.length - 1];
    // ρ = (1 + normShare²)/(2z²): the gradient's 1/(2z²) plus the counts' normShare²/(2z²).
    expect(last?.counts?.gradientRho).toBeCloseTo(1 / 8, 12);
    expect(last?.counts?.rho).toBeCloseTo(0.25 / 8, 12);
    expect(last?.rho).toBeCloseTo(1.25 / 8, 12);
  });

  it('refuses an upload of the gradient alone once the round counts ads', async () => {
    const { server, round } = await serverWithCatalog({ mode: 'none' });
    const r = await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.5)));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('DIM_MISMATCH');
  });
});
