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
import {
  DEFAULT_EVENT_LOG_LIMITS,
  type ClientStore,
  type EventLogLimits,
  type ProfileUpdate,
} from './store.js';

/** Cached versions kept per blob kind (the current one and its predecessor). */
export const BLOB_VERSIONS_KEPT = 2;

/**
 * Drops events beyond the caps.
 * @param events - time-ordered log, modified in place
 * @param limits - caps
 * @param now - epoch milliseconds
 */
export function pruneEvents(events: EventRecord[], limits: EventLogLimits, now: number): void {
  const oldest = now - limits.maxAgeMs;
  let drop = 0;
  while (drop < events.length && (events[drop] as EventRecord).t < oldest) drop++;
  drop = Math.max(drop, events.length - limits.maxEvents);
  if (drop > 0) events.splice(0, drop);
}

function copyProfile(p: ProfileRecord): ProfileRecord {
  return { ...p, vector: p.vector.slice() };
}

/**
 * Everything in memory: used when IndexedDB is missing or fails (private mode, quota, blocked
 * upgrade), and in unit tests. Lost on reload, so the worker refuses to upload from it: a privacy
 * ledger that forgets would let the budget be spent twice.
 */
export class MemoryStore implements ClientStore {
  /** Always `memory` here; typed wider so that tests can model a durable store with a subclass. */
  readonly kind: 'indexeddb' | 'memory' = 'memory';
  #profile: ProfileRecord | undefined;
  readonly #events: EventRecord[] = [];
  readonly #settings = new Map<keyof Settings, unknown>();
  readonly #ledger: LedgerRecord[] = [];
  readonly #outbox = new Map<number, OutboxItem>();
  readonly #blobs = new Map<BlobKind, Map<string, ArrayBuffer>>();

  /**
   * @param limits - event log caps
   * @param now - clock, injectable for tests
   * @param seed - state carried over from a failed durable store
   */
  constructor(
    private readonly limits: EventLogLimits = DEFAULT_EVENT_LOG_LIMITS,
    private readonly now: () => number = Date.now,
    seed?: { profile?: ProfileRecord | undefined; paused?: boolean | undefined },
  ) {
    if (seed?.profile) this.#profile = copyProfile(seed.profile);
    if (seed?.paused !== undefined) this.#settings.set('paused', seed.paused);
  }

  async getProfile(): Promise<ProfileRecord | undefined> {
    return this.#profile && copyProfile(this.#profile);
  }

  async updateProfile(
    update: ProfileUpdate,
    event?: EventRecord,
  ): Promise<ProfileRecord | undefined> {
    const next = update(this.#profile && copyProfile(this.#profile));
    if (next !== undefined) this.#profile = copyProfile(next);
    if (event !== undefined) await this.appendEvent(event);
    return this.#profile && copyProfile(this.#profile);
  }

  async appendEvent(event: EventRecord): Promise<void> {
    this.#events.push(event);
    pruneEvents(this.#events, this.limits, this.now());
  }

  async events(since?: number): Promise<EventRecord[]> {
    return since === undefined ? [...this.#events] : this.#events.filter((e) => e.t > since);
  }

  async getSetting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined> {
    return this.#settings.get(key) as Settings[K] | undefined;
  }

  async setSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
    this.#settings.set(key, value);
  }

  async ledger(): Promise<LedgerRecord[]> {
    return this.#ledger.map((e) => ({ ...e }));
  }

  async addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<number> {
    const id = this.#ledger.length + 1;
    this.#ledger.push({ ...entry, id });
    return id;
  }

  async setLedgerStatus(id: number, status: LedgerEntry['status'], at: number): Promise<void> {
    const index = this.#ledger.findIndex((e) => e.id === id);
    const entry = this.#ledger[index];
    if (entry !== undefined && isFullEntry(entry)) {
      this.#ledger[index] = { ...entry, status, statusAt: at };
    }
  }

  async outbox(): Promise<OutboxItem[]> {
    return [...this.#outbox.values()];
  }

  async putOutbox(item: OutboxItem): Promise<void> {
    this.#outbox.set(item.roundId, item);
  }

  async deleteOutbox(roundId: number): Promise<void> {
    this.#outbox.delete(roundId);
  }

  async getBlob(kind: BlobKind, version: string): Promise<ArrayBuffer | undefined> {
    return this.#blobs.get(kind)?.get(version);
  }

  async putBlob(kind: BlobKind, version: string, bytes: ArrayBuffer): Promise<void> {
    const versions = this.#blobs.get(kind) ?? new Map<string, ArrayBuffer>();
    versions.delete(version);
    versions.set(version, bytes);
    for (const old of [...versions.keys()].slice(0, -BLOB_VERSIONS_KEPT)) versions.delete(old);
    this.#blobs.set(kind, versions);
  }

  async clear(): Promise<void> {
    this.#profile = undefined;
    this.#events.length = 0;
    this.#settings.clear();
    this.#ledger.length = 0;
    this.#outbox.clear();
    this.#blobs.clear();
  }

  async clearKeepingStub(): Promise<void> {
    const kept = STUB_SETTINGS.filter((k) => this.#settings.has(k)).map(
      (k) => [k, this.#settings.get(k)] as const,
    );
    const stubs = this.#ledger.map(stubOf);
    await this.clear();
    this.#ledger.push(...stubs);
    for (const [k, v] of kept) this.#settings.set(k, v);
  }

  close(): void {}
}
