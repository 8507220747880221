import type {
  BlobKind,
  EventRecord,
  LedgerEntry,
  LedgerRecord,
  OutboxItem,
  ProfileRecord,
  Settings,
} from './records.js';

/** Caps of the event log: older or excess entries are dropped on write. */
export interface EventLogLimits {
  /** Entries kept at most. @defaultValue 2000 */
  readonly maxEvents: number;
  /** Age in milliseconds after which entries are dropped. @defaultValue 30 days */
  readonly maxAgeMs: number;
}

/** Default {@link EventLogLimits}. */
export const DEFAULT_EVENT_LOG_LIMITS: EventLogLimits = Object.freeze({
  maxEvents: 2000,
  maxAgeMs: 30 * 86_400_000,
});

/**
 * A pure profile update: receives the current profile and returns the next one, or `undefined`
 * to leave it unchanged. Must be synchronous: the IndexedDB transaction stays open around it.
 */
export type ProfileUpdate = (current: ProfileRecord | undefined) => ProfileRecord | undefined;

/** Persistence of everything the client keeps; IndexedDB or memory behind one interface. */
export interface ClientStore {
  /** `indexeddb` when durable, `memory` after a fallback (or when asked for). */
  readonly kind: 'indexeddb' | 'memory';
  /** @returns the reader's profile, if one exists */
  getProfile(): Promise<ProfileRecord | undefined>;
  /**
   * Read-modify-write of the profile, atomic across tabs, optionally with an event logged in the
   * same transaction.
   * @param update - pure update function
   * @param event - event to append atomically with the write
   * @returns the profile after the update
   */
  updateProfile(update: ProfileUpdate, event?: EventRecord): Promise<ProfileRecord | undefined>;
  /** @param event - appended to the capped log */
  appendEvent(event: EventRecord): Promise<void>;
  /**
   * @param since - epoch milliseconds (exclusive); all retained events when omitted
   * @returns events in time order
   */
  events(since?: number): Promise<EventRecord[]>;
  /** @returns the setting's value, if set */
  getSetting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined>;
  /** Stores a setting durably. */
  setSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void>;
  /** @returns every ledger record (full entries and the stubs `forget()` left), oldest first */
  ledger(): Promise<LedgerRecord[]>;
  /**
   * Appends a ledger entry durably (IndexedDB `durability: 'strict'`).
   * @returns its id
   */
  addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<number>;
  /** Changes the status of a ledger entry durably (a stub stays a stub: it has no status). */
  setLedgerStatus(id: number, status: LedgerEntry['status'], at: number): Promise<void>;
  /** @returns queued uploads */
  outbox(): Promise<OutboxItem[]>;
  /** Adds or replaces the queued upload of `item.roundId`. */
  putOutbox(item: OutboxItem): Promise<void>;
  /** Removes a queued upload. */
  deleteOutbox(roundId: number): Promise<void>;
  /** @returns cached bytes of an immutable download */
  getBlob(kind: BlobKind, version: string): Promise<ArrayBuffer | undefined>;
  /** Caches an immutable download, keeping only the newest few per kind. */
  putBlob(kind: BlobKind, version: string, bytes: ArrayBuffer): Promise<void>;
  /** Deletes everything this store holds. */
  clear(): Promise<void>;
  /**
   * Deletes everything but the participation stub, atomically: the profile, events, queued
   * uploads, caches and settings go; each ledger record is reduced to its `ParticipationStub`
   * (round, mode, ε, δ, z), and the `STUB_SETTINGS` (this round's sampling draw, the pause) stay.
   */
  clearKeepingStub(): Promise<void>;
  /** Releases the connection. */
  close(): void;
}
