/**
 * Per-client token buckets. Memory is bounded: buckets that have refilled completely carry no
 * information and are dropped, and the table never holds more than `maxClients` entries (the
 * oldest are evicted first), so a flood of spoofed addresses cannot exhaust memory.
 */

/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Sustained requests per second per client (> 0). */
  ratePerSecond: number;
  /** Bucket size: requests a client may make in a burst (≥ 1). */
  burst: number;
  /**
   * Most clients tracked at once.
   * @defaultValue 100 000
   */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** A token-bucket limiter keyed by client (normally the remote address). */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxClients: number;
  // Map iteration order is insertion order; re-inserting on use makes it an LRU.
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param options - rate, burst, table size
   * @throws RangeError for a non-positive rate or a burst below 1
   */
  constructor(options: RateLimitOptions) {
    if (!(options.ratePerSecond > 0)) {
      throw new RangeError(`ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    }
    if (!(options.burst >= 1)) throw new RangeError(`burst must be >= 1, got ${options.burst}`);
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#maxClients = options.maxClients ?? 100_000;
  }

  /**
   * Takes one token for `client`.
   * @param client - the key, e.g. the remote address
   * @param nowMs - the current time
   * @defaultValue nowMs = `Date.now()`
   * @returns 0 when allowed, otherwise the seconds to wait before a token is available
   */
  take(client: string, nowMs = Date.now()): number {
    const bucket = this.#buckets.get(client) ?? { tokens: this.#burst, updatedMs: nowMs };
    this.#buckets.delete(client);
    const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#rate);
    bucket.updatedMs = nowMs;
    let wait = 0;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else wait = (1 - bucket.tokens) / this.#rate;
    this.#buckets.set(client, bucket);
    this.#evict(nowMs);
    return wait;
  }

  /** Number of clients currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  #evict(nowMs: number): void {
    const fullAfterMs = (this.#burst / this.#rate) * 1000;
    for (const [client, bucket] of this.#buckets) {
      const stale = nowMs - bucket.updatedMs >= fullAfterMs;
      if (!stale && this.#buckets.size <= this.#maxClients) break;
      this.#buckets.delete(client);
    }
  }
}
