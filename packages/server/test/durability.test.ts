import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RoundConfig } from '@privads/protocol';
import {
  contributionOf,
  openEmbeddedStore,
  openPostgresStore,
  RoundAccumulator,
  type Store,
} from '@privads/server';

import { buildServer, kill9, startServerProcess, type ServerProcess } from './cli-process.js';
import { asBody, SMALL_CONFIG, tempDir, TOKEN, upload, vectorWithNorm } from './helpers.js';
import { createDatabase, startPostgres, type PostgresCluster } from './postgres-cluster.js';

let dir: string;
let cleanup: () => Promise<void>;
let running: ServerProcess | undefined;
const env = { PRIVADS_OPERATOR_TOKEN: TOKEN };

const started = await startPostgres();
const cluster: PostgresCluster | undefined = 'skip' in started ? undefined : started;
if ('skip' in started) console.warn(`PostgreSQL durability test skipped: ${started.skip}`);

beforeAll(async () => {
  await buildServer();
  ({ dir, cleanup } = await tempDir());
  const config = {
    ...SMALL_CONFIG,
    round: { ...SMALL_CONFIG.round, kMin: 5 },
    http: {
      rateLimit: {
        uploads: { ratePerSecond: 1e6, burst: 1e6 },
        reads: { ratePerSecond: 1e6, burst: 1e6 },
      },
    },
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
}, 120_000);
afterAll(async () => {
  if (running) await kill9(running.child);
  await cleanup();
  await cluster?.stop();
});

const post = (url: string, roundId: number, body: Uint8Array): Promise<number> =>
  fetch(`${url}/v1/rounds/${roundId}/updates`, { method: 'POST', body: asBody(body) }).then(
    (r) => r.status,
    () => 0,
  );
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

/** A store and how to reach it from the CLI and from the test. */
interface Target {
  name: string;
  args: () => string[];
  open: () => Promise<Store>;
}

const targets: Array<Target | undefined> = [
  {
    name: 'embedded',
    args: () => ['--data', join(dir, 'store'), '--config', join(dir, 'config.json')],
    open: () => openEmbeddedStore({ dir: join(dir, 'store'), decoder: contributionOf }),
  },
  cluster && {
    name: 'postgres',
    args: () => ['--store', pgUrl as string, '--config', join(dir, 'config.json')],
    open: () => openPostgresStore({ connectionString: pgUrl as string, decoder: contributionOf }),
  },
];
let pgUrl: string | undefined;

describe.each(targets.filter((t): t is Target => t !== undefined))(
  'durability of the real CLI server ($name store)',
  (target) => {
    beforeAll(async () => {
      if (target.name === 'postgres')
        pgUrl = await createDatabase(
          (cluster as PostgresCluster).url,
          `privads_dur_${process.pid}`,
        );
    });

    it('keeps every acknowledged upload exactly once across kill -9 and restart', async () => {
      running = await startServerProcess(target.args(), env);
      const round = (await (await fetch(`${running.url}/v1/round`)).json()) as RoundConfig;
      const bodies = Array.from({ length: 60 }, (_, i) =>
        upload(
          round,
          vectorWithNorm(0.1 + (i % 9) / 10, i + 1),
          (['f32', 'f16', 'int8'] as const)[i % 3],
        ),
      );
      const acked = new Set<number>();
      let killed: Promise<void> | undefined;
      const first = running;
      // 6 uploads in flight at a time; kill -9 as soon as 20 were acknowledged.
      let next = 0;
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < bodies.length && killed === undefined) {
            const i = next++;
            if ((await post(first.url, round.roundId, bodies[i] as Uint8Array)) === 202)
              acked.add(i);
            if (acked.size >= 20 && killed === undefined) killed = kill9(first.child);
          }
        }),
      );
      await killed;
      expect(acked.size).toBeGreaterThanOrEqual(20);

      running = await startServerProcess(target.args(), env);
      // Every acknowledged upload survived: re-sending it is a duplicate.
      for (const i of acked)
        expect(await post(running.url, round.roundId, bodies[i] as Uint8Array)).toBe(409);
      // The rest (never sent, or in flight at the kill) counts now, or was already durable: never twice.
      for (let i = 0; i < bodies.length; i++) {
        if (!acked.has(i))
          expect([202, 409]).toContain(
            await post(running.url, round.roundId, bodies[i] as Uint8Array),
          );
      }
      await kill9(running.child);
      running = undefined;

      const store = await target.open();
      try {
        const expected = new RoundAccumulator(round.model.parameterCount);
        for (const body of bodies) {
          const c = contributionOf(round, body);
          expected.add(c.vector, c.belowClip);
        }
        const totals = await store.roundTotals(round.roundId);
        expect(totals?.count).toBe(bodies.length);
        expect(totals?.equals(expected)).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('keeps closed rounds, versions and the ledger across kill -9', async () => {
      running = await startServerProcess(target.args(), env);
      const closed = await fetch(`${running.url}/v1/admin/rounds/close`, {
        method: 'POST',
        ...auth,
      });
      expect(closed.status).toBe(200);
      await kill9(running.child);
      running = await startServerProcess(target.args(), env);
      const rounds = (await (await fetch(`${running.url}/v1/rounds`, auth)).json()) as {
        rounds: Array<{ id: number; status: string; cohortSize: number }>;
      };
      expect(rounds.rounds[0]).toMatchObject({ id: 1, status: 'released', cohortSize: 60 });
      expect((await fetch(`${running.url}/v1/projector/2`)).status).toBe(200);
      const ledger = (await (await fetch(`${running.url}/v1/privacy/ledger`, auth)).json()) as {
        entries: unknown[];
      };
      expect(ledger.entries).toHaveLength(1);
      expect(((await (await fetch(`${running.url}/v1/round`)).json()) as RoundConfig).roundId).toBe(
        2,
      );
      await kill9(running.child);
      running = undefined;
    });
  },
);
