import type { DeviceAdCounts } from '@privads/model/round-upload';
import { adListChecksum, type AdCountsQuery } from '@privads/protocol';
import type { EventRecord } from '../store/records.js';
import type { LoadedCatalog } from './catalog.js';

/**
 * The reader's impressions and clicks per ad since its last participation, in the order of the
 * round's counts catalog; the raw tallies stay in the worker, and what leaves is bounded and noised
 * by the round's privacy mode with the gradient (`roundUpdateVector` of `@privads/model`). When the
 * loaded catalog's ad list is not the one the round counts (another import), every count is 0: the
 * device still takes part, exactly like one that saw nothing.
 * @param events - the event log since the last participation
 * @param catalog - the loaded catalog
 * @param query - the round's counts query
 * @returns counts per ad
 */
export function tallyAdCounts(
  events: readonly EventRecord[],
  catalog: LoadedCatalog,
  query: AdCountsQuery,
): DeviceAdCounts {
  const impressions = new Uint32Array(query.adCount);
  const clicks = new Uint32Array(query.adCount);
  if (catalog.count !== query.adCount || catalog.adsChecksum !== query.adsChecksum) {
    return { impressions, clicks };
  }
  const add = (into: Uint32Array, id: string): void => {
    const index = catalog.indexOf(id);
    if (index !== undefined) into[index] = (into[index] as number) + 1;
  };
  for (const event of events) {
    if (event.kind === 'impression') event.adIds.forEach((id) => add(impressions, id));
    else if (event.kind === 'click') add(clicks, event.adId);
  }
  return { impressions, clicks };
}

/**
 * {@link adListChecksum} of a catalog's ad ids (what a counts query names).
 * @param ads - the catalog's ads in order
 * @returns the checksum
 */
export function catalogAdsChecksum(ads: readonly { id: string }[]): string {
  return adListChecksum(ads.map((ad) => ad.id));
}
