import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type {
  BlobKind,
  EventRecord,
  LedgerRecord,
  OutboxItem,
  ProfileRecord,
  Settings,
} from './records.js';

/**
 * A cached immutable download (catalog bundle, its PQ index, or projector weights): its bytes, or,
 * for one larger than IndexedDB stores in a value (Chromium: 127 MiB), how many parts of
 * {@link BlobPartRecord} hold them.
 */
export type BlobRecord = {
  readonly kind: BlobKind;
  readonly version: string;
  readonly storedAt: number;
} & ({ readonly bytes: ArrayBuffer } | { readonly parts: number; readonly byteLength: number });

/** Part `part` (from 0) of a blob stored in parts. */
export interface BlobPartRecord {
  readonly kind: BlobKind;
  readonly version: string;
  readonly part: number;
  readonly bytes: ArrayBuffer;
}

/** The IndexedDB schema of one site scope. */
export interface PrivAdsSchema extends DBSchema {
  /** One record, key `user`. */
  profile: { key: string; value: ProfileRecord };
  /** Out-of-line auto-increment keys, so key order is insertion order. */
  events: { key: number; value: EventRecord; indexes: { t: number } };
  settings: { key: keyof Settings; value: Settings[keyof Settings] };
  ledger: { key: number; value: LedgerRecord; indexes: { roundId: number } };
  outbox: { key: number; value: OutboxItem };
  blobs: { key: [string, string]; value: BlobRecord; indexes: { kind: string } };
  blobParts: { key: [string, string, number]; value: BlobPartRecord };
}

/** Database handle type. */
export type PrivAdsDatabase = IDBPDatabase<PrivAdsSchema>;
type UpgradeTransaction = IDBPTransaction<
  PrivAdsSchema,
  ArrayLike<StoreNames<PrivAdsSchema>>,
  'versionchange'
>;

/** One schema step: upgrades a database from version `i` to `i + 1`. */
type Migration = (db: PrivAdsDatabase, tx: UpgradeTransaction) => void;

/**
 * Schema steps, in order; index `i` upgrades version `i` to `i + 1`. Never edit a released step:
 * append a new one (a reader's database may be at any older version).
 */
export const MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.createObjectStore('profile');
    db.createObjectStore('events', { autoIncrement: true }).createIndex('t', 't');
    db.createObjectStore('settings');
    db.createObjectStore('ledger', { keyPath: 'id', autoIncrement: true });
    db.createObjectStore('outbox', { keyPath: 'roundId' });
    db.createObjectStore('blobs', { keyPath: ['kind', 'version'] }).createIndex('kind', 'kind');
  },
  // Version 2: the one-upload-per-round check looks ledger entries up by round.
  (_db, tx) => {
    tx.objectStore('ledger').createIndex('roundId', 'roundId');
  },
  // Version 3: downloads larger than one IndexedDB value (a million-ad catalog) cached in parts.
  (db) => {
    db.createObjectStore('blobParts', { keyPath: ['kind', 'version', 'part'] });
  },
];

/** Current schema version. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Runs the steps from `oldVersion` to {@link SCHEMA_VERSION} inside the upgrade transaction.
 * @param db - database being upgraded
 * @param oldVersion - version on disk (0 for a new database)
 * @param tx - the `versionchange` transaction
 */
export function migrate(db: PrivAdsDatabase, oldVersion: number, tx: UpgradeTransaction): void {
  for (let version = oldVersion; version < SCHEMA_VERSION; version++) {
    (MIGRATIONS[version] as Migration)(db, tx);
  }
}

/**
 * Database name of a site scope.
 * @param site - scope the publisher chose (defaults to the page's host)
 * @returns the IndexedDB database name
 */
export function databaseName(site: string): string {
  return `privads:${site}`;
}
