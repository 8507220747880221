/**
 * Tells the other tabs of the same site (each with its own worker) what changed, so their caches
 * follow. Messages carry no profile content: a revision number, ad ids of an impression (already
 * on this device), or a flag.
 */

/** What one tab tells the others. */
export type TabMessage =
  | { readonly type: 'profile'; readonly revision: number }
  | { readonly type: 'impression'; readonly adIds: readonly string[]; readonly t: number }
  | { readonly type: 'paused'; readonly paused: boolean }
  | { readonly type: 'forget' };

/** A BroadcastChannel per site scope; silently inert where BroadcastChannel is missing. */
export class TabSync {
  readonly #channel: BroadcastChannel | undefined;

  /**
   * @param site - scope; tabs of one scope share a channel
   * @param onMessage - called for messages from other tabs (never for this tab's own)
   */
  constructor(site: string, onMessage: (message: TabMessage) => void) {
    if (typeof BroadcastChannel === 'undefined') return;
    this.#channel = new BroadcastChannel(`privads:${site}`);
    this.#channel.onmessage = (event: MessageEvent<TabMessage>) => onMessage(event.data);
  }

  /** @param message - sent to every other tab of the scope */
  post(message: TabMessage): void {
    this.#channel?.postMessage(message);
  }

  /** Stops listening. */
  close(): void {
    this.#channel?.close();
  }
}
