/**
 * What a simulated run knows about the per-ad counts: for every released round, the true counts of
 * the devices whose upload is in the sum (raw, and bounded as the upload bounds them with
 * `boundCounts`), and what the server released. The gap between released and bounded is the DP
 * noise alone; the gap between released and raw adds the bias of the contribution bound.
 */
import { boundCounts } from '@privads/dp';
import type { DeviceAdCounts } from '@privads/model/round-upload';
import type { AdCountsQuery } from '@privads/protocol';
import type { SimReleasedCounts } from './aggregator.js';

/** Per-ad totals of impressions and clicks. */
export interface AdTotals {
  readonly impressions: Float64Array;
  readonly clicks: Float64Array;
}

/** The counts' error of a run against the truth, over its released rounds. */
export interface CountsError {
  /** Released rounds whose counts were compared. */
  readonly rounds: number;
  /** Std of one released count's noise per round (the server's stated σ, mean over rounds). */
  readonly sigma: number;
  /** Root mean square of (released − bounded) over every ad and round: the noise as measured. */
  readonly rmse: { readonly impressions: number; readonly clicks: number };
  /** Σ |released − raw| / Σ raw over the run's totals per ad: noise and bounding bias together. */
  readonly relativeError: { readonly impressions: number; readonly clicks: number };
  /** Share of raw events the contribution bound dropped. */
  readonly boundedShare: { readonly impressions: number; readonly clicks: number };
}

const zeros = (n: number): AdTotals => ({
  impressions: new Float64Array(n),
  clicks: new Float64Array(n),
});

/** Collects the truth and the releases of a run, round by round. */
export class CountsTally {
  readonly #items: number;
  readonly raw: AdTotals;
  readonly bounded: AdTotals;
  readonly released: AdTotals;
  #round: { raw: AdTotals; bounded: AdTotals } | undefined;
  #squares = { impressions: 0, clicks: 0 };
  #cells = 0;
  #sigma = 0;
  #rounds = 0;
  readonly #clicksByRound: { round: number; clicks: Float32Array }[] = [];

  /** @param items - catalog size */
  constructor(items: number) {
    this.#items = items;
    this.raw = zeros(items);
    this.bounded = zeros(items);
    this.released = zeros(items);
  }

  /** Starts a round. */
  beginRound(): void {
    this.#round = { raw: zeros(this.#items), bounded: zeros(this.#items) };
  }

  /**
   * Adds a device whose upload is in the round's sum.
   * @param counts - its raw counts
   * @param query - the round's counts query (its bounds)
   */
  addDevice(counts: DeviceAdCounts, query: AdCountsQuery): void {
    const round = this.#round;
    if (round === undefined) throw new RangeError('addDevice before beginRound');
    const bounded = {
      impressions: boundCounts(counts.impressions, query.maxImpressions),
      clicks: boundCounts(counts.clicks, query.maxClicks),
    };
    for (const kind of ['impressions', 'clicks'] as const) {
      for (let a = 0; a < this.#items; a++) {
        round.raw[kind][a]! += counts[kind][a]!;
        round.bounded[kind][a]! += bounded[kind][a]!;
      }
    }
  }

  /**
   * Ends a round with what the server released (nothing when it released nothing).
   * @param index - the simulation's round index (0-based)
   * @param released - the round's released counts, if any
   */
  endRound(index: number, released: SimReleasedCounts | undefined): void {
    const round = this.#round;
    this.#round = undefined;
    if (round === undefined || released === undefined) return;
    this.#clicksByRound.push({ round: index, clicks: released.clicks });
    this.#rounds++;
    this.#sigma += released.sigma;
    this.#cells += this.#items;
    for (const kind of ['impressions', 'clicks'] as const) {
      for (let a = 0; a < this.#items; a++) {
        const value = released[kind][a]!;
        this.#squares[kind] += (value - round.bounded[kind][a]!) ** 2;
        this.released[kind][a]! += value;
        this.raw[kind][a]! += round.raw[kind][a]!;
        this.bounded[kind][a]! += round.bounded[kind][a]!;
      }
    }
  }

  /**
   * The released clicks summed over the rounds before `index`: the counts an operator had when a
   * period began (model selection on a later period must not use counts of that period).
   * @param index - the first round not included
   * @returns clicks per ad
   */
  releasedClicksBefore(index: number): Float64Array {
    const out = new Float64Array(this.#items);
    for (const { round, clicks } of this.#clicksByRound) {
      if (round >= index) continue;
      for (let a = 0; a < this.#items; a++) out[a]! += clicks[a]!;
    }
    return out;
  }

  /** @returns the error summary, or undefined when no round released counts */
  error(): CountsError | undefined {
    if (this.#rounds === 0) return undefined;
    const per = (kind: 'impressions' | 'clicks') => {
      let gap = 0;
      let raw = 0;
      let kept = 0;
      for (let a = 0; a < this.#items; a++) {
        gap += Math.abs(this.released[kind][a]! - this.raw[kind][a]!);
        raw += this.raw[kind][a]!;
        kept += this.bounded[kind][a]!;
      }
      return {
        rmse: Math.sqrt(this.#squares[kind] / this.#cells),
        relative: raw === 0 ? 0 : gap / raw,
        dropped: raw === 0 ? 0 : 1 - kept / raw,
      };
    };
    const i = per('impressions');
    const c = per('clicks');
    return {
      rounds: this.#rounds,
      sigma: this.#sigma / this.#rounds,
      rmse: { impressions: i.rmse, clicks: c.rmse },
      relativeError: { impressions: i.relative, clicks: c.relative },
      boundedShare: { impressions: i.dropped, clicks: c.dropped },
    };
  }
}
