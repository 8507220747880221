import type { StorageError } from '@privads/protocol';
import { deleteIdbDatabase, openIdbStore, storageErrorOf } from './idb-store.js';
import { MemoryStore } from './memory-store.js';
import type {
  BlobKind,
  EventRecord,
  LedgerEntry,
  LedgerRecord,
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
  /** Told when the database refuses a cached file (the store stays durable), with the cause. */
  readonly onCacheSkipped?: (error: StorageError) => void;
}

/** The database behind a {@link ResilientStore}, for {@link ResilientStore.destroy}. */
export interface DurableBacking {
  /**
   * Deletes the database itself.
   * @returns whether the deletion completed (it may wait for other tabs to close it)
   */
  delete(): Promise<boolean>;
  /** Opens (re-creating) the database; absent when the store must stay in memory. */
  reopen?(): Promise<ClientStore>;
}

/**
 * A store that starts durable and degrades to memory on the first storage failure (quota, a
 * closed connection, private-mode errors), retrying the failed operation there. The profile and
 * the pause flag it last saw are carried over, so the reader's session continues.
 *
 * After {@link ResilientStore.destroy} (or a deletion by another tab) the database no longer
 * exists: reads answer from an empty memory store, and the first write re-creates the database,
 * empty, so the reader's next interactions persist again.
 */
export class ResilientStore implements ClientStore {
  #inner: ClientStore;
  #lastProfile: ProfileRecord | undefined;
  #paused: boolean | undefined;
  /** The database was deleted; the next write re-creates it. */
  #detached = false;
  #attaching: Promise<void> | undefined;

  /**
   * @param primary - the durable store (or a memory store)
   * @param limits - caps for the fallback store
   * @param now - clock for the fallback store
   * @param onFallback - told once, with the failure, when the store degrades
   * @param backing - the database behind `primary`, if any (deletion and re-creation)
   * @param onCacheSkipped - told when the database refuses a cached file
   */
  constructor(
    primary: ClientStore,
    private readonly limits: EventLogLimits,
    private readonly now: () => number,
    private readonly onFallback: (error: StorageError) => void,
    private readonly backing?: DurableBacking,
    private readonly onCacheSkipped?: (error: StorageError) => void,
  ) {
    this.#inner = primary;
  }

  get kind(): 'indexeddb' | 'memory' {
    return this.#detached ? 'indexeddb' : this.#inner.kind;
  }

  /**
   * Deletes everything, the database included. The store stays usable: a durable store
   * re-creates its database on the next write; one that had fallen back to memory stays there.
   * @returns whether the database is gone (`false`: its contents were erased but another
   *   connection still delays the deletion)
   */
  async destroy(): Promise<boolean> {
    this.#lastProfile = undefined;
    this.#paused = undefined;
    const previous = this.#inner;
    this.#detach(previous.kind === 'indexeddb' || this.#detached);
    try {
      // Erased first: the data is gone even while another connection delays the deletion.
      await previous.clear();
    } catch {
      // A failing database: deleting it below removes its contents all the same.
    }
    previous.close();
    return (await this.backing?.delete()) ?? true;
  }

  /** Another tab deleted the database: continue as after {@link ResilientStore.destroy}. */
  detach(): void {
    if (this.#inner.kind !== 'indexeddb') return;
    const previous = this.#inner;
    this.#detach(true);
    previous.close();
  }

  /**
   * Switches to memory now (idempotent).
   * @param error - the cause, reported through `onFallback`
   */
  fallBack(error: StorageError): void {
    this.#detached = false;
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
    return this.#call((s) => s.updateProfile(update, event), true).then((p) => this.#remember(p));
  }
  appendEvent(event: EventRecord): Promise<void> {
    return this.#call((s) => s.appendEvent(event), true);
  }
  events(since?: number): Promise<EventRecord[]> {
    return this.#call((s) => s.events(since));
  }
  getSetting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined> {
    return this.#call((s) => s.getSetting(key));
  }
  setSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
    if (key === 'paused') this.#paused = value as boolean;
    return this.#call((s) => s.setSetting(key, value), true);
  }
  ledger(): Promise<LedgerRecord[]> {
    return this.#call((s) => s.ledger());
  }
  addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<number> {
    return this.#call((s) => s.addLedgerEntry(entry), true);
  }
  setLedgerStatus(id: number, status: LedgerEntry['status'], at: number): Promise<void> {
    return this.#call((s) => s.setLedgerStatus(id, status, at), true);
  }
  outbox(): Promise<OutboxItem[]> {
    return this.#call((s) => s.outbox());
  }
  putOutbox(item: OutboxItem): Promise<void> {
    return this.#call((s) => s.putOutbox(item), true);
  }
  deleteOutbox(roundId: number): Promise<void> {
    return this.#call((s) => s.deleteOutbox(roundId));
  }
  getBlob(kind: BlobKind, version: string): Promise<ArrayBuffer | undefined> {
    return this.#call((s) => s.getBlob(kind, version));
  }
  /**
   * Caches a downloaded file. The cache only spares downloads, so a file the database refuses (a
   * million-ad catalog over the origin's quota) is skipped and told to `onCacheSkipped`, and the
   * store stays durable for what must persist: the profile, the ledger.
   */
  async putBlob(kind: BlobKind, version: string, bytes: ArrayBuffer): Promise<void> {
    try {
      await this.#call((s) => s.putBlob(kind, version, bytes), true, false);
    } catch (error) {
      this.onCacheSkipped?.(storageErrorOf(error, `caching the ${kind}`));
    }
  }
  async clear(): Promise<void> {
    this.#lastProfile = undefined;
    this.#paused = undefined;
    await this.#call((s) => s.clear());
  }
  async clearKeepingStub(): Promise<void> {
    // The pause is part of the stub: remembered for a fallback store.
    this.#lastProfile = undefined;
    await this.#call((s) => s.clearKeepingStub());
  }
  close(): void {
    this.#inner.close();
  }

  #remember(profile: ProfileRecord | undefined): ProfileRecord | undefined {
    this.#lastProfile = profile;
    return profile;
  }

  #detach(recreate: boolean): void {
    this.#inner = new MemoryStore(this.limits, this.now);
    this.#detached = recreate && this.backing?.reopen !== undefined;
  }

  async #reattach(): Promise<void> {
    try {
      this.#inner = await (this.backing?.reopen?.() as Promise<ClientStore>);
    } catch (error) {
      this.onFallback(storageErrorOf(error, 're-creating IndexedDB'));
    } finally {
      this.#detached = false;
      this.#attaching = undefined;
    }
  }

  /**
   * @param op - the operation
   * @param write - whether it stores something (re-creates a deleted database first)
   * @param degrade - whether a failure of the database moves the store to memory (else it throws)
   */
  async #call<T>(
    op: (store: ClientStore) => Promise<T>,
    write = false,
    degrade = true,
  ): Promise<T> {
    if (write && this.#detached) {
      // Only reads reached the empty memory store since the deletion: nothing is lost by swapping.
      this.#attaching ??= this.#reattach();
      await this.#attaching;
    }
    const store = this.#inner;
    try {
      return await op(store);
    } catch (error) {
      if (store.kind === 'memory') throw error;
      // The database was deleted (by another tab) while this ran: not a storage failure.
      if (store !== this.#inner) return this.#call(op, write, degrade);
      if (!degrade) throw error;
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
  const name = databaseName(options.site);
  const timeoutMs = options.blockedTimeoutMs ?? 3000;
  const remove = (): Promise<boolean> => deleteIdbDatabase(name, timeoutMs);
  if (options.storage === 'memory') {
    // Never opened; forget() still deletes what an earlier, durable session stored.
    return new ResilientStore(new MemoryStore(limits, now), limits, now, options.onFallback, {
      delete: remove,
    });
  }
  let resilient: ResilientStore | undefined;
  const open = (): Promise<ClientStore> =>
    openIdbStore(name, {
      limits,
      now,
      blockedTimeoutMs: timeoutMs,
      onLost: (reason) =>
        resilient?.fallBack(storageErrorOf(new Error(reason), 'database connection lost')),
      onDeleted: () => resilient?.detach(),
    });
  try {
    const idb = await open();
    resilient = new ResilientStore(
      idb,
      limits,
      now,
      options.onFallback,
      { delete: remove, reopen: open },
      options.onCacheSkipped,
    );
    return resilient;
  } catch (error) {
    // The database may exist all the same (a newer version, a blocked upgrade): forget() deletes it.
    const memory = new ResilientStore(
      new MemoryStore(limits, now),
      limits,
      now,
      options.onFallback,
      { delete: remove },
    );
    options.onFallback(storageErrorOf(error, 'opening IndexedDB'));
    return memory;
  }
}
