/**
 * The demo's PrivAds setup: one client per page load, created the way a publisher would create it
 * (`@privads/client` by package name), plus the article embeddings the publisher computed when it
 * published each article (see `scripts/embed-articles.mjs`).
 */
import { createPrivAds, type PrivAds, type PrivAdsOptions } from '@privads/client';

/** Profile scope: one profile, ledger and budget for the whole publication. */
export const SITE_SCOPE = 'meridian-ledger';

/** IndexedDB database the client keeps for {@link SITE_SCOPE} (`privads:<site>`). */
export const DATABASE_NAME = `privads:${SITE_SCOPE}`;

/** The aggregation server: `<meta name="privads-server">`, filled in by Vite from `VITE_PRIVADS_SERVER`. */
export function serverUrl(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="privads-server"]');
  const value = meta?.content ?? '';
  return URL.canParse(value) ? value : 'http://127.0.0.1:8787';
}

/** Options of the demo's client: the library defaults, plus a little exploration. */
export function demoOptions(): PrivAdsOptions {
  return {
    server: serverUrl(),
    site: SITE_SCOPE,
    policy: {
      frequencyCap: { maxImpressions: 6, windowMs: 3_600_000 },
      diversity: { maxPerAdvertiser: 1 },
      exploration: { kind: 'epsilon-greedy', epsilon: 0.08 },
    },
  };
}

/** Creates the page's client. */
export const startPrivAds = (): PrivAds => createPrivAds(demoOptions());

const decodeVector = (base64: string): Float32Array => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
};

let embeddings: Promise<Map<string, Float32Array>> | undefined;

/**
 * Article embeddings (content space), loaded once and lazily so the first paint never waits.
 * @returns slug → embedding; empty when the file cannot be loaded (pages then rank without context)
 */
export function articleEmbeddings(): Promise<Map<string, Float32Array>> {
  embeddings ??= fetch(new URL('article-embeddings.json', document.baseURI))
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json() as Promise<{ vectors: Record<string, string> }>;
    })
    .then(
      ({ vectors }) =>
        new Map(Object.entries(vectors).map(([slug, b64]) => [slug, decodeVector(b64)])),
    )
    .catch((error: unknown) => {
      console.warn('article embeddings unavailable; ranking without page context', error);
      return new Map<string, Float32Array>();
    });
  return embeddings;
}

/**
 * Mean of several embeddings, L2-normalised: a section front's context.
 * @param vectors - rows of equal length
 * @returns the normalised mean, or `undefined` for no rows
 */
export function centroid(vectors: readonly Float32Array[]): Float32Array | undefined {
  const [first] = vectors;
  if (first === undefined) return undefined;
  const sum = new Float32Array(first.length);
  for (const vector of vectors) vector.forEach((x, i) => (sum[i] = (sum[i] ?? 0) + x));
  const norm = Math.hypot(...sum) || 1;
  return sum.map((x) => x / norm);
}
