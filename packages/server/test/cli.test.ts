import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  contentRows,
  decodeCatalogBundle,
  decodePqIndex,
  decodeSafetensors,
} from '@privads/protocol';
import { createPrivAdsServer, runServerCli, type ServerCliIo } from '@privads/server';

import {
  openRound,
  operator,
  postUpload,
  smallServer,
  tempDir,
  TOKEN,
  upload,
  vectorWithNorm,
} from './helpers.js';

function io(): ServerCliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env: {} };
}

describe('privads-server CLI', () => {
  it('prints usage and exits 2 for an unknown command or missing arguments, 1 for a bad value', async () => {
    const a = io();
    expect((await runServerCli(['frobnicate'], a)).code).toBe(2);
    expect(a.errors.join('\n')).toContain('usage:');
    const b = io();
    expect((await runServerCli(['pull', '--url', 'http://x'], b)).code).toBe(2);
    const c = io();
    const args = ['catalog', 'import', 'ads.jsonl', '--data', 'unused', '--pq-partitions'];
    expect((await runServerCli([...args, 'many'], c)).code).toBe(1);
    expect(c.errors.join('\n')).toContain('--pq-partitions must be auto or an integer');
    const d = io();
    const content = ['catalog', 'import', 'ads.jsonl', '--data', 'unused', '--content-encoding'];
    expect((await runServerCli([...content, 'int4'], d)).code).toBe(1);
    expect(d.errors.join('\n')).toContain('--content-encoding must be auto, f16 or pq8, got int4');
    const e = io();
    expect((await runServerCli([...content, 'pq8', '--content-subspaces', 'half'], e)).code).toBe(
      1,
    );
    expect(e.errors.join('\n')).toContain('--content-subspaces must be auto or an integer');
  });

  it('pull writes .safetensors + .json for every released round after --since', async () => {
    const { server, dispose } = await smallServer();
    const { dir, cleanup } = await tempDir();
    try {
      for (let r = 0; r < 3; r++) {
        const round = await openRound(server);
        // Round 2 gets one upload only: below k_min, nothing released.
        for (const seed of r === 1 ? [1] : [1, 2])
          await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.5, seed)));
        await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
      }
      const { url } = await server.listen(0);
      const out = io();
      const result = await runServerCli(
        ['pull', '--url', url, '--token', TOKEN, '--since', '0', '--out', dir],
        out,
      );
      expect(out.errors).toEqual([]);
      expect(result.code).toBe(0);
      expect((await readdir(dir)).sort()).toEqual([
        'round-1.json',
        'round-1.safetensors',
        'round-3.json',
        'round-3.safetensors',
      ]);
      const st = decodeSafetensors(
        new Uint8Array(await readFile(join(dir, 'round-3.safetensors'))),
      );
      expect(st.tensors.update?.data.length).toBe(36);
      const meta = JSON.parse(await readFile(join(dir, 'round-3.json'), 'utf8')) as {
        release: { roundId: number; cohortSize: number };
      };
      expect(meta.release).toMatchObject({ roundId: 3, cohortSize: 2 });
      const since = io();
      const { dir: dir2, cleanup: cleanup2 } = await tempDir();
      await runServerCli(
        ['pull', '--url', url, '--token', TOKEN, '--since', '1', '--out', dir2],
        since,
      );
      expect((await readdir(dir2)).sort()).toEqual(['round-3.json', 'round-3.safetensors']);
      await cleanup2();
      const denied = io();
      expect(
        (
          await runServerCli(
            ['pull', '--url', url, '--token', 'wrong-token-wrong-token', '--out', dir],
            denied,
          )
        ).code,
      ).toBe(1);
      expect(denied.errors.join('\n')).toContain('not valid');
    } finally {
      await dispose();
      await cleanup();
    }
  });

  it('catalog import encodes a small JSONL with the real default encoder, codes its content as asked, publishes a catalog the server serves, and builds its PQ index', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = join(dir, 'ads.jsonl');
      const ads = [
        {
          id: 'bike-1',
          title: 'City bike',
          text: 'A light commuter bicycle with gears',
          url: 'https://bikes.example/1',
          advertiser: 'Bikes',
          category: 'sport',
        },
        {
          id: 'tea-1',
          title: 'Green tea',
          text: 'Organic loose leaf tea from Japan',
          url: 'https://tea.example/1',
          advertiser: 'Tea',
          category: 'food',
        },
        {
          id: 'bike-2',
          title: 'Mountain bike',
          text: 'Full suspension bicycle for trails',
          url: 'https://bikes.example/2',
          advertiser: 'Bikes',
          category: 'sport',
          image: 'https://bikes.example/2.jpg',
        },
      ];
      await writeFile(file, `${ads.map((a) => JSON.stringify(a)).join('\n')}\n`);
      const out = io();
      const result = await runServerCli(
        [
          ...['catalog', 'import', file, '--data', join(dir, 'store')],
          ...['--pq-index', '--pq-stages', '32,16', '--pq-partitions', '2'],
          ...['--content-encoding', 'pq8', '--content-subspaces', '96'],
        ],
        out,
      );
      // Without a terminal the progress bar writes one line per stage and tenth, ending at 100 %.
      expect(out.errors.length).toBeGreaterThan(0);
      for (const line of out.errors)
        expect(line).toMatch(/^(content codes|pq index) \d+% \(\d+s\)$/);
      expect(out.errors.find((line) => line.startsWith('content codes 100%'))).toBeDefined();
      expect(out.errors.at(-1)).toMatch(/^pq index 100%/);
      expect(result.code).toBe(0);
      const printed = JSON.parse(out.lines[0] as string) as { pqIndex?: { byteLength: number } };
      expect(printed).toMatchObject({
        kind: 'catalog',
        version: 1,
        projectorVersion: 1,
        pqIndex: { stages: [32, 16] },
      });
      const server = await createPrivAdsServer({
        store: { kind: 'embedded', dataDir: join(dir, 'store') },
      });
      try {
        // The index is kept with catalog 1 and served whole.
        const served = await server.fetch(new Request('http://x/v1/catalog/1/pq-index'));
        const pqBytes = new Uint8Array(await served.arrayBuffer());
        expect(pqBytes.byteLength).toBe(printed.pqIndex?.byteLength);
        const pq = decodePqIndex(pqBytes);
        expect(pq).toMatchObject({ catalogVersion: 1, projectorVersion: 1, count: 3, dim: 128 });
        expect(pq.stages.map((s) => s.subspaces)).toEqual([32, 16]);
        expect(pq.partitions?.centroids.length).toBe(2 * 128);
        expect(pq.partitions?.assignment.length).toBe(3);
        const r = await server.fetch(new Request('http://x/v1/catalog/latest'));
        const bundle = decodeCatalogBundle(new Uint8Array(await r.arrayBuffer()));
        expect(bundle.header).toMatchObject({ count: 3, contentDim: 384, userDim: 128 });
        expect(bundle.ads.map((a) => a.id)).toEqual(['bike-1', 'tea-1', 'bike-2']);
        // Content vectors are L2-normalised encoder outputs; the two bikes are closer than bike and tea.
        // Three ads, 256 centroids a sub-space: the codes reconstruct them exactly.
        expect(bundle.header).toMatchObject({ contentEncoding: 'pq8', contentSubspaces: 96 });
        const row = (i: number): Float32Array => contentRows(bundle.content, 384, [i]);
        const dot = (a: Float32Array, b: Float32Array): number =>
          a.reduce((s, x, i) => s + x * (b[i] as number), 0);
        expect(dot(row(0), row(0))).toBeCloseTo(1, 2);
        expect(dot(row(0), row(2))).toBeGreaterThan(dot(row(0), row(1)));
      } finally {
        await server.close();
      }
    } finally {
      await cleanup();
    }
  });
});
