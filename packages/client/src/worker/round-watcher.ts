import type { FlushResult } from '../types.js';

/** What a {@link RoundWatcher} needs from the worker. */
export interface RoundWatcherHost {
  /** Joins the open round if every rule allows it (the worker's `flush`). */
  readonly join: () => Promise<FlushResult>;
  /** Told what each check decided (debug log). */
  readonly report: (result: FlushResult) => void;
  /** Told when a check failed unexpectedly (an `error` event). */
  readonly fail: (error: unknown) => void;
}

/**
 * Checks the open round without waiting for the page: once when started, then every
 * `intervalMs` while the page is open. This is what makes participation data-independent in
 * practice: a device takes part because it was sampled, not because its reader clicked (a page
 * that only called `flush()` after clicks would tell the server who clicked). Checks never overlap,
 * and each one is an ordinary `flush()`, so every rule and refusal applies unchanged.
 */
export class RoundWatcher {
  readonly #host: RoundWatcherHost;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  /**
   * @param host - how to join, report and fail
   * @param intervalMs - time between two checks (> 0)
   * @throws RangeError for a non-positive interval
   */
  constructor(host: RoundWatcherHost, intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    this.#host = host;
    this.#intervalMs = intervalMs;
  }

  /** Checks now and schedules the next checks (idempotent). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.check(), this.#intervalMs);
    void this.check();
  }

  /**
   * One check, unless one is still running.
   * @returns resolves when the check (or the one it joined) is done; never rejects
   */
  check(): Promise<void> {
    this.#running ??= this.#host
      .join()
      .then(this.#host.report, this.#host.fail)
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Stops the periodic checks (a running one finishes). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
