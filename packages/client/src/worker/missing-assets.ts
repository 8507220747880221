import type { MissingAsset } from '../types.js';
import { PRIVATE_REQUEST, type FetchLike } from './http.js';

/** What a failed asset load cost the reader, by feature. */
const CONSEQUENCE: Record<MissingAsset['neededFor'], string> = {
  'content encoder': 'page text is ignored (rank and recordRead work without it)',
  'on-device learning': "learning runs on tfjs' slower CPU backend",
};

/**
 * Finds which of a feature's files the publisher's server does not serve, after that feature
 * failed to load: each is asked for with a HEAD request (no body is downloaded), and one that
 * answers with an error status, or not at all, is missing.
 * @param fetchFn - transport
 * @param urls - the files the feature loads
 * @param neededFor - the feature
 * @returns the missing files (empty when every file is there: the failure was something else)
 */
export async function findMissingAssets(
  fetchFn: FetchLike,
  urls: readonly string[],
  neededFor: MissingAsset['neededFor'],
): Promise<MissingAsset[]> {
  const probes = await Promise.all(
    urls.map(async (url): Promise<MissingAsset | undefined> => {
      try {
        const response = await fetchFn(url, { ...PRIVATE_REQUEST, method: 'HEAD' });
        return response.ok ? undefined : { url, status: response.status, neededFor };
      } catch {
        return { url, status: 'unreachable', neededFor };
      }
    }),
  );
  return probes.filter((probe) => probe !== undefined);
}

/**
 * @param asset - a missing file
 * @returns the one-line warning that names it and says what the reader loses
 */
export function describeMissingAsset(asset: MissingAsset): string {
  const answer =
    asset.status === 'unreachable' ? 'could not be fetched' : `answered HTTP ${asset.status}`;
  return `${asset.url} ${answer}; it is needed for the ${asset.neededFor}, so ${CONSEQUENCE[asset.neededFor]}. Copy the PrivAds assets there (npx privads-assets, docs/api.md "Bundling and serving the assets") or set the assets option.`;
}
