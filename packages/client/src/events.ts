import type { PrivAdsEventMap, PrivAdsEventType } from './types.js';

/** A listener of one event type. */
export type Listener<K extends PrivAdsEventType> = (detail: PrivAdsEventMap[K]) => void;

/**
 * Minimal typed event emitter. A listener that throws is reported to the console and does not
 * stop the others: the page's bugs must not break PrivAds, nor PrivAds' events the page.
 */
export class Emitter {
  readonly #listeners = new Map<PrivAdsEventType, Set<Listener<PrivAdsEventType>>>();

  /**
   * @param type - event name
   * @param listener - called with the event's payload
   * @returns a function that removes the listener
   */
  on<K extends PrivAdsEventType>(type: K, listener: Listener<K>): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    set.add(listener as Listener<PrivAdsEventType>);
    this.#listeners.set(type, set);
    return () => set.delete(listener as Listener<PrivAdsEventType>);
  }

  /**
   * @param type - event name
   * @param detail - payload
   */
  emit<K extends PrivAdsEventType>(type: K, detail: PrivAdsEventMap[K]): void {
    for (const listener of this.#listeners.get(type) ?? []) {
      try {
        listener(detail);
      } catch (error) {
        console.error(`PrivAds: a "${type}" listener threw`, error);
      }
    }
  }
}
