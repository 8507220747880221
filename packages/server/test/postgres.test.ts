import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createPrivAdsServer,
  openPostgresStore,
  contributionOf,
  type PrivAdsServer,
} from '@privads/server';

import { behaviourSuite } from './behaviour-suite.js';
import { PQ_CONFIG, pqIndexSuite } from './pq-index-suite.js';
import {
  DISTRIBUTED_CONFIG,
  driveDistributedRound,
  holdsVector,
  phaseOf,
} from './secure-round-driver.js';
import {
  hashEncoder,
  openRound,
  operator,
  postUpload,
  SMALL_CONFIG,
  TOKEN,
  upload,
  vectorWithNorm,
} from './helpers.js';
import { createDatabase, startPostgres, type PostgresCluster } from './postgres-cluster.js';

const started = await startPostgres();
const cluster: PostgresCluster | undefined = 'skip' in started ? undefined : started;
if ('skip' in started) console.warn(`PostgreSQL tests skipped: ${started.skip}`);

let databases = 0;
async function freshUrl(): Promise<string> {
  databases += 1;
  return createDatabase((cluster as PostgresCluster).url, `privads_t${process.pid}_${databases}`);
}

afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(cluster === undefined)('PostgreSQL store', () => {
  behaviourSuite('postgres', async () => {
    const server = await createPrivAdsServer({
      store: { kind: 'postgres', url: await freshUrl() },
      operatorToken: TOKEN,
      config: SMALL_CONFIG,
    });
    return { server, dispose: () => server.close() };
  });

  pqIndexSuite('postgres', async () => {
    const server = await createPrivAdsServer({
      store: { kind: 'postgres', url: await freshUrl() },
      operatorToken: TOKEN,
      config: PQ_CONFIG,
      encoder: hashEncoder,
    });
    return { server, dispose: () => server.close() };
  });

  describe('two instances on one database', () => {
    let url: string;
    let a: PrivAdsServer;
    let b: PrivAdsServer;
    beforeAll(async () => {
      url = await freshUrl();
      a = await createPrivAdsServer({
        store: { kind: 'postgres', url },
        operatorToken: TOKEN,
        config: SMALL_CONFIG,
      });
      b = await createPrivAdsServer({
        store: { kind: 'postgres', url },
        operatorToken: TOKEN,
        config: SMALL_CONFIG,
      });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });

    it('keep partial sums, refuse a nonce the other accepted, and close the round exactly once', async () => {
      const round = await openRound(a);
      expect((await openRound(b)).roundId).toBe(round.roundId);
      const vectors = Array.from({ length: 6 }, (_, i) => vectorWithNorm(0.2 + 0.1 * i, i + 1));
      const bodies = vectors.map((v) => upload(round, v));
      for (const [i, body] of bodies.entries()) {
        expect((await postUpload(i % 2 === 0 ? a : b, round.roundId, body)).status).toBe(202);
      }
      expect((await postUpload(b, round.roundId, bodies[0] as Uint8Array)).status).toBe(409);
      // Expected exact totals, computed independently of either instance.
      const reference = await openPostgresStore({ connectionString: url, decoder: contributionOf });
      try {
        const combined = await reference.roundTotals(round.roundId);
        expect(combined?.count).toBe(6);
        const [ra, rb] = await Promise.all([
          operator(a, '/v1/admin/rounds/close', { method: 'POST' }),
          operator(b, '/v1/admin/rounds/close', { method: 'POST' }),
        ]);
        const statuses = [ra.status, rb.status].sort();
        // One close wins; the other either finds the round closed (409) or closes the next, empty round.
        expect(statuses[0]).toBe(200);
        const rounds = (await (await operator(a, '/v1/rounds')).json()) as {
          rounds: Array<{ id: number; status: string; cohortSize: number }>;
        };
        const first = rounds.rounds.find((r) => r.id === round.roundId);
        expect(first).toMatchObject({ status: 'released', cohortSize: 6 });
        const ledger = (await (await operator(b, '/v1/privacy/ledger')).json()) as {
          entries: Array<{ roundId: number }>;
        };
        expect(ledger.entries.filter((e) => e.roundId === round.roundId)).toHaveLength(1);
        expect(rounds.rounds.filter((r) => r.status === 'released')).toHaveLength(1);
      } finally {
        await reference.close();
      }
    });
  });

  it("distributed mode: the database never holds one device's unmasked input", async () => {
    const url = await freshUrl();
    let now = Date.parse('2031-01-01T00:00:00Z');
    const server = await createPrivAdsServer({
      store: { kind: 'postgres', url },
      operatorToken: TOKEN,
      config: DISTRIBUTED_CONFIG,
      clock: () => now,
    });
    const dumps: Buffer[] = [];
    const dump = async (): Promise<void> => {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const tables = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        );
        for (const { table_name: table } of tables.rows) {
          const rows = await client.query<Record<string, unknown>>(`SELECT * FROM "${table}"`);
          for (const row of rows.rows) {
            for (const value of Object.values(row)) {
              dumps.push(Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value) ?? ''));
            }
          }
        }
      } finally {
        await client.end();
      }
    };
    try {
      const round = await driveDistributedRound(server, {
        devices: 20,
        dropAfterMasking: new Set([0, 3, 6, 9, 12, 15]),
        passPhaseDeadline: () => (now += 31_000),
        afterInputs: dump,
      });
      expect(await phaseOf(server, round.config.roundId)).toBe('closed');
      await dump();
      const everything = Buffer.concat(dumps);
      expect(everything.length).toBeGreaterThan(1000);
      for (const input of round.inputs) {
        expect(holdsVector(everything, input)).toBe(false);
        // bytea as text would be hex: search for that form as well.
        const hex = Buffer.from(Buffer.from(input.buffer).toString('hex'));
        expect(everything.includes(hex.subarray(0, 64))).toBe(false);
      }
      const rounds = (await (await operator(server, '/v1/rounds')).json()) as {
        rounds: Array<{ id: number; status: string; cohortSize: number }>;
      };
      expect(rounds.rounds.find((r) => r.id === round.config.roundId)).toMatchObject({
        status: 'released',
        cohortSize: 14,
      });
    } finally {
      await server.close();
    }
  });
});
