import type { StorageError } from '@privads/protocol';
import { openIdbStore, storageErrorOf } from './idb-store.js';
import { MemoryStore } from './memory-store.js';
import type {
  BlobKind,
  EventRecord,
  LedgerEntry,
  OutboxItem,
  ProfileRecord,
  Settings,
} from './records.js';
import { databaseName } from './schema.js';
import {
  DEFAULT_EVENT_LOG_LIMITS,
  type ClientStore,
  type EventLogLimits,
  type ProfileUpdate,
} from './store.js';

/** Options of {@link openClientStore}. */
export interface ClientStoreOptions {
  /** Site scope; one database per scope. */
  readonly site: string;
  /** `memory` skips IndexedDB entirely. @defaultValue `'indexeddb'` */
  readonly storage?: 'indexeddb' | 'memory';
  /** Event log caps. */
  readonly limits?: EventLogLimits;
  /** Clock. @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Wait for a blocked upgrade, in milliseconds. @defaultValue 3000 */
  readonly blockedTimeoutMs?: number;
  /** Told once when the store falls back to memory, with the cause. */
  readonly onFallback: (error: StorageError) => void;
}

/**
 * A store that starts durable and degrades to memory on the first storage failure (quota, a
 * closed connection, private-mode errors), retrying the failed operation there. The profile and
 * the pause flag it last saw are carried over, so the reader's session continues.
 */
export class ResilientStore implements ClientStore {
  #inner: ClientStore;
  #lastProfile: ProfileRecord | undefined;
  #paused: boolean | undefined;

  /**
   * @param primary - the durable store (or a memory store)
   * @param limits - caps for the fallback store
   * @param now - clock for the fallback store
   * @param onFallback - told once, with the failure, when the store degrades
   */
  constructor(
    primary: ClientStore,
    private readonly limits: EventLogLimits,
    private readonly now: () => number,
    private readonly onFallback: (error: StorageError) => void,
  ) {
    this.#inner = primary;
  }

  get kind(): 'indexeddb' | 'memory' {
    return this.#inner.kind;
  }

  /**
   * Switches to memory now (idempotent).
   * @param error - the cause, reported through `onFallback`
   */
  fallBack(error: StorageError): void {
    if (this.#inner.kind === 'memory') return;
    const failed = this.#inner;
    this.#inner = new MemoryStore(this.limits, this.now, {
      profile: this.#lastProfile,
      paused: this.#paused,
    });
    try {
      failed.close();
    } catch {
      // Already closed by the browser: nothing left to release.
    }
    this.onFallback(error);
  }

  getProfile(): Promise<ProfileRecord | undefined> {
    return this.#call((s) => s.getProfile()).then((p) => this.#remember(p));
  }
  updateProfile(update: ProfileUpdate, event?: EventRecord): Promise<ProfileRecord | undefined> {
    return this.#call((s) => s.updateProfile(update, event)).then((p) => this.#remember(p));
  }
  appendEvent(event: EventRecord): Promise<void> {
    return this.#call((s) => s.appendEvent(event));
  }
  events(since?: number): Promise<EventRecord[]> {
    return this.#call((s) => s.events(since));
  }
  getSetting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined> {
    return this.#call((s) => s.getSetting(key));
  }
  setSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
    if (key === 'paused') this.#paused = value as boolean;
    return this.#call((s) => s.setSetting(key, value));
  }
  ledger(): Promise<LedgerEntry[]> {
    return this.#call((s) => s.ledger());
  }
  addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<number> {
    return this.#call((s) => s.addLedgerEntry(entry));
  }
  setLedgerStatus(id: number, status: LedgerEntry['status'], at: number): Promise<void> {
    return this.#call((s) => s.setLedgerStatus(id, status, at));
  }
  outbox(): Promise<OutboxItem[]> {
    return this.#call((s) => s.outbox());
  }
  putOutbox(item: OutboxItem): Promise<void> {
    return this.#call((s) => s.putOutbox(item));
  }
  deleteOutbox(roundId: number): Promise<void> {
    return this.#call((s) => s.deleteOutbox(roundId));
  }
  getBlob(kind: BlobKind, version: string): Promise<ArrayBuffer | undefined> {
    return this.#call((s) => s.getBlob(kind, version));
  }
  putBlob(kind: BlobKind, version: string, bytes: ArrayBuffer): Promise<void> {
    return this.#call((s) => s.putBlob(kind, version, bytes));
  }
  async clear(): Promise<void> {
    this.#lastProfile = undefined;
    this.#paused = undefined;
    await this.#call((s) => s.clear());
  }
  close(): void {
    this.#inner.close();
  }

  #remember(profile: ProfileRecord | undefined): ProfileRecord | undefined {
    this.#lastProfile = profile;
    return profile;
  }

  async #call<T>(op: (store: ClientStore) => Promise<T>): Promise<T> {
    const store = this.#inner;
    try {
      return await op(store);
    } catch (error) {
      if (store.kind === 'memory') throw error;
      this.fallBack(storageErrorOf(error, 'storage'));
      return op(this.#inner);
    }
  }
}

/**
 * Opens the store of a site scope: IndexedDB when it works, memory otherwise (reported through
 * `onFallback`, never thrown).
 * @param options - scope, storage preference, caps, fallback listener
 * @returns a store that never fails because of storage
 */
export async function openClientStore(options: ClientStoreOptions): Promise<ResilientStore> {
  const limits = options.limits ?? DEFAULT_EVENT_LOG_LIMITS;
  const now = options.now ?? Date.now;
  if (options.storage === 'memory') {
    return new ResilientStore(new MemoryStore(limits, now), limits, now, options.onFallback);
  }
  let resilient: ResilientStore | undefined;
  try {
    const idb = await openIdbStore(databaseName(options.site), {
      limits,
      now,
      blockedTimeoutMs: options.blockedTimeoutMs ?? 3000,
      onLost: (reason) =>
        resilient?.fallBack(storageErrorOf(new Error(reason), 'database connection lost')),
    });
    resilient = new ResilientStore(idb, limits, now, options.onFallback);
    return resilient;
  } catch (error) {
    const memory = new ResilientStore(
      new MemoryStore(limits, now),
      limits,
      now,
      options.onFallback,
    );
    options.onFallback(storageErrorOf(error, 'opening IndexedDB'));
    return memory;
  }
}
