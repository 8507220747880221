/**
 * The round life cycle on top of a store: which round is open, uploads into it, closing it at its
 * deadline or on the operator's request, and the metrics and statistics of each step. HTTP-free:
 * the routes translate requests into these calls.
 */
import type { RandomSource } from '@privads/dp';
import { AggregationError, SecAggError, type RoundConfig } from '@privads/protocol';

import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics.js';
import type { CloseReason, CloseRoundResult, RoundRecord, Store } from '../store/store.js';
import { finalizeRound } from './finalize-round.js';
import { initialState } from './initial-state.js';
import { RoundStatsCollector } from './round-stats.js';
import { DEFAULT_PHASE_SECONDS, resolveSecureAggregation } from './secure-aggregation-settings.js';
import { SecureRound } from './secure-round.js';
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
  /** The coordinators of distributed rounds open on this instance (memory only). */
  readonly #secure = new Map<number, SecureRound>();
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
    const now = this.#o.clock();
    if (Date.parse(open.config.deadline) <= now) {
      await this.close('deadline', open.config.roundId);
      return this.#openRound();
    }
    const secure = this.#secureRoundOf(open.config);
    if (secure !== undefined && secure.advance(now) !== 'running') {
      await this.close('protocol', open.config.roundId);
      return this.#openRound();
    }
    return open;
  }

  /**
   * The coordinator of the open distributed round, after advancing its phases.
   * @param roundId - the round a device names
   * @returns the coordinator
   * @throws HttpError-mapped errors: `NOT_FOUND` (AggregationError `AGGREGATION_ROUND_CLOSED`)
   *   when that round is not the open one, `SECAGG_WRONG_PHASE` when it is not distributed
   */
  async secureRound(roundId: number): Promise<SecureRound> {
    const open = await this.current();
    if (open.config.roundId !== roundId) {
      throw new AggregationError(
        'AGGREGATION_ROUND_CLOSED',
        `round ${roundId} is not open; the open round is ${open.config.roundId}`,
      );
    }
    const secure = this.#secureRoundOf(open.config);
    if (secure === undefined) {
      throw new SecAggError(
        'SECAGG_WRONG_PHASE',
        `round ${roundId} is in ${open.config.privacy.mode} mode: it has no secure aggregation`,
      );
    }
    return secure;
  }

  #secureRoundOf(config: RoundConfig): SecureRound | undefined {
    if (config.privacy.mode !== 'distributed') return undefined;
    let secure = this.#secure.get(config.roundId);
    if (secure === undefined) {
      // The template may have left distributed mode since this round opened: then the default.
      const template = this.#o.config.round.privacy;
      const phaseSeconds =
        template.mode === 'distributed'
          ? resolveSecureAggregation(template, config.kMin).phaseSeconds
          : DEFAULT_PHASE_SECONDS;
      secure = new SecureRound(config, phaseSeconds);
      this.#secure.set(config.roundId, secure);
    }
    return secure;
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
    const secure = this.#secureRoundOf(config);
    // The coordinator's U₂ and the store's sum must hold exactly the same devices.
    secure?.beginInput(header.nonce);
    let outcome: Awaited<ReturnType<Store['addUpdate']>> | undefined;
    try {
      outcome = await this.#o.store.addUpdate(config.roundId, header.nonce, body, contribution);
    } finally {
      secure?.endInput(header.nonce, outcome === 'accepted');
    }
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
    const secure = this.#secure.get(id);
    const result = await store.closeRound(id, async (context) => {
      const commit = await finalizeRound(context, {
        config,
        reason,
        now: new Date(this.#o.clock()),
        ...(this.#o.source ? { source: this.#o.source } : {}),
        ...(secure ? { secure } : {}),
      });
      const stats = this.#stats.get(id);
      return stats ? { ...commit, closed: { ...commit.closed, stats: stats.snapshot() } } : commit;
    });
    if (result.outcome === 'closed') {
      const closed = result.record.closed;
      this.#stats.delete(id);
      this.#secure.delete(id);
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
