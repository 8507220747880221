/**
 * The round life cycle on top of a store: which round is open, uploads into it, closing it at its
 * deadline or on the operator's request, and the metrics and statistics of each step. HTTP-free:
 * the routes translate requests into these calls.
 */
import type { RandomSource } from '@privads/dp';
import { AggregationError, type RoundConfig } from '@privads/protocol';

import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics.js';
import type { CloseReason, CloseRoundResult, RoundRecord, Store } from '../store/store.js';
import { finalizeRound } from './finalize-round.js';
import { initialState } from './initial-state.js';
import { RoundStatsCollector } from './round-stats.js';
import { validateUpload } from './validate-update.js';

/** Dependencies of a {@link RoundService}. */
export interface RoundServiceOptions {
  /** Persistent state. */
  store: Store;
  /** Server configuration. */
  config: ServerConfig;
  /** Current time in ms since the epoch. */
  clock: () => number;
  /** Structured log. */
  logger: Logger;
  /** Metrics. */
  metrics: ServerMetrics;
  /** Randomness of the central noise (default: the CSPRNG). */
  source?: RandomSource;
}

/** Runs the rounds of one server instance. */
export class RoundService {
  readonly #o: RoundServiceOptions;
  /** Statistics of rounds this instance saw open (dropped once they close). */
  readonly #stats = new Map<number, RoundStatsCollector>();
  #timer: NodeJS.Timeout | undefined;
  #lastOpen: RoundConfig | undefined;

  /** @param options - store, configuration, clock, log, metrics */
  constructor(options: RoundServiceOptions) {
    this.#o = options;
  }

  /**
   * Fills an empty store with projector 1 and round 1.
   * @returns when the store is initialised
   */
  initialize(): Promise<void> {
    return this.#o.store.initialize(async () =>
      initialState(this.#o.config, new Date(this.#o.clock())),
    );
  }

  /**
   * The open round, after closing it first when its deadline has passed.
   * @returns the open round
   * @throws StorageError when the store is unavailable
   */
  async current(): Promise<RoundRecord> {
    const open = await this.#openRound();
    if (Date.parse(open.config.deadline) > this.#o.clock()) return open;
    await this.close('deadline', open.config.roundId);
    return this.#openRound();
  }

  async #openRound(): Promise<RoundRecord> {
    const open = await this.#o.store.openRound();
    if (open === undefined)
      throw new AggregationError('AGGREGATION_ROUND_CLOSED', 'no round is open');
    this.#lastOpen = open.config;
    this.#o.metrics.currentRound.set(open.config.roundId);
    return open;
  }

  #collector(config: RoundConfig): RoundStatsCollector {
    let stats = this.#stats.get(config.roundId);
    if (stats === undefined) {
      stats = new RoundStatsCollector(config.clipNorm);
      this.#stats.set(config.roundId, stats);
    }
    return stats;
  }

  /** The open round as last read (no store access: for bookkeeping of refusals). */
  get lastOpenRound(): RoundConfig | undefined {
    return this.#lastOpen;
  }

  /**
   * Validates an upload and adds it to the round durably.
   * @param config - the open round's config
   * @param body - the upload bytes
   * @returns the upload's nonce, once it is durable
   * @throws ProtocolError (400/422) / AggregationError (409) for a refused upload; nothing changes then
   */
  async submit(config: RoundConfig, body: Uint8Array): Promise<{ nonce: string }> {
    const { header, contribution, norm } = validateUpload(config, body);
    const outcome = await this.#o.store.addUpdate(config.roundId, header.nonce, body, contribution);
    if (outcome === 'duplicate') {
      throw new AggregationError(
        'AGGREGATION_DUPLICATE_NONCE',
        `nonce ${header.nonce} was already counted in round ${config.roundId}`,
      );
    }
    if (outcome === 'closed') {
      throw new AggregationError(
        'AGGREGATION_ROUND_CLOSED',
        `round ${config.roundId} closed before the upload was counted`,
      );
    }
    const stats = this.#collector(config);
    stats.accepted(norm);
    this.#o.metrics.uploadsAccepted.inc({ encoding: header.encoding });
    this.#o.metrics.currentRoundUpdates.set(stats.acceptedCount);
    return { nonce: header.nonce };
  }

  /**
   * Counts a refused upload, in the metrics and in the statistics of the round open at the time.
   * @param open - the open round's config (undefined when it could not be read)
   * @param reason - the answer's error code
   */
  rejected(open: RoundConfig | undefined, reason: string): void {
    this.#o.metrics.uploadsRejected.inc({ reason });
    if (open) this.#collector(open).rejected(reason);
  }

  /**
   * Closes a round (by default the open one): k_min gate, noise, optimizer, new versions, ledger.
   * @param reason - what closes it
   * @param roundId - the round; default the open one
   * @returns `closed` with the closed and the next round, or `not-open` when it was closed already
   */
  async close(reason: CloseReason, roundId?: number): Promise<CloseRoundResult> {
    const { store, config, metrics, logger } = this.#o;
    const id = roundId ?? (await this.#openRound()).config.roundId;
    const started = process.hrtime.bigint();
    const result = await store.closeRound(id, async (context) => {
      const commit = await finalizeRound(context, {
        config,
        reason,
        now: new Date(this.#o.clock()),
        ...(this.#o.source ? { source: this.#o.source } : {}),
      });
      const stats = this.#stats.get(id);
      return stats ? { ...commit, closed: { ...commit.closed, stats: stats.snapshot() } } : commit;
    });
    if (result.outcome === 'closed') {
      const closed = result.record.closed;
      this.#stats.delete(id);
      metrics.roundsClosed.inc({ outcome: result.record.status });
      metrics.roundSize.observe(closed?.cohortSize ?? 0, { outcome: result.record.status });
      metrics.roundCloseLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
      metrics.currentRound.set(result.next.config.roundId);
      metrics.currentRoundUpdates.set(0);
      logger.log('info', 'round.closed', {
        roundId: id,
        reason,
        status: result.record.status,
        cohortSize: closed?.cohortSize,
        epsilon: closed?.epsilon,
        nextRound: result.next.config.roundId,
      });
    }
    return result;
  }

  /**
   * Checks the deadline periodically (a server with no traffic still closes its rounds).
   * @param intervalMs - how often
   */
  startDeadlineTimer(intervalMs: number): void {
    this.stopDeadlineTimer();
    this.#timer = setInterval(() => {
      this.current().catch((error: unknown) =>
        this.#o.logger.log('error', 'round.deadline_check_failed', { error }),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops {@link RoundService.startDeadlineTimer}. */
  stopDeadlineTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
