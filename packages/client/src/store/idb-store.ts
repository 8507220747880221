import { StorageError } from '@privads/protocol';
import { openDB } from 'idb';
import { withLock } from './locks.js';
import { BLOB_VERSIONS_KEPT } from './memory-store.js';
import type {
  BlobKind,
  EventRecord,
  LedgerEntry,
  LedgerRecord,
  OutboxItem,
  ProfileRecord,
  Settings,
} from './records.js';
import { isFullEntry, STUB_SETTINGS, stubOf } from './records.js';
import { migrate, SCHEMA_VERSION, type PrivAdsDatabase, type PrivAdsSchema } from './schema.js';
import {
  DEFAULT_EVENT_LOG_LIMITS,
  type ClientStore,
  type EventLogLimits,
  type ProfileUpdate,
} from './store.js';

const PROFILE_KEY = 'user';
/**
 * Largest part of a cached download: Chromium refuses IndexedDB values over 127 MiB
 * (133,169,152 bytes), and a million-ad catalog is about 500 MB.
 */
export const BLOB_PART_BYTES = 64 * 1024 * 1024;

/** Every object store: what `clear` and `clearKeepingStub` empty in one transaction. */
const STORE_NAMES = [
  'profile',
  'events',
  'settings',
  'ledger',
  'outbox',
  'blobs',
  'blobParts',
] as const;

/** Key range of every part of one blob. */
const partsOf = (kind: BlobKind, version: string): IDBKeyRange =>
  IDBKeyRange.bound([kind, version, 0], [kind, version, Infinity]);
/** Appends between two prunings of the event log (pruning scans the log). */
const PRUNE_EVERY = 32;

/** Options of {@link openIdbStore}. */
export interface IdbStoreOptions {
  /** Event log caps. */
  readonly limits?: EventLogLimits;
  /** Clock, injectable for tests. @defaultValue `Date.now` */
  readonly now?: () => number;
  /** How long to wait for other tabs to release an older schema version. @defaultValue 3000 */
  readonly blockedTimeoutMs?: number;
  /**
   * Called when the connection becomes unusable (another tab upgrades the schema, or the browser
   * terminates the connection); the caller should fall back to memory.
   */
  readonly onLost?: (reason: string) => void;
  /**
   * Called when another tab deletes the database (`forget()` there): this connection is closed
   * at once so that the deletion is not blocked; the caller should stop using this store.
   */
  readonly onDeleted?: () => void;
}

/**
 * Maps an IndexedDB failure to a {@link StorageError}.
 * @param error - what IndexedDB threw
 * @param what - operation, for the message
 * @returns the error to report
 */
export function storageErrorOf(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  const code = name === 'QuotaExceededError' ? 'STORAGE_QUOTA' : 'STORAGE_UNAVAILABLE';
  return new StorageError(code, `${what}: ${String(name ?? 'Error')}: ${message}`, {
    cause: error,
  });
}

/**
 * Opens (creating or migrating) the database of one site scope.
 * @param name - database name (see `databaseName`)
 * @param options - caps, clock, blocked-upgrade timeout, loss callback
 * @returns the store
 * @throws StorageError `STORAGE_UNAVAILABLE` without IndexedDB or when opening fails,
 *   `STORAGE_BLOCKED` when another tab keeps an old version open past the timeout
 */
export async function openIdbStore(name: string, options: IdbStoreOptions = {}): Promise<IdbStore> {
  if ((globalThis as { indexedDB?: unknown }).indexedDB === undefined) {
    throw new StorageError('STORAGE_UNAVAILABLE', 'IndexedDB is not available here');
  }
  const timeoutMs = options.blockedTimeoutMs ?? 3000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const blocked = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StorageError(
            'STORAGE_BLOCKED',
            `opening ${name} v${SCHEMA_VERSION} blocked for ${timeoutMs} ms by another tab`,
          ),
        ),
      timeoutMs,
    );
  });
  let store: IdbStore | undefined;
  const opening = openDB<PrivAdsSchema>(name, SCHEMA_VERSION, {
    upgrade: (db, oldVersion, _newVersion, tx) => migrate(db, oldVersion, tx),
    // Another tab deletes the database (its reader chose "forget"), or a newer PrivAds there
    // wants to upgrade: step aside rather than block it.
    blocking: (_current, next) => {
      if (next === null) {
        store?.lose('the database was deleted in another tab', false);
        options.onDeleted?.();
      } else {
        store?.lose('a newer schema version was opened in another tab');
      }
    },
    terminated: () => store?.lose('the browser closed the database connection'),
  });
  try {
    const db = await Promise.race([opening, blocked]);
    store = new IdbStore(db, options);
    return store;
  } catch (error) {
    // If the open completes after the timeout, close it so it does not block anyone.
    opening.then((db) => db.close()).catch(() => undefined);
    throw storageErrorOf(error, `opening ${name}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Deletes a database. Other tabs' PrivAds connections close when asked (see `onDeleted`); a
 * connection that does not (an old page) delays the deletion until it closes.
 * @param name - database name
 * @param timeoutMs - how long to wait for the deletion to complete
 * @returns whether it completed within the timeout (`true` without IndexedDB: nothing to delete)
 */
export function deleteIdbDatabase(name: string, timeoutMs: number): Promise<boolean> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (idb === undefined) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const request = idb.deleteDatabase(name);
    request.onsuccess = request.onerror = () => {
      clearTimeout(timer);
      resolve(request.error === null);
    };
  });
}

/** The durable store: IndexedDB through `idb`. */
export class IdbStore implements ClientStore {
  readonly kind = 'indexeddb';
  readonly #db: PrivAdsDatabase;
  readonly #limits: EventLogLimits;
  readonly #now: () => number;
  readonly #onLost: ((reason: string) => void) | undefined;
  #appendsSincePrune = PRUNE_EVERY;
  #lost: string | undefined;

  /**
   * @param db - an open connection at {@link SCHEMA_VERSION}
   * @param options - caps, clock, loss callback
   */
  constructor(db: PrivAdsDatabase, options: IdbStoreOptions) {
    this.#db = db;
    this.#limits = options.limits ?? DEFAULT_EVENT_LOG_LIMITS;
    this.#now = options.now ?? Date.now;
    this.#onLost = options.onLost;
  }

  /**
   * Marks the connection unusable and closes it.
   * @param reason - why, passed to `onLost`
   * @param report - whether to call `onLost` @defaultValue true
   */
  lose(reason: string, report = true): void {
    if (this.#lost !== undefined) return;
    this.#lost = reason;
    this.#db.close();
    if (report) this.#onLost?.(reason);
  }

  async getProfile(): Promise<ProfileRecord | undefined> {
    return this.#run('reading the profile', () => this.#db.get('profile', PROFILE_KEY));
  }

  updateProfile(update: ProfileUpdate, event?: EventRecord): Promise<ProfileRecord | undefined> {
    // The lock serialises tabs; the single transaction makes the write atomic with its event.
    return withLock(`${this.#db.name}:profile`, () =>
      this.#run('updating the profile', async () => {
        const tx = this.#db.transaction(['profile', 'events'], 'readwrite');
        const profile = tx.objectStore('profile');
        const current = await profile.get(PROFILE_KEY);
        const next = update(current);
        if (next !== undefined) void profile.put(next, PROFILE_KEY);
        if (event !== undefined) void tx.objectStore('events').add(event);
        await tx.done;
        if (event !== undefined) await this.#maybePrune();
        return next ?? current;
      }),
    );
  }

  async appendEvent(event: EventRecord): Promise<void> {
    await this.#run('logging an event', () => this.#db.add('events', event));
    await this.#maybePrune();
  }

  async events(since?: number): Promise<EventRecord[]> {
    const range = since === undefined ? undefined : IDBKeyRange.lowerBound(since, true);
    return this.#run('reading events', () => this.#db.getAllFromIndex('events', 't', range));
  }

  async getSetting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined> {
    return this.#run(
      'reading a setting',
      async () => (await this.#db.get('settings', key)) as Settings[K],
    );
  }

  async setSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
    await this.#run('writing a setting', async () => {
      const tx = this.#db.transaction('settings', 'readwrite', { durability: 'strict' });
      void tx.store.put(value, key);
      await tx.done;
    });
  }

  async ledger(): Promise<LedgerRecord[]> {
    return this.#run('reading the ledger', () => this.#db.getAll('ledger'));
  }

  async addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<number> {
    return this.#run('writing the ledger', async () => {
      const tx = this.#db.transaction('ledger', 'readwrite', { durability: 'strict' });
      const id = await tx.store.add(entry as LedgerEntry);
      await tx.done;
      return id;
    });
  }

  async setLedgerStatus(id: number, status: LedgerEntry['status'], at: number): Promise<void> {
    await this.#run('writing the ledger', async () => {
      const tx = this.#db.transaction('ledger', 'readwrite', { durability: 'strict' });
      const entry = await tx.store.get(id);
      if (entry !== undefined && isFullEntry(entry)) {
        void tx.store.put({ ...entry, status, statusAt: at });
      }
      await tx.done;
    });
  }

  async outbox(): Promise<OutboxItem[]> {
    return this.#run('reading the outbox', () => this.#db.getAll('outbox'));
  }

  async putOutbox(item: OutboxItem): Promise<void> {
    await this.#run('queueing an upload', async () => {
      const tx = this.#db.transaction('outbox', 'readwrite', { durability: 'strict' });
      void tx.store.put(item);
      await tx.done;
    });
  }

  async deleteOutbox(roundId: number): Promise<void> {
    await this.#run('dequeueing an upload', () => this.#db.delete('outbox', roundId));
  }

  async getBlob(kind: BlobKind, version: string): Promise<ArrayBuffer | undefined> {
    return this.#run('reading the cache', async () => {
      const tx = this.#db.transaction(['blobs', 'blobParts']);
      const head = await tx.objectStore('blobs').get([kind, version]);
      if (head === undefined || 'bytes' in head) return head?.bytes;
      // Part by part through a cursor: at most one part is held beside the whole.
      const whole = new Uint8Array(head.byteLength);
      let at = 0;
      let count = 0;
      let cursor = await tx.objectStore('blobParts').openCursor(partsOf(kind, version));
      for (; cursor; cursor = await cursor.continue(), count++) {
        const { part, bytes } = cursor.value;
        // A part missing or of another write: the blob is treated as not cached.
        if (part !== count || at + bytes.byteLength > whole.length) return undefined;
        whole.set(new Uint8Array(bytes), at);
        at += bytes.byteLength;
      }
      return count === head.parts && at === whole.length ? whole.buffer : undefined;
    });
  }

  async putBlob(kind: BlobKind, version: string, bytes: ArrayBuffer): Promise<void> {
    await this.#run('writing the cache', async () => {
      const tx = this.#db.transaction(['blobs', 'blobParts'], 'readwrite');
      const blobs = tx.objectStore('blobs');
      const parts = tx.objectStore('blobParts');
      const existing = (await blobs.index('kind').getAll(kind)).filter(
        (b) => b.version !== version,
      );
      existing.sort((a, b) => a.storedAt - b.storedAt);
      for (const old of existing.slice(
        0,
        Math.max(0, existing.length - (BLOB_VERSIONS_KEPT - 1)),
      )) {
        void blobs.delete([old.kind, old.version]);
        void parts.delete(partsOf(old.kind, old.version));
      }
      void parts.delete(partsOf(kind, version));
      const storedAt = this.#now();
      if (bytes.byteLength <= BLOB_PART_BYTES) {
        void blobs.put({ kind, version, bytes, storedAt });
      } else {
        const count = Math.ceil(bytes.byteLength / BLOB_PART_BYTES);
        for (let part = 0; part < count; part++) {
          const slice = bytes.slice(part * BLOB_PART_BYTES, (part + 1) * BLOB_PART_BYTES);
          void parts.put({ kind, version, part, bytes: slice });
        }
        void blobs.put({ kind, version, parts: count, byteLength: bytes.byteLength, storedAt });
      }
      await tx.done;
    });
  }

  async clear(): Promise<void> {
    await this.#run('clearing', async () => {
      const tx = this.#db.transaction(STORE_NAMES, 'readwrite', { durability: 'strict' });
      await Promise.all([...STORE_NAMES.map((n) => tx.objectStore(n).clear()), tx.done]);
    });
  }

  async clearKeepingStub(): Promise<void> {
    await this.#run('forgetting', async () => {
      const tx = this.#db.transaction(STORE_NAMES, 'readwrite', { durability: 'strict' });
      const settings = tx.objectStore('settings');
      const ledger = tx.objectStore('ledger');
      const [kept, records] = await Promise.all([
        Promise.all(STUB_SETTINGS.map(async (k) => [k, await settings.get(k)] as const)),
        ledger.getAll(),
      ]);
      // One transaction: a crash leaves either everything or the stub, never a ledger without it.
      for (const name of STORE_NAMES) {
        void tx.objectStore(name).clear();
      }
      for (const [k, v] of kept) if (v !== undefined) void settings.put(v, k);
      for (const record of records) void ledger.put(stubOf(record));
      await tx.done;
    });
  }

  close(): void {
    this.#db.close();
  }

  async #maybePrune(): Promise<void> {
    if (++this.#appendsSincePrune < PRUNE_EVERY) return;
    this.#appendsSincePrune = 0;
    await this.#run('pruning events', async () => {
      const tx = this.#db.transaction('events', 'readwrite');
      const oldest = this.#now() - this.#limits.maxAgeMs;
      let cursor = await tx.store.index('t').openCursor(IDBKeyRange.upperBound(oldest, true));
      while (cursor) {
        void cursor.delete();
        cursor = await cursor.continue();
      }
      let excess = (await tx.store.count()) - this.#limits.maxEvents;
      let oldestFirst = excess > 0 ? await tx.store.openCursor() : null;
      while (oldestFirst && excess-- > 0) {
        void oldestFirst.delete();
        oldestFirst = await oldestFirst.continue();
      }
      await tx.done;
    });
  }

  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#lost !== undefined) {
      throw new StorageError('STORAGE_UNAVAILABLE', `${what}: ${this.#lost}`);
    }
    try {
      return await op();
    } catch (error) {
      throw storageErrorOf(error, what);
    }
  }
}
