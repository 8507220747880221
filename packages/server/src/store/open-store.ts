/**
 * Opens the store a server or a CLI command names: an embedded store directory or a PostgreSQL URL.
 * Both get the same contribution decoder, so an upload replayed from the log or folded from a body
 * adds exactly the integers it added when it was accepted.
 */
import type { ServerConfig } from '../config.js';
import { contributionOf } from '../rounds/validate-update.js';
import { openEmbeddedStore } from './embedded-store.js';
import { openPostgresStore } from './postgres-store.js';
import type { Store } from './store.js';
import type { CommitObserver } from './write-ahead-log.js';

/** Where the server keeps its state. */
export type StoreLocation =
  { kind: 'embedded'; dataDir: string } | { kind: 'postgres'; url: string };

/**
 * Opens a store.
 * @param location - embedded directory or PostgreSQL URL
 * @param config - server configuration (store tuning)
 * @param onCommit - receives durable-write durations (metrics)
 * @returns the open store
 * @throws StorageError `STORAGE_BLOCKED` (embedded directory in use), `STORAGE_UNAVAILABLE` (database unreachable)
 */
export async function openStore(
  location: StoreLocation,
  config: ServerConfig,
  onCommit?: CommitObserver,
): Promise<Store> {
  if (location.kind === 'embedded') {
    return openEmbeddedStore({
      dir: location.dataDir,
      decoder: contributionOf,
      snapshotBytes: config.store.snapshotBytes,
      ...(onCommit ? { onCommit } : {}),
    });
  }
  return openPostgresStore({
    connectionString: location.url,
    decoder: contributionOf,
    flushIntervalMs: config.store.flushIntervalMs,
    flushMaxPending: config.store.flushMaxPending,
    ...(onCommit ? { onCommit } : {}),
  });
}

/**
 * Reads a `--store` argument: a `postgres://` or `postgresql://` URL, else an embedded directory.
 * @param value - the argument
 * @returns the location
 */
export function parseStoreLocation(value: string): StoreLocation {
  return /^postgres(ql)?:\/\//i.test(value)
    ? { kind: 'postgres', url: value }
    : { kind: 'embedded', dataDir: value };
}
