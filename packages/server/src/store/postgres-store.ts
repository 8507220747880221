/**
 * The PostgreSQL store: the same contract as the embedded store, for production and for several
 * server instances behind a load balancer.
 *
 * Uploads: one statement inserts the nonce and body only if the round is open (`FOR SHARE` on the
 * round row, so it serialises with a close) and the nonce is new — the commit is the durable
 * acknowledgement. Each instance also adds the contribution to an in-memory delta and periodically
 * folds it into its own row of `privads_partial_sums`, nulling the folded bodies in the same
 * transaction. A contribution is in a partial sum exactly when its body went from non-NULL to NULL
 * in the transaction that updated that sum; a fold that finds any body already NULL rolls back and
 * the instance re-folds from the database instead of from memory. So a lost connection or a crash
 * between commit and answer can neither drop nor double an update.
 *
 * Close: `FOR UPDATE` on the round row (waits for in-flight uploads and folds, blocks new ones),
 * then partial sums of every instance plus every unfolded body are combined, the release is
 * computed and everything is committed in that one transaction. The status check makes it happen
 * exactly once however many instances try.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

import pg from 'pg';

import type { RoundConfig } from '@privads/protocol';
import { StorageError } from '@privads/protocol';

import { RoundAccumulator, contributionLength } from '../rounds/aggregator.js';
import {
  closeCatalogPublication,
  preparePublication,
  type PreparedPublication,
} from './catalog-publication.js';
import { strongEtag } from './etag.js';
import { SCHEMA_LOCK_KEY, SCHEMA_STATEMENTS, VERSIONS_LOCK_KEY } from './postgres-schema.js';
import type {
  AddUpdateResult,
  CatalogPublication,
  CloseCommit,
  CloseContext,
  CloseRoundResult,
  ClosedRoundInfo,
  Contribution,
  ContributionDecoder,
  InitialState,
  LedgerEntry,
  PublishContext,
  RoundRecord,
  Store,
  VersionBytes,
  VersionInfo,
  VersionKind,
} from './store.js';
import type { CommitObserver } from './write-ahead-log.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  connectionString: string;
  /** Recomputes contributions when unfolded bodies are combined. */
  decoder: ContributionDecoder;
  /**
   * This instance's name in `privads_partial_sums` (unique per running process).
   * @defaultValue `<hostname>-<pid>-<random>`
   */
  instanceId?: string;
  /**
   * Fold the in-memory delta this often, ms.
   * @defaultValue 1000
   */
  flushIntervalMs?: number;
  /**
   * Fold as soon as this many uploads wait.
   * @defaultValue 256
   */
  flushMaxPending?: number;
  /**
   * Connections in the pool.
   * @defaultValue 10
   */
  poolSize?: number;
  /** Receives the duration of every upload commit. */
  onCommit?: CommitObserver;
}

type Client = pg.PoolClient;

interface RoundRow {
  config: RoundConfig;
  status: RoundRecord['status'];
  opened_at: string;
  closed: ClosedRoundInfo | null;
}

const toRecord = (row: RoundRow): RoundRecord => ({
  config: row.config,
  status: row.status,
  openedAt: row.opened_at,
  ...(row.closed ? { closed: row.closed } : {}),
});

const bytesOf = (value: Buffer): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
const bufferOf = (value: Uint8Array): Buffer =>
  Buffer.from(value.buffer, value.byteOffset, value.byteLength);

function describe(
  kind: VersionKind,
  version: number,
  bytes: Uint8Array,
  projectorVersion?: number,
): VersionInfo {
  return {
    kind,
    version,
    etag: strongEtag(bytes),
    byteLength: bytes.length,
    createdAt: new Date().toISOString(),
    ...(projectorVersion === undefined ? {} : { projectorVersion }),
  };
}

const ROUND_COLUMNS = 'config, status, opened_at, closed';

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #decoder: ContributionDecoder;
  readonly #instance: string;
  readonly #maxPending: number;
  readonly #observe: CommitObserver;
  readonly #timer: NodeJS.Timeout;
  /** Uploads this instance committed but has not folded yet. */
  #delta: { roundId: number; totals: RoundAccumulator; nonces: string[] } | undefined;
  /** Set after a failed or inconsistent fold: the next fold reads unfolded bodies from the database. */
  #refold = false;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(pool: pg.Pool, options: PostgresStoreOptions) {
    this.#pool = pool;
    this.#decoder = options.decoder;
    this.#instance =
      options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.#maxPending = options.flushMaxPending ?? 256;
    this.#observe = options.onCommit ?? (() => undefined);
    this.#timer = setInterval(
      () => void this.flush().catch(() => undefined),
      options.flushIntervalMs ?? 1000,
    );
    this.#timer.unref();
  }

  /** This instance's id. */
  get instanceId(): string {
    return this.#instance;
  }

  async #transaction<T>(
    run: (client: Client) => Promise<T>,
    isolation = 'READ COMMITTED',
  ): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async initialize(init: () => Promise<InitialState>): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [VERSIONS_LOCK_KEY]);
      const { rowCount } = await client.query('SELECT 1 FROM privads_rounds LIMIT 1');
      if (rowCount) return;
      const initial = await init();
      const info = describe('projector', 1, initial.projector);
      await client.query(
        'INSERT INTO privads_versions (kind, version, info, bytes) VALUES ($1, $2, $3, $4)',
        ['projector', 1, info, bufferOf(initial.projector)],
      );
      await this.#insertRound(client, initial.round);
    });
  }

  async #insertRound(client: Client, config: RoundConfig): Promise<RoundRecord> {
    const record: RoundRecord = { config, status: 'open', openedAt: new Date().toISOString() };
    await client.query(
      'INSERT INTO privads_rounds (round_id, status, config, opened_at) VALUES ($1, $2, $3, $4)',
      [config.roundId, 'open', config, record.openedAt],
    );
    return record;
  }

  async openRound(): Promise<RoundRecord | undefined> {
    const { rows } = await this.#pool.query<RoundRow>(
      `SELECT ${ROUND_COLUMNS} FROM privads_rounds WHERE status = 'open'`,
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async getRound(roundId: number): Promise<RoundRecord | undefined> {
    const { rows } = await this.#pool.query<RoundRow>(
      `SELECT ${ROUND_COLUMNS} FROM privads_rounds WHERE round_id = $1`,
      [roundId],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async closedRounds(after: number, limit: number): Promise<RoundRecord[]> {
    const { rows } = await this.#pool.query<RoundRow>(
      `SELECT ${ROUND_COLUMNS} FROM privads_rounds WHERE status <> 'open' AND round_id > $1 ORDER BY round_id LIMIT $2`,
      [after, limit],
    );
    return rows.map(toRecord);
  }

  async addUpdate(
    roundId: number,
    nonce: string,
    body: Uint8Array,
    contribution: Contribution,
  ): Promise<AddUpdateResult> {
    const started = process.hrtime.bigint();
    const { rowCount } = await this.#pool.query(
      `INSERT INTO privads_updates (round_id, nonce, instance_id, body)
       SELECT $1, $2, $3, $4 FROM privads_rounds WHERE round_id = $1 AND status = 'open' FOR SHARE
       ON CONFLICT (round_id, nonce) DO NOTHING`,
      [roundId, nonce, this.#instance, bufferOf(body)],
    );
    this.#observe(Number(process.hrtime.bigint() - started) / 1e9, 1);
    if (rowCount !== 1) {
      const round = await this.getRound(roundId);
      return round?.status === 'open' ? 'duplicate' : 'closed';
    }
    if (this.#delta?.roundId !== roundId) {
      this.#delta = {
        roundId,
        totals: new RoundAccumulator(contribution.vector.length),
        nonces: [],
      };
    }
    this.#delta.totals.add(contribution.vector, contribution.belowClip);
    this.#delta.nonces.push(nonce);
    if (this.#delta.nonces.length >= this.#maxPending) void this.flush().catch(() => undefined);
    return 'accepted';
  }

  /**
   * Folds this instance's committed uploads into its partial sum (at most one fold at a time).
   * @returns when the fold has finished
   */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = this.#fold().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #fold(): Promise<void> {
    const work = this.#delta;
    const refold = this.#refold;
    if (!refold && (work === undefined || work.nonces.length === 0)) return;
    this.#delta = undefined;
    const roundId = refold ? undefined : work?.roundId;
    try {
      await this.#transaction(async (client) => {
        const { rows } = await client.query<{ round_id: number; config: RoundConfig }>(
          `SELECT round_id, config FROM privads_rounds WHERE status = 'open' ${roundId === undefined ? '' : 'AND round_id = $1'} FOR SHARE`,
          roundId === undefined ? [] : [roundId],
        );
        const open = rows[0];
        if (open === undefined) return; // closed meanwhile: the closer folded these bodies itself
        let totals: RoundAccumulator;
        if (refold || work === undefined) {
          totals = new RoundAccumulator(contributionLength(open.config));
          const unfolded = await client.query<{ body: Buffer }>(
            `UPDATE privads_updates u SET body = NULL FROM (
               SELECT nonce, body FROM privads_updates
               WHERE round_id = $1 AND instance_id = $2 AND body IS NOT NULL FOR UPDATE
             ) old WHERE u.round_id = $1 AND u.nonce = old.nonce RETURNING old.body`,
            [open.round_id, this.#instance],
          );
          for (const row of unfolded.rows) {
            const c = this.#decoder(open.config, bytesOf(row.body));
            totals.add(c.vector, c.belowClip);
          }
        } else {
          totals = work.totals;
          const { rowCount } = await client.query(
            `UPDATE privads_updates SET body = NULL
             WHERE round_id = $1 AND instance_id = $2 AND nonce = ANY($3) AND body IS NOT NULL`,
            [work.roundId, this.#instance, work.nonces],
          );
          if (rowCount !== work.nonces.length) {
            throw new StorageError(
              'STORAGE_CORRUPT',
              `fold found ${rowCount} of ${work.nonces.length} bodies; refolding`,
            );
          }
        }
        if (totals.count === 0) return;
        const previous = await client.query<{ accumulator: Buffer }>(
          'SELECT accumulator FROM privads_partial_sums WHERE round_id = $1 AND instance_id = $2 FOR UPDATE',
          [open.round_id, this.#instance],
        );
        const prior = previous.rows[0];
        if (prior) totals.merge(RoundAccumulator.fromBytes(bytesOf(prior.accumulator)));
        await client.query(
          `INSERT INTO privads_partial_sums (round_id, instance_id, accumulator) VALUES ($1, $2, $3)
           ON CONFLICT (round_id, instance_id) DO UPDATE SET accumulator = EXCLUDED.accumulator`,
          [open.round_id, this.#instance, bufferOf(totals.toBytes())],
        );
      });
      if (refold) this.#refold = false;
    } catch (error) {
      // The database is the truth: fold from it next time (the in-memory delta may be stale).
      this.#refold = true;
      throw error;
    }
  }

  async roundTotals(roundId: number): Promise<RoundAccumulator | undefined> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ config: RoundConfig }>(
        `SELECT config FROM privads_rounds WHERE round_id = $1 AND status = 'open'`,
        [roundId],
      );
      const config = rows[0]?.config;
      return config ? this.#combine(client, config) : undefined;
    }, 'REPEATABLE READ');
  }

  /** Partial sums of every instance plus every unfolded body, read in the caller's transaction. */
  async #combine(client: Client, config: RoundConfig): Promise<RoundAccumulator> {
    const totals = new RoundAccumulator(contributionLength(config));
    const partials = await client.query<{ accumulator: Buffer }>(
      'SELECT accumulator FROM privads_partial_sums WHERE round_id = $1',
      [config.roundId],
    );
    for (const row of partials.rows)
      totals.merge(RoundAccumulator.fromBytes(bytesOf(row.accumulator)));
    const bodies = await client.query<{ body: Buffer }>(
      'SELECT body FROM privads_updates WHERE round_id = $1 AND body IS NOT NULL',
      [config.roundId],
    );
    for (const row of bodies.rows) {
      const c = this.#decoder(config, bytesOf(row.body));
      totals.add(c.vector, c.belowClip);
    }
    return totals;
  }

  async #readVersion(
    client: Client | pg.Pool,
    kind: VersionKind,
    version?: number,
  ): Promise<VersionBytes | undefined> {
    const { rows } = await client.query<{ info: VersionInfo; bytes: Buffer }>(
      version === undefined
        ? 'SELECT info, bytes FROM privads_versions WHERE kind = $1 ORDER BY version DESC LIMIT 1'
        : 'SELECT info, bytes FROM privads_versions WHERE kind = $1 AND version = $2',
      version === undefined ? [kind] : [kind, version],
    );
    const row = rows[0];
    return row ? { info: row.info, bytes: bytesOf(row.bytes) } : undefined;
  }

  async #nextNumber(client: Client, sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await client.query<{ n: number | null }>(sql, params);
    return (rows[0]?.n ?? 0) + 1;
  }

  async closeRound(
    roundId: number,
    finalize: (context: CloseContext) => Promise<CloseCommit>,
  ): Promise<CloseRoundResult> {
    const result = await this.#transaction(async (client): Promise<CloseRoundResult> => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [VERSIONS_LOCK_KEY]);
      const { rows } = await client.query<RoundRow>(
        `SELECT ${ROUND_COLUMNS} FROM privads_rounds WHERE round_id = $1 FOR UPDATE`,
        [roundId],
      );
      const row = rows[0];
      if (row === undefined || row.status !== 'open') return { outcome: 'not-open' };
      const round = toRecord(row);
      const totals = await this.#combine(client, round.config);
      const projector = await this.#readVersion(client, 'projector', round.config.projectorVersion);
      if (projector === undefined) {
        throw new StorageError(
          'STORAGE_CORRUPT',
          `projector ${round.config.projectorVersion} is missing`,
        );
      }
      const catalog = await this.#readVersion(client, 'catalog');
      const optimizer = await client.query<{ bytes: Buffer }>(
        'SELECT bytes FROM privads_optimizer_state ORDER BY projector_version DESC LIMIT 1',
      );
      const ledger = await client.query<{ entry: LedgerEntry }>(
        'SELECT entry FROM privads_ledger ORDER BY round_id',
      );
      const next = {
        roundId: await this.#nextNumber(client, 'SELECT max(round_id) AS n FROM privads_rounds'),
        projectorVersion: await this.#nextNumber(
          client,
          `SELECT max(version) AS n FROM privads_versions WHERE kind = 'projector'`,
        ),
        catalogVersion: await this.#nextNumber(
          client,
          `SELECT max(version) AS n FROM privads_versions WHERE kind = 'catalog'`,
        ),
      };
      const optimizerRow = optimizer.rows[0];
      const commit = await finalize({
        round,
        totals,
        projector,
        ...(catalog ? { catalog } : {}),
        ...(optimizerRow ? { optimizerState: bytesOf(optimizerRow.bytes) } : {}),
        ledger: ledger.rows.map((r) => r.entry),
        next,
      });
      await this.#commitClose(client, round, commit, next);
      const closed: RoundRecord = { ...round, status: commit.closed.status, closed: commit.closed };
      const nextRecord = await this.#insertRound(client, commit.nextRound);
      return { outcome: 'closed', record: closed, next: nextRecord };
    });
    if (result.outcome === 'closed' && this.#delta?.roundId === roundId) this.#delta = undefined;
    return result;
  }

  async #commitClose(
    client: Client,
    round: RoundRecord,
    commit: CloseCommit,
    next: CloseContext['next'],
  ): Promise<void> {
    const insertVersion =
      'INSERT INTO privads_versions (kind, version, info, bytes) VALUES ($1, $2, $3, $4)';
    if (commit.projector) {
      const info = describe('projector', next.projectorVersion, commit.projector);
      await client.query(insertVersion, [
        'projector',
        info.version,
        info,
        bufferOf(commit.projector),
      ]);
      if (commit.optimizerState) {
        await client.query(
          'INSERT INTO privads_optimizer_state (projector_version, bytes) VALUES ($1, $2)',
          [info.version, bufferOf(commit.optimizerState)],
        );
      }
    }
    const catalog = closeCatalogPublication(commit);
    if (catalog)
      await this.#insertCatalog(client, next.catalogVersion, next.projectorVersion, catalog);
    if (commit.release) {
      await client.query('INSERT INTO privads_releases (round_id, bytes) VALUES ($1, $2)', [
        round.config.roundId,
        bufferOf(commit.release),
      ]);
    }
    if (commit.ledgerEntry) {
      await client.query('INSERT INTO privads_ledger (round_id, entry) VALUES ($1, $2)', [
        round.config.roundId,
        commit.ledgerEntry,
      ]);
    }
    await client.query('UPDATE privads_rounds SET status = $2, closed = $3 WHERE round_id = $1', [
      round.config.roundId,
      commit.closed.status,
      commit.closed,
    ]);
    await client.query('DELETE FROM privads_updates WHERE round_id = $1', [round.config.roundId]);
    await client.query('DELETE FROM privads_partial_sums WHERE round_id = $1', [
      round.config.roundId,
    ]);
  }

  async publish(
    kind: VersionKind,
    build: (context: PublishContext) => Promise<Uint8Array | CatalogPublication>,
  ): Promise<VersionInfo> {
    return this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [VERSIONS_LOCK_KEY]);
      const version = await this.#nextNumber(
        client,
        'SELECT max(version) AS n FROM privads_versions WHERE kind = $1',
        [kind],
      );
      const projector = await this.#readVersion(client, 'projector');
      const built = preparePublication(
        await build({ version, ...(projector ? { projector } : {}) }),
      );
      if (kind === 'catalog')
        return this.#insertCatalog(client, version, projector?.info.version, built);
      const info = describe(kind, version, built.bytes);
      await client.query(
        'INSERT INTO privads_versions (kind, version, info, bytes) VALUES ($1, $2, $3, $4)',
        [kind, version, info, bufferOf(built.bytes)],
      );
      return info;
    });
  }

  /** Inserts a catalog version and its PQ index (inside the caller's transaction). */
  async #insertCatalog(
    client: Client,
    version: number,
    projectorVersion: number | undefined,
    publication: PreparedPublication,
  ): Promise<VersionInfo> {
    const index = publication.pqIndex;
    const info: VersionInfo = {
      ...describe('catalog', version, publication.bytes, projectorVersion),
      ...(index === undefined ? {} : { pqIndex: index.info }),
    };
    await client.query(
      'INSERT INTO privads_versions (kind, version, info, bytes) VALUES ($1, $2, $3, $4)',
      ['catalog', version, info, bufferOf(publication.bytes)],
    );
    if (index !== undefined) {
      await client.query(
        'INSERT INTO privads_pq_indexes (catalog_version, bytes) VALUES ($1, $2)',
        [version, bufferOf(index.bytes)],
      );
    }
    return info;
  }

  async readPqIndex(catalogVersion: number): Promise<Uint8Array | undefined> {
    const { rows } = await this.#pool.query<{ bytes: Buffer }>(
      'SELECT bytes FROM privads_pq_indexes WHERE catalog_version = $1',
      [catalogVersion],
    );
    return rows[0] ? bytesOf(rows[0].bytes) : undefined;
  }

  async latest(kind: VersionKind): Promise<VersionInfo | undefined> {
    const { rows } = await this.#pool.query<{ info: VersionInfo }>(
      'SELECT info FROM privads_versions WHERE kind = $1 ORDER BY version DESC LIMIT 1',
      [kind],
    );
    return rows[0]?.info;
  }

  async versions(kind: VersionKind): Promise<VersionInfo[]> {
    const { rows } = await this.#pool.query<{ info: VersionInfo }>(
      'SELECT info FROM privads_versions WHERE kind = $1 ORDER BY version',
      [kind],
    );
    return rows.map((r) => r.info);
  }

  readVersion(kind: VersionKind, version: number): Promise<VersionBytes | undefined> {
    return this.#readVersion(this.#pool, kind, version);
  }

  async readRelease(roundId: number): Promise<Uint8Array | undefined> {
    const { rows } = await this.#pool.query<{ bytes: Buffer }>(
      'SELECT bytes FROM privads_releases WHERE round_id = $1',
      [roundId],
    );
    return rows[0] ? bytesOf(rows[0].bytes) : undefined;
  }

  async ledger(): Promise<LedgerEntry[]> {
    const { rows } = await this.#pool.query<{ entry: LedgerEntry }>(
      'SELECT entry FROM privads_ledger ORDER BY round_id',
    );
    return rows.map((r) => r.entry);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush().catch(() => undefined);
    await this.#pool.end();
  }
}

/**
 * Connects to PostgreSQL and creates the schema if needed.
 * @param options - connection string, decoder, instance id, fold cadence
 * @returns the store
 * @throws StorageError `STORAGE_UNAVAILABLE` when the database cannot be reached
 */
export async function openPostgresStore(
  options: PostgresStoreOptions,
): Promise<Store & { flush(): Promise<void>; readonly instanceId: string }> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
  });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_KEY]);
      try {
        for (const statement of SCHEMA_STATEMENTS) await client.query(statement);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new StorageError(
      'STORAGE_UNAVAILABLE',
      `cannot prepare the PostgreSQL store: ${String(cause)}`,
      { cause },
    );
  }
  return new PostgresStore(pool, options);
}
