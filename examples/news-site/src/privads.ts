/**
 * The demo's PrivAds setup: one client per page load, created the way a publisher would create it
 * (`@privads/client` by package name). Pages pass their text; the client's worker encodes it with
 * the content encoder, whose files `scripts/prepare-assets.mjs` copies next to the worker script
 * (`assets/`).
 */
import { createPrivAds, type PrivAds, type PrivAdsOptions } from '@privads/client';

/** Profile scope: one profile, ledger and budget for the whole publication. */
export const SITE_SCOPE = 'meridian-ledger';

/** The aggregation server: `<meta name="privads-server">`, filled in by Vite from `VITE_PRIVADS_SERVER`. */
export function serverUrl(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="privads-server"]');
  const value = meta?.content ?? '';
  return URL.canParse(value) ? value : 'http://127.0.0.1:8787';
}

/**
 * Options of the demo's client: the library defaults, plus a little exploration, and the opt-in to
 * `central` rounds when the demo server runs them (the library's default floor is `distributed`).
 */
export function demoOptions(): PrivAdsOptions {
  return {
    server: serverUrl(),
    site: SITE_SCOPE,
    // Where prepare-assets copies the wasm binaries and the content encoder. In the production build
    // that is also the worker's directory (the default); naming it keeps `vite dev` working too.
    assets: { baseUrl: new URL('assets/', document.baseURI) },
    // Demo rounds last about ten seconds: check the open round more often than the default.
    rounds: { checkIntervalMs: 5_000 },
    // `npm start` runs distributed rounds by default, and central ones with `--privacy central`
    // (as the demo's end-to-end tests do, for their short rounds): this publisher accepts that the
    // server may see each clipped update before adding noise.
    privacy: { minimumMode: 'central' },
    policy: {
      frequencyCap: { maxImpressions: 6, windowMs: 3_600_000 },
      diversity: { maxPerAdvertiser: 1 },
      exploration: { kind: 'epsilon-greedy', epsilon: 0.08 },
    },
  };
}

/** Creates the page's client. */
export const startPrivAds = (): PrivAds => createPrivAds(demoOptions());
