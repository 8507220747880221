import type { EventRecord } from '../store/records.js';

/** Slates remembered for attributing clicks. */
const MAX_SLATES = 64;
/** A click is attributed to a slate shown at most this long before it. */
export const CLICK_ATTRIBUTION_MS = 30 * 60_000;

/**
 * Recent impressions in memory: per-ad counts for the frequency cap, the last slates (so a click
 * can be matched to the slate it came from) and the ads the reader hid. Rebuilt from the event log at start-up and kept
 * current across tabs by `TabSync`.
 */
export class ImpressionHistory {
  readonly #shown = new Map<string, number[]>();
  readonly #slates: { readonly t: number; readonly adIds: readonly string[] }[] = [];
  readonly #hidden = new Set<string>();

  /** @param windowMs - frequency-cap window */
  constructor(private readonly windowMs: number) {}

  /**
   * Replays logged impressions.
   * @param events - the event log, time-ordered
   */
  load(events: readonly EventRecord[]): void {
    for (const event of events) {
      if (event.kind === 'impression') this.add(event.adIds, event.t);
      else if (event.kind === 'hide') this.hide(event.adId);
    }
  }

  /**
   * Marks an ad "not interested": it is not shown again while its hide event stays in the log.
   * @param adId - the ad
   */
  hide(adId: string): void {
    this.#hidden.add(adId);
  }

  /**
   * @param adId - an ad
   * @returns whether the reader hid it
   */
  isHidden(adId: string): boolean {
    return this.#hidden.has(adId);
  }

  /**
   * Records one shown slate.
   * @param adIds - ads in display order
   * @param t - epoch milliseconds
   */
  add(adIds: readonly string[], t: number): void {
    for (const id of adIds) {
      const times = this.#shown.get(id) ?? [];
      times.push(t);
      this.#shown.set(id, times);
    }
    this.#slates.push({ t, adIds: [...adIds] });
    if (this.#slates.length > MAX_SLATES) this.#slates.shift();
  }

  /**
   * @param adId - an ad
   * @param now - epoch milliseconds
   * @returns impressions of the ad within the window ending at `now`
   */
  countOf(adId: string, now: number): number {
    const times = this.#shown.get(adId);
    if (times === undefined) return 0;
    const since = now - this.windowMs;
    while (times.length > 0 && (times[0] as number) <= since) times.shift();
    return times.length;
  }

  /**
   * The most recent slate that showed `adId` within the attribution window.
   * @param adId - the clicked or hidden ad
   * @param now - epoch milliseconds
   * @returns its ad ids, or `undefined`
   */
  slateContaining(adId: string, now: number): readonly string[] | undefined {
    for (let i = this.#slates.length - 1; i >= 0; i--) {
      const slate = this.#slates[i] as { t: number; adIds: readonly string[] };
      if (now - slate.t > CLICK_ATTRIBUTION_MS) return undefined;
      if (slate.adIds.includes(adId)) return slate.adIds;
    }
    return undefined;
  }

  /** Forgets everything. */
  clear(): void {
    this.#shown.clear();
    this.#slates.length = 0;
    this.#hidden.clear();
  }
}
