import { withLockIfAvailable } from './store/locks.js';
import type { OutboxItem } from './store/records.js';
import type { ClientStore } from './store/store.js';
import type { FetchLike } from './worker/http.js';

/** Browsers refuse `keepalive` requests whose bodies exceed 64 KiB in total. */
export const KEEPALIVE_MAX_BYTES = 65_536;

/** How one attempt ended. */
export type AttemptOutcome =
  /** The server accepted it (2xx, or 409: it already holds this nonce). */
  | 'sent'
  /** The server refused it for good (other 4xx): not retried. */
  | 'rejected'
  /** Network error, 429 or 5xx: retried later. */
  | 'retry'
  /** Out of attempts, or past the round's deadline: dropped. */
  | 'expired';

/** What the uploader reports after each attempt. */
export interface UploadReport {
  readonly roundId: number;
  readonly bytes: number;
  readonly outcome: AttemptOutcome;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Attempts made so far, this one included. */
  readonly attempts: number;
  /** Epoch milliseconds of the next attempt (`retry` only). */
  readonly nextAttemptAt?: number;
  /** Network error message, when no response arrived. */
  readonly error?: string;
}

/** Options of {@link Uploader}. */
export interface UploaderOptions {
  /** Where queued uploads and the ledger live. */
  readonly store: Pick<ClientStore, 'outbox' | 'putOutbox' | 'deleteOutbox' | 'setLedgerStatus'>;
  /** Origin-wide lock name: one tab drains the queue at a time. */
  readonly lockName: string;
  /** `fetch`, injectable for tests. @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchLike;
  /** Clock. @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Uniform [0, 1) for jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** First retry delay, milliseconds. @defaultValue 2000 */
  readonly baseDelayMs?: number;
  /** Longest retry delay, milliseconds. @defaultValue 300_000 */
  readonly maxDelayMs?: number;
  /** Attempts before an upload is dropped. @defaultValue 8 */
  readonly maxAttempts?: number;
  /** Told after every attempt. */
  readonly onReport?: (report: UploadReport) => void;
}

/**
 * Delay before retry number `attempts` (1-based): exponential with "equal jitter" (half fixed,
 * half random), so many devices recovering together do not retry in lockstep.
 * @param attempts - attempts made so far (≥ 1)
 * @param baseMs - first delay
 * @param maxMs - cap
 * @param random - uniform [0, 1)
 * @returns milliseconds
 */
export function backoffDelay(
  attempts: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return ceiling / 2 + (ceiling / 2) * random();
}

/**
 * Classifies an HTTP status.
 * @param status - response status
 * @returns the outcome it implies
 */
export function outcomeOfStatus(status: number): AttemptOutcome {
  if ((status >= 200 && status < 300) || status === 409) return 'sent';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/**
 * Sends queued updates. Each request carries only the encoded update: no cookies
 * (`credentials: 'omit'`), no referrer, no cache, and `keepalive` when the body is small enough
 * for the browser to accept it, so an upload started as the page closes still completes.
 */
export class Uploader {
  readonly #options: UploaderOptions;
  readonly #fetch: FetchLike;
  readonly #now: () => number;

  /** @param options - store, lock, transport and retry policy */
  constructor(options: UploaderOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
  }

  /**
   * Attempts every due upload once, unless another tab is already draining.
   * @returns the reports of this drain (empty when another tab holds the lock)
   */
  async drain(): Promise<UploadReport[]> {
    const reports = await withLockIfAvailable(this.#options.lockName, async () => {
      const now = this.#now();
      const due = (await this.#options.store.outbox()).filter((i) => i.nextAttemptAt <= now);
      const done: UploadReport[] = [];
      for (const item of due) done.push(await this.#attempt(item));
      return done;
    });
    return reports ?? [];
  }

  /** @returns epoch milliseconds of the earliest pending retry, if any */
  async nextDueAt(): Promise<number | undefined> {
    const items = await this.#options.store.outbox();
    return items.length === 0 ? undefined : Math.min(...items.map((i) => i.nextAttemptAt));
  }

  async #attempt(item: OutboxItem): Promise<UploadReport> {
    const { store } = this.#options;
    const attempts = item.attempts + 1;
    const bytes = item.body.byteLength;
    let status: number | undefined;
    let error: string | undefined;
    let outcome: AttemptOutcome;
    if (this.#now() > item.deadline) {
      outcome = 'expired';
    } else {
      try {
        const response = await this.#fetch(item.url, {
          method: 'POST',
          body: item.body,
          headers: { 'Content-Type': 'application/octet-stream' },
          credentials: 'omit',
          referrerPolicy: 'no-referrer',
          cache: 'no-store',
          mode: 'cors',
          keepalive: bytes <= KEEPALIVE_MAX_BYTES,
        });
        status = response.status;
        outcome = outcomeOfStatus(status);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        outcome = 'retry';
      }
    }
    if (outcome === 'retry' && attempts >= (this.#options.maxAttempts ?? 8)) outcome = 'expired';
    const at = this.#now();
    let nextAttemptAt: number | undefined;
    if (outcome === 'retry') {
      const o = this.#options;
      nextAttemptAt =
        at +
        backoffDelay(
          attempts,
          o.baseDelayMs ?? 2000,
          o.maxDelayMs ?? 300_000,
          o.random ?? Math.random,
        );
      await store.putOutbox({ ...item, attempts, nextAttemptAt });
    } else {
      await store.deleteOutbox(item.roundId);
      await store.setLedgerStatus(item.ledgerId, outcome, at);
    }
    const report: UploadReport = {
      roundId: item.roundId,
      bytes,
      outcome,
      attempts,
      ...(status === undefined ? {} : { status }),
      ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
      ...(error === undefined ? {} : { error }),
    };
    this.#options.onReport?.(report);
    return report;
  }
}
