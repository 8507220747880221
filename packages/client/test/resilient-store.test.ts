/**
 * `ResilientStore.destroy` (what `forget()` runs): the backing database is deleted, reads answer
 * empty, and the first write re-creates it — once, even for concurrent writes. IndexedDB itself is
 * exercised in test/client-core.spec.ts.
 */
import { StorageError } from '@privads/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import type { ProfileRecord } from '../src/store/records.js';
import { ResilientStore } from '../src/store/resilient-store.js';
import { DEFAULT_EVENT_LOG_LIMITS, type ClientStore } from '../src/store/store.js';

class DurableMemoryStore extends MemoryStore {
  override readonly kind = 'indexeddb';
  closed = false;
  override close(): void {
    this.closed = true;
  }
}

const profile: ProfileRecord = {
  vector: new Float32Array([1, 0]),
  updates: 1,
  revision: 1,
  updatedAt: 0,
};

function setup(
  primary: ClientStore = new DurableMemoryStore(),
  onCacheSkipped?: (error: StorageError) => void,
) {
  const log: string[] = [];
  const reopened: DurableMemoryStore[] = [];
  const store = new ResilientStore(
    primary,
    DEFAULT_EVENT_LOG_LIMITS,
    () => 0,
    (e) => log.push(`fallback ${e.code}`),
    {
      delete: async () => {
        log.push('delete');
        return true;
      },
      reopen: async () => {
        log.push('reopen');
        const fresh = new DurableMemoryStore();
        reopened.push(fresh);
        return fresh;
      },
    },
    onCacheSkipped,
  );
  return { store, log, reopened };
}

describe('ResilientStore.destroy', () => {
  it('erases and deletes the database, answers reads empty, and re-creates it on the first write', async () => {
    const primary = new DurableMemoryStore();
    const { store, log, reopened } = setup(primary);
    await store.updateProfile(() => profile, { kind: 'click', t: 0, adId: 'a', slate: ['a'] });
    await store.setSetting('paused', true);

    expect(await store.destroy()).toBe(true);
    expect(primary.closed).toBe(true);
    expect(await primary.getProfile()).toBeUndefined();
    expect(await primary.events()).toEqual([]);
    expect(log).toEqual(['delete']);

    // Reads do not re-create the database.
    expect(await store.getProfile()).toBeUndefined();
    expect(await store.getSetting('paused')).toBeUndefined();
    expect(await store.ledger()).toEqual([]);
    expect(store.kind).toBe('indexeddb');
    expect(log).toEqual(['delete']);

    // Concurrent writes re-create it once, and land in it.
    await Promise.all([
      store.updateProfile(() => profile),
      store.appendEvent({ kind: 'impression', t: Date.now(), adIds: ['b'] }),
    ]);
    expect(log).toEqual(['delete', 'reopen']);
    expect(reopened).toHaveLength(1);
    expect((await reopened[0]!.getProfile())?.updates).toBe(1);
    expect(await reopened[0]!.events()).toHaveLength(1);
  });

  it('a store that fell back to memory still deletes the database, and stays in memory', async () => {
    const { store, log } = setup();
    store.fallBack(new StorageError('STORAGE_QUOTA', 'full (test)'));
    await store.updateProfile(() => profile);
    expect(await store.destroy()).toBe(true);
    await store.updateProfile(() => profile);
    expect(store.kind).toBe('memory');
    expect(log).toEqual(['fallback STORAGE_QUOTA', 'delete']);
  });

  it('another tab deleting the database detaches this store the same way', async () => {
    const primary = new DurableMemoryStore();
    const { store, log } = setup(primary);
    await store.updateProfile(() => profile);
    store.detach();
    expect(primary.closed).toBe(true);
    expect(await store.getProfile()).toBeUndefined();
    await store.setSetting('paused', false);
    expect(log).toEqual(['reopen']);
  });
});

describe('ResilientStore cache', () => {
  /** A database that refuses files (as IndexedDB refuses one over its quota or largest value). */
  class RefusingStore extends DurableMemoryStore {
    override async putBlob(): Promise<void> {
      throw new DOMException('the transaction was aborted', 'AbortError');
    }
  }

  it('skips a file the database refuses, says why, and stays durable', async () => {
    const primary = new RefusingStore();
    const skipped: StorageError[] = [];
    const { store, log } = setup(primary, (e) => skipped.push(e));
    await store.putBlob('catalog', '7', new ArrayBuffer(8));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toBeInstanceOf(StorageError);
    expect(skipped[0]?.message).toContain('caching the catalog');
    expect(await store.getBlob('catalog', '7')).toBeUndefined();
    // What must persist still goes to the database.
    await store.updateProfile(() => profile);
    expect(store.kind).toBe('indexeddb');
    expect((await primary.getProfile())?.updates).toBe(1);
    expect(log).toEqual([]);
  });

  it('a memory store caches as before, and a failing database still degrades on other writes', async () => {
    const { store, log } = setup();
    await store.putBlob('projector', '1', new ArrayBuffer(4));
    expect((await store.getBlob('projector', '1'))?.byteLength).toBe(4);
    store.fallBack(new StorageError('STORAGE_QUOTA', 'full (test)'));
    await store.putBlob('projector', '2', new ArrayBuffer(4));
    expect((await store.getBlob('projector', '2'))?.byteLength).toBe(4);
    expect(log).toEqual(['fallback STORAGE_QUOTA']);
  });
});
