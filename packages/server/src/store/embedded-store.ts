/**
 * The embedded store: a directory with a write-ahead log, a snapshot and immutable blob files.
 * No other process, no native module. Why this and not an embedded database: `docs/server.md`
 * ("Storage").
 *
 * Layout of the directory:
 * - `LOCK` — pid of the owning process;
 * - `wal-<lsn>.log` — log segments (see `write-ahead-log.ts`);
 * - `snapshot.safetensors` — state as of some lsn (see `embedded-state.ts`);
 * - `blobs/` — `projector-N.safetensors`, `catalog-N.bundle`, `catalog-N.pqidx` (the PQ index of
 *   catalog N, when it has one), `release-R.safetensors`, `optimizer-N.safetensors`; written durably
 *   before the log record that refers to them, so a crash between the two leaves only an orphan file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { StorageError } from '@privads/protocol';

import { contributionLength, type RoundAccumulator } from '../rounds/aggregator.js';
import { writeFileDurable } from './durable-file.js';
import { EmbeddedState, type CloseRecord } from './embedded-state.js';
import { strongEtag } from './etag.js';
import { lockDirectory } from './file-lock.js';
import { MaskedBatch, readMaskedSum } from './masked-batch.js';
import {
  closeCatalogPublication,
  preparePublication,
  type PreparedPublication,
} from './catalog-publication.js';
import type {
  AddUpdateResult,
  CatalogPublication,
  CloseCommit,
  CloseContext,
  CloseRoundResult,
  Contribution,
  ContributionDecoder,
  InitialState,
  LedgerEntry,
  PqIndexInfo,
  PublishContext,
  RoundRecord,
  Store,
  VersionBytes,
  VersionInfo,
  VersionKind,
} from './store.js';
import { WriteAheadLog, type CommitObserver, type LogRecord } from './write-ahead-log.js';

/** Options of {@link openEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** The store directory (created if missing). */
  dir: string;
  /** Recomputes contributions when the log is replayed. */
  decoder: ContributionDecoder;
  /**
   * Snapshot (and start a new log segment) once the log passes this many bytes.
   * @defaultValue 64 MiB
   */
  snapshotBytes?: number;
  /** Receives the duration of every durable write. */
  onCommit?: CommitObserver;
  /**
   * How long a batch of masked uploads waits for more before it is written, in ms: a longer wait
   * adds that much latency to an upload and saves writes (see `masked-batch.ts`).
   * @defaultValue 2
   */
  maskedGatherMs?: number;
}

const SNAPSHOT = 'snapshot.safetensors';
const BLOB_FILE: Record<VersionKind | 'pqIndex' | 'release' | 'optimizer', (n: number) => string> =
  {
    projector: (n) => `projector-${n}.safetensors`,
    catalog: (n) => `catalog-${n}.bundle`,
    pqIndex: (n) => `catalog-${n}.pqidx`,
    release: (n) => `release-${n}.safetensors`,
    optimizer: (n) => `optimizer-${n}.safetensors`,
  };

const describe = (
  kind: VersionKind,
  version: number,
  bytes: Uint8Array,
  extra: Partial<VersionInfo> = {},
): VersionInfo => ({
  kind,
  version,
  etag: strongEtag(bytes),
  byteLength: bytes.length,
  createdAt: new Date().toISOString(),
  ...extra,
});

class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly #dir: string;
  readonly #state: EmbeddedState;
  readonly #wal: WriteAheadLog;
  readonly #unlock: () => Promise<void>;
  readonly #snapshotBytes: number;
  readonly #maskedGatherMs: number;
  /** Serialises initialise/publish/close (the operations that allocate numbers). */
  #exclusive: Promise<unknown> = Promise.resolve();
  /** Round being closed: uploads to it are refused from the moment the close starts. */
  #closing: number | undefined;
  /** Nonces written to the log but not yet durable. */
  readonly #pendingNonces = new Set<string>();
  /** Masked uploads waiting for the log, summed into one record (distributed rounds). */
  #maskedBatch: { batch: MaskedBatch; written: Promise<number> } | undefined;
  #snapshotScheduled = false;
  readonly #cache = new Map<string, Uint8Array>();

  constructor(
    dir: string,
    state: EmbeddedState,
    wal: WriteAheadLog,
    unlock: () => Promise<void>,
    snapshotBytes: number,
    maskedGatherMs: number,
  ) {
    this.#dir = dir;
    this.#state = state;
    this.#wal = wal;
    this.#unlock = unlock;
    this.#snapshotBytes = snapshotBytes;
    this.#maskedGatherMs = maskedGatherMs;
  }

  #blobPath(kind: keyof typeof BLOB_FILE, n: number): string {
    return join(this.#dir, 'blobs', BLOB_FILE[kind](n));
  }

  async #readBlob(kind: keyof typeof BLOB_FILE, n: number): Promise<Uint8Array> {
    const key = `${kind}-${n}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const bytes = new Uint8Array(await readFile(this.#blobPath(kind, n)));
    this.#cache.set(key, bytes);
    // Keep the few most recent files: clients mostly ask for the newest versions.
    if (this.#cache.size > 8) this.#cache.delete(this.#cache.keys().next().value as string);
    return bytes;
  }

  #serialised<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#exclusive.then(run, run);
    this.#exclusive = result.catch(() => undefined);
    return result;
  }

  #append(meta: Record<string, unknown>, data: Uint8Array, apply: () => void): Promise<number> {
    return this.#wal.append(meta, data, (lsn) => {
      apply();
      this.#state.lsn = lsn;
    });
  }

  async initialize(init: () => Promise<InitialState>): Promise<void> {
    await this.#serialised(async () => {
      if (this.#state.initialized) return;
      const initial = await init();
      await writeFileDurable(this.#blobPath('projector', 1), initial.projector);
      const projector = describe('projector', 1, initial.projector);
      const round: RoundRecord = {
        config: initial.round,
        status: 'open',
        openedAt: new Date().toISOString(),
      };
      await this.#append({ type: 'init', round, projector }, new Uint8Array(0), () =>
        this.#state.applyInit(round, projector),
      );
    });
  }

  async openRound(): Promise<RoundRecord | undefined> {
    const open = this.#state.open;
    return open ? this.#state.rounds.get(open.roundId) : undefined;
  }

  async getRound(roundId: number): Promise<RoundRecord | undefined> {
    return this.#state.rounds.get(roundId);
  }

  async closedRounds(after: number, limit: number): Promise<RoundRecord[]> {
    return [...this.#state.rounds.values()]
      .filter((r) => r.status !== 'open' && r.config.roundId > after)
      .sort((a, b) => a.config.roundId - b.config.roundId)
      .slice(0, limit);
  }

  async addUpdate(
    roundId: number,
    nonce: string,
    body: Uint8Array,
    contribution: Contribution,
  ): Promise<AddUpdateResult> {
    const open = this.#state.open;
    if (open?.roundId !== roundId || this.#closing === roundId) return 'closed';
    if (open.nonces.has(nonce) || this.#pendingNonces.has(nonce)) return 'duplicate';
    this.#pendingNonces.add(nonce);
    try {
      const { vector } = contribution;
      await (vector instanceof Uint32Array
        ? this.#addMasked(roundId, nonce, vector)
        : this.#append({ type: 'update', roundId, nonce }, body, () =>
            this.#state.applyUpdate(roundId, nonce, contribution),
          ));
    } finally {
      this.#pendingNonces.delete(nonce);
    }
    if (this.#wal.segmentBytes > this.#snapshotBytes) this.#scheduleSnapshot();
    return 'accepted';
  }

  /**
   * Joins a masked upload to the open batch, or opens one (see `masked-batch.ts`).
   * @returns the batch's log write, once durable and applied
   */
  #addMasked(roundId: number, nonce: string, words: Uint32Array): Promise<number> {
    const open = this.#maskedBatch;
    if (open?.batch.accepts(roundId)) {
      open.batch.add(nonce, words);
      return open.written;
    }
    const privacy = this.#state.rounds.get(roundId)?.config.privacy;
    const batch = new MaskedBatch(
      roundId,
      nonce,
      words,
      privacy?.mode === 'distributed' ? privacy.bits : 32,
    );
    // Sealed when the log takes it for a write (at once when the log is idle); later uploads
    // then open the next batch.
    const written = this.#wal.appendSealedLater(
      () => batch.seal(),
      (lsn) => {
        this.#state.applyMaskedSum(roundId, batch.nonces, batch.sum);
        this.#state.lsn = lsn;
        batch.release();
      },
      this.#maskedGatherMs,
    );
    this.#maskedBatch = { batch, written };
    return written;
  }

  async roundTotals(roundId: number): Promise<RoundAccumulator | undefined> {
    const open = this.#state.open;
    if (open?.roundId !== roundId) return undefined;
    await this.#wal.barrier(async () => undefined);
    return open.totals.clone();
  }

  async closeRound(
    roundId: number,
    finalize: (context: CloseContext) => Promise<CloseCommit>,
  ): Promise<CloseRoundResult> {
    return this.#serialised(async () => {
      const open = this.#state.open;
      const round = this.#state.rounds.get(roundId);
      if (open?.roundId !== roundId || round === undefined) return { outcome: 'not-open' as const };
      this.#closing = roundId;
      try {
        // Every upload acknowledged before the close started is in the totals once this resolves.
        await this.#wal.barrier(async () => undefined);
        const context = await this.#closeContext(round, open.totals);
        const commit = await finalize(context);
        const record = await this.#writeClose(round, context, commit);
        await this.#append({ type: 'close', ...record }, new Uint8Array(0), () =>
          this.#state.applyClose(record),
        );
        await this.#snapshot();
        return {
          outcome: 'closed' as const,
          record: this.#state.rounds.get(roundId) as RoundRecord,
          next: record.nextRound,
        };
      } finally {
        this.#closing = undefined;
      }
    });
  }

  async #closeContext(round: RoundRecord, totals: RoundAccumulator): Promise<CloseContext> {
    const state = this.#state;
    const pv = round.config.projectorVersion;
    const projectorInfo = state.versions.projector.find((v) => v.version === pv);
    if (projectorInfo === undefined)
      throw new StorageError('STORAGE_CORRUPT', `projector ${pv} is missing`);
    const catalogInfo = state.latest('catalog');
    return {
      round,
      totals,
      projector: { info: projectorInfo, bytes: await this.#readBlob('projector', pv) },
      ...(catalogInfo
        ? {
            catalog: {
              info: catalogInfo,
              bytes: await this.#readBlob('catalog', catalogInfo.version),
            },
          }
        : {}),
      ...(state.optimizerVersion === undefined
        ? {}
        : { optimizerState: await this.#readBlob('optimizer', state.optimizerVersion) }),
      ledger: [...state.ledger],
      next: {
        roundId: Math.max(...state.rounds.keys()) + 1,
        projectorVersion: (state.latest('projector')?.version ?? 0) + 1,
        catalogVersion: (state.latest('catalog')?.version ?? 0) + 1,
      },
    };
  }

  async #writeClose(
    round: RoundRecord,
    context: CloseContext,
    commit: CloseCommit,
  ): Promise<CloseRecord> {
    const { next } = context;
    const versions: VersionInfo[] = [];
    if (commit.projector) {
      await writeFileDurable(this.#blobPath('projector', next.projectorVersion), commit.projector);
      versions.push(describe('projector', next.projectorVersion, commit.projector));
    }
    const catalog = closeCatalogPublication(commit);
    if (catalog) {
      const pqIndex = await this.#writePqIndex(next.catalogVersion, catalog);
      await writeFileDurable(this.#blobPath('catalog', next.catalogVersion), catalog.bytes);
      versions.push(
        describe('catalog', next.catalogVersion, catalog.bytes, {
          projectorVersion: next.projectorVersion,
          ...pqIndex,
        }),
      );
    }
    if (commit.release)
      await writeFileDurable(this.#blobPath('release', round.config.roundId), commit.release);
    const optimizerVersion =
      commit.optimizerState && commit.projector ? next.projectorVersion : undefined;
    if (optimizerVersion !== undefined && commit.optimizerState) {
      await writeFileDurable(this.#blobPath('optimizer', optimizerVersion), commit.optimizerState);
    }
    return {
      roundId: round.config.roundId,
      closed: commit.closed,
      versions,
      release: commit.release !== undefined,
      ...(optimizerVersion === undefined ? {} : { optimizerVersion }),
      ...(commit.ledgerEntry ? { ledgerEntry: commit.ledgerEntry } : {}),
      nextRound: { config: commit.nextRound, status: 'open', openedAt: new Date().toISOString() },
    };
  }

  async publish(
    kind: VersionKind,
    build: (context: PublishContext) => Promise<Uint8Array | CatalogPublication>,
  ): Promise<VersionInfo> {
    return this.#serialised(async () => {
      const version = (this.#state.latest(kind)?.version ?? 0) + 1;
      const projectorInfo = this.#state.latest('projector');
      const projector: VersionBytes | undefined = projectorInfo
        ? { info: projectorInfo, bytes: await this.#readBlob('projector', projectorInfo.version) }
        : undefined;
      const built = preparePublication(
        await build({ version, ...(projector ? { projector } : {}) }),
      );
      const pqIndex = kind === 'catalog' ? await this.#writePqIndex(version, built) : {};
      await writeFileDurable(this.#blobPath(kind, version), built.bytes);
      const info = describe(kind, version, built.bytes, {
        ...(kind === 'catalog' && projectorInfo ? { projectorVersion: projectorInfo.version } : {}),
        ...pqIndex,
      });
      await this.#append({ type: 'publish', info }, new Uint8Array(0), () =>
        this.#state.applyPublish(info),
      );
      return info;
    });
  }

  async latest(kind: VersionKind): Promise<VersionInfo | undefined> {
    return this.#state.latest(kind);
  }

  async versions(kind: VersionKind): Promise<VersionInfo[]> {
    return [...this.#state.versions[kind]];
  }

  async readVersion(kind: VersionKind, version: number): Promise<VersionBytes | undefined> {
    const info = this.#state.versions[kind].find((v) => v.version === version);
    return info ? { info, bytes: await this.#readBlob(kind, version) } : undefined;
  }

  async readPqIndex(catalogVersion: number): Promise<Uint8Array | undefined> {
    const info = this.#state.versions.catalog.find((v) => v.version === catalogVersion);
    return info?.pqIndex ? this.#readBlob('pqIndex', catalogVersion) : undefined;
  }

  /** Writes a catalog's PQ index (before the record that announces it) and describes it. */
  async #writePqIndex(
    catalogVersion: number,
    publication: PreparedPublication,
  ): Promise<{ pqIndex?: PqIndexInfo }> {
    const index = publication.pqIndex;
    if (index === undefined) return {};
    await writeFileDurable(this.#blobPath('pqIndex', catalogVersion), index.bytes);
    return { pqIndex: index.info };
  }

  async readRelease(roundId: number): Promise<Uint8Array | undefined> {
    return this.#state.releases.has(roundId) ? this.#readBlob('release', roundId) : undefined;
  }

  async ledger(): Promise<LedgerEntry[]> {
    return [...this.#state.ledger];
  }

  #scheduleSnapshot(): void {
    if (this.#snapshotScheduled) return;
    this.#snapshotScheduled = true;
    void this.#snapshot()
      .catch(() => undefined)
      .finally(() => {
        this.#snapshotScheduled = false;
      });
  }

  /** Writes a snapshot of everything durable so far, then drops the log it covers. */
  #snapshot(): Promise<void> {
    return this.#wal.barrier(async () => {
      await writeFileDurable(join(this.#dir, SNAPSHOT), this.#state.toSnapshot());
      await this.#wal.rotate();
    });
  }

  async close(): Promise<void> {
    await this.#serialised(async () => {
      await this.#wal.close();
      await this.#unlock();
    });
  }
}

function replayInto(
  state: EmbeddedState,
  decoder: ContributionDecoder,
): (record: LogRecord) => void {
  return (record) => {
    const meta = record.meta;
    switch (meta.type) {
      case 'init':
        state.applyInit(meta.round as RoundRecord, meta.projector as VersionInfo);
        break;
      case 'update': {
        const roundId = meta.roundId as number;
        const round = state.rounds.get(roundId);
        if (round === undefined)
          throw new StorageError('STORAGE_CORRUPT', `log update for unknown round ${roundId}`);
        state.applyUpdate(roundId, meta.nonce as string, decoder(round.config, record.data));
        break;
      }
      case 'masked-sum': {
        const roundId = meta.roundId as number;
        const round = state.rounds.get(roundId);
        if (round === undefined)
          throw new StorageError('STORAGE_CORRUPT', `log updates for unknown round ${roundId}`);
        const { nonces, sum } = readMaskedSum(meta, record.data, contributionLength(round.config));
        state.applyMaskedSum(roundId, nonces, sum);
        break;
      }
      case 'publish':
        state.applyPublish(meta.info as VersionInfo);
        break;
      case 'close':
        state.applyClose(meta as unknown as CloseRecord);
        break;
      default:
        throw new StorageError(
          'STORAGE_CORRUPT',
          `unknown log record type ${JSON.stringify(meta.type)}`,
        );
    }
    state.lsn = record.lsn;
  };
}

/**
 * Opens (creating if needed) an embedded store: takes the directory lock, loads the snapshot and
 * replays the log after it.
 * @param options - directory, decoder, snapshot threshold
 * @returns the store
 * @throws StorageError `STORAGE_BLOCKED` when another live process uses the directory,
 *   `STORAGE_CORRUPT` when the files are damaged beyond a torn final log record
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  const { dir } = options;
  await mkdir(join(dir, 'blobs'), { recursive: true });
  const unlock = await lockDirectory(dir);
  try {
    // Copied into a plain Uint8Array: decoders must never see a pooled `Buffer` (its `slice` is a view).
    const snapshot = await readFile(join(dir, SNAPSHOT)).then(
      (b) => new Uint8Array(b),
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
    const state = snapshot ? EmbeddedState.fromSnapshot(snapshot) : new EmbeddedState();
    const wal = await WriteAheadLog.open(
      dir,
      state.lsn,
      replayInto(state, options.decoder),
      options.onCommit,
    );
    return new EmbeddedStore(
      dir,
      state,
      wal,
      unlock,
      options.snapshotBytes ?? 64 * 1024 * 1024,
      options.maskedGatherMs ?? 2,
    );
  } catch (error) {
    await unlock();
    throw error;
  }
}
