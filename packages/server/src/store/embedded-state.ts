/**
 * The embedded store's memory: what the log's records add up to, and its snapshot form. Every
 * change goes through one `apply*` method, both when a record is first written and when it is
 * replayed after a restart, so the two paths cannot drift apart.
 *
 * Snapshot = safetensors (the project's one binary container) with two U8 tensors, `accumulator`
 * (the open round's running sum, see `RoundAccumulator.toBytes`) and `nonces` (newline-separated),
 * and the JSON state in `__metadata__.state`.
 */
import { StorageError, decodeSafetensors, encodeSafetensors } from '@privads/protocol';

import { RoundAccumulator, contributionLength } from '../rounds/aggregator.js';
import type {
  ClosedRoundInfo,
  Contribution,
  LedgerEntry,
  RoundRecord,
  VersionInfo,
  VersionKind,
} from './store.js';

/** Meta of a `close` record. */
export interface CloseRecord {
  roundId: number;
  closed: ClosedRoundInfo;
  versions: VersionInfo[];
  release: boolean;
  optimizerVersion?: number;
  ledgerEntry?: LedgerEntry;
  nextRound: RoundRecord;
}

interface PersistedState {
  formatVersion: 1;
  lsn: number;
  rounds: RoundRecord[];
  versions: VersionInfo[];
  ledger: LedgerEntry[];
  releases: number[];
  optimizerVersion?: number;
}

const SNAPSHOT_FORMAT = 'privads.embedded-snapshot';

/** In-memory state of an embedded store. */
export class EmbeddedState {
  /** Last applied log record. */
  lsn = 0;
  readonly rounds = new Map<number, RoundRecord>();
  readonly versions: Record<VersionKind, VersionInfo[]> = { projector: [], catalog: [] };
  readonly ledger: LedgerEntry[] = [];
  readonly releases = new Set<number>();
  /** Projector version whose optimizer state file is current. */
  optimizerVersion: number | undefined;
  /** The open round's id, running sum and used nonces. */
  open: { roundId: number; totals: RoundAccumulator; nonces: Set<string> } | undefined;

  /** Whether the store holds anything yet. */
  get initialized(): boolean {
    return this.rounds.size > 0;
  }

  /**
   * The newest version of a kind.
   * @param kind - projector or catalog
   * @returns its description
   */
  latest(kind: VersionKind): VersionInfo | undefined {
    return this.versions[kind].at(-1);
  }

  /** @param round - round 1 @param projector - projector version 1 */
  applyInit(round: RoundRecord, projector: VersionInfo): void {
    this.versions.projector.push(projector);
    this.#openRound(round);
  }

  /**
   * @param roundId - the open round
   * @param nonce - the upload's nonce
   * @param contribution - what it adds
   */
  applyUpdate(roundId: number, nonce: string, contribution: Contribution): void {
    const open = this.open;
    if (open?.roundId !== roundId) {
      throw new StorageError('STORAGE_CORRUPT', `update for round ${roundId}, which is not open`);
    }
    open.totals.add(contribution.vector, contribution.belowClip);
    open.nonces.add(nonce);
  }

  /**
   * @param roundId - the open round
   * @param nonces - the nonces of a batch of masked uploads
   * @param sum - the exact sum of their words
   */
  applyMaskedSum(roundId: number, nonces: readonly string[], sum: Uint32Array): void {
    const open = this.open;
    if (open?.roundId !== roundId) {
      throw new StorageError('STORAGE_CORRUPT', `updates for round ${roundId}, which is not open`);
    }
    open.totals.addIntegerSum(sum, nonces.length);
    for (const nonce of nonces) open.nonces.add(nonce);
  }

  /** @param info - the published version */
  applyPublish(info: VersionInfo): void {
    this.versions[info.kind].push(info);
  }

  /** @param record - what the close committed */
  applyClose(record: CloseRecord): void {
    const round = this.rounds.get(record.roundId);
    if (round === undefined || round.status !== 'open') {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `close of round ${record.roundId}, which is not open`,
      );
    }
    this.rounds.set(record.roundId, {
      ...round,
      status: record.closed.status,
      closed: record.closed,
    });
    for (const info of record.versions) this.versions[info.kind].push(info);
    if (record.release) this.releases.add(record.roundId);
    if (record.optimizerVersion !== undefined) this.optimizerVersion = record.optimizerVersion;
    if (record.ledgerEntry) this.ledger.push(record.ledgerEntry);
    this.#openRound(record.nextRound);
  }

  #openRound(round: RoundRecord): void {
    this.rounds.set(round.config.roundId, round);
    this.open = {
      roundId: round.config.roundId,
      totals: new RoundAccumulator(contributionLength(round.config)),
      nonces: new Set(),
    };
  }

  /**
   * Serialises the state (synchronously, so it is consistent with `lsn`).
   * @returns snapshot bytes
   */
  toSnapshot(): Uint8Array {
    const persisted: PersistedState = {
      formatVersion: 1,
      lsn: this.lsn,
      rounds: [...this.rounds.values()],
      versions: [...this.versions.projector, ...this.versions.catalog],
      ledger: this.ledger,
      releases: [...this.releases],
      ...(this.optimizerVersion === undefined ? {} : { optimizerVersion: this.optimizerVersion }),
    };
    const accumulator = this.open ? this.open.totals.toBytes() : new Uint8Array(0);
    const nonces = new TextEncoder().encode(this.open ? [...this.open.nonces].join('\n') : '');
    return encodeSafetensors(
      {
        accumulator: { dtype: 'U8', shape: [accumulator.length], data: accumulator },
        nonces: { dtype: 'U8', shape: [nonces.length], data: nonces },
      },
      { format: SNAPSHOT_FORMAT, state: JSON.stringify(persisted) },
    );
  }

  /**
   * Rebuilds the state from {@link EmbeddedState.toSnapshot} output.
   * @param bytes - snapshot bytes
   * @returns the state
   * @throws StorageError `STORAGE_CORRUPT` when the bytes are not a snapshot of this version
   */
  static fromSnapshot(bytes: Uint8Array): EmbeddedState {
    let persisted: PersistedState;
    let accumulator: Uint8Array;
    let nonces: string;
    try {
      const { tensors, metadata } = decodeSafetensors(bytes);
      if (
        metadata.format !== SNAPSHOT_FORMAT ||
        tensors.accumulator?.dtype !== 'U8' ||
        tensors.nonces?.dtype !== 'U8'
      ) {
        throw new Error('not an embedded-store snapshot');
      }
      persisted = JSON.parse(metadata.state ?? '') as PersistedState;
      if (persisted.formatVersion !== 1)
        throw new Error(`snapshot format ${persisted.formatVersion}`);
      accumulator = tensors.accumulator.data;
      nonces = new TextDecoder().decode(tensors.nonces.data);
    } catch (cause) {
      throw new StorageError('STORAGE_CORRUPT', `unreadable snapshot: ${String(cause)}`, { cause });
    }
    const state = new EmbeddedState();
    state.lsn = persisted.lsn;
    for (const round of persisted.rounds) state.rounds.set(round.config.roundId, round);
    for (const info of persisted.versions) state.versions[info.kind].push(info);
    state.ledger.push(...persisted.ledger);
    for (const id of persisted.releases) state.releases.add(id);
    state.optimizerVersion = persisted.optimizerVersion;
    const open = persisted.rounds.find((r) => r.status === 'open');
    if (open) {
      state.open = {
        roundId: open.config.roundId,
        totals: RoundAccumulator.fromBytes(accumulator),
        nonces: new Set(nonces === '' ? [] : nonces.split('\n')),
      };
    }
    return state;
  }
}
